#include "bench/load/load_report.h"

#include <cinttypes>
#include <cmath>

namespace livectl::load {

namespace {

double per_second(int64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

double ms(int64_t micros) {
  return static_cast<double>(micros) / 1000.0;
}

// Rounded for people and for diffs of stored results: 3 decimals.
double round3(double value) {
  return std::round(value * 1000.0) / 1000.0;
}

Json mib(const std::optional<int64_t>& kib) {
  if (!kib) return nullptr;
  return round3(static_cast<double>(*kib) / 1024.0);
}

Json optional_percent(const std::optional<double>& percent) {
  if (!percent) return nullptr;
  return std::round(*percent * 10.0) / 10.0;
}

Json latency_json(const LatencyHistogram& histogram) {
  return {{"samples", histogram.count()},
          {"p50", round3(ms(histogram.percentile(0.50)))},
          {"p90", round3(ms(histogram.percentile(0.90)))},
          {"p99", round3(ms(histogram.percentile(0.99)))},
          {"max", round3(ms(histogram.max()))},
          {"mean", round3(histogram.mean() / 1000.0)}};
}

// "12,345" for a table.
std::string grouped(double value) {
  std::string digits = std::to_string(static_cast<long long>(std::llround(value)));
  const size_t first = digits[0] == '-' ? 1 : 0;
  for (size_t i = digits.size(); i > first + 3; i -= 3) digits.insert(i - 3, ",");
  return digits;
}

std::string mib_text(const std::optional<int64_t>& kib) {
  if (!kib) return "n/a";
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(*kib) / 1024.0);
  return text;
}

}  // namespace

Json report_json(const RunDescription& run, const LoadReport& report) {
  const LoadOptions& options = run.options;
  Json config = {{"db", run.db},
                 {"game", run.game},
                 {"sessions", run.sessions},
                 {"host", options.host},
                 {"port", options.port},
                 {"mode", load_mode_name(options.mode)},
                 {"rate_per_participant",
                  options.mode == LoadMode::kOpenLoop ? Json(options.rate) : Json(nullptr)},
                 {"duration_seconds", options.duration_seconds},
                 {"connect_timeout_seconds", options.connect_timeout_seconds},
                 {"reply_timeout_ms", options.reply_timeout_ms},
                 {"seed", options.seed}};
  const double window = report.window_seconds;
  return {
      {"config", std::move(config)},
      {"participants", report.participants},
      {"connect",
       {{"ready", report.ready},
        {"open", report.open},
        {"seconds", round3(report.connect_seconds)},
        {"handshake_ms", latency_json(report.handshake)},
        {"page_moves", report.page_moves_while_connecting}}},
      {"window_seconds", round3(window)},
      {"messages", report.messages},
      {"messages_per_second", round3(per_second(report.messages, window))},
      {"deliveries", report.deliveries},
      {"deliveries_per_second", round3(per_second(report.deliveries, window))},
      {"server_events", report.server_events ? Json(*report.server_events) : Json(nullptr)},
      {"server_events_per_second",
       report.server_events
           ? Json(round3(per_second(static_cast<int64_t>(*report.server_events), window)))
           : Json(nullptr)},
      {"replies",
       {{"answered", report.replies},
        {"silent", report.silent},
        {"unanswered", report.unanswered},
        {"in_flight", report.in_flight},
        {"exact", report.exact_replies}}},
      {"round_trip_ms", latency_json(report.round_trip)},
      {"errors",
       {{"total", report.errors()},
        {"error_frames", report.error_frames},
        {"closes", report.closes},
        {"connect_failures", report.connect_failures},
        {"protocol_errors", report.protocol_errors},
        {"first", report.first_error.empty() ? Json(nullptr) : Json(report.first_error)}}},
      {"page_moves", report.page_moves},
      {"bots_finished", report.bots_finished},
      {"schedule_lag_max_ms", options.mode == LoadMode::kOpenLoop
                                  ? Json(round3(ms(report.schedule_lag_max_us)))
                                  : Json(nullptr)},
      {"server",
       {{"pid", report.server_pid ? Json(*report.server_pid) : Json(nullptr)},
        {"rss_mib_before", mib(report.server_rss_before_kib)},
        {"rss_mib_connected", mib(report.server_rss_connected_kib)},
        {"rss_mib_max", mib(report.server_rss_max_kib)},
        {"rss_mib_end", mib(report.server_rss_end_kib)}}},
      {"client", {{"rss_mib_peak", mib(report.client_peak_rss_kib)}}},
      {"cpu_percent_of_one_core",
       {{"server", optional_percent(report.server_cpu_percent)},
        {"load_generator", optional_percent(report.client_cpu_percent)},
        {"machine", optional_percent(report.machine_busy_percent)},
        {"cores", report.cores}}},
      {"interrupted", report.interrupted},
  };
}

void print_report_table(std::FILE* out, const RunDescription& run, const LoadReport& report) {
  const LoadOptions& options = run.options;
  const double window = report.window_seconds;
  std::string mode = load_mode_name(options.mode);
  if (options.mode == LoadMode::kOpenLoop) {
    char rate[64];
    std::snprintf(rate, sizeof(rate), " at %g messages/s per participant", options.rate);
    mode += rate;
  }
  std::fprintf(out, "livectl bench: %s, %d participants, %s, %.1f s%s\n", run.game.c_str(),
               report.participants, mode.c_str(), window,
               report.interrupted ? " (interrupted)" : "");
  const auto row = [&](const char* name, const std::string& value) {
    std::fprintf(out, "  %-22s %s\n", name, value.c_str());
  };
  char text[256];
  std::snprintf(text, sizeof(text), "%d of %d ready in %.2f s (handshake p50 %.2f ms, max %.2f ms)",
                report.ready, report.participants, report.connect_seconds,
                ms(report.handshake.percentile(0.5)), ms(report.handshake.max()));
  row("connected", text);
  if (options.mode != LoadMode::kIdle) {
    row("messages/s", grouped(per_second(report.messages, window)) + "  (" +
                          grouped(static_cast<double>(report.messages)) + " sent)");
    if (report.server_events) {
      row("server events/s",
          grouped(per_second(static_cast<int64_t>(*report.server_events), window)) +
              "  (committed, counted by the server)");
    }
    row("deliveries/s", grouped(per_second(report.deliveries, window)) + "  (" +
                            grouped(static_cast<double>(report.deliveries)) + " live frames)");
    const LatencyHistogram& rt = report.round_trip;
    std::snprintf(text, sizeof(text), "p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms  (%s samples%s)",
                  ms(rt.percentile(0.5)), ms(rt.percentile(0.9)), ms(rt.percentile(0.99)),
                  ms(rt.max()), grouped(static_cast<double>(rt.count())).c_str(),
                  report.exact_replies ? "" : "; generic reply rule, approximate");
    row("round trip", text);
    std::snprintf(text, sizeof(text), "%s answered, %s silent, %s unanswered, %s in flight",
                  grouped(static_cast<double>(report.replies)).c_str(),
                  grouped(static_cast<double>(report.silent)).c_str(),
                  grouped(static_cast<double>(report.unanswered)).c_str(),
                  grouped(static_cast<double>(report.in_flight)).c_str());
    row("replies", text);
  }
  std::snprintf(text, sizeof(text),
                "%lld  (%lld error frames, %lld closes, %lld connect failures, %lld unreadable)",
                static_cast<long long>(report.errors()),
                static_cast<long long>(report.error_frames), static_cast<long long>(report.closes),
                static_cast<long long>(report.connect_failures),
                static_cast<long long>(report.protocol_errors));
  row("errors", text);
  if (!report.first_error.empty()) row("first error", report.first_error);
  if (report.server_pid) {
    row("server RSS", mib_text(report.server_rss_before_kib) + " before, " +
                          mib_text(report.server_rss_connected_kib) + " connected, " +
                          mib_text(report.server_rss_max_kib) + " max, " +
                          mib_text(report.server_rss_end_kib) + " end (pid " +
                          std::to_string(*report.server_pid) + ")");
  } else {
    row("server RSS", "n/a (no --server-pid, and no process of ours listens on the port)");
  }
  row("load generator RSS", mib_text(report.client_peak_rss_kib) + " peak");
  if (report.machine_busy_percent) {
    const auto one = [](const std::optional<double>& percent) {
      char value[32];
      if (!percent) return std::string("n/a");
      std::snprintf(value, sizeof(value), "%.0f%%", *percent);
      return std::string(value);
    };
    std::snprintf(text, sizeof(text),
                  "server %s, load generator %s, whole machine %s of one core (%d cores)",
                  one(report.server_cpu_percent).c_str(), one(report.client_cpu_percent).c_str(),
                  one(report.machine_busy_percent).c_str(), report.cores);
    row("CPU", text);
  }
}

std::string progress_line(const Progress& progress) {
  char text[256];
  if (progress.phase == Phase::kConnecting) {
    std::snprintf(text, sizeof(text), "connecting %.0f s: %d open, %d of %d ready",
                  progress.seconds, progress.open, progress.ready, progress.participants);
  } else if (progress.mode == LoadMode::kIdle) {
    std::snprintf(text, sizeof(text), "holding %.0f s: %d open, %lld errors", progress.seconds,
                  progress.open, static_cast<long long>(progress.errors));
  } else {
    std::snprintf(text, sizeof(text),
                  "measuring %.0f s: %s msg/s, %s deliveries/s, p99 %.2f ms, %lld errors, %d open",
                  progress.seconds, grouped(progress.messages_per_second).c_str(),
                  grouped(progress.deliveries_per_second).c_str(), ms(progress.p99_us),
                  static_cast<long long>(progress.errors), progress.open);
  }
  std::string line = text;
  if (progress.server_rss_kib) line += ", server RSS " + mib_text(progress.server_rss_kib);
  return line;
}

}  // namespace livectl::load
