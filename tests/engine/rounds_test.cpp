// Rounds, regrouping, session parameters, participant fields and payoffs:
// all through the one door.
#include <doctest/doctest.h>

#include <algorithm>

#include "engine/rounds_game.h"
#include "support.h"

namespace livectl::testing {
namespace {

SessionConfig config_of(int participants, uint64_t seed, Json params = Json::object()) {
  SessionConfig config;
  config.participants = participants;
  config.seed = seed;
  config.params = std::move(params);
  return config;
}

struct Rounds {
  explicit Rounds(int participants = 6, uint64_t seed = 1, Json params = Json::object())
      : session(game, store, config_of(participants, seed, std::move(params))) {}

  const EventResult& event(EventKind kind, uint32_t participant, Json data = nullptr) {
    Event e;
    e.kind = kind;
    e.participant = participant;
    e.time_ms = (clock_ms += 1000);
    e.data = std::move(data);
    return session.apply(e);
  }
  const EventResult& send(uint32_t participant, Json data) {
    return event(EventKind::kLive, participant, std::move(data));
  }
  const EventResult& submit(uint32_t participant) { return event(EventKind::kSubmit, participant); }
  std::string page(uint32_t participant) const {
    return session.page_of(session.player(participant)).name;
  }
  int round(uint32_t participant) const { return session.player(participant).round_number(); }
  // Everyone contributes `amount` and moves to the results page.
  void play_round(int64_t amount) {
    for (uint32_t p = 1; p <= session.participant_count(); ++p) {
      if (page(p) == "intro") REQUIRE_FALSE(submit(p).error);
      const EventResult& sent = send(p, amount);
      INFO(sent.error.value_or(""));
      REQUIRE_FALSE(sent.error);
    }
    for (uint32_t p = 1; p <= session.participant_count(); ++p) REQUIRE_FALSE(submit(p).error);
  }
  std::vector<std::vector<int>> matrix(int round_number) {
    return Subsession(session, round_number).get_group_matrix();
  }

