// Session configurations: a study's configs.json read, checked against its
// games, and turned into what a session is created with.
#include "engine/study_config.h"

#include <doctest/doctest.h>

#include "engine/registry.h"
#include "support.h"

namespace livectl::testing {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_study_configs(text, "configs.json");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// Declared configurations for one test, taken back at its end.
struct Declared {
  explicit Declared(const std::string& text) {
    register_configs(parse_study_configs(text, "configs.json"));
  }
  ~Declared() { register_configs({}); }
};

TEST_CASE("a configs file gives each configuration its game, size, money and defaults") {
  const auto configs = parse_study_configs(R"({
    "session_config_defaults": {"real_world_currency_per_point": 0.1, "participation_fee": 5},
    "session_configs": [
      {"name": "big_auction", "display_name": "Many bidders", "app_sequence": ["auction"],
       "num_demo_participants": 9},
      {"name": "cheap", "app_sequence": ["tictactoe"], "participation_fee": 0}
    ]})",
                                           "configs.json");
  REQUIRE(configs.size() == 2);
  CHECK(configs[0].name == "big_auction");
  CHECK(configs[0].display_name == "Many bidders");
  CHECK(configs[0].app_sequence == std::vector<std::string>{"auction"});
  CHECK(configs[0].num_demo_participants == 9);
  CHECK(configs[0].real_world_currency_per_point == 0.1);
  CHECK(configs[0].participation_fee == 5.0);
  CHECK(configs[1].display_name == "cheap");
  CHECK(configs[1].participation_fee == 0.0);
}

TEST_CASE("mistakes in a configs file name the file, the configuration and the reason") {
  CHECK(error_of("{\n") ==
        "configs.json line 2: not JSON (syntax error while parsing object key - unexpected end of "
        "input; expected string literal)");
  CHECK(error_of("[]") == "configs.json: is {\"session_configs\": [...]}, not array");
  CHECK(error_of("{}") == "configs.json: has no \"session_configs\"");
  CHECK(error_of(R"({"session_configs": [], "configs": 1})") ==
        "configs.json: unknown key \"configs\" (a configs file has session_configs and "
        "session_config_defaults)");
  CHECK(error_of(R"({"session_configs": [{"app_sequence": ["auction"]}]})") ==
        "configs.json: session_configs[0]: needs a \"name\" of lower-case letters, digits and _ "
        "(at most 64)");
  CHECK(error_of(R"({"session_configs": [{"name": "a"}]})") ==
        "configs.json: session_configs[0] (a): needs an \"app_sequence\": the games it plays, in "
        "order, as [\"game\", ...]");
  CHECK(error_of(R"({"session_configs": [{"name": "a", "app_sequence": ["chess"]}]})") ==
        "configs.json: session_configs[0] (a): \"app_sequence\" names the game 'chess', which this "
        "study does not have (auction, tictactoe, bargaining, ten_messages)");
  CHECK(
      error_of(R"({"session_configs": [{"name": "a", "app_sequence": ["auction", "auction"]}]})") ==
      "configs.json: session_configs[0] (a): \"app_sequence\" names the game 'auction' twice "
      "(a game repeats through its rounds)");
  // Several games: each must take the number of participants.
  CHECK(error_of(R"({"session_configs": [{"name": "a", "app_sequence": ["auction", "tictactoe"],
                                          "num_demo_participants": 3}]})") ==
        "configs.json: session_configs[0] (a): \"num_demo_participants\" must be a positive "
        "multiple of 3 (the group size of auction) and of 2 (the group size of tictactoe), not 3");
  CHECK(
      error_of(
          R"({"session_configs": [{"name": "a", "app_sequence": ["auction"], "num_demo_participants": 4}]})") ==
      "configs.json: session_configs[0] (a): \"num_demo_participants\" must be a positive multiple "
      "of 3 "
      "(the group size of auction), not 4");
  CHECK(
      error_of(
          R"({"session_configs": [{"name": "a", "app_sequence": ["auction"], "endowment": 5}]})") ==
      "configs.json: session_configs[0] (a): a has no parameter 'endowment' (it has none)");
  CHECK(
      error_of(
          R"({"session_configs": [{"name": "a", "app_sequence": ["auction"], "participation_fee": -1}]})") ==
      "configs.json: session_configs[0] (a): \"participation_fee\" is a number of at least 0, "
      "not -1");
  CHECK(error_of(R"({"session_configs": [{"name": "a", "app_sequence": ["auction"]},
                                          {"name": "a", "app_sequence": ["auction"]}]})") ==
        "configs.json: session_configs[1] (a): the name is taken by an earlier one");
}

TEST_CASE("a configuration is found by name, and a game is a configuration of its own") {
  Declared declared(
      R"({"session_configs": [{"name": "big_auction", "app_sequence": ["auction"],
                               "num_demo_participants": 9}]})");
  REQUIRE(find_config("big_auction"));
  CHECK(find_config("big_auction")->declared);
  REQUIRE(find_config("tictactoe"));
  CHECK_FALSE(find_config("tictactoe")->declared);
  CHECK_FALSE(find_config("chess"));
  CHECK(config_names() == "big_auction, auction, tictactoe, bargaining, ten_messages");
  const Game* auction_only[] = {&game_named("auction")};
  const SessionConfig session = session_config_for(*find_config("big_auction"), auction_only, {});
  CHECK(session.config_name == "big_auction");
  CHECK(session.participants == 9);
  CHECK(session_config_for(*find_config("auction"), auction_only, {}).config_name.empty());
  CHECK(session_config_for(*find_config("auction"), auction_only, {}).participants == 3);
  CHECK(session_config_for(*find_config("auction"), auction_only, {}, 6).participants == 6);
}

TEST_CASE("--set reads a value as its parameter's type and names what does not fit") {
  class Params final : public Game {
   public:
    Params() : Game("params", "", 1) { page("p", PageKind::kPlain, "p.html"); }
    Outbox live_method(Player&, const Json&) const override { return {}; }
    LIVECTL_PARAM(int64_t, endowment, 100);
    LIVECTL_PARAM(double, multiplier, 2);
    LIVECTL_PARAM(bool, punish, false);
    LIVECTL_PARAM(std::string, treatment, "control");
  };
  static const Params game;
  const Game* games[] = {&game};
  const StudyConfig config = game_config(game);
  const SessionConfig set = session_config_for(
      config, games, {"endowment=50", "multiplier=2.5", "punish=true", "treatment=high fee"});
  CHECK(set.params ==
        Json{{"endowment", 50}, {"multiplier", 2.5}, {"punish", true}, {"treatment", "high fee"}});
  auto error = [&](const std::string& setting) -> std::string {
    try {
      session_config_for(config, games, {setting});
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  CHECK(error("endowment=5.5") ==
        "--set endowment=5.5: parameter 'endowment' is an integer, not '5.5'");
  CHECK(error("multiplier=x") == "--set multiplier=x: parameter 'multiplier' is a number, not 'x'");
  CHECK(error("punish=yes") == "--set punish=yes: parameter 'punish' is a boolean, not 'yes'");
  CHECK(error("endownment=5") ==
        "--set endownment=5: params has no parameter 'endownment' (its parameters: endowment, "
        "multiplier, punish, treatment)");
  CHECK(error("endowment") == "--set endowment: write --set name=value");
}

}  // namespace
}  // namespace livectl::testing
