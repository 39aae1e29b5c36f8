// The typed field API (engine/fields.h), object() and the send_to helpers.
#include <doctest/doctest.h>

#include <functional>
#include <stdexcept>
#include <string>

#include "engine/session.h"
#include "support.h"

namespace livectl {
namespace {

using testing::TestSession;

// A game of three whose live_method is a lambda, declared with the macros.
class TypedGame final : public Game {
 public:
  using Live = std::function<Outbox(const TypedGame&, Player&, const Json&)>;
  explicit TypedGame(Live live) : Game("typed", "typed fields", 3), live_(std::move(live)) {
    page("live", PageKind::kLive, "live.html");
  }
  Outbox live_method(Player& player, const Json& data) const override {
    return live_(*this, player, data);
  }

  LIVECTL_GROUP_FIELD(int64_t, count, 0);
  LIVECTL_GROUP_FIELD(double, total, 0);
  LIVECTL_GROUP_FIELD(int64_t, leader);
  LIVECTL_PLAYER_FIELD(std::string, nickname);
  LIVECTL_PLAYER_FIELD(bool, done, false);

 private:
  Live live_;
};

TEST_CASE("a field declared by macro has its name written once and its type from C++") {
  TypedGame game([](const TypedGame&, Player&, const Json&) { return Outbox(); });
  REQUIRE(game.group_fields().size() == 3);
  CHECK(game.group_fields()[0].name == "count");
  CHECK(game.group_fields()[0].type == FieldType::kInteger);
  CHECK(game.group_fields()[0].initial == 0);
  CHECK(game.group_fields()[1].type == FieldType::kNumber);
  CHECK(game.group_fields()[2].initial.is_null());
  // Every game's player starts with oTree's payoff, a number at 0.
  CHECK(game.player_fields()[0].name == "payoff");
  CHECK(game.player_fields()[0].type == FieldType::kNumber);
  CHECK(game.player_fields()[0].initial == 0);
  CHECK(game.player_fields()[1].type == FieldType::kString);
  CHECK(game.player_fields()[2].type == FieldType::kBoolean);
}

TEST_CASE("a counter is one line, and a rejected event takes it back") {
  TypedGame game([](const TypedGame& g, Player& player, const Json& data) -> Outbox {
    player.group()[g.count] += 1;
    ++player.group()[g.count];
    if (data == "no") return reject("no");
    return {};
  });
  TestSession t(game, 3);
  CHECK_FALSE(t.send(1, 1).error);
  CHECK(t.session.groups()[0][game.count] == 2);
  CHECK(t.send(2, "no").error == "no");
  CHECK(t.session.groups()[0][game.count] == 2);
}

TEST_CASE("reading an unset field fails the event with the field's name") {
  TypedGame game([](const TypedGame& g, Player& player, const Json&) -> Outbox {
    const int64_t leader = player.group()[g.leader];
    return send_to(player, leader);
  });
  TestSession t(game, 3);
  const EventResult& result = t.send(1, 1);
  REQUIRE(result.error);
  CHECK(result.error->find("group field leader is not set") != std::string::npos);
  CHECK_FALSE(t.session.groups()[0][game.leader].is_set());
  CHECK(t.session.groups()[0][game.leader].value_or(7) == 7);
}

TEST_CASE("a double that is a whole number is stored as an integer, JSON is stored as it is") {
  TypedGame game([](const TypedGame& g, Player& player, const Json& data) -> Outbox {
    if (data.is_number()) {
      player.group()[g.total] = data;
    } else {
      player.group()[g.total] = 2.0 * 3;
    }
    return {};
  });
  TestSession t(game, 3);
  t.send(1, "x");
  CHECK(t.session.groups()[0][game.total].json().dump() == "6");
  t.send(1, 2.5);
  CHECK(t.session.groups()[0][game.total].json().dump() == "2.5");
  t.send(1, Json(4.0));
  CHECK(t.session.groups()[0][game.total].json().dump() == "4.0");
  CHECK(t.session.groups()[0][game.total] > 3);
  CHECK(Json(5) > t.session.groups()[0][game.total]);
}

TEST_CASE("a value the field's type refuses fails the event") {
  TypedGame game([](const TypedGame& g, Player& player, const Json& data) -> Outbox {
    player.group()[g.count] = data;  // a Json from liveSend, stored as it is if it fits
    return {};
  });
  TestSession t(game, 3);
  CHECK(t.send(1, "text").error);
  CHECK(t.session.groups()[0][game.count] == 0);
}

TEST_CASE("send_to, send_to_group and send_to({ids}) route as oTree's dict does") {
  TypedGame game([](const TypedGame& g, Player& player, const Json& data) -> Outbox {
    player[g.nickname] = std::string("p") + std::to_string(player.id_in_group());
    if (data == "me") return send_to(player, object({{"name", player[g.nickname]}}));
    if (data == "all") return send_to_group(object({{"from", player.id_in_group()}}));
    return send_to({1, 3}, object({{"some", true}}));
  });
  TestSession t(game, 3);
  const EventResult& me = t.send(2, "me");
  REQUIRE(me.deliveries.size() == 1);
  CHECK(me.deliveries[0].participant == 2);
  CHECK(me.payloads[0] == R"({"name":"p2"})");
  CHECK(t.send(1, "all").deliveries.size() == 3);
  const EventResult& some = t.send(2, "some");
  REQUIRE(some.deliveries.size() == 2);
  CHECK(some.deliveries[0].participant == 1);
  CHECK(some.deliveries[1].participant == 3);
}

TEST_CASE("object() builds what nlohmann's nested braces build, keys in order") {
  const Json built = object({{"b", 1}, {"a", "x"}, {"c", Json::array({1, 2})}});
  const Json braces = {{"b", 1}, {"a", "x"}, {"c", Json::array({1, 2})}};
  CHECK(built == braces);
  CHECK(object({}).dump() == "{}");
}

}  // namespace
}  // namespace livectl