  RoundsGame game;
  MemoryStore store;
  Session session;
  int64_t clock_ms = 0;
};

// Each participant exactly once in the matrix, in groups of `size`.
void check_partition(const std::vector<std::vector<int>>& matrix, int participants, int size) {
  std::vector<int> ids;
  for (const auto& row : matrix) {
    CHECK(static_cast<int>(row.size()) == size);
    ids.insert(ids.end(), row.begin(), row.end());
  }
  std::sort(ids.begin(), ids.end());
  std::vector<int> expected(participants);
  for (int i = 0; i < participants; ++i) expected[i] = i + 1;
  CHECK(ids == expected);
}

TEST_CASE("round 1 is grouped in id order and later rounds at random, once each, from the seed") {
  Rounds a(6, 1);
  CHECK(a.matrix(1) == std::vector<std::vector<int>>{{1, 2}, {3, 4}, {5, 6}});
  for (int round = 1; round <= 3; ++round) check_partition(a.matrix(round), 6, 2);
  Rounds again(6, 1);
  CHECK(again.matrix(2) == a.matrix(2));
  CHECK(again.matrix(3) == a.matrix(3));
  CHECK(again.session.digest() == a.session.digest());
  // Another seed draws other groups (these two seeds differ in round 2 or 3).
  Rounds other(6, 2);
  CHECK((other.matrix(2) != a.matrix(2) || other.matrix(3) != a.matrix(3)));
}

TEST_CASE("without rematching every round is grouped in id order, as oTree does") {
  Rounds fixed(4, 1, {{"rematch", false}});
  for (int round = 1; round <= 3; ++round) {
    CHECK(fixed.matrix(round) == std::vector<std::vector<int>>{{1, 2}, {3, 4}});
  }
}

TEST_CASE("a group matrix must hold every participant exactly once") {
  Rounds r(4, 1, {{"rematch", false}});
  // Regrouping is for creating_session only.
  CHECK_THROWS_WITH(Subsession(r.session, 2).set_group_matrix({{1, 2}, {3, 4}}),
                    "groups change only in creating_session, before anyone plays");

  class Matrix final : public Game {
   public:
    explicit Matrix(std::vector<std::vector<int>> matrix)
        : Game("matrix", "", 2, 2), matrix_(std::move(matrix)) {
      page("live", PageKind::kLive, "live.html");
    }
    void creating_session(Subsession& subsession) const override {
      if (subsession.round_number() == 2) subsession.set_group_matrix(matrix_);
    }
    Outbox live_method(Player&, const Json&) const override { return {}; }

   private:
    std::vector<std::vector<int>> matrix_;
  };
  MemoryStore store;
  auto error_of = [&](std::vector<std::vector<int>> matrix) -> std::string {
    Matrix game(std::move(matrix));
    try {
      Session session(game, store, config_of(4, 1));
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  };
  CHECK(error_of({{1, 2}, {3}}) == "the matrix leaves out participant 4");
  CHECK(error_of({{1, 2}, {3, 3}}) == "the matrix names participant 3 twice");
  CHECK(error_of({{1, 2}, {3, 9}}) == "the matrix names participant 9; the session has 1..4");
  CHECK(error_of({{1, 2, 3, 4}, {}}) == "group 2 of the matrix is empty");
  CHECK(error_of({{4, 1}, {2, 3}}).empty());
  // A matrix may make groups of other sizes: one group of four.
  Matrix one_group({{4, 3, 2, 1}});
  Session session(one_group, store, config_of(4, 1));
  const Group& group = session.round_players(2)[0].group();
  CHECK(group.size() == 4);
  CHECK(group.player(1).id_in_session() == 4);
  CHECK(session.round_players(1)[0].group().size() == 2);
}

TEST_CASE("group_like_round copies an earlier round and group_randomly can keep id_in_group") {
  class Like final : public Game {
   public:
    Like() : Game("like", "", 2, 3) { page("live", PageKind::kLive, "live.html"); }
    void creating_session(Subsession& subsession) const override {
      if (subsession.round_number() == 1) subsession.group_randomly(/*fixed_id_in_group=*/true);
      if (subsession.round_number() == 3) subsession.group_like_round(1);
    }
    Outbox live_method(Player&, const Json&) const override { return {}; }
  };
  Like game;
  MemoryStore store;
  Session session(game, store, config_of(8, 3));
  const auto round1 = Subsession(session, 1).get_group_matrix();
  CHECK(Subsession(session, 3).get_group_matrix() == round1);
  CHECK(Subsession(session, 2).get_group_matrix() ==
        std::vector<std::vector<int>>{{1, 2}, {3, 4}, {5, 6}, {7, 8}});
  for (const auto& row : round1) {
    CHECK(row[0] % 2 == 1);  // odd ids stay id_in_group 1
    CHECK(row[1] % 2 == 0);
  }
}

TEST_CASE(
    "a participant goes through every round with fresh player fields; intro only in round 1") {
  Rounds r(4, 1);
  CHECK(r.page(1) == "intro");
  CHECK(r.round(1) == 1);
  r.play_round(4);
  CHECK(r.page(1) == "results");
  REQUIRE_FALSE(r.submit(1).error);
  CHECK(r.page(1) == "contribute");  // the intro is not shown again
  CHECK(r.round(1) == 2);
  const Player& player = r.session.player(1);
  CHECK(player[r.game.contribution].is_set() == false);
  CHECK(player.in_round(1)[r.game.contribution] == 4);
  CHECK(player[r.game.started_in_round] == 2);
  REQUIRE(player.in_previous_rounds().size() == 1);
  CHECK(player.in_previous_rounds()[0] == &player.in_round(1));
  CHECK(player.in_all_rounds().back() == &player);
  CHECK_THROWS_WITH(player.in_round(4), "the session has no round 4 (rounds 1..3)");
}

TEST_CASE("a stale page names its round") {
  Rounds r(2, 1);
  r.play_round(1);
  REQUIRE_FALSE(r.submit(1).error);
  Event stale;
  stale.kind = EventKind::kSubmit;
  stale.participant = 1;
  stale.page = 3;  // results of round 1
  const EventResult& result = r.session.apply(stale);
  REQUIRE(result.error);
  CHECK(*result.error ==
        "participant 1 is on page 'contribute' of round 2, not 'results' of round 1");
}

TEST_CASE(
    "after_all_players_arrive sets payoffs once the group is complete; participant.payoff sums "
    "them") {
  Rounds r(2, 1, {{"multiplier", 2}});
  REQUIRE_FALSE(r.submit(1).error);
  REQUIRE_FALSE(r.submit(2).error);
  REQUIRE_FALSE(r.send(1, 10).error);
  REQUIRE_FALSE(r.send(2, 0).error);
  REQUIRE_FALSE(r.submit(1).error);
  CHECK(r.page(1) == "wait");
  CHECK_FALSE(r.session.player(1).group()[r.game.group_total].is_set());
  const EventResult& last = r.submit(2);
  REQUIRE_FALSE(last.error);
  CHECK(last.page_changes == std::vector<uint32_t>{2, 1});
  CHECK(r.page(1) == "results");
  CHECK(r.session.player(1).group()[r.game.group_total] == 10);
  // 10 - contribution + 10 * 2 / 2
  CHECK(r.session.player(1)[r.game.payoff] == 10.0);
  CHECK(r.session.player(2)[r.game.payoff] == 20.0);
  REQUIRE_FALSE(r.submit(1).error);
  REQUIRE_FALSE(r.submit(2).error);
  r.play_round(5);
  REQUIRE_FALSE(r.submit(1).error);
  REQUIRE_FALSE(r.submit(2).error);
  r.play_round(0);
  CHECK(r.round(1) == 3);
  // Round 2: 10 - 5 + 10 = 15 each; round 3: 10 each.
  CHECK(r.session.participant_payoff(1) == 35.0);
  CHECK(r.session.participant_payoff(2) == 45.0);
}

TEST_CASE("a participant field lives across rounds and a rejected event takes it back") {
  Rounds r(2, 1);
  r.play_round(3);
  REQUIRE_FALSE(r.submit(1).error);
  REQUIRE_FALSE(r.send(1, 2).error);
  CHECK(r.session.player(1)[r.game.contributed_so_far] == 5);
  CHECK(r.session.player(1).in_round(1)[r.game.contributed_so_far] == 5);
  const EventResult& bad = r.send(1, 11);
  REQUIRE(bad.error);
  CHECK(*bad.error == "a contribution is an integer from 0 to 10");
  CHECK(r.session.participant(1).fields[0] == 5);
}

TEST_CASE("parameters have defaults, take given values and refuse unknown names and wrong types") {
  Rounds defaults(2, 1);
  CHECK(defaults.session[defaults.game.multiplier] == 1.5);
  CHECK(defaults.session[defaults.game.treatment] == "baseline");
  CHECK(defaults.session.params() ==
        Json{{"multiplier", 1.5}, {"rematch", true}, {"treatment", "baseline"}});
  Rounds given(2, 1, {{"multiplier", 3}, {"treatment", "punish"}});
  CHECK(given.session[given.game.multiplier] == 3.0);
  CHECK(given.session[given.game.treatment] == "punish");

  RoundsGame game;
  MemoryStore store;
  CHECK_THROWS_WITH(Session(game, store, config_of(2, 1, {{"multipler", 2}})),
                    "rounds has no parameter 'multipler' (its parameters: multiplier, rematch, "
                    "treatment)");
  CHECK_THROWS_WITH(Session(game, store, config_of(2, 1, {{"multiplier", "2"}})),
                    "parameter 'multiplier' is a number, not \"2\"");
  CHECK_THROWS_WITH(Session(game, store, config_of(2, 1, {{"rematch", 1}})),
                    "parameter 'rematch' is a boolean, not 1");
}

TEST_CASE("the same events on the same seed end in the same digest, through rounds") {
  Rounds a(6, 9);
  Rounds b(6, 9);
  a.play_round(3);
  b.play_round(3);
  CHECK(a.session.digest() == b.session.digest());
  REQUIRE_FALSE(b.submit(1).error);  // into round 2
  CHECK(a.session.digest() != b.session.digest());
}

}  // namespace
}  // namespace livectl::testing
