#pragma once
// A game: its fields, extra-record types, page sequence and live_method.
// A Game object holds no session state; one instance serves every session.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/json.h"
#include "engine/outbox.h"

namespace livectl {

class Game;
class Session;
class Player;
class Group;
class Subsession;
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
// Turns -0.0 into 0.0, which is how a field or record cell keeps it: there
// is one zero in a stored value (PostgreSQL's numeric has no negative zero),
// so a restored session has the digest it was stored with.
inline void one_zero(Json& value) {
  if (value.is_number_float() && value.get<double>() == 0.0) value = 0.0;
}
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
// A participant's own field: one value per participant for the whole
// session, across rounds (oTree's PARTICIPANT_FIELDS).
struct ParticipantField {
  uint32_t index;
};
// A session configuration parameter the game reads (oTree's
// session.config['endowment']).
struct ConfigParam {
  uint32_t index;
  // The game that declared it: a session of several games (an app
  // sequence) shares parameters by name and finds this one's value by it.
  const Game* game = nullptr;
};

// Typed handles (engine/fields.h): group[handle], player[handle],
// session[param] read and write through type T.
template <class T>
struct GroupFieldOf {
  GroupField field;
};
template <class T>
struct PlayerFieldOf {
  PlayerField field;
};
template <class T>
struct ParticipantFieldOf {
  ParticipantField field;
};
template <class T>
struct ParamOf {
  ConfigParam param;
};
struct RecordType {
  uint32_t index;
};
// A game timer (Game::group_timer, Game::player_timer): work the game
// schedules for later on the session clock, per group or per player.
struct GroupTimer {
  uint32_t index;
};
struct PlayerTimer {
  uint32_t index;
};

// The shortest interval of a repeating timer, and the longest delay of any.
inline constexpr int64_t kMinTimerIntervalMs = 10;
inline constexpr int64_t kMaxTimerDelayMs = 86'400'000;  // a day

// A declared timer. Exactly one of on_group (a group timer) and on_player
// (a player timer) is set. When the timer fires, the game's function runs
// inside the firing's event, like live_method: what it changes commits with
// the event, and what it returns is routed as a live_method's return is,
// from the group's (or the player's) point of view.
struct TimerSpec {
  std::string name;
  std::function<Outbox(Group&)> on_group;
  std::function<Outbox(Player&)> on_player;
};

// A number a period reads when it starts: a constant, a session
// configuration parameter, or a function of the session's parameters
// (Game::period):
//   .length_ms(60'000)   .length_ms(period_ms)
//   .subperiods([this](const Session& s) { return s[period_ms] / s[tick_ms]; })
struct PeriodNumber {
  PeriodNumber(int64_t constant) : value(constant) {}                   // NOLINT: a number is one
  PeriodNumber(ParamOf<int64_t> parameter) : param(parameter.param) {}  // NOLINT: so is a parameter
  template <class F>
  requires std::is_invocable_r_v<int64_t, F, const Session&> PeriodNumber(F function)
      : of_session(std::move(function)) {}  // NOLINT: so is a function
  int64_t value = 0;
  std::optional<ConfigParam> param;
  std::function<int64_t(const Session&)> of_session;
};

// A period on a live page (Game::period): otree-redwood's pattern on game
// timers. It starts once every member of the group is on the page with it
// open (or when `start_grace_ms` has passed since the first member
// arrived), ends `length_ms` after it started, and in between, with
// `subperiods` N > 0, ticks N times, every length_ms / N, each tick calling
// on_subperiod with its number 1..N to broadcast one batched state. Chained:
//   PeriodSpec().length_ms(period_ms).subperiods(60).on_subperiod(...)
struct PeriodSpec {
  PeriodNumber length{60'000};
  PeriodNumber count{0};
  PeriodNumber grace{30'000};
  std::function<Outbox(Group&)> started;
  std::function<Outbox(Group&, int64_t subperiod)> ticked;
  std::function<Outbox(Group&)> ended;
  bool stay = false;
  // Set by Game::period.
  std::string page;
  uint32_t start_timer = 0;
  uint32_t tick_timer = 0;
  uint32_t end_timer = 0;
  GroupFieldOf<int64_t> started_ms{};
  GroupFieldOf<int64_t> ends_ms{};
  GroupFieldOf<int64_t> subperiod{};
  GroupFieldOf<int64_t> ended_ms{};

  // How long the period lasts, in ms (at least 1; default 60,000).
  PeriodSpec& length_ms(PeriodNumber ms) {
    length = ms;
    return *this;
  }
  // How many subperiods it has (0, the default: none). Each lasts
  // length_ms / N ms, rounded down, at least 10 ms.
  PeriodSpec& subperiods(PeriodNumber n) {
    count = n;
    return *this;
  }
  // How long after the first member arrived the period starts with whoever
  // is there (default 30,000 ms; 0 starts it with the first arrival).
  PeriodSpec& start_grace_ms(PeriodNumber ms) {
    grace = ms;
    return *this;
  }
  // Runs inside the event that starts the period; what it returns is routed
  // as a timer's, to the members on the page.
  PeriodSpec& on_start(std::function<Outbox(Group&)> action) {
    started = std::move(action);
    return *this;
  }
  // Runs at the end of each subperiod, with its number 1..N.
  PeriodSpec& on_subperiod(std::function<Outbox(Group&, int64_t subperiod)> action) {
    ticked = std::move(action);
    return *this;
  }
  // Runs when the period ends, after the last subperiod; then the members on
  // the page move on, unless stay_at_end().
  PeriodSpec& on_end(std::function<Outbox(Group&)> action) {
    ended = std::move(action);
    return *this;
  }
  // The members stay on the page when the period ends (the game moves them
  // on itself); by default they go on to the next page.
  PeriodSpec& stay_at_end() {
    stay = true;
    return *this;
  }
};

// What Game::period returns: the period's state, as group fields every
// group has (named after the page: market_started_ms, ...), so that a page
// and live_method can read it, and it is stored, exported and replayed like
// any field.
struct Period {
  uint32_t index = 0;
  // When the period started, on the session clock; unset before.
  GroupFieldOf<int64_t> started_ms{};
  // When it ends: started_ms + its length; unset before it starts.
  GroupFieldOf<int64_t> ends_ms{};
  // The subperiods that have ended, 0..N.
  GroupFieldOf<int64_t> subperiod{};
  // When it ended; unset before.
  GroupFieldOf<int64_t> ended_ms{};
  // Started and not ended: the time a live_method accepts moves in.
  bool running(const Group& group) const;
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

// What a page asks for about one player field (oTree's form_fields and the
// field's label, min, max, choices and blank), chained:
//   .form_field(contribution, FieldOptions().label("Your contribution").min(0).max(20))
class FieldOptions {
 public:
  // Shown before the input; default: the field's name.
  FieldOptions& label(std::string text) {
    label_ = std::move(text);
    return *this;
  }
  // Numbers: the smallest and the largest accepted value.
  FieldOptions& min(Json value) {
    min_ = std::move(value);
    return *this;
  }
  FieldOptions& max(Json value) {
    max_ = std::move(value);
    return *this;
  }
  // The accepted values, of the field's type, in the order shown, and
  // optionally a text for people for each (same length).
  FieldOptions& choices(std::vector<Json> values, std::vector<std::string> labels = {}) {
    choices_ = std::move(values);
    choice_labels_ = std::move(labels);
    return *this;
  }
  // May be left empty (stored as null): oTree's blank=True.
  FieldOptions& blank(bool allowed) {
    blank_ = allowed;
    return *this;
  }

  const std::string& label() const { return label_; }
  const Json& min() const { return min_; }                       // null = none
  const Json& max() const { return max_; }                       // null = none
  const std::vector<Json>& choices() const { return choices_; }  // empty = any value
  const std::vector<std::string>& choice_labels() const { return choice_labels_; }
  bool allows_blank() const { return blank_; }

 private:
  std::string label_;
  Json min_;
  Json max_;
  std::vector<Json> choices_;
  std::vector<std::string> choice_labels_;
  bool blank_ = false;
};

struct FormField {
  uint32_t field;  // PlayerField index
  FieldOptions options;
};

// What a group-by-arrival wait page does when a waiting participant's
// timeout runs out before enough others came (oTree's dropout snippet).
enum class ArrivalFallback {
  // Everyone waiting then goes on together as one smaller group.
  kSmallerGroup,
  // The participant whose time ran out goes on alone, in a group of one
  // (the solo path); the others keep waiting.
  kAlone,
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
  // oTree's is_displayed: asked when a participant would arrive on the page
  // in some round; false skips it. Empty = always shown. The last page of
  // the last round is always shown (a participant has to end somewhere).
  std::function<bool(const Player&)> displayed;
  // oTree's after_all_players_arrive, for a wait page: runs inside the
  // event that releases the group, before its members move on (also when
  // the page's timeout releases those present). An exception fails that
  // event, so nobody moves.
  std::function<void(Group&)> on_all_arrived;

  // oTree's form_fields: the player fields a plain or live page asks for.
  // A submit must carry their values (Event::data, {"name": value}); they
  // are checked (form.h) and stored in the event that moves the page.
  std::vector<FormField> form_fields;
  // oTree's error_message(player, values): asked after every field passed
  // its own checks, with the values as they will be stored. Returns null
  // (accept), a string (an error about the whole form) or an object
  // {"field": "message"}; anything else rejects the submit.
  std::function<Json(const Player&, const Json& values)> form_check;

  // oTree's group_by_arrival_time, for a wait page that is the game's first
  // page: each round's groups form on it from whoever arrives, in the order
  // they arrive, players_per_group at a time; with a timeout, `fallback`
  // says who goes on when time runs out.
  bool by_arrival = false;
  ArrivalFallback arrival_fallback = ArrivalFallback::kSmallerGroup;
  // A live page whose script is sent, when it loads, every payload the
  // participant received on the page before, in order, then the live ones
  // (docs/protocol.md, "Delivery"): oTree's history section without storing
  // history by hand. At most the last 1,000.
  bool history = false;

  // Chained after Game::page(): page("quiz", ...).is_displayed(first_round).
  PageSpec& is_displayed(std::function<bool(const Player&)> predicate) {
    displayed = std::move(predicate);
    return *this;
  }
  PageSpec& after_all_players_arrive(std::function<void(Group&)> action) {
    on_all_arrived = std::move(action);
    return *this;
  }
  template <class T>
  PageSpec& form_field(PlayerFieldOf<T> field, FieldOptions options = {}) {
    form_fields.push_back({field.field.index, std::move(options)});
    return *this;
  }
  PageSpec& error_message(std::function<Json(const Player&, const Json& values)> check) {
    form_check = std::move(check);
    return *this;
  }
  PageSpec& with_history() {
    history = true;
    return *this;
  }
  PageSpec& group_by_arrival_time(ArrivalFallback fallback = ArrivalFallback::kSmallerGroup) {
    by_arrival = true;
    arrival_fallback = fallback;
    return *this;
  }
};

// A configuration parameter: its name, type and the value a session gets
// when its configuration does not set it.
struct ParamSpec {
  std::string name;
  FieldType type;
  Json default_value;
};

class Game {
 public:
  virtual ~Game() = default;
  Game(const Game&) = delete;
  Game& operator=(const Game&) = delete;

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  int players_per_group() const { return players_per_group_; }
  // oTree's NUM_ROUNDS: the page sequence repeats this many times, with
  // fresh player and group fields each round.
  int num_rounds() const { return num_rounds_; }
  const std::vector<FieldSpec>& group_fields() const { return group_fields_; }
  const std::vector<FieldSpec>& player_fields() const { return player_fields_; }
  const std::vector<FieldSpec>& participant_fields() const { return participant_fields_; }
  const std::vector<ParamSpec>& params() const { return params_; }
  const std::vector<RecordSpec>& record_types() const { return record_types_; }
  const std::vector<PageSpec>& pages() const { return pages_; }
  const std::vector<TimerSpec>& timers() const { return timers_; }
  const std::vector<PeriodSpec>& periods() const { return periods_; }

  // Handles one liveSend from `player`. Runs inside the event's transaction:
  // everything it changes is rolled back if it returns a rejection, an
  // outbox that names an id outside the group, or throws.
  virtual Outbox live_method(Player& player, const Json& data) const = 0;

  // A bot that plays this game as player `id_in_group` of a group of
  // `group_size`, owned by the caller; nullptr (the default) when the game
  // has none: it still serves and runs scenarios, and `simulate` says so.
  virtual std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const;

  // Called when a served participant's last open page goes away (`present`
  // false, after a grace period: a reload or a short network drop is not
  // leaving) and when one opens again (true), as an event through the one
  // door (EventKind::kPresence), with the participant's player of the round
  // they are in. What it changes commits with the event; what it returns is
  // routed as live_method's, from that player's point of view, to the
  // members on the player's page. A game pauses, skips or replaces a player
  // who left here (oTree's inactivity handling, redwood's
  // when_player_disconnects). If it throws, its changes are undone and the
  // error logged; the presence changes all the same. Not called for a
  // player with no group yet. Nothing by default.
  virtual Outbox on_presence(Player& player, bool present) const;

  // oTree's js_vars: the object a page's script reads as the global
  // `js_vars`, for `player` on their current page. Empty by default.
  virtual Json js_vars(const Player& player) const;

  // oTree's creating_session: called once per round, in round order, when a
  // session is created, before anyone plays. It may regroup the round
  // (Subsession::group_randomly, set_group_matrix, group_like_round; every
  // round starts grouped in id order, oTree's default) and set initial
  // fields. Randomness comes from session.rng(), so a seed reproduces it.
  // An exception stops the session's creation with its message.
  virtual void creating_session(Subsession& subsession) const;

  // Fresh invariant checkers for one simulated session. Owned by the caller.
  virtual std::vector<std::unique_ptr<Invariant>> make_invariants() const;

  // Looks a declared field up by name; -1 when there is none.
  int find_group_field(const std::string& name) const;
  int find_player_field(const std::string& name) const;
  int find_participant_field(const std::string& name) const;
  int find_param(const std::string& name) const;
  int find_page(const std::string& name) const;
  int find_timer(const std::string& name) const;

 protected:
  // REQUIRES: players_per_group >= 1, num_rounds >= 1.
  Game(std::string name, std::string description, int players_per_group, int num_rounds = 1);

  // Declarations, made in the game's constructor. REQUIRES: unique names and
  // an initial value that the type accepts.
  GroupField group_field(std::string name, FieldType type, Json initial = nullptr);
  PlayerField player_field(std::string name, FieldType type, Json initial = nullptr);
  ParticipantField participant_field(std::string name, FieldType type, Json initial = nullptr);
  ConfigParam param(std::string name, FieldType type, Json default_value);
  RecordType record_type(std::string name, std::vector<ColumnSpec> columns);
  // The returned spec takes the page's is_displayed / after_all_players_arrive;
  // valid until the next page is declared.
  PageSpec& page(std::string name, PageKind kind, std::string template_file = {},
                 int64_t timeout_ms = 0);
  // A timer the game schedules on groups (Group::schedule) or on players
  // (Player::schedule); `fire` runs each time it fires (docs/writing-a-game.md,
  // "Timers").
  GroupTimer group_timer(std::string name, std::function<Outbox(Group&)> fire);
  PlayerTimer player_timer(std::string name, std::function<Outbox(Player&)> fire);
  // A period on the live page `page` (declared before or after it), with
  // its state as the group fields PAGE_started_ms, PAGE_ends_ms,
  // PAGE_subperiod and PAGE_ended_ms and its work done by the group timers
  // PAGE_start, PAGE_subperiod and PAGE_end (docs/writing-a-game.md,
  // "Periods"). At most one per page.
  Period period(std::string page, PeriodSpec spec);

 private:
  std::string name_;
  std::string description_;
  int players_per_group_;
  int num_rounds_;
  std::vector<FieldSpec> group_fields_;
  std::vector<FieldSpec> player_fields_;
  std::vector<FieldSpec> participant_fields_;
  std::vector<ParamSpec> params_;
  std::vector<RecordSpec> record_types_;
  std::vector<PageSpec> pages_;
  std::vector<TimerSpec> timers_;
  std::vector<PeriodSpec> periods_;

 public:
  // oTree's player.payoff: every game's first player field, a number that
  // starts at 0. participant.payoff is its sum over the session's rounds
  // (Session::participant_payoff).
  const PlayerFieldOf<double> payoff{player_field("payoff", FieldType::kNumber, 0)};
};

// A session plays one game or several in order (oTree's app_sequence).
// They share participant fields and parameters by name: these are the
// session's, each name once, as the first game in `games` declares it.
// Throws std::invalid_argument when two games declare one name with
// different types.
std::vector<FieldSpec> shared_participant_fields(std::span<const Game* const> games);
std::vector<ParamSpec> shared_params(std::span<const Game* const> games);

// Why `value` cannot be the parameter `name` of a session of `games`, as one
// sentence: "OWNER has no parameter 'x' (its parameters: a, b)" (OWNER names
// the game or the configuration being read) or "parameter 'x' is an
// integer, not 2.5"; nullopt when it can. A null `value` checks the name
// only.
std::optional<std::string> param_problem(std::span<const Game* const> games,
                                         const std::string& owner, const std::string& name,
                                         const Json* value);
inline std::optional<std::string> param_problem(const Game& game, const std::string& owner,
                                                const std::string& name, const Json* value) {
  const Game* games[] = {&game};
  return param_problem(games, owner, name, value);
}

// What a session's number of participants must be to play `games`, to end a
// sentence: "a positive multiple of 3 (the group size of auction)". A game
// that groups by arrival time takes any positive number: whoever is left
// over waits, or goes on when the page's timeout fires. Several games take
// a number that each of them takes.
std::string participant_count_rule(std::span<const Game* const> games);
bool participant_count_fits(std::span<const Game* const> games, int64_t participants);
inline std::string participant_count_rule(const Game& game) {
  const Game* games[] = {&game};
  return participant_count_rule(games);
}
inline bool participant_count_fits(const Game& game, int64_t participants) {
  const Game* games[] = {&game};
  return participant_count_fits(games, participants);
}

}  // namespace livectl
