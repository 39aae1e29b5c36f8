#pragma once
// `livectl bench`'s engine: real WebSocket connections to a running
// `livectl serve`, one per participant, each played by the game's own bot
// (Game::make_bot), through the libwebsockets client API on one event-loop
// thread. docs/performance.md describes the method and what each figure
// means.
//
// A run has two phases. Connecting: every participant opens
// /live/<code>?page=<page>, follows `page` frames to its new page (closing
// and reopening, as a browser does), and is ready once it is on a live page
// (or its bot has finished). Measuring, which starts when all are ready or
// the connect timeout passes: for `duration` seconds the bots play
// (closed loop, open loop) or hold (idle). Every run stops by itself.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/load/latency_histogram.h"
#include "bench/load/served_database.h"
#include "engine/status.h"

namespace livectl::load {

enum class LoadMode {
  kClosedLoop,  // send, wait for the reply (or learn there is none), send again
  kOpenLoop,    // send every 1/rate seconds whatever the replies
  kIdle,        // connect and hold; nobody sends
};

const char* load_mode_name(LoadMode mode);

enum class Phase { kConnecting, kMeasuring, kDone };

// Once a second, on the event-loop thread.
struct Progress {
  Phase phase = Phase::kConnecting;
  LoadMode mode = LoadMode::kClosedLoop;
  double seconds = 0;  // since the phase began
  int participants = 0;
  int open = 0;   // connections open now
  int ready = 0;  // open and on a live page (or finished)
  // Over the last second.
  double messages_per_second = 0;
  double deliveries_per_second = 0;
  int64_t p99_us = 0;
  int64_t errors = 0;  // since the window opened
  std::optional<int64_t> server_rss_kib;
};

struct LoadOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  LoadMode mode = LoadMode::kClosedLoop;
  // Open loop: liveSends per participant and second.
  double rate = 0;
  double duration_seconds = 10;
  double connect_timeout_seconds = 30;
  // A send with no reply after this long is counted unanswered and, in the
  // closed loop, the participant sends again.
  int64_t reply_timeout_ms = 1000;
  // Connections being opened at once: enough to connect 10,000 in seconds,
  // few enough to stay far below the listen backlog (SOMAXCONN, 4096).
  int connect_concurrency = 256;
  uint64_t seed = 1;              // the bots' generators
  std::optional<int> server_pid;  // whose VmRSS to sample; none = not sampled
  std::function<void(const Progress&)> on_progress;
  // The server's committed events, read as the window opens and closes.
  std::function<std::optional<uint64_t>()> committed_events;
};

struct LoadReport {
  int participants = 0;
  // ---- connecting ----
  int ready = 0;               // ready when the window opened
  int open = 0;                // connections open when the window opened
  double connect_seconds = 0;  // from the first connect until all were ready (or the timeout)
  LatencyHistogram handshake;  // TCP connect + WebSocket upgrade, every connection
  int64_t page_moves_while_connecting = 0;
  // ---- the measured window ----
  double window_seconds = 0;
  int64_t messages = 0;    // liveSends written to sockets
  int64_t replies = 0;     // answered by a frame (round_trip has one sample each)
  int64_t silent = 0;      // known to be answered with nothing (reply_rule.h)
  int64_t unanswered = 0;  // no reply within the reply timeout
  int64_t in_flight = 0;   // still waiting when the window closed
  int64_t deliveries = 0;  // live frames received
  LatencyHistogram round_trip;
  int64_t error_frames = 0;  // {"type":"error"} frames
  int64_t closes = 0;        // connections closed by the server or the network
  int64_t connect_failures = 0;
  int64_t protocol_errors = 0;      // frames the load generator could not read
  int64_t page_moves = 0;           // `page` frames while measuring
  int64_t bots_finished = 0;        // bots that submitted or finished their page
  int64_t schedule_lag_max_us = 0;  // open loop: the latest a send went out
  std::string first_error;          // the first error of any kind, as text
  bool exact_replies = true;        // the game has a reply rule of its own
  bool interrupted = false;         // SIGINT ended the run early
  // ---- the server, counted by itself ----
  std::optional<uint64_t> server_events;  // events committed during the window
  std::optional<int> server_pid;
  std::optional<int64_t> server_rss_before_kib;     // before connecting
  std::optional<int64_t> server_rss_connected_kib;  // as the window opened
  std::optional<int64_t> server_rss_max_kib;        // sampled once a second
  std::optional<int64_t> server_rss_end_kib;        // as the window closed
  std::optional<int64_t> client_peak_rss_kib;
  // ---- CPU over the window, in % of one core (200 = two cores busy) ----
  // The server and the load generator share the machine; whatever else ran
  // is machine_busy minus the two, and makes the figures worth less.
  std::optional<double> server_cpu_percent;
  std::optional<double> client_cpu_percent;
  std::optional<double> machine_busy_percent;
  int cores = 0;

  int64_t errors() const { return error_frames + closes + connect_failures + protocol_errors; }
};

// Runs the load on `participants` (all of one game each; ServedDatabase
// reads them) and fills `report`. Errors, one sentence each:
//   "PATH's session CODE is of game 'G', which this livectl does not have"
//   "N connections need more open files than the limit of L (ulimit -n)"
//   "cannot create a libwebsockets client context"
// A server that refuses or drops connections is not an error of the run:
// the report counts it.
Status run_load(const std::vector<ServedParticipant>& participants, const LoadOptions& options,
                LoadReport* report);

}  // namespace livectl::load
