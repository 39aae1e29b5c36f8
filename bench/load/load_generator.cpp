#include "bench/load/load_generator.h"

#include <ev.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "bench/load/generator.h"
#include "engine/registry.h"

namespace livectl::load {

namespace {

// File descriptors the process needs besides its connections (stdio, the
// database, lws's own pipe).
constexpr int64_t kSpareFiles = 32;

volatile sig_atomic_t interrupt_requested = 0;
void request_interrupt(int) {
  interrupt_requested = 1;
}

void log_to_stderr(int, const char* line) {
  std::fprintf(stderr, "livectl bench: lws: %s", line);
}

}  // namespace

Generator::~Generator() {
  // lws closes its libev watchers here, so the loop must outlive it.
  if (context_) lws_context_destroy(context_);
  if (loop_) ev_loop_destroy(loop_);
}

Status Generator::prepare(const std::vector<ServedParticipant>& served) {
  const int64_t files = raise_open_file_limit();
  if (static_cast<int64_t>(served.size()) + kSpareFiles > files) {
    return Status::Error(std::to_string(served.size()) +
                         " connections need more open files than the limit of " +
                         std::to_string(files) + " (ulimit -n)");
  }
  participants_.resize(served.size());
  report_.exact_replies = true;
  for (size_t i = 0; i < served.size(); ++i) {
    Participant& p = participants_[i];
    p.served = &served[i];
    p.game = find_game(served[i].game);
    if (!p.game) {
      return Status::Error("session " + served[i].session + " is of game '" + served[i].game +
                           "', which this livectl does not have");
    }
    if (served[i].page >= p.game->pages().size()) {
      return Status::Error("participant " + std::to_string(served[i].id_in_session) +
                           " of session " + served[i].session + " is on page " +
                           std::to_string(served[i].page) + ", which game '" + served[i].game +
                           "' does not have");
    }
    p.page = served[i].page;
    p.bot = p.game->make_bot(served[i].id_in_group, p.game->players_per_group());
    if (!p.bot) {
      return Status::Error("game '" + served[i].game +
                           "' has no bot: bench plays each participant with the game's bot "
                           "(Game::make_bot)");
    }
    p.rule = make_reply_rule(served[i].game, served[i].id_in_group);
    if (!has_exact_reply_rule(served[i].game)) report_.exact_replies = false;
    p.rng.reseed(options_.seed * 0x9e3779b97f4a7c15ULL + i);
  }
  report_.participants = static_cast<int>(participants_.size());

  lws_set_log_level(LLL_ERR, log_to_stderr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kClientProtocols;
  info.user = this;
  info.gid = -1;
  info.uid = -1;
  info.connect_timeout_secs =
      static_cast<unsigned>(std::max(1.0, std::ceil(options_.connect_timeout_seconds)));
  // lws's own loop calls poll() over every socket on each turn: with 1,000
  // connections that alone took 70 % of the load generator's CPU, and the
  // load generator must not be what is measured. libev waits with epoll,
  // whose cost follows the sockets that are ready. libev-dev comes with
  // libwebsockets-dev, and lws loads its libev glue as a plugin; should that
  // fail, the poll() loop still works.
  loop_ = ev_loop_new(EVBACKEND_EPOLL);
  if (loop_) {
    void* foreign_loops[] = {loop_};
    info.options |= LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = foreign_loops;
    context_ = lws_create_context(&info);
    if (!context_) {
      ev_loop_destroy(loop_);
      loop_ = nullptr;
      info.options &= ~LWS_SERVER_OPTION_LIBEV;
      info.foreign_loops = nullptr;
    }
  }
  if (!context_) context_ = lws_create_context(&info);
  if (!context_) return Status::Error("cannot create a libwebsockets client context");
  host_header_ = options_.host + ":" + std::to_string(options_.port);
  return Status();
}

Status Generator::run() {
  interrupt_requested = 0;
  struct sigaction action {};
  action.sa_handler = request_interrupt;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {};
  sigaction(SIGINT, &action, &old_int);

  if (options_.server_pid) report_.server_rss_before_kib = resident_kib(*options_.server_pid);
  report_.server_pid = options_.server_pid;
  // The open loop's sends are spread over 1 ms ticks; everything else needs
  // only timeouts and progress.
  if (options_.mode == LoadMode::kOpenLoop) {
    tick_us_ = 1'000;
    send_interval_us_ = static_cast<int64_t>(1e6 / options_.rate);
  }
  phase_started_us_ = now_us();
  last_progress_us_ = phase_started_us_;
  for (uint32_t i = 0; i < participants_.size(); ++i) to_connect_.emplace(0, i);
  tick_.owner = this;
  lws_sul_schedule(
      context_, 0, &tick_.sul,
      [](lws_sorted_usec_list_t* sul) { reinterpret_cast<Tick*>(sul)->owner->on_tick(); },
      tick_us_);

  Status status;
  pump_connects();
  if (loop_) {
    struct TurnStart {
      ev_check watcher;
      Generator* owner;
    } turn_start;
    ev_check_init(&turn_start.watcher, [](struct ev_loop*, ev_check* watcher, int) {
      reinterpret_cast<TurnStart*>(watcher)->owner->turn_started_us_ = now_us();
    });
    turn_start.owner = this;
    ev_check_start(loop_, &turn_start.watcher);
    ev_run(loop_, 0);  // until on_tick() breaks it, the run done
    ev_check_stop(loop_, &turn_start.watcher);
    turn_started_us_ = 0;
  } else {
    while (phase_ != Phase::kDone) {
      if (lws_service(context_, 0) < 0) {
        status = Status::Error("the load generator's event loop failed");
        break;
      }
      pump_connects();
    }
  }
  lws_sul_cancel(&tick_.sul);
  sigaction(SIGINT, &old_int, nullptr);
  report_.client_peak_rss_kib = own_peak_resident_kib();
  return status;
}

// ---- time ----

void Generator::on_tick() {
  const int64_t now = now_us();
  if (interrupt_requested && !report_.interrupted) {
    report_.interrupted = true;
    if (phase_ == Phase::kConnecting) open_window();
    close_window();
  }
  if (phase_ == Phase::kConnecting) {
    const bool all_ready = std::all_of(participants_.begin(), participants_.end(),
                                       [](const Participant& p) { return p.ready(); });
    if (all_ready || now - phase_started_us_ >= options_.connect_timeout_seconds * 1e6) {
      open_window();
    }
  } else if (measuring()) {
    if (now >= window_end_us_) {
      close_window();
    } else {
      expire_waiting(now);
      if (options_.mode == LoadMode::kOpenLoop) send_due_open_loop(now);
    }
  }
  if (phase_ != Phase::kDone && now - last_progress_us_ >= 1'000'000) report_progress(now);
  if (phase_ == Phase::kDone) {
    if (loop_) ev_break(loop_, EVBREAK_ALL);
    return;
  }
  pump_connects();
  lws_sul_schedule(context_, 0, &tick_.sul, tick_.sul.cb, tick_us_);
}

void Generator::open_window() {
  const int64_t now = now_us();
  report_.connect_seconds = static_cast<double>(now - phase_started_us_) / 1e6;
  for (const Participant& p : participants_) {
    report_.ready += p.ready();
    report_.open += p.link == Link::kOpen;
  }
  if (options_.server_pid) {
    report_.server_rss_connected_kib = resident_kib(*options_.server_pid);
    report_.server_rss_max_kib = report_.server_rss_connected_kib;
  }
  if (options_.committed_events) events_at_open_ = options_.committed_events();
  if (options_.server_pid) server_ticks_at_open_ = process_cpu_ticks(*options_.server_pid);
  client_ticks_at_open_ = process_cpu_ticks(getpid());
  machine_at_open_ = machine_cpu_ticks();
  phase_ = Phase::kMeasuring;
  phase_started_us_ = now;
  window_end_us_ = now + static_cast<int64_t>(options_.duration_seconds * 1e6);
  last_progress_us_ = now;
  messages_at_progress_ = 0;
  deliveries_at_progress_ = 0;
  second_.clear();
  if (options_.mode == LoadMode::kClosedLoop) {
    for (Participant& p : participants_) act(p);
  } else if (options_.mode == LoadMode::kOpenLoop) {
    // Spread the first sends over one interval, so that the participants do
    // not send in lockstep.
    Rng spread(options_.seed);
    for (uint32_t i = 0; i < participants_.size(); ++i) {
      due_.emplace(now + static_cast<int64_t>(spread.below(send_interval_us_)), i);
    }
  }
}

void Generator::close_window() {
  const int64_t now = now_us();
  report_.window_seconds = static_cast<double>(now - phase_started_us_) / 1e6;
  for (const Participant& p : participants_) {
    report_.in_flight += static_cast<int64_t>(p.waiting.size());
  }
  if (options_.server_pid) {
    report_.server_rss_end_kib = resident_kib(*options_.server_pid);
    sample_server_rss();
  }
  measure_cpu();
  if (options_.committed_events && events_at_open_) {
    if (const auto events = options_.committed_events()) {
      report_.server_events = *events - *events_at_open_;
    }
  }
  phase_ = Phase::kDone;
}

void Generator::measure_cpu() {
  const double window_ticks =
      report_.window_seconds * static_cast<double>(clock_ticks_per_second());
  if (window_ticks <= 0) return;
  const auto percent = [&](int64_t ticks) {
    return 100.0 * static_cast<double>(ticks) / window_ticks;
  };
  if (options_.server_pid && server_ticks_at_open_) {
    if (const auto ticks = process_cpu_ticks(*options_.server_pid)) {
      report_.server_cpu_percent = percent(*ticks - *server_ticks_at_open_);
    }
  }
  if (const auto ticks = process_cpu_ticks(getpid()); ticks && client_ticks_at_open_) {
    report_.client_cpu_percent = percent(*ticks - *client_ticks_at_open_);
  }
  const auto machine = machine_cpu_ticks();
  if (machine && machine_at_open_ && machine->total > machine_at_open_->total) {
    // /proc/stat counts every core: scale its busy share to cores' worth.
    report_.cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    report_.machine_busy_percent = 100.0 * report_.cores *
                                   static_cast<double>(machine->busy - machine_at_open_->busy) /
                                   static_cast<double>(machine->total - machine_at_open_->total);
  }
}

void Generator::sample_server_rss() {
  if (!options_.server_pid) return;
  const auto rss = resident_kib(*options_.server_pid);
  if (rss && (!report_.server_rss_max_kib || *rss > *report_.server_rss_max_kib)) {
    report_.server_rss_max_kib = rss;
  }
}

void Generator::expire_waiting(int64_t now) {
  const int64_t timeout_us = options_.reply_timeout_ms * 1000;
  for (Participant& p : participants_) {
    bool expired = false;
    while (!p.waiting.empty() && now - p.waiting.front().sent_us >= timeout_us) {
      p.waiting.pop_front();
      ++report_.unanswered;
      expired = true;
    }
    if (expired && options_.mode == LoadMode::kClosedLoop) act(p);
  }
}

void Generator::send_due_open_loop(int64_t now) {
  while (!due_.empty() && due_.top().first <= now) {
    const auto [when, index] = due_.top();
    due_.pop();
    report_.schedule_lag_max_us = std::max(report_.schedule_lag_max_us, now - when);
    Participant& p = participants_[index];
    if (p.link == Link::kOpen && !p.moving && !p.finished &&
        p.page_spec().kind != PageKind::kWait) {
      BotAction action = p.bot->act(p.page_spec(), p.rng);
      if (action.kind == BotAction::Kind::kSend) {
        send(p, std::move(action.data));
      } else if (action.kind != BotAction::Kind::kWait) {
        p.finished = true;
        ++report_.bots_finished;
      }
    }
    // The schedule holds even when a send went out late: the rate is the
    // rate asked for, not one that drifts with the load generator's delays.
    due_.emplace(when + send_interval_us_, index);
  }
}

void Generator::report_progress(int64_t now) {
  const double seconds = static_cast<double>(now - last_progress_us_) / 1e6;
  last_progress_us_ = now;
  sample_server_rss();
  if (!options_.on_progress) return;
  Progress progress;
  progress.phase = phase_;
  progress.mode = options_.mode;
  progress.seconds = static_cast<double>(now - phase_started_us_) / 1e6;
  progress.participants = static_cast<int>(participants_.size());
  for (const Participant& p : participants_) {
    progress.open += p.link == Link::kOpen;
    progress.ready += p.ready();
  }
  progress.messages_per_second =
      static_cast<double>(report_.messages - messages_at_progress_) / seconds;
  progress.deliveries_per_second =
      static_cast<double>(report_.deliveries - deliveries_at_progress_) / seconds;
  messages_at_progress_ = report_.messages;
  deliveries_at_progress_ = report_.deliveries;
  progress.p99_us = second_.percentile(0.99);
  second_.clear();
  progress.errors = report_.errors();
  if (options_.server_pid) progress.server_rss_kib = resident_kib(*options_.server_pid);
  options_.on_progress(progress);
}

const char* load_mode_name(LoadMode mode) {
  switch (mode) {
    case LoadMode::kClosedLoop:
      return "closed-loop";
    case LoadMode::kOpenLoop:
      return "open-loop";
    case LoadMode::kIdle:
      return "idle";
  }
  return "?";
}

Status run_load(const std::vector<ServedParticipant>& participants, const LoadOptions& options,
                LoadReport* report) {
  *report = LoadReport();
  Generator generator(options, *report);
  if (Status status = generator.prepare(participants); !status.ok()) return status;
  return generator.run();
}

}  // namespace livectl::load
