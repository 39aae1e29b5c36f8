// A session of several games in a row (oTree's app_sequence): each game
// counts its own rounds and has its own groups, fields and records; the
// participants, their fields (by name) and the parameters are shared; the
// flow runs through every game's pages; all of it through the one door.
#include <doctest/doctest.h>

#include <stdexcept>

#include "engine/sequence_games.h"
#include "support.h"

namespace livectl::testing {
namespace {

using Matrix = std::vector<std::vector<int>>;

const FirstApp& first() {
  static const FirstApp game;
  return game;
}
const SecondApp& second() {
  static const SecondApp game;
  return game;
}

SessionConfig six(Json params = Json::object()) {
  SessionConfig config;
  config.participants = 6;
  config.seed = 11;
  config.params = std::move(params);
  return config;
}

struct Sequence {
  explicit Sequence(SessionConfig config = six())
      : session({&first(), &second()}, store, std::move(config)) {}

  const EventResult& event(EventKind kind, uint32_t participant, Json data = nullptr) {
    Event e;
    e.kind = kind;
    e.participant = participant;
    e.time_ms = (clock += 1000);
    e.data = std::move(data);
    return session.apply(e);
  }
  void ok(EventKind kind, uint32_t participant, Json data = nullptr) {
    const EventResult& result = event(kind, participant, std::move(data));
    INFO(result.error.value_or(""));
    REQUIRE_FALSE(result.error);
  }
  // Everyone through the first game's two rounds: participant 1 sends one
  // message in each.
  void play_first_game() {
    for (int round = 1; round <= 2; ++round) {
      ok(EventKind::kLive, 1, "hello");
      for (uint32_t id = 1; id <= 6; ++id) ok(EventKind::kSubmit, id);  // play
      for (uint32_t id = 1; id <= 6; ++id) ok(EventKind::kSubmit, id);  // results
    }
  }
  std::string page(uint32_t id) const { return session.page_of(session.player(id)).name; }

