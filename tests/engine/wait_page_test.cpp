// Wait pages, arrivals and page timeouts: all events through the one door.
#include <doctest/doctest.h>

#include "bots/simulation.h"
#include "engine/waiting_game.h"
#include "support.h"

namespace livectl::testing {
namespace {

// A served session: participants arrive when they open their links.
struct Served {
  explicit Served(const Game& game, int participants = 3)
      : session(game, store, [&] {
          SessionConfig config;
          config.participants = participants;
          config.arrivals = true;
          return config;
        }()) {}

  const EventResult& event(EventKind kind, uint32_t participant, int64_t time_ms, int32_t page = -1,
                           Json data = nullptr) {
    Event e;
    e.kind = kind;
    e.participant = participant;
    e.time_ms = time_ms;
    e.page = page;
    e.data = std::move(data);
    return session.apply(e);
  }
  const EventResult& arrive(uint32_t participant, int64_t time_ms) {
    return event(EventKind::kArrive, participant, time_ms);
  }
  const EventResult& timeout(uint32_t participant, int64_t time_ms, const std::string& page) {
    return event(EventKind::kTimeout, participant, time_ms, session.game().find_page(page));
  }
  std::string page(uint32_t participant) const {
    return session.page_of(session.player(participant)).name;
  }

  MemoryStore store;
  Session session;
};

using Ids = std::vector<uint32_t>;

TEST_CASE("simulated participants are all present, so groups start past a leading wait page") {
  WaitingGame game(0);
  TestSession t(game, 6);
  for (uint32_t id = 1; id <= 6; ++id) {
    CHECK(t.page(id) == "live");
    CHECK(t.session.player(id).participant().arrived);
  }
  CHECK(t.session.last_seq() == 0);  // no event was needed
}

TEST_CASE("a group leaves the wait page when its last member arrives, all at once") {
  WaitingGame game(0);
  Served s(game, 6);
  CHECK(s.page(1) == "lobby");
  CHECK_FALSE(s.session.player(1).participant().arrived);

  const EventResult& first = s.arrive(1, 1000);
  CHECK_FALSE(first.error);
  CHECK(first.page_changes.empty());
  CHECK(s.session.player(1).participant().page_entered_ms == 1000);
  CHECK(s.arrive(3, 2000).page_changes.empty());
  // Another group's arrival changes nothing here.
  CHECK(s.arrive(4, 2500).page_changes.empty());
  const EventResult& last = s.arrive(2, 3000);
  CHECK_FALSE(last.error);
  CHECK(last.page_changes == Ids{1, 2, 3});
  for (uint32_t id : {1u, 2u, 3u}) {
    CHECK(s.page(id) == "live");
    CHECK(s.session.player(id).participant().page_entered_ms == 3000);
  }
  CHECK(s.page(4) == "lobby");
}

TEST_CASE("nothing but an arrival is accepted from a participant who has not arrived") {
  WaitingGame game(0);
  Served s(game);
  const EventResult& sent = s.event(EventKind::kLive, 1, 10, -1, 5);
  REQUIRE(sent.error);
  CHECK(*sent.error == "participant 1 has not arrived yet (an arrive event comes first)");
  REQUIRE_FALSE(s.arrive(1, 20).error);
  const EventResult& again = s.arrive(1, 30);
  REQUIRE(again.error);
  CHECK(*again.error == "participant 1 has already arrived");
  CHECK(s.session.player(1).participant().page_entered_ms == 20);
}

TEST_CASE("an arrival through a room link gives the participant its label, once") {
  WaitingGame game(0);
  Served s(game);
  REQUIRE_FALSE(s.event(EventKind::kArrive, 2, 10, -1, Json{{"label", "PC07"}}).error);
  CHECK(s.session.player(2).participant().label == "PC07");
  const EventResult& taken = s.event(EventKind::kArrive, 3, 20, -1, Json{{"label", "PC07"}});
  REQUIRE(taken.error);
  CHECK(*taken.error == "label PC07 is participant 2's already");
  CHECK_FALSE(s.session.player(3).participant().arrived);
  const EventResult& empty = s.event(EventKind::kArrive, 3, 30, -1, Json{{"label", ""}});
  REQUIRE(empty.error);
  CHECK(*empty.error == "a participant label is text of 1 to 100 bytes");
  const EventResult& other = s.event(EventKind::kArrive, 3, 30, -1, Json{{"name", "x"}});
  REQUIRE(other.error);
  CHECK(*other.error == "an arrive event's data is {\"label\": \"...\"} or nothing");
  CHECK(s.session.player(3).participant().label.empty());
}

TEST_CASE("nobody submits a wait page") {
  WaitingGame game(0);
  Served s(game);
  s.arrive(1, 10);
  const EventResult& submitted = s.event(EventKind::kSubmit, 1, 20);
  REQUIRE(submitted.error);
  CHECK(*submitted.error ==
        "participant 1 is on wait page 'lobby', which moves on by itself when the group is "
        "complete");
  CHECK(s.page(1) == "lobby");
}

TEST_CASE("a wait page in the middle holds those who submitted until the last one comes") {
  WaitingGame game(0);
  TestSession t(game, 3);
  CHECK(t.submit(1).page_changes == Ids{1});
  CHECK(t.page(1) == "break");
  CHECK(t.submit(3).page_changes == Ids{3});
  // Messages still reach the member on the live page only.
  const EventResult& sent = t.send(2, "hello");
  REQUIRE(sent.deliveries.size() == 1);
  CHECK(sent.deliveries[0].participant == 2);
  CHECK(t.submit(2).page_changes == Ids{2, 1, 3});
  for (uint32_t id : {1u, 2u, 3u}) CHECK(t.page(id) == "results");
}

TEST_CASE("a wait page's timeout lets those present go on, and a latecomer passes through") {
  WaitingGame game(5000);
  Served s(game);
  s.arrive(1, 1000);
  s.arrive(2, 2000);
  CHECK(s.session.next_due_ms() == 6000);
  std::vector<Event> due;
  s.session.due_events(5999, &due);
  CHECK(due.empty());
  s.session.due_events(6000, &due);
  REQUIRE(due.size() == 1);
  CHECK(due[0].kind == EventKind::kTimeout);
  CHECK(due[0].participant == 1);
  CHECK(due[0].page == 0);
  CHECK(due[0].time_ms == 6000);
  CHECK(s.session.is_due(due[0]));

  const EventResult& early = s.timeout(1, 5999, "lobby");
  REQUIRE(early.error);
  CHECK(*early.error == "page 'lobby' times out for participant 1 at 6000 ms, not at 5999 ms");
  CHECK(s.page(1) == "lobby");

  const EventResult& fired = s.timeout(1, 6000, "lobby");
  CHECK_FALSE(fired.error);
  CHECK(fired.page_changes == Ids{1, 2});
  CHECK(s.page(1) == "live");
  CHECK(s.page(2) == "live");
  CHECK(s.page(3) == "lobby");
  // A timer that has fired is gone; a stale one is refused.
  CHECK(s.session.next_due_ms() == INT64_MAX);
  CHECK_FALSE(s.session.is_due(due[0]));
  const EventResult& stale = s.timeout(2, 7000, "lobby");
  REQUIRE(stale.error);
  CHECK(*stale.error == "participant 2 is on page 'live', not 'lobby'");

  const EventResult& late = s.arrive(3, 9000);
  CHECK(late.page_changes == Ids{3});
  CHECK(s.page(3) == "live");
}

TEST_CASE("a timed-out page that is not a wait page is submitted for the participant") {
  WaitingGame game(0, /*live_timeout_ms=*/3000);
  TestSession t(game, 3);
  Event e;
  e.kind = EventKind::kTimeout;
  e.participant = 2;
  e.time_ms = 3000;
  e.page = game.find_page("live");
  const EventResult& fired = t.session.apply(e);
  CHECK_FALSE(fired.error);
  CHECK(fired.page_changes == Ids{2});
  CHECK(t.page(2) == "break");
  CHECK(t.page(1) == "live");

  e.page = game.find_page("results");
  e.participant = 1;
  const EventResult& wrong = t.session.apply(e);
  REQUIRE(wrong.error);
  CHECK(*wrong.error == "participant 1 is on page 'live', not 'results'");
}

TEST_CASE("a page without a timeout, or a timeout naming no page, is refused") {
  WaitingGame game(0);
  Served s(game);
  s.arrive(1, 0);
  const EventResult& none = s.timeout(1, 100000, "lobby");
  REQUIRE(none.error);
  CHECK(*none.error == "page 'lobby' has no timeout");
  const EventResult& unnamed = s.event(EventKind::kTimeout, 1, 100000);
  REQUIRE(unnamed.error);
  CHECK(*unnamed.error == "a timeout must name its page");
}

TEST_CASE("an arrival that cannot be recorded leaves nobody moved and nobody arrived") {
  WaitingGame game(0);
  Served s(game);
  s.arrive(1, 10);
  s.arrive(2, 20);
  const std::string before = s.session.digest();
  s.store.fail_next(1);
  const EventResult& failed = s.arrive(3, 30);
  REQUIRE(failed.error);
  CHECK(s.session.digest() == before);
  CHECK_FALSE(s.session.player(3).participant().arrived);
  for (uint32_t id : {1u, 2u, 3u}) CHECK(s.page(id) == "lobby");
  CHECK(s.session.player(1).participant().page_entered_ms == 10);
  CHECK(s.arrive(3, 40).page_changes == Ids{1, 2, 3});
}

TEST_CASE("the state digest counts who has arrived and when they entered their page") {
  WaitingGame game(0);
  Served a(game);
  Served b(game);
  CHECK(a.session.digest() == b.session.digest());
  a.arrive(1, 10);
  CHECK(a.session.digest() != b.session.digest());
  b.arrive(1, 11);
  CHECK(a.session.digest() != b.session.digest());
}

TEST_CASE("simulate fires page timeouts on its virtual clock, the same way every run") {
  // Players 3 stay on the live page; the others wait on the break page
  // until its 30-second timeout lets them go on.
  WaitingGame game(0, 0, /*break_timeout_ms=*/30000);
  std::string digest;
  for (int run = 0; run < 2; ++run) {
    MemoryStore store;
    SessionConfig config;
    config.participants = 6;
    config.seed = 5;
    Session session(game, store, config);
    std::ostringstream transcript;
    SimulationOptions options;
    options.transcript = &transcript;
    options.max_messages = 100;
    const SimulationReport report = simulate(session, options);
    CHECK(report.failure.empty());
    CHECK(report.submits == 4);
    for (uint32_t id : {1u, 2u, 4u, 5u})
      CHECK(session.page_of(session.player(id)).name == "results");
    for (uint32_t id : {3u, 6u}) CHECK(session.page_of(session.player(id)).name == "live");
    CHECK(transcript.str().find("\"timeout\":\"break\"") != std::string::npos);
    if (run == 0) digest = session.digest();
    CHECK(session.digest() == digest);
  }
}

}  // namespace
}  // namespace livectl::testing
