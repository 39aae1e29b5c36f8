// Game timers: scheduled by the game, fired as events through the one door.
#include <doctest/doctest.h>

#include "bots/simulation.h"
#include "engine/ticking_game.h"
#include "support.h"

namespace livectl::testing {
namespace {

struct Ticking {
  Ticking() : t(game, 4) {}

  // A liveSend at session time `time_ms`.
  const EventResult& send(uint32_t participant, int64_t time_ms, const char* what) {
    Event event;
    event.kind = EventKind::kLive;
    event.participant = participant;
    event.time_ms = time_ms;
    event.data = what;
    return t.session.apply(event);
  }
  // What is due at `time_ms`, applied in order as a server does; the
  // result of the last event applied.
  std::vector<Event> fire(int64_t time_ms) {
    std::vector<Event> due;
    std::vector<Event> fired;
    t.session.due_events(time_ms, &due);
    for (const Event& event : due) {
      if (!t.session.is_due(event)) continue;
      last_error = t.session.apply(event).error;
      fired.push_back(event);
    }
    return fired;
  }
  int64_t ticks(uint32_t participant) const {
    return t.group_field("ticks", participant).get<int64_t>();
  }

  TickingGame game;
  TestSession t;
  std::optional<std::string> last_error;
};

TEST_CASE("a repeating group timer fires on the session clock and tells the group") {
  Ticking s;
  CHECK(s.t.session.next_due_ms() == INT64_MAX);
  REQUIRE_FALSE(s.send(1, 1000, "start").error);
  CHECK(s.t.session.player(1).group().timer_due(s.game.tick) == 1100);
  CHECK(s.t.session.player(3).group().timer_due(s.game.tick) == std::nullopt);
  CHECK(s.t.session.next_due_ms() == 1100);
  CHECK(s.fire(1099).empty());

  std::vector<Event> due;
  s.t.session.due_events(1100, &due);
  REQUIRE(due.size() == 1);
  CHECK(due[0].kind == EventKind::kTimer);
  CHECK(due[0].participant == 1);  // the group's id_in_group 1
  CHECK(due[0].page == 0);
  CHECK(due[0].time_ms == 1100);
  CHECK(due[0].data == Json::object({{"timer", "tick"}}));
  const EventResult& fired = s.t.session.apply(due[0]);
  REQUIRE_FALSE(fired.error);
  CHECK(TestSession::received(fired, 1) == Json::object({{"tick", 1}}));
  CHECK(TestSession::received(fired, 2) == Json::object({{"tick", 1}}));
  CHECK(TestSession::received(fired, 3).is_null());
  CHECK(s.ticks(1) == 1);
  CHECK(s.t.session.next_due_ms() == 1200);
  // The same firing again is refused: it is not due any more.
  CHECK_FALSE(s.t.session.is_due(due[0]));
  const EventResult& again = s.t.session.apply(due[0]);
  REQUIRE(again.error);
  CHECK(*again.error == "timer 'tick' of group 1 fires at 1200 ms, not at 1100 ms");
}

TEST_CASE("a timer that fell behind fires once and skips the intervals it missed") {
  Ticking s;
  REQUIRE_FALSE(s.send(1, 1000, "start").error);
  CHECK(s.fire(1350).size() == 1);
  CHECK(s.ticks(1) == 1);
  CHECK(s.t.session.player(1).group().timer_due(s.game.tick) == 1400);
}

TEST_CASE("at one moment, due timers fire earliest first, then in declaration and group order") {
  Ticking s;
  REQUIRE_FALSE(s.send(3, 1000, "start").error);  // group 2's tick at 1100, end at 2000
  REQUIRE_FALSE(s.send(1, 1050, "start").error);  // group 1's tick at 1150, end at 2050
  REQUIRE_FALSE(s.send(2, 1060, "nudge").error);  // participant 2's nudge at 1110
  std::vector<Event> due;
  s.t.session.due_events(1200, &due);
  REQUIRE(due.size() == 3);
  CHECK(due[0].participant == 3);  // group 2's tick, due first
  CHECK(due[1].participant == 2);  // the nudge
  CHECK(due[1].data == Json::object({{"timer", "nudge"}}));
  CHECK(due[2].participant == 1);
  for (const Event& event : due) CHECK(event.time_ms == 1200);
}

TEST_CASE("a timer that ends the period moves the group on, and its page's timers go with it") {
  Ticking s;
  REQUIRE_FALSE(s.send(1, 1000, "start").error);
  REQUIRE_FALSE(s.send(1, 1000, "nudge").error);
  int64_t time = 1000;
  while (s.t.page(1) == "live") {
    time = s.t.session.next_due_ms();
    REQUIRE(time <= 2000);
    s.fire(time);
    REQUIRE_FALSE(s.last_error);
  }
  CHECK(time == 2000);
  CHECK(s.t.page(2) == "results");
  // The tick due at 2000 fired before the end (declared first); the rest
  // were dropped with the page.
  CHECK(s.ticks(1) == 10);
  CHECK(s.t.player_field("nudges", 1) == 1);
  CHECK(s.t.session.timers().empty());
  CHECK(s.t.session.next_due_ms() == INT64_MAX);
}

TEST_CASE(
    "a player timer is dropped when its player leaves the page, a group timer with the last") {
  Ticking s;
  REQUIRE_FALSE(s.send(1, 1000, "nudge").error);
  REQUIRE_FALSE(s.send(1, 1000, "start").error);
  REQUIRE_FALSE(s.t.submit(1).error);
  CHECK(s.t.session.player(1).timer_due(s.game.nudge) == std::nullopt);
  // Participant 2 is still on the page: the group's timers run on.
  CHECK(s.t.session.player(2).group().timer_due(s.game.tick).has_value());
  REQUIRE_FALSE(s.t.submit(2).error);
  CHECK(s.t.session.timers().empty());
}

TEST_CASE("cancel stops a timer, and scheduling it again replaces it") {
  Ticking s;
  REQUIRE_FALSE(s.send(1, 1000, "start").error);
  REQUIRE_FALSE(s.send(2, 1030, "start").error);
  CHECK(s.t.session.player(1).group().timer_due(s.game.tick) == 1130);
  CHECK(s.t.session.timers().size() == 2);  // tick and end, once each
  REQUIRE_FALSE(s.send(2, 1040, "stop").error);
  CHECK(s.t.session.player(1).group().timer_due(s.game.tick) == std::nullopt);
  CHECK(s.fire(1500).empty());
}

TEST_CASE("a rejected event schedules nothing, and a bad interval is refused") {
  Ticking s;
  const std::string before = s.t.session.digest();
  const EventResult& undone = s.send(1, 1000, "undo");
  REQUIRE(undone.error);
  CHECK(*undone.error == "no");
  CHECK(s.t.session.timers().empty());
  CHECK(s.t.session.digest() == before);
  const EventResult& bad = s.send(1, 1000, "bad");
  REQUIRE(bad.error);
  CHECK(*bad.error ==
        "live_method failed: timer 'tick': an interval must be 10 to 86400000 ms, not 5");
  CHECK(s.t.session.timers().empty());
}

TEST_CASE("a timer whose function throws changes nothing but moves on, and the log says why") {
  Ticking s;
  REQUIRE_FALSE(s.send(1, 1000, "boom").error);
  const std::string before = s.t.session.digest();
  std::vector<Event> due;
  s.t.session.due_events(1100, &due);
  REQUIRE(due.size() == 1);
  const EventResult& failed = s.t.session.apply(due[0]);
  REQUIRE(failed.error);
  CHECK(*failed.error == "timer 'boom' of group 1 failed: the game broke");
  CHECK(failed.deliveries.empty());
  CHECK(s.t.group_field("booms", 1) == 0);
  // Not stuck: it is due again an interval later.
  CHECK(s.t.session.player(1).group().timer_due(s.game.boom) == 1200);
  CHECK(s.t.session.digest() != before);
  CHECK(s.t.store.log().back().error == failed.error);
  CHECK(s.t.store.log().back().changes == 1);
}

TEST_CASE("a timer event that names no running timer is refused") {
  Ticking s;
  Event event;
  event.kind = EventKind::kTimer;
  event.participant = 1;
  event.time_ms = 5000;
  event.page = 0;
  event.data = Json::object({{"timer", "tick"}});
  const EventResult& idle = s.t.session.apply(event);
  REQUIRE(idle.error);
  CHECK(*idle.error == "timer 'tick' of the group of participant 1 is not running on page 'live'");
  event.data = Json::object({{"timer", "tock"}});
  CHECK(*s.t.session.apply(event).error == "ticking has no timer 'tock'");
  event.data = "tick";
  CHECK(*s.t.session.apply(event).error == "a timer event's data is {\"timer\": \"name\"}");
  event.page = -1;
  CHECK(*s.t.session.apply(event).error == "a timer event must name its page");
}

TEST_CASE("timers are part of the state digest") {
  Ticking a;
  Ticking b;
  REQUIRE_FALSE(a.send(1, 1000, "start").error);
  REQUIRE_FALSE(b.send(1, 1000, "start").error);
  CHECK(a.t.session.digest() == b.t.session.digest());
  REQUIRE_FALSE(b.send(1, 1000, "stop").error);
  CHECK(a.t.session.digest() != b.t.session.digest());
}

}  // namespace
}  // namespace livectl::testing
