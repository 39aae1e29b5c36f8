#pragma once
// Inside the load generator (load_generator.h): one Participant per
// WebSocket connection, and the Generator that owns them and the lws client
// context. Split in two files: generator_traffic.cpp connects and moves
// frames; load_generator.cpp runs the phases, the clock and the figures.
//
// Thread: everything here runs on the generator's event-loop thread.
#include <libwebsockets.h>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "bench/load/load_generator.h"
#include "bench/load/process_stats.h"
#include "bench/load/reply_rule.h"
#include "engine/bot.h"
#include "engine/rng.h"

namespace livectl::load {

// Monotonic microseconds: when frames were written and read.
inline int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

enum class Link { kDown, kConnecting, kOpen };

// One frame to write, with the headroom lws_write needs before its text.
struct Outgoing {
  std::string frame;
  Json data;  // what liveSend was given, for the reply rule
};

struct Participant {
  const ServedParticipant* served = nullptr;
  const Game* game = nullptr;
  std::unique_ptr<Bot> bot;
  std::unique_ptr<ReplyRule> rule;
  Rng rng;
  uint32_t page = 0;

  lws* socket = nullptr;
  Link link = Link::kDown;
  bool moving = false;    // closing on purpose: the participant moved to `page`
  bool finished = false;  // the bot submitted or finished its page
  std::string path;       // kept alive while lws connects
  int64_t connect_started_us = 0;
  int last_close_code = 0;
  std::string last_close_reason;

  std::string incoming;  // fragments of the frame being received
  std::deque<Outgoing> outgoing;
  std::deque<WaitingSend> waiting;

  const PageSpec& page_spec() const { return game->pages()[page]; }
  bool ready() const {
    return link == Link::kOpen && (finished || page_spec().kind == PageKind::kLive);
  }
};

class Generator;

// The lws timer, with the way back to its owner (the sul must come first).
struct Tick {
  lws_sorted_usec_list_t sul;
  Generator* owner;
};

// Runs one load run: the participants, their lws client context and the
// report. prepare(), then run() once.
class Generator {
 public:
  Generator(const LoadOptions& options, LoadReport& report) : options_(options), report_(report) {}

  Status prepare(const std::vector<ServedParticipant>& served);
  Status run();
  ~Generator();

  // lws callbacks, on the event-loop thread.
  int on_event(lws* socket, lws_callback_reasons reason, void* user, void* in, size_t len);
  void on_tick();

 private:
  void connect(Participant& p);
  void connect_later(Participant& p, int64_t delay_us);
  void pump_connects();
  void on_open(Participant& p);
  int on_receive(Participant& p, const char* in, size_t len);
  int on_writable(Participant& p);
  void on_connect_error(Participant& p, const char* why);
  void on_closed(Participant& p);
  void handle_frame(Participant& p, std::string_view text);
  void act(Participant& p);
  void send(Participant& p, Json data);
  void note_error(const std::string& what);
  void open_window();
  void close_window();
  void sample_server_rss();
  void measure_cpu();
  void report_progress(int64_t now);
  void expire_waiting(int64_t now);
  void send_due_open_loop(int64_t now);
  bool measuring() const { return phase_ == Phase::kMeasuring; }

  const LoadOptions& options_;
  LoadReport& report_;
  std::vector<Participant> participants_;
  lws_context* context_ = nullptr;
  // The libev loop lws runs on (epoll), or nullptr when lws's own poll()
  // loop is used because the libev plugin could not be loaded.
  struct ev_loop* loop_ = nullptr;
  // When the loop last returned from epoll with sockets ready (set by an
  // ev_check watcher, which libev runs before that turn's socket callbacks).
  // A reply's arrival time: the frames of one turn are read one after the
  // other, and the time spent reading the first ones is the load
  // generator's, not the server's. 0: unknown (poll() loop); read the clock.
  int64_t turn_started_us_ = 0;
  int64_t received_us() const { return turn_started_us_ ? turn_started_us_ : now_us(); }
  Tick tick_{};
  int64_t tick_us_ = 10'000;
  std::string host_header_;

  Phase phase_ = Phase::kConnecting;
  int64_t phase_started_us_ = 0;
  int64_t window_end_us_ = 0;
  // When each participant is due: to connect (to_connect_), or to send in
  // the open loop (due_); earliest first. Indices into participants_.
  using Due = std::pair<int64_t, uint32_t>;
  using DueQueue = std::priority_queue<Due, std::vector<Due>, std::greater<>>;
  DueQueue to_connect_;
  int connecting_ = 0;  // connections started and not yet open or failed
  DueQueue due_;
  int64_t send_interval_us_ = 0;

  // Progress over the last second.
  int64_t last_progress_us_ = 0;
  int64_t messages_at_progress_ = 0;
  int64_t deliveries_at_progress_ = 0;
  LatencyHistogram second_;
  std::optional<uint64_t> events_at_open_;
  // CPU clock ticks as the window opened.
  std::optional<int64_t> server_ticks_at_open_;
  std::optional<int64_t> client_ticks_at_open_;
  std::optional<MachineCpu> machine_at_open_;
};

// The client protocol: its callback hands every event to the Generator.
extern const lws_protocols kClientProtocols[];

}  // namespace livectl::load
