// Periods (Game::period): start when the group is complete on the page (or
// after the grace), subperiod ticks, the end, and latecomers.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "support.h"

namespace livectl::testing {
namespace {

class PeriodGame final : public Game {
 public:
  // Groups of two: "intro" (plain), "market" (live, the period), "results".
  explicit PeriodGame(bool stay = false) : Game("period", "a game with a period", 2) {
    page("intro", PageKind::kPlain, "intro.html");
    page("market", PageKind::kLive, "market.html");
    page("results", PageKind::kPlain, "results.html");
    if (stay) stay_period = period("results_never", PeriodSpec());  // not a live page
  }
  Outbox live_method(Player& player, const Json&) const override {
    if (!market.running(player.group())) return reject("the market is closed");
    player[moves] += 1;
    return {};
  }
  LIVECTL_PLAYER_FIELD(int64_t, moves, 0);
  LIVECTL_GROUP_FIELD(int64_t, last_subperiod, 0);
  const Period market =
      period("market", PeriodSpec()
                           .length_ms(1000)
                           .subperiods(4)
                           .start_grace_ms(5000)
                           .on_start([](Group& group) {
                             return send_to_group(object({{"started", group.session().now_ms()}}));
                           })
                           .on_subperiod([this](Group& group, int64_t subperiod) {
                             group[last_subperiod] = subperiod;
                             return send_to_group(object({{"subperiod", subperiod}}));
                           })
                           .on_end([](Group&) {
                             return send_to_group(object({{"ended", true}}));
                           }));
  Period stay_period;
};

struct Market {
  explicit Market(bool arrivals = false)
      : session(game, store, [arrivals] {
          SessionConfig config;
          config.participants = 4;
          config.arrivals = arrivals;
          return config;
        }()) {}

  const EventResult& event(EventKind kind, uint32_t participant, int64_t time_ms,
                           Json data = nullptr) {
    Event e;
    e.kind = kind;
    e.participant = participant;
    e.time_ms = time_ms;
    e.data = std::move(data);
    return session.apply(e);
  }
  // Every event due up to `time_ms`, each at its own time, as a server and
  // a scenario apply them; the results' deliveries to participant 1, in
  // order.
  std::vector<Json> run_until(int64_t time_ms) {
    std::vector<Json> seen;
    while (session.next_due_ms() <= time_ms) {
      std::vector<Event> due;
      session.due_events(session.next_due_ms(), &due);
      for (const Event& event : due) {
        if (!session.is_due(event)) continue;
        const EventResult& result = session.apply(event);
        REQUIRE_FALSE(result.error);
        for (const Delivery& d : result.deliveries) {
          if (d.participant == 1) seen.push_back(result.payload_values[d.payload]);
        }
      }
    }
    return seen;
  }
  const std::string& page(uint32_t participant) const {
    return session.page_of(session.player(participant)).name;
  }
  const Group& group(uint32_t participant) const { return session.player(participant).group(); }

  PeriodGame game;
  MemoryStore store;
  Session session;
};

TEST_CASE("a period starts when its group is complete on the page and ends after its length") {
  Market m;
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 1, 1000).error);
  CHECK(m.page(1) == "market");
  // Alone on the page: the grace timer runs, the period does not.
  CHECK_FALSE(m.group(1)[m.game.market.started_ms].is_set());
  CHECK(m.group(1).timer_due(GroupTimer{m.game.periods()[0].start_timer}) == 6000);
  const EventResult& early = m.event(EventKind::kLive, 1, 1500, "buy");
  REQUIRE(early.error);
  CHECK(*early.error == "the market is closed");

  const EventResult& complete = m.event(EventKind::kSubmit, 2, 2000);
  REQUIRE_FALSE(complete.error);
  CHECK(TestSession::received(complete, 1) == Json::object({{"started", 2000}}));
  CHECK(TestSession::received(complete, 2) == Json::object({{"started", 2000}}));
  CHECK(TestSession::received(complete, 3).is_null());
  CHECK(m.group(1)[m.game.market.started_ms] == 2000);
  CHECK(m.group(1)[m.game.market.ends_ms] == 3000);
  CHECK_FALSE(m.group(1).timer_due(GroupTimer{m.game.periods()[0].start_timer}));
  CHECK(m.game.market.running(m.group(1)));
  REQUIRE_FALSE(m.event(EventKind::kLive, 1, 2100, "buy").error);

