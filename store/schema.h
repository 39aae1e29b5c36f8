#pragma once
// The database layout (docs/storage.md is its reader-facing description):
// fixed tables for sessions, participants and the event log, and per game a
// group table, a player table and one table per extra-record type, each with
// one typed column per declared field. Internal to store/.
#include <cstdint>
#include <span>
#include <string>

#include "engine/game.h"
#include "engine/rng.h"
#include "store/statement.h"

namespace livectl::store {

// PRAGMA application_id of every livectl database: "LVCT" in ASCII.
inline constexpr int32_t kApplicationId = 0x4c564354;
// PRAGMA user_version: the schema this build writes and reads. A database
// with a larger number was written by a newer livectl and is refused.
inline constexpr int kSchemaVersion = 5;

class Database;

std::string group_table(const Game& game);                             // <game>_group
std::string player_table(const Game& game);                            // <game>_player
std::string participant_table(const Game& game);                       // <game>_participant
std::string record_table(const Game& game, const RecordSpec& record);  // <game>_<record>
// The sessions table's `game`: the game's name, or the names of a session's
// games in order, joined by ',' ("quiz,public_goods").
std::string games_column(std::span<const Game* const> games);

// The columns every group, player and record table has before the game's
// own; a game may not declare fields or record columns with these names.
inline constexpr const char* kGroupKeyColumns[] = {"session", "round_number", "id_in_subsession"};
inline constexpr const char* kPlayerKeyColumns[] = {"session", "round_number", "id_in_session",
                                                    "id_in_group", "id_in_subsession"};
inline constexpr const char* kParticipantKeyColumns[] = {"session", "id_in_session"};
inline constexpr const char* kRecordKeyColumns[] = {
    "session", "id", "seq", "round_number", "id_in_subsession", "id_in_session"};

// Makes sure the tables of `game` exist, list every declared field (adding a
// column, filled with the field's initial value, for a field declared after
// the table was made) and are described in game_tables / game_columns.
// REQUIRES: inside a write transaction. Throws DatabaseError, or
// std::invalid_argument when a declared name collides with the layout.
void ensure_game_tables(Database* db, const Game& game);

// The generator state as the sessions table keeps it: 4 words of 16 hex
// digits, separated by spaces; parse_rng() is false for anything else.
std::string rng_text(const Rng::State& state);
bool parse_rng(const std::string& text, Rng::State* state);

// True when the database has a table called `table`. Throws DatabaseError.
bool table_exists(Database* db, const std::string& table);

// The stored cell at `column` of the current row, as the JSON value of a
// field of `type`: booleans come back as true/false, a number field keeps
// integer or real as it was stored. Throws std::invalid_argument for a cell
// the type cannot hold.
Json read_value(const Statement& row, int column, FieldType type);

}  // namespace livectl::store
