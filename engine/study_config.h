#pragma once
// Session configurations: oTree's SESSION_CONFIGS. A study declares named
// configurations in its configs.json (docs/writing-a-game.md, "Session
// configurations"); every game is also a configuration of its own name with
// its defaults. A session is created from one, with its parameters
// overridden on the command line (--set name=value) when wanted.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"
#include "engine/session.h"

namespace livectl {

struct StudyConfig {
  std::string name;
  std::string display_name;  // for people; defaults to the name
  std::string doc;
  // The games it plays, in order (oTree's app_sequence): each game's rounds,
  // then the next game's, with the participants and their fields shared.
  std::vector<std::string> app_sequence;
  // Participants when a command does not say; 0 = one group of every game
  // (the least common multiple of their group sizes).
  int num_demo_participants = 0;
  double real_world_currency_per_point = 1;
  double participation_fee = 0;
  Json params = Json::object();  // values for the game's parameters, by name
  bool declared = true;          // false: a game's own configuration
};

// Parses the text of a configs file (`origin` names it in errors):
//   {"session_config_defaults": {...}, "session_configs": [{...}, ...]}
// and checks each configuration against the registered games. Throws
// std::invalid_argument "<origin>: session_configs[2] (pg_high): <reason>"
// (or "<origin> line N: ..." for text that is not JSON).
std::vector<StudyConfig> parse_study_configs(std::string_view text, const std::string& origin);

// Makes `configs` the declared configurations. REQUIRES: they came from
// parse_study_configs.
void register_configs(std::vector<StudyConfig> configs);
const std::vector<StudyConfig>& declared_configs();

// The declared configuration called `name`, else the configuration of the
// game called `name`; nullopt when there is neither.
std::optional<StudyConfig> find_config(std::string_view name);
// The game's own configuration: its name, its defaults, one group.
StudyConfig game_config(const Game& game);
// "pg_low, pg_high, auction, ..." for error messages: declared ones first.
std::string config_names();
// The games a configuration plays, in order. REQUIRES: a registered
// configuration.
std::vector<const Game*> config_games(const StudyConfig& config);
// "quiz, public_goods": its app sequence, for people.
std::string games_text(const StudyConfig& config);

// What a session of `config` is created with: its participants (or
// `participants` when positive), parameters with each "name=value" of
// `sets` applied (the value read as the parameter's type: 50, 2.5, true,
// text), and money settings. Throws std::invalid_argument naming what does
// not fit: "--set multipler=2: pg_low has no parameter 'multipler' (its
// parameters: multiplier, punishment)".
// REQUIRES: `games` are the configuration's (config_games).
SessionConfig session_config_for(const StudyConfig& config, std::span<const Game* const> games,
                                 const std::vector<std::string>& sets, int participants = 0);

}  // namespace livectl
