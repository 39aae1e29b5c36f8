#pragma once
// A session of a built-in game in memory, with short ways to send and submit
// as a participant. Time advances one second per event.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "bots/simulation.h"
#include "engine/session.h"
#include "engine/registry.h"

namespace livectl::testing {

inline const Game& game_named(const std::string& name) {
  const Game* game = find_game(name);
  if (!game) throw std::invalid_argument("no game " + name);
  return *game;
}

class TestSession {
 public:
  explicit TestSession(const Game& game, int participants = 0, uint64_t seed = 1)
      : session(game, store, config(game, participants, seed)) {}
  explicit TestSession(const std::string& game, int participants = 0, uint64_t seed = 1)
      : TestSession(game_named(game), participants, seed) {}

  // liveSend(data) from participant `id_in_session`.
  const EventResult& send(uint32_t id_in_session, Json data) {
    Event event;
    event.kind = EventKind::kLive;
    event.participant = id_in_session;
    event.time_ms = (clock_ms += 1000);
    event.data = std::move(data);
    return session.apply(event);
  }
  // Next on the current page of participant `id_in_session`.
  const EventResult& submit(uint32_t id_in_session, int32_t page = -1) {
    Event event;
    event.kind = EventKind::kSubmit;
    event.participant = id_in_session;
    event.time_ms = (clock_ms += 1000);
    event.page = page;
    return session.apply(event);
  }

  // The index of the page called `name`, for a submit that names its page.
  int32_t page_index(const std::string& name) const {
    const int index = session.game().find_page(name);
    if (index < 0) throw std::invalid_argument("no page " + name);
    return index;
  }

  // What participant `id_in_session` received in `result`, as one JSON value
  // (null when nothing; REQUIRES at most one delivery each).
  static Json received(const EventResult& result, uint32_t id_in_session) {
    for (const Delivery& d : result.deliveries) {
      if (d.participant == id_in_session) return result.payload_values[d.payload];
    }
    return nullptr;
  }

  const Json& group_field(const std::string& name, uint32_t id_in_session = 1) const {
    const int index = session.game().find_group_field(name);
    if (index < 0) throw std::invalid_argument("no group field " + name);
    return session.player(id_in_session).group().fields()[index];
  }
  const Json& player_field(const std::string& name, uint32_t id_in_session) const {
    const int index = session.game().find_player_field(name);
    if (index < 0) throw std::invalid_argument("no player field " + name);
    return session.player(id_in_session).fields()[index];
  }
  const std::string& page(uint32_t id_in_session) const {
    return session.page_of(session.player(id_in_session)).name;
  }

  // Plays the session with the game's bots until they finish or send
  // `max_messages`, and checks that every invariant held, naming any that did
  // not with its first violation.
  SimulationReport simulate_bots(int64_t max_messages = kBotMessageBudget) {
    SimulationOptions options;
    options.max_messages = max_messages;
    const SimulationReport report = simulate(session, options);
    for (const CheckResult& check : report.checks) {
      INFO(check.name << ": " << check.first_violation);
      CHECK(check.violations == 0);
    }
    return report;
  }
  // Far more than any bundled game needs to finish with 20 participants.
  static constexpr int64_t kBotMessageBudget = 100000;

  MemoryStore store;
  Session session;
  int64_t clock_ms = 0;

 private:
  static SessionConfig config(const Game& game, int participants, uint64_t seed) {
    SessionConfig c;
    c.participants = participants > 0 ? participants : game.players_per_group();
    c.seed = seed;
    return c;
  }
};

}  // namespace livectl::testing