  const std::vector<Json> seen = m.run_until(10'000);
  CHECK(seen ==
        std::vector<Json>{Json::object({{"subperiod", 1}}), Json::object({{"subperiod", 2}}),
                          Json::object({{"subperiod", 3}}), Json::object({{"subperiod", 4}}),
                          Json::object({{"ended", true}})});
  CHECK(m.group(1)[m.game.market.subperiod] == 4);
  CHECK(m.group(1)[m.game.market.ended_ms] == 3000);
  CHECK_FALSE(m.game.market.running(m.group(1)));
  CHECK(m.page(1) == "results");
  CHECK(m.page(2) == "results");
  // The other group never came: its grace never started, nothing ran.
  CHECK(m.page(3) == "intro");
  CHECK(m.session.timers().empty());
}

TEST_CASE(
    "after the grace a period starts with whoever is there, and a latecomer joins it or passes "
    "through") {
  Market m;
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 1, 1000).error);
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 3, 1000).error);
  CHECK(m.run_until(5999).empty());
  CHECK(m.run_until(6000) == std::vector<Json>{Json::object({{"started", 6000}})});
  CHECK(m.group(1)[m.game.market.started_ms] == 6000);
  CHECK(m.group(3)[m.game.market.started_ms] == 6000);
  // Participant 2 joins the running period; participant 4 comes after
  // group 2's has ended and goes straight on.
  m.run_until(6500);
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 2, 6500).error);
  CHECK(m.page(2) == "market");
  REQUIRE_FALSE(m.event(EventKind::kLive, 2, 6600, "buy").error);
  m.run_until(7000);
  CHECK(m.page(1) == "results");
  CHECK(m.page(2) == "results");
  CHECK(m.page(3) == "results");
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 4, 8000).error);
  CHECK(m.page(4) == "results");
  CHECK(m.session.player(4)[m.game.moves] == 0);
}

TEST_CASE("a member who is away holds the start until they are back") {
  Market m(true);
  for (uint32_t p = 1; p <= 2; ++p) REQUIRE_FALSE(m.event(EventKind::kArrive, p, 100).error);
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 1, 1000).error);
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 2, 1100).error);
  // Both are on the page: the period starts with the second.
  CHECK(m.group(1)[m.game.market.started_ms] == 1100);

  // Group 2: participant 4 arrives, submits and leaves before 3 comes.
  for (uint32_t p = 3; p <= 4; ++p) REQUIRE_FALSE(m.event(EventKind::kArrive, p, 1200).error);
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 4, 1300).error);
  REQUIRE_FALSE(m.event(EventKind::kPresence, 4, 1400, {{"present", false}}).error);
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 3, 1500).error);
  CHECK_FALSE(m.group(3)[m.game.market.started_ms].is_set());
  const EventResult& back = m.event(EventKind::kPresence, 4, 1600, {{"present", true}});
  REQUIRE_FALSE(back.error);
  CHECK(m.group(3)[m.game.market.started_ms] == 1600);
  CHECK(TestSession::received(back, 3) == Json::object({{"started", 1600}}));
}

TEST_CASE("a late subperiod tick counts the subperiods that passed and the end follows it") {
  Market m;
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 1, 1000).error);
  REQUIRE_FALSE(m.event(EventKind::kSubmit, 2, 1000).error);
  // The server was away from 1,100 ms to 2,600: at 2,600 the tick (due at
  // 1,250) and the end (due at 2,000) fire, the tick first, once.
  std::vector<Event> due;
  m.session.due_events(2600, &due);
  REQUIRE(due.size() == 2);
  std::vector<Json> seen;
  for (Event& event : due) {
    event.time_ms = 2600;
    const EventResult& result = m.session.apply(event);
    REQUIRE_FALSE(result.error);
    seen.push_back(TestSession::received(result, 1));
  }
  CHECK(seen ==
        std::vector<Json>{Json::object({{"subperiod", 4}}), Json::object({{"ended", true}})});
  CHECK(m.group(1)[m.game.last_subperiod] == 4);
  CHECK(m.page(1) == "results");
}

TEST_CASE("a failing period hook fails the event that would start it, and nothing moves") {
  class Broken final : public Game {
   public:
    Broken() : Game("broken_period", "a period whose start fails", 1) {
      page("market", PageKind::kLive, "market.html");
      page("results", PageKind::kPlain, "results.html");
    }
    Outbox live_method(Player&, const Json&) const override { return {}; }
    const Period market = period("market", PeriodSpec().subperiods(1000).length_ms(1000));
  };
  Broken game;
  MemoryStore store;
  SessionConfig config;
  config.participants = 1;
  config.arrivals = true;
  Session session(game, store, config);
  Event arrive;
  arrive.kind = EventKind::kArrive;
  arrive.participant = 1;
  const EventResult& result = session.apply(arrive);
  REQUIRE(result.error);
  CHECK(*result.error ==
        "the event failed: the period on page 'market' of group 1 of 1000 ms cannot have 1000 "
        "subperiods (each lasts at least 10 ms)");
  CHECK_FALSE(session.participant(1).arrived);
}

TEST_CASE("a period must be on a live page of its game") {
  PeriodGame game(true);
  MemoryStore store;
  SessionConfig config;
  config.participants = 2;
  CHECK_THROWS_WITH_AS(static_cast<void>(Session(game, store, config)),
                       "period declares a period on page 'results_never', which is not a live "
                       "page of it",
                       std::invalid_argument);
}

}  // namespace
}  // namespace livectl::testing
