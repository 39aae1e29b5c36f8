// Grouping by arrival time (oTree's group_by_arrival_time and its dropout
// snippet): groups form on the first page from whoever arrives, in arrival
// order; a timeout sends those waiting on as a smaller group or one
// participant alone; all of it through the one door, undone with a
// rejected event.
#include <doctest/doctest.h>

#include "engine/arrival_game.h"
#include "support.h"

namespace livectl::testing {
namespace {

using Matrix = std::vector<std::vector<int>>;

struct Arrivals {
  explicit Arrivals(ArrivalGame::Options options = {}, int participants = 6)
      : game(options), session(game, store, [&] {
          SessionConfig config;
          config.participants = participants;
          config.arrivals = true;
          return config;
        }()) {}

  const EventResult& event(EventKind kind, uint32_t participant, int64_t time_ms,
                           int32_t page = -1) {
    Event e;
    e.kind = kind;
    e.participant = participant;
    e.time_ms = time_ms;
    e.page = page;
    return session.apply(e);
  }
  const EventResult& arrive(uint32_t participant, int64_t time_ms) {
    return event(EventKind::kArrive, participant, time_ms);
  }
  // The timeout of the participant's current page.
  const EventResult& timeout(uint32_t participant, int64_t time_ms) {
    return event(EventKind::kTimeout, participant, time_ms,
                 static_cast<int32_t>(session.participant(participant).page));
  }
  const EventResult& submit(uint32_t participant, int64_t time_ms) {
    return event(EventKind::kSubmit, participant, time_ms);
  }
  std::string page(uint32_t participant) const {
    return session.page_of(session.player(participant)).name;
  }
  Matrix matrix(int round) const { return session.group_matrix(round); }