  MemoryStore store;
  Session session;
  int64_t clock = 0;
};

TEST_CASE("each game counts its own rounds, and the session's rounds and pages run through both") {
  Sequence s;
  const Session& session = s.session;
  CHECK(session.games() == std::vector<const Game*>{&first(), &second()});
  CHECK(session.games_text() == "first, second");
  CHECK(session.session_rounds() == 4);
  CHECK(session.app_of_round(2) == 0);
  CHECK(session.app_of_round(3) == 1);
  CHECK(session.first_round_of(1) == 3);
  CHECK(session.flow_size() == 2 * 2 + 3 * 2);
  CHECK(session.flow_app(4) == 1);
  CHECK(session.flow_round(4) == 1);
  CHECK(session.flow_round(7) == 2);
  CHECK(session.page_spec(4).name == "answer");
  CHECK(session.describe_page(1) == "'results' of first round 1");
  CHECK(session.describe_page(8) == "'chat' of second round 2");
  // creating_session saw each game's own round numbers.
  for (const Group& group : session.groups()) {
    CHECK(group[group.app() == 0 ? first().round_seen : second().round_seen] ==
          group.round_number());
  }
  CHECK(session.round_players(3)[0].round_number() == 1);
  CHECK(&session.round_players(3)[0].game() == &second());
  // Each game's own group size: pairs, then threes.
  CHECK(session.group_matrix(1) == Matrix{{1, 2}, {3, 4}, {5, 6}});
  CHECK(session.group_matrix(3) == Matrix{{1, 2, 3}, {4, 5, 6}});
}

TEST_CASE("participants play the first game, then the second, keeping their fields") {
  Sequence s;
  CHECK(s.page(1) == "play");
  s.play_first_game();
  Session& session = s.session;
  const Player& player = session.player(1);
  CHECK(&player.game() == &second());
  CHECK(player.round_number() == 1);
  CHECK(s.page(1) == "answer");
  // The participant field both games declare: what the first game counted.
  CHECK(player[second().carried] == 2);
  CHECK(player.in_round(1)[second().answer].json().is_null());
  CHECK(player.in_previous_rounds().empty());
  CHECK_THROWS_WITH_AS(session.player(1).in_round(3), "second has no round 3 (rounds 1..2)",
                       std::out_of_range);
  // The first game's players are there, in its own rounds.
  const Player& earlier = session.round_players(2)[0];
  CHECK(earlier.round_number() == 2);
  CHECK(earlier[first().sent] == 1);
  CHECK(earlier.in_round(1)[first().sent] == 1);

  s.ok(EventKind::kSubmit, 1, Json{{"answer", 4}});
  CHECK(s.page(1) == "chat");
  const EventResult& sent = s.event(EventKind::kLive, 1, "hi");
  REQUIRE_FALSE(sent.error);
  // To the second game's group of three, with what 1 carried over.
  CHECK(sent.deliveries.size() == 1);  // the others are still on "answer"
  CHECK(TestSession::received(sent, 1) == 2);
  // The shared parameter: the first game's default, read by the second.
  CHECK(session.player(1)[second().payoff] == 5.0);
  // participant.payoff: both games' rounds.
  CHECK(session.participant_payoff(1) == 2 + 5);
  // Each game's records in its own table.
  CHECK(session.records(first().notes, 0).size() == 2);
  CHECK(session.records(second().notes, 1).size() == 1);
  CHECK(session.player(1).group().records(second().notes).size() == 1);
  CHECK(session.table_count() == 2);
  CHECK(session.table_app(1) == 1);
}

TEST_CASE("a refused event in the second game changes no participant field") {
  Sequence s;
  s.play_first_game();
  s.ok(EventKind::kSubmit, 2, Json{{"answer", 1}});
  const std::string before = s.session.digest();
  const EventResult& refused = s.event(EventKind::kLive, 2, "fail");
  CHECK(refused.error == "refused");
  CHECK(s.session.player(2)[second().carried] == 0);
  CHECK(s.session.digest() == before);
}

TEST_CASE("a parameter set once is read by every game that declares it") {
  Sequence s(six({{"bonus", 9}}));
  CHECK(s.session.params() == Json{{"bonus", 9}});
  s.play_first_game();
  s.ok(EventKind::kSubmit, 3, Json{{"answer", 0}});
  s.ok(EventKind::kLive, 3, "hi");
  CHECK(s.session.player(3)[second().payoff] == 9.0);
}

TEST_CASE("the same events give the same state, and the last game's last page ends it") {
  auto play = [] {
    Sequence s;
    s.play_first_game();
    for (uint32_t id = 1; id <= 6; ++id) {
      s.ok(EventKind::kSubmit, id, Json{{"answer", id}});  // answer
      s.ok(EventKind::kSubmit, id);                        // chat
      s.ok(EventKind::kSubmit, id);                        // done, round 1
      s.ok(EventKind::kSubmit, id, Json{{"answer", 0}});
      s.ok(EventKind::kSubmit, id);
    }
    CHECK(s.page(6) == "done");
    CHECK(s.session.player(6).round_number() == 2);
    CHECK(s.event(EventKind::kSubmit, 6).error ==
          "page 'done' is the last page; there is nothing to submit");
    return s.session.digest();
  };
  CHECK(play() == play());
}

TEST_CASE("what does not fit an app sequence is refused, naming it") {
  MemoryStore store;
  auto error = [&](std::vector<const Game*> games, SessionConfig config) -> std::string {
    try {
      Session session(std::move(games), store, std::move(config));
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  SessionConfig four = six();
  four.participants = 4;
  CHECK(error({&first(), &second()}, four) ==
        "participants must be a positive multiple of 2 (the group size of first) and of 3 (the "
        "group size of second), not 4");
  CHECK(error({&first(), &first()}, six()) == "the app sequence plays first twice");
  CHECK(error({}, six()) == "a session plays at least one game");
  CHECK(error({&first(), &second()}, six({{"bonus", "x"}})) ==
        "parameter 'bonus' is an integer, not \"x\"");
  CHECK(error({&first(), &second()}, six({{"bonsu", 1}})) ==
        "first, second has no parameter 'bonsu' (its parameters: bonus)");

  class Clash final : public Game {
   public:
    Clash() : Game("clash", "", 1) { page("p", PageKind::kPlain, "p.html"); }
    Outbox live_method(Player&, const Json&) const override { return {}; }
    LIVECTL_PARTICIPANT_FIELD(std::string, carried);
  };
  static const Clash clash;
  CHECK(error({&first(), &clash}, six()) ==
        "first and clash both declare the participant field 'carried', as integer and string");
}

TEST_CASE("a parameter of a game the session does not play is refused") {
  MemoryStore store;
  Session session(first(), store, six());
  CHECK(session[first().bonus] == 5);
  CHECK_THROWS_WITH_AS((void)session[second().bonus],
                       "a parameter of second, which this session does not play (it plays first)",
                       std::out_of_range);
}

}  // namespace
}  // namespace livectl::testing
