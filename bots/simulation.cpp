#include "bots/simulation.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <sstream>

#include "engine/bot.h"
#include "engine/invariant.h"

namespace livectl {

bool SimulationReport::checks_passed() const {
  for (const auto& check : checks) {
    if (check.violations > 0) return false;
  }
  return true;
}

namespace {

enum class BotState : uint8_t { kActive, kWaiting, kDone };

// A simulation in which no bot can act stops when only timers have fired for
// this long of session time (a game that ticks on a page nobody leaves).
constexpr int64_t kIdleLimitMs = 3'600'000;

// The bots and which of them may act. Picking uniformly from `active` with
// the seeded generator, and removing by swapping with the last, keeps the
// order a pure function of the seed.
class Scheduler {
 public:
  explicit Scheduler(size_t bots) : state_(bots, BotState::kActive), position_(bots) {
    for (uint32_t i = 0; i < bots; ++i) {
      position_[i] = i;
      active_.push_back(i);
    }
  }

  bool empty() const { return active_.empty(); }
  uint32_t pick(Rng& rng) const { return active_[rng.below(active_.size())]; }

  void set(uint32_t bot, BotState state) {
    if (state_[bot] == BotState::kDone || state_[bot] == state) return;
    if (state == BotState::kActive) {
      position_[bot] = static_cast<uint32_t>(active_.size());
      active_.push_back(bot);
    } else if (state_[bot] == BotState::kActive) {
      const uint32_t last = active_.back();
      active_[position_[bot]] = last;
      position_[last] = position_[bot];
      active_.pop_back();
    }
    state_[bot] = state;
  }

  int64_t count(BotState state) const {
    int64_t n = 0;
    for (BotState s : state_) n += s == state;
    return n;
  }