  ArrivalGame game;
  MemoryStore store;
  Session session;
};

TEST_CASE("groups form in arrival order, three at a time, and go on at once") {
  Arrivals a;
  CHECK(a.matrix(1).empty());
  REQUIRE_FALSE(a.arrive(5, 1000).error);
  REQUIRE_FALSE(a.arrive(2, 2000).error);
  CHECK(a.page(5) == "match");
  CHECK_FALSE(a.session.player(5).has_group());
  CHECK(a.session.player(5).id_in_group() == 0);
  CHECK_THROWS_WITH_AS(a.session.player(5).group(),
                       "participant 5 has no group in round 1 yet: groups form as participants "
                       "arrive on page 'match' of round 1",
                       std::logic_error);
  const EventResult& third = a.arrive(4, 3000);
  REQUIRE_FALSE(third.error);
  CHECK(a.matrix(1) == Matrix{{5, 2, 4}});
  CHECK(third.page_changes == std::vector<uint32_t>{5, 2, 4});
  for (uint32_t id : {5, 2, 4}) CHECK(a.page(id) == "play");
  CHECK(a.session.player(4).id_in_group() == 3);
  CHECK(a.session.player(4).group()[a.game.formed_size] == 3);

  for (uint32_t id : {6, 1, 3}) REQUIRE_FALSE(a.arrive(id, 10000).error);
  // Same millisecond: by id.
  CHECK(a.matrix(1) == Matrix{{5, 2, 4}, {1, 3, 6}});
  CHECK(a.session.player(6).group().id_in_subsession() == 2);
}

TEST_CASE("a live message of a group formed by arrival reaches that group only") {
  Arrivals a;
  for (uint32_t id : {6, 4, 2, 1, 3, 5}) REQUIRE_FALSE(a.arrive(id, 1000 * id).error);
  // The clock never goes back: after 6 came at 6 s, everyone arrives at
  // 6 s, and those who arrive at the same millisecond are taken by id.
  CHECK(a.matrix(1) == Matrix{{2, 4, 6}, {1, 3, 5}});
  const EventResult& sent = a.event(EventKind::kLive, 3, 7000);
  REQUIRE_FALSE(sent.error);
  std::vector<uint32_t> to;
  for (const Delivery& d : sent.deliveries) to.push_back(d.participant);
  CHECK(to == std::vector<uint32_t>{1, 3, 5});
}

TEST_CASE("a timeout sends everyone waiting on as one smaller group") {
  Arrivals a({.timeout_ms = 60000});
  REQUIRE_FALSE(a.arrive(3, 1000).error);
  REQUIRE_FALSE(a.arrive(1, 2000).error);
  CHECK(a.timeout(3, 60999).error ==
        "page 'match' times out for participant 3 at 61000 ms, not at 60999 ms");
  const EventResult& fired = a.timeout(3, 61000);
  REQUIRE_FALSE(fired.error);
  CHECK(a.matrix(1) == Matrix{{3, 1}});
  CHECK(a.session.player(1).group()[a.game.formed_size] == 2);
  CHECK(a.page(1) == "play");
  CHECK(a.page(3) == "play");
  // Participant 1's own timer no longer runs: they left the page.
  CHECK(a.timeout(1, 62000).error);
  // Later arrivals make groups of their own.
  for (uint32_t id : {2, 4, 5}) REQUIRE_FALSE(a.arrive(id, 70000).error);
  CHECK(a.matrix(1) == Matrix{{3, 1}, {2, 4, 5}});
  CHECK(a.page(6) == "match");
}

TEST_CASE("a timeout with the solo fallback sends that participant on alone") {
  Arrivals a({.timeout_ms = 60000, .fallback = ArrivalFallback::kAlone});
  REQUIRE_FALSE(a.arrive(3, 1000).error);
  REQUIRE_FALSE(a.arrive(1, 2000).error);
  REQUIRE_FALSE(a.timeout(3, 61000).error);
  CHECK(a.matrix(1) == Matrix{{3}});
  CHECK(a.session.player(3).group().size() == 1);
  CHECK(a.page(3) == "play");
  CHECK(a.page(1) == "match");  // still waiting, with its own timer
  CHECK_FALSE(a.session.player(1).has_group());
  REQUIRE_FALSE(a.arrive(2, 3000).error);
  REQUIRE_FALSE(a.arrive(6, 4000).error);
  CHECK(a.matrix(1) == Matrix{{3}, {1, 2, 6}});
}

TEST_CASE("a group the game refuses to form is undone with its event: nobody moves") {
  Arrivals a({.timeout_ms = 60000, .refuse_size = 2});
  REQUIRE_FALSE(a.arrive(3, 1000).error);
  REQUIRE_FALSE(a.arrive(1, 2000).error);
  const std::string before = a.session.digest();
  const EventResult& refused = a.timeout(3, 61000);
  REQUIRE(refused.error);
  CHECK(*refused.error == "the event failed: no groups of 2");
  CHECK(a.session.digest() == before);
  CHECK(a.matrix(1).empty());
  CHECK(a.session.groups().empty());
  CHECK(a.page(3) == "match");
  // The queue is as it was: a third arrival forms the group {3, 1, 5}.
  REQUIRE_FALSE(a.arrive(5, 62000).error);
  CHECK(a.matrix(1) == Matrix{{3, 1, 5}});
}

TEST_CASE("every round groups by arrival again when its first page is shown") {
  Arrivals a;
  for (uint32_t id = 1; id <= 6; ++id) REQUIRE_FALSE(a.arrive(id, 1000).error);
  CHECK(a.matrix(1) == Matrix{{1, 2, 3}, {4, 5, 6}});
  // Into round 2 in another order: 6, 2, 4 first.
  int64_t clock = 2000;
  for (uint32_t id : {6, 2, 4, 1, 3, 5}) {
    REQUIRE_FALSE(a.submit(id, clock += 1000).error);  // play -> results
  }
  for (uint32_t id : {6, 2, 4}) REQUIRE_FALSE(a.submit(id, clock += 1000).error);
  CHECK(a.matrix(2) == Matrix{{6, 2, 4}});
  CHECK(a.page(6) == "play");
  CHECK(a.session.player(6).round_number() == 2);
  CHECK(a.page(1) == "results");
  CHECK(a.session.player(1).in_round(2).has_group() == false);
}

TEST_CASE("a round without the matching page keeps the previous round's groups") {
  Arrivals a({.every_round = false});
  int64_t clock = 0;
  for (uint32_t id : {3, 1, 2, 6, 5, 4}) REQUIRE_FALSE(a.arrive(id, clock += 1000).error);
  CHECK(a.matrix(1) == Matrix{{3, 1, 2}, {6, 5, 4}});
  REQUIRE_FALSE(a.submit(5, clock += 1000).error);  // play -> results
  REQUIRE_FALSE(a.submit(5, clock += 1000).error);  // results -> round 2's play
  CHECK(a.page(5) == "play");
  CHECK(a.session.player(5).round_number() == 2);
  // The whole group of round 1 is grouped in round 2 at once.
  CHECK(a.matrix(2) == Matrix{{6, 5, 4}});
  CHECK(a.session.player(6).in_round(2).id_in_group() == 1);
  for (uint32_t id : {1, 2, 3, 4, 6}) {
    REQUIRE_FALSE(a.submit(id, clock += 1000).error);
    REQUIRE_FALSE(a.submit(id, clock += 1000).error);
  }
  CHECK(a.matrix(2) == Matrix{{6, 5, 4}, {3, 1, 2}});
}

TEST_CASE("same arrivals, same groups, simulated participants are grouped in id order") {
  Arrivals a;
  Arrivals b;
  for (Arrivals* s : {&a, &b}) {
    for (uint32_t id : {3, 6, 1, 5}) REQUIRE_FALSE(s->arrive(id, 500).error);
  }
  CHECK(a.session.digest() == b.session.digest());
  CHECK(a.matrix(1) == b.matrix(1));

  ArrivalGame game({});
  TestSession simulated(game, 6);
  CHECK(simulated.session.group_matrix(1) == Matrix{{1, 2, 3}, {4, 5, 6}});
  CHECK(simulated.page(1) == "play");
}

TEST_CASE("a session grouped by arrival time may have any number of participants") {
  Arrivals a({}, 4);
  for (uint32_t id = 1; id <= 4; ++id) REQUIRE_FALSE(a.arrive(id, 1000).error);
  CHECK(a.matrix(1) == Matrix{{1, 2, 3}});
  CHECK(a.page(4) == "match");
  CHECK(participant_count_rule(a.game) == "a positive number (arrival groups by arrival time)");
  CHECK_FALSE(participant_count_fits(a.game, 0));
  MemoryStore store;
  SessionConfig config;
  config.participants = 4;
  CHECK_THROWS_WITH_AS(Session(game_named("auction"), store, config),
                       "participants must be a positive multiple of 3 (the group size of "
                       "auction), not 4",
                       std::invalid_argument);
}

TEST_CASE("a game that groups by arrival time cannot be regrouped or misplace the page") {
  class Regrouping final : public Game {
   public:
    Regrouping() : Game("regrouping", "", 2) {
      page("match", PageKind::kWait).group_by_arrival_time();
      page("results", PageKind::kPlain, "results.html");
    }
    Outbox live_method(Player&, const Json&) const override { return {}; }
    void creating_session(Subsession& subsession) const override { subsession.group_randomly(); }
  };
  Regrouping regrouping;
  MemoryStore store;
  SessionConfig config;
  config.participants = 4;
  CHECK_THROWS_WITH_AS(Session(regrouping, store, config),
                       "regrouping groups by arrival time (page 'match'): its groups form as "
                       "participants arrive, not in creating_session",
                       std::logic_error);

  class Misplaced final : public Game {
   public:
    Misplaced() : Game("misplaced", "", 2) {
      page("intro", PageKind::kPlain, "intro.html");
      page("match", PageKind::kWait).group_by_arrival_time();
    }
    Outbox live_method(Player&, const Json&) const override { return {}; }
  };
  Misplaced misplaced;
  CHECK_THROWS_WITH_AS(Session(misplaced, store, config),
                       "misplaced's page 'match' groups by arrival time, so it must be a wait page "
                       "and the game's first page",
                       std::invalid_argument);
}

}  // namespace
}  // namespace livectl::testing
