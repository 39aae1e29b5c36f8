#pragma once
// A game: its fields, extra-record types, page sequence and live_method.
// A Game object holds no session state; one instance serves every session.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/json.h"
#include "engine/outbox.h"

namespace livectl {

class Player;
class Bot;
class Invariant;

enum class FieldType { kInteger, kNumber, kString, kBoolean };

const char* field_type_name(FieldType type);
// Why `value` may not be stored in a field of `type`, as the end of a
// sentence that starts with the field's name ("is of type integer; got
// string", "must be valid UTF-8 text"); nullopt when it may. Null always may;
// numbers must be finite and strings well-formed UTF-8, so that every stored
// value serializes and exports as itself.
std::optional<std::string> field_value_problem(FieldType type, const Json& value);
inline bool field_accepts(FieldType type, const Json& value) {
  return !field_value_problem(type, value);
}

struct FieldSpec {
  std::string name;
  FieldType type;
  Json initial;  // null = unset
};

// Handles returned when a game declares something; they index the session's
// storage directly, so a field access is a vector lookup.
struct GroupField {
  uint32_t index;
};
struct PlayerField {
  uint32_t index;
};
struct RecordType {
  uint32_t index;
};

struct ColumnSpec {
  std::string name;
  FieldType type;
};

// An append-only table a game defines, like oTree's ExtraModel. Every row
// also carries the group and the player it belongs to.
struct RecordSpec {
  std::string name;
  std::vector<ColumnSpec> columns;
};

enum class PageKind {
  kLive,   // accepts liveSend
  kPlain,  // a page with a next button (results, instructions)
  // oTree's wait page: nobody submits it; its group moves on together once
  // every member has arrived on it, or when its timeout fires (the members
  // who are there go on, and a latecomer passes straight through).
  kWait,
};

struct PageSpec {
  std::string name;
  PageKind kind;
  // Relative to the game's folder; empty for a wait page = livectl's own
  // "waiting for the others" page.
  std::string template_file;
  // oTree's timeout_seconds, in milliseconds of session time after the
  // participant arrived on the page; 0 = none. When it fires, a wait page
  // lets its group proceed and any other page is submitted for the
  // participant.
  int64_t timeout_ms = 0;
};

class Game {
 public:
  virtual ~Game() = default;
  Game(const Game&) = delete;
  Game& operator=(const Game&) = delete;

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  int players_per_group() const { return players_per_group_; }
  const std::vector<FieldSpec>& group_fields() const { return group_fields_; }
  const std::vector<FieldSpec>& player_fields() const { return player_fields_; }
  const std::vector<RecordSpec>& record_types() const { return record_types_; }
  const std::vector<PageSpec>& pages() const { return pages_; }

  // Handles one liveSend from `player`. Runs inside the event's transaction:
  // everything it changes is rolled back if it returns a rejection, an
  // outbox that names an id outside the group, or throws.
  virtual Outbox live_method(Player& player, const Json& data) const = 0;

  // A bot that plays this game as player `id_in_group` of a group of
  // `group_size`, owned by the caller; nullptr (the default) when the game
  // has none: it still serves and runs scenarios, and `simulate` says so.
  virtual std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const;

  // oTree's js_vars: the object a page's script reads as the global
  // `js_vars`, for `player` on their current page. Empty by default.
  virtual Json js_vars(const Player& player) const;

  // Fresh invariant checkers for one simulated session. Owned by the caller.
  virtual std::vector<std::unique_ptr<Invariant>> make_invariants() const;

  // Looks a declared field up by name; -1 when there is none.
  int find_group_field(const std::string& name) const;
  int find_player_field(const std::string& name) const;
  int find_page(const std::string& name) const;

 protected:
  Game(std::string name, std::string description, int players_per_group)
      : name_(std::move(name)),
        description_(std::move(description)),
        players_per_group_(players_per_group) {}

  // Declarations, made in the game's constructor. REQUIRES: unique names and
  // an initial value that the type accepts.
  GroupField group_field(std::string name, FieldType type, Json initial = nullptr);
  PlayerField player_field(std::string name, FieldType type, Json initial = nullptr);
  RecordType record_type(std::string name, std::vector<ColumnSpec> columns);
  void page(std::string name, PageKind kind, std::string template_file, int64_t timeout_ms = 0);

 private:
  std::string name_;
  std::string description_;
  int players_per_group_;
  std::vector<FieldSpec> group_fields_;
  std::vector<FieldSpec> player_fields_;
  std::vector<RecordSpec> record_types_;
  std::vector<PageSpec> pages_;
};

}  // namespace livectl