 private:
  std::vector<BotState> state_;
  std::vector<uint32_t> position_;
  std::vector<uint32_t> active_;
};

void write_transcript_line(std::ostream& out, const Session& session, const Event& event,
                           const EventResult& result, const std::string& page_after) {
  out << "{\"seq\":" << result.seq << ",\"t_ms\":" << event.time_ms
      << ",\"participant\":" << event.participant;
  if (event.kind == EventKind::kSubmit) {
    out << ",\"submit\":true";
    if (!event.data.is_null()) out << ",\"form\":" << event.data.dump();
  } else if (event.kind == EventKind::kTimeout) {
    out << ",\"timeout\":"
        << Json(session.page_spec(static_cast<uint32_t>(event.page)).name).dump();
  } else if (event.kind == EventKind::kTimer) {
    out << ",\"timer\":" << event.data["timer"].dump();
  } else {
    out << ",\"send\":" << event.data.dump();
  }
  if (result.error) {
    out << ",\"error\":" << Json(*result.error).dump();
  } else {
    out << ",\"recv\":{";
    for (size_t i = 0; i < result.deliveries.size(); ++i) {
      const Delivery& d = result.deliveries[i];
      out << (i ? ",\"" : "\"") << d.participant << "\":" << result.payloads[d.payload];
    }
    out << "}";
    if (!result.page_changes.empty()) out << ",\"page\":" << Json(page_after).dump();
  }
  out << "}\n";
}

}  // namespace

namespace {

// A bot of the game `player` plays, for their place in its first round's
// groups; without a group yet (grouping by arrival time, still waiting),
// for the first place of a full group.
std::unique_ptr<Bot> bot_for(const Player& player) {
  const Game& game = player.game();
  return player.has_group() ? game.make_bot(player.id_in_group(), player.group().size())
                            : game.make_bot(1, game.players_per_group());
}

}  // namespace

SimulationReport simulate(Session& session, const SimulationOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  SimulationReport report;

  // One bot per participant, of the game they are in; in an app sequence a
  // new one takes over when they reach the next game.
  std::vector<std::unique_ptr<Bot>> bots;
  std::vector<size_t> bot_app;
  for (uint32_t id = 1; id <= session.participant_count(); ++id) {
    bots.push_back(bot_for(session.player(id)));
    bot_app.push_back(session.player(id).app());
  }
  // Each game's invariants, checked after the events of participants who
  // are in that game.
  std::vector<std::unique_ptr<Invariant>> invariants;
  std::vector<size_t> invariant_app;
  report.checks.push_back({"messages never leave the sender's group", 0, ""});
  for (size_t app = 0; app < session.games().size(); ++app) {
    for (auto& invariant : session.games()[app]->make_invariants()) {
      report.checks.push_back({std::string(invariant->name()), 0, ""});
      invariants.push_back(std::move(invariant));
      invariant_app.push_back(app);
    }
  }

  auto violation = [&](size_t check, const EventResult& result, std::string what) {
    CheckResult& c = report.checks[check];
    if (c.violations++ == 0)
      c.first_violation = "event " + std::to_string(result.seq) + ": " + what;
  };

  // The scheduler's generator is separate from the session's, so that bots
  // deciding does not change what the game draws.
  Rng rng(session.seed() ^ 0x5c4ed01e5c4ed01eULL);
  Scheduler scheduler(bots.size());
  int64_t now_ms = 0;
  Event event;

  // Durable runs: lines of events not yet flushed wait here.
  std::ostringstream held_lines;
  int64_t unflushed = 0;
  auto commit = [&]() {
    if (const Status status = options.store->flush(); !status.ok()) {
      report.failure = status.message();
      return false;
    }
    unflushed = 0;
    if (options.transcript && held_lines.tellp() > 0) {
      *options.transcript << held_lines.view();
      options.transcript->flush();
      held_lines.str("");
    }
    return true;
  };

  // Page timeouts and game timers run on the virtual clock. The earliest
  // deadline is looked up again only after pages moved or while game
  // timers run, so games without either pay nothing.
  int64_t next_due = session.next_due_ms();
  std::vector<Event> due;
  // The session time of the last bot action: a session in which no bot has
  // acted for kIdleLimitMs while timers still fire stops there.
  int64_t last_action_ms = 0;

  // Applies one event and hands its outcome to the bots, the checks, the
  // transcript and the store. False when the run must stop.
  auto dispatch = [&](const Event& event) {
    const EventResult& result = session.apply(event);
    if (result.error) {
      ++report.errors;
      // A timer's failure is the game's, not its group's first member's.
      if (event.kind != EventKind::kTimer) bots[event.participant - 1]->on_error(*result.error);
    }
    // The sender's player; a timer's is of the round its page is in (the
    // group's first member may have gone on).
    const auto page = static_cast<uint32_t>(event.page);
    const Player& player =
        event.kind == EventKind::kTimer
            ? session.players()[static_cast<size_t>(session.first_round_of(session.flow_app(page)) +
                                                    session.flow_round(page) - 2) *
                                    session.participant_count() +
                                event.participant - 1]
            : session.player(event.participant);
    for (const Delivery& delivery : result.deliveries) {
      const uint32_t to = delivery.participant - 1;
      // Only a live message delivers, and only a grouped player sends one.
      const Player& receiver = session.player(delivery.participant);
      if (!receiver.has_group() || &receiver.group() != &player.group()) {
        violation(0, result,
                  "participant " + std::to_string(delivery.participant) +
                      " received a message from participant " + std::to_string(event.participant) +
                      " of another group");
      }
      ++report.deliveries;
      bots[to]->on_receive(result.payload_values[delivery.payload]);
      scheduler.set(to, BotState::kActive);
    }
    for (uint32_t moved : result.page_changes) scheduler.set(moved - 1, BotState::kActive);
    if (result.error) scheduler.set(event.participant - 1, BotState::kActive);

    for (size_t i = 0; i < invariants.size(); ++i) {
      if (invariant_app[i] != player.app()) continue;
      if (auto problem = invariants[i]->check(session, event, result)) {
        violation(i + 1, result, std::move(*problem));
      }
    }
    const bool durable_already = result.seq <= options.resume_after;
    if (options.transcript) {
      const bool hold = options.store && !durable_already;
      write_transcript_line(hold ? held_lines : *options.transcript, session, event, result,
                            session.page_of(player).name);
    }
    if (options.progress && (report.messages & 0xffff) == 0) options.progress(report.messages);
    if (options.resume_after > 0 && result.seq == options.resume_after &&
        session.digest() != options.resume_digest) {
      report.failure = "the stored session " + session.code() +
                       " is not this simulation's: after event " + std::to_string(result.seq) +
                       " its digest is " + options.resume_digest + ", this simulation's " +
                       session.digest();
      return false;
    }
    if (!result.page_changes.empty() || !session.timers().empty()) {
      next_due = std::min(next_due, session.next_due_ms());
    }
    if (options.store && !durable_already && ++unflushed >= options.commit_every && !commit()) {
      return false;
    }
    return true;
  };

  // Bots whose press of next at the end of their game was refused.
  std::vector<uint8_t> stuck(bots.size(), 0);
  while (report.messages < options.max_messages) {
    // The page a done bot pressed next on (-1: none this turn).
    int64_t pressed_for = -1;
    if (scheduler.empty() && next_due != INT64_MAX && next_due - last_action_ms > kIdleLimitMs) {
      break;  // only timers left, firing into an empty room
    }
    if (next_due <= now_ms || (scheduler.empty() && next_due != INT64_MAX)) {
      // Everyone left is waiting: the clock jumps to what is due next.
      now_ms = std::max(now_ms, next_due);
      session.due_events(now_ms, &due);
      for (const Event& due_event : due) {
        // An earlier event of this batch may have made it moot.
        if (!session.is_due(due_event)) continue;
        if (!dispatch(due_event)) break;
      }
      if (!report.failure.empty()) break;
      next_due = session.next_due_ms();
      if (next_due <= now_ms) {
        // Every due event was fired; one still due was refused by the door.
        report.failure =
            "the page timeouts due at " + std::to_string(now_ms) + " ms could not be applied";
        break;
      }
      continue;
    }
    if (scheduler.empty()) break;
    const uint32_t bot = scheduler.pick(rng);
    Player& player = session.player(bot + 1);
    if (player.app() != bot_app[bot]) {
      bots[bot] = bot_for(player);
      bot_app[bot] = player.app();
    }
    if (session.page_of(player).kind == PageKind::kWait) {
      // Nothing a page could do there: the group or a timeout moves it on.
      scheduler.set(bot, BotState::kWaiting);
      continue;
    }
    BotAction action = bots[bot]->act(session.page_of(player), rng);
    if (action.kind == BotAction::Kind::kDone) {
      // Done with its game, and a later game follows: the bot presses next
      // on the game's last page, and the next game's bot takes over. Should
      // that page refuse (a form to fill), the participant stops there.
      if (player.app() + 1 < session.games().size() && !stuck[bot]) {
        action = BotAction::submit();
        pressed_for = player.participant().page;
      } else {
        scheduler.set(bot, BotState::kDone);
        continue;
      }
    }
    if (action.kind == BotAction::Kind::kWait) {
      scheduler.set(bot, BotState::kWaiting);
      continue;
    }
    now_ms += rng.between(1, 50);
    last_action_ms = now_ms;
    event.participant = bot + 1;
    event.time_ms = now_ms;
    if (action.kind == BotAction::Kind::kSend) {
      event.kind = EventKind::kLive;
      event.data = std::move(action.data);
      ++report.messages;
    } else {
      event.kind = EventKind::kSubmit;
      event.data = std::move(action.data);
      ++report.submits;
    }

    if (!dispatch(event)) break;
    if (pressed_for >= 0 && session.player(bot + 1).participant().page == pressed_for) {
      stuck[bot] = 1;
    }
  }

  if (report.failure.empty() && session.last_seq() < options.resume_after) {
    report.failure = "the database holds " + std::to_string(options.resume_after) +
                     " events of session " + session.code() +
                     ", more than this simulation makes (" + std::to_string(session.last_seq()) +
                     ")";
  }
  if (options.store && report.failure.empty()) commit();

  report.bots_done = scheduler.count(BotState::kDone);
  report.bots_waiting = scheduler.count(BotState::kWaiting);
  report.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace livectl
