#pragma once
// A session: its participants, groups, players, fields, extra records and
// page flow, and the one door (apply) through which every input enters.
// Single-threaded: one thread owns a session. No I/O, no wall clock; time
// and randomness come from the events and the session's seeded generator.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/event.h"
#include "engine/fields.h"
#include "engine/game.h"
#include "engine/json.h"
#include "engine/rng.h"
#include "engine/store.h"

namespace livectl {

class Session;
class Group;

// The longest participant label (a lab PC's name, an online panel's id).
inline constexpr size_t kMaxLabelBytes = 100;

struct Participant {
  uint32_t id_in_session = 0;  // 1..N
  std::string code;            // unguessable when served; derived from the seed in simulations
  std::string label;
  // Index into the session's page flow: every page of every round of every
  // game, in order (Session::flow_round, Session::page_spec).
  uint32_t page = 0;
  // Present: counts on wait pages and runs page timers. Everyone is present
  // from the start in simulations; served participants arrive (EventKind::kArrive).
  bool arrived = true;
  // Has an open page, as the server last said (EventKind::kPresence): true
  // from the arrival on, false after their last page went away. Always
  // true in simulations.
  bool present = true;
  // Session time at which the participant arrived on their current page
  // (or arrived at all); page timeouts count from it.
  int64_t page_entered_ms = 0;
  // Values of the session's participant fields (Session::participant_fields:
  // its games', shared by name), in declaration order.
  std::vector<Json> fields;
  // How many payloads the participant has received (the last Delivery::seq),
  // and how many they had when they came to their current page: the page's
  // own deliveries are numbered page_delivered + 1 .. delivered. Both follow
  // from the event log, so the state digest leaves them out.
  uint64_t delivered = 0;
  uint64_t page_delivered = 0;
};

// A game timer that is scheduled (Group::schedule, Player::schedule).
struct ScheduledTimer {
  static constexpr uint32_t kUnbound = UINT32_MAX;
  uint32_t app = 0;    // its game's place in the app sequence
  uint32_t timer = 0;  // its index in the game's timers()
  // A group timer's group (its index in Session::groups()), a player
  // timer's participant (their index, id_in_session - 1).
  uint32_t owner = 0;
  // The flow index of the page it belongs to: the page its owner is on
  // when the event that scheduled it commits (kUnbound until then). It is
  // dropped when its owner leaves that page (a group: its last member).
  uint32_t page = kUnbound;
  int64_t due_ms = 0;    // session time it fires at
  int64_t every_ms = 0;  // 0: once; else it fires again every so often
};

// One row of an extra-record table.
struct Record {
  uint32_t group;            // the group's index in Session::groups()
  uint32_t participant;      // participant index (id_in_session - 1)
  std::vector<Json> values;  // one per column, in declaration order
};

// A participant in one round of one game (oTree's player). Each round has
// its own players, groups and fields; the participant is shared by all the
// rounds of all the session's games.
class Player {
 public:
  // 0 while the player has no group (has_group()).
  int id_in_group() const { return id_in_group_; }
  // False only in a game that groups by arrival time (PageSpec::by_arrival),
  // for a player of a round whose group has not formed yet; group() then
  // throws std::logic_error saying so.
  bool has_group() const { return group_ != kNoGroup; }
  // The round of this player's game, from 1 (each game of an app sequence
  // counts its own rounds, as oTree's).
  int round_number() const;
  // The game this player plays, and its place in the session's app
  // sequence (from 0).
  const Game& game() const;
  size_t app() const { return app_; }
  const Participant& participant() const;
  uint32_t id_in_session() const { return participant_ + 1; }
  Group& group();
  const Group& group() const;
  Session& session() { return *session_; }
  const Session& session() const { return *session_; }
  Subsession subsession();

  // This participant's player in round `round_number` of this game (oTree's
  // in_round). Throws std::out_of_range naming the rounds when there is
  // none.
  Player& in_round(int round_number);
  const Player& in_round(int round_number) const;
  // The players of rounds 1..this-1, oldest first (in_previous_rounds).
  std::vector<const Player*> in_previous_rounds() const;
  // Rounds 1..this, this one last (in_all_rounds).
  std::vector<const Player*> in_all_rounds() const;

  // This player's typed field (engine/fields.h): player[given] += 1. A
  // write happens inside the current event's transaction and throws
  // std::invalid_argument when the value does not fit the field's type, is
  // a number that is not finite or a string that is not valid UTF-8 (which,
  // inside live_method, fails and rolls back the event); a handle this game
  // did not declare throws std::out_of_range.
  template <class T>
  FieldRef<T, Player, PlayerField> operator[](PlayerFieldOf<T> field) {
    return {*this, field.field};
  }
  template <class T>
  FieldRef<T, const Player, PlayerField> operator[](PlayerFieldOf<T> field) const {
    return {*this, field.field};
  }
  // The participant's field, shared by all their players: player[attempts].
  template <class T>
  FieldRef<T, Player, ParticipantField> operator[](ParticipantFieldOf<T> field) {
    return {*this, field.field};
  }
  template <class T>
  FieldRef<T, const Player, ParticipantField> operator[](ParticipantFieldOf<T> field) const {
    return {*this, field.field};
  }
  // "player field given", "participant field attempts", for errors.
  std::string field_name(PlayerField field) const;
  std::string field_name(ParticipantField field) const;

  // Appends a row to an extra-record table for this player and their group.
  // Throws std::invalid_argument on a wrong column count or type.
  void add_record(RecordType type, std::vector<Json> values);
  // This player's rows of `type`, oldest first.
  std::vector<const Record*> records(RecordType type) const;

  // Moves this participant to their next page when the event commits (a
  // game-initiated advance). Does nothing on the last page. REQUIRES: this
  // is the participant's current round's player.
  void advance_page();

  // This participant's timer (Game::player_timer), on the session clock:
  // fire once `delay_ms` from now (0..kMaxTimerDelayMs), or every
  // `every_ms` (kMinTimerIntervalMs..kMaxTimerDelayMs), first `every_ms`
  // from now. Scheduling a scheduled timer replaces it; cancel() stops it.
  // It belongs to the page the participant is on when the event commits
  // and is dropped when they leave it. Transactional like a field write;
  // throws std::invalid_argument for a delay out of range and
  // std::out_of_range for a timer the game did not declare.
  void schedule(PlayerTimer timer, int64_t delay_ms);
  void schedule_every(PlayerTimer timer, int64_t every_ms);
  void cancel(PlayerTimer timer);
  // When the timer fires next (session time), or nullopt when it is not
  // scheduled.
  std::optional<int64_t> timer_due(PlayerTimer timer) const;

  const std::vector<Json>& fields() const { return fields_; }

 private:
  friend class Session;
  friend class Subsession;
  template <class T, class Owner, class Handle>
  friend class FieldRef;
  // Reached through operator[] and its typed references only.
  const Json& get(PlayerField field) const { return fields_.at(field.index); }
  void set(PlayerField field, Json value);
  const Json& get(ParticipantField field) const;
  void set(ParticipantField field, Json value);

  static constexpr uint32_t kNoGroup = UINT32_MAX;
  [[noreturn]] void throw_no_group() const;

  Session* session_ = nullptr;
  uint32_t index_ = 0;        // in Session::players(): (round - 1) * N + participant
  uint32_t participant_ = 0;  // participant index
  uint32_t round_ = 1;        // the session round (Session::round_players)
  uint32_t app_ = 0;          // its game's place in the app sequence
  uint32_t group_ = 0;        // index in Session::groups(); kNoGroup = none yet
  int id_in_group_ = 0;
  std::vector<Json> fields_;
};

// A group of one round.
class Group {
 public:
  int id_in_subsession() const { return static_cast<int>(id_in_subsession_); }
  // As Player's.
  int round_number() const;
  const Game& game() const;
  size_t app() const { return app_; }
  int size() const { return static_cast<int>(members_.size()); }
  // The member with this id. Throws std::out_of_range naming the valid ids
  // when there is none (inside live_method: the event is rejected with that
  // message), so an id taken from client data can never reach another group.
  Player& player(int id_in_group);
  const Player& player(int id_in_group) const;
  // The members in id_in_group order (oTree's get_players).
  std::vector<Player*> players();
  std::vector<const Player*> players() const;
  Session& session() { return *session_; }
  const Session& session() const { return *session_; }

  // The group with this id_in_subsession in round `round_number`.
  Group& in_round(int round_number);
  const Group& in_round(int round_number) const;

  // This group's typed field (engine/fields.h): group[pot] += 1; as
  // Player's.
  template <class T>
  FieldRef<T, Group, GroupField> operator[](GroupFieldOf<T> field) {
    return {*this, field.field};
  }
  template <class T>
  FieldRef<T, const Group, GroupField> operator[](GroupFieldOf<T> field) const {
    return {*this, field.field};
  }
  // "group field pot", for errors.
  std::string field_name(GroupField field) const;

  // This group's rows of `type`, oldest first.
  std::vector<const Record*> records(RecordType type) const;

  // This group's timer (Game::group_timer), as Player's. It belongs to the
  // page of the participant whose event schedules it (when that event
  // commits; a timer's own firing keeps its page) and is dropped when the
  // group's last member leaves that page.
  void schedule(GroupTimer timer, int64_t delay_ms);
  void schedule_every(GroupTimer timer, int64_t every_ms);
  void cancel(GroupTimer timer);
  std::optional<int64_t> timer_due(GroupTimer timer) const;

  const std::vector<Json>& fields() const { return fields_; }
  // Indices in Session::players(), in id_in_group order.
  const std::vector<uint32_t>& members() const { return members_; }

 private:
  friend class Session;
  friend class Subsession;
  template <class T, class Owner, class Handle>
  friend class FieldRef;
  const Json& get(GroupField field) const { return fields_.at(field.index); }
  void set(GroupField field, Json value);
  Session* session_ = nullptr;
  uint32_t index_ = 0;  // in Session::groups()
  uint32_t round_ = 1;  // the session round
  uint32_t app_ = 0;
  uint32_t id_in_subsession_ = 1;
  std::vector<uint32_t> members_;
  std::vector<Json> fields_;
};

// One round of one game of a session (oTree's subsession): a view, cheap
// to copy.
class Subsession {
 public:
  // `session_round` counts the rounds of all the session's games
  // (Session::round_players); with one game it is the round number.
  Subsession(Session& session, int session_round) : session_(&session), round_(session_round) {}
  // The round of its game, from 1.
  int round_number() const;
  const Game& game() const;
  Session& session() { return *session_; }
  std::vector<Player*> players();
  std::vector<Group*> groups();

  // Regrouping, as oTree's. Only while the session is being created
  // (Game::creating_session), and not in a game that groups by arrival
  // time; otherwise they throw std::logic_error.
  // Matrices hold id_in_session values, one row per group, in id_in_group
  // order; every participant must be in exactly one row, or they throw
  // std::invalid_argument saying what is wrong.
  void set_group_matrix(const std::vector<std::vector<int>>& matrix);
  std::vector<std::vector<int>> get_group_matrix() const;
  // Shuffles participants into groups of the game's size with the session's
  // generator; fixed_id_in_group keeps each participant's id_in_group.
  void group_randomly(bool fixed_id_in_group = false);
  // The groups of an earlier round of this game, again.
  void group_like_round(int round_number);

 private:
  Session* session_;
  int round_;  // the session round
};

struct SessionConfig {
  int participants = 0;
  uint64_t seed = 1;
  std::string code;  // empty: derived from the seed
  // One per participant; empty: derived from the seed (deterministic, for
  // simulations). The server passes codes from the OS's CSPRNG.
  std::vector<std::string> participant_codes;
  // False (simulations, scenarios): every participant is present at time 0,
  // so groups pass a leading wait page at once. True (serve): participants
  // arrive through kArrive events when they open their links.
  bool arrivals = false;
  // Values for the game's parameters by name; those not given keep their
  // defaults. A name the game does not declare, or a value of the wrong
  // type, makes the Session constructor throw std::invalid_argument.
  Json params = Json::object();
  // The configuration's name ("" = the game's own) and its money settings
  // (oTree's real_world_currency_per_point and participation_fee).
  std::string config_name;
  double real_world_currency_per_point = 1;
  double participation_fee = 0;
};

class Session {
 public:
  // A session that plays `games` one after the other (oTree's
  // app_sequence): each game's rounds, then the next game's, with the
  // participants, their fields and the parameters shared. Throws
  // std::invalid_argument when the configuration does not fit the games
  // (participants not a positive multiple of a group size, wrong number of
  // codes, unknown or ill-typed parameters, no games, two games declaring
  // one name with different types) and whatever Game::creating_session
  // throws. The games and `store` must outlive the session.
  Session(std::vector<const Game*> games, Store& store, SessionConfig config);
  // A session of one game.
  Session(const Game& game, Store& store, SessionConfig config)
      : Session(std::vector<const Game*>{&game}, store, std::move(config)) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The one door. Applies `event` as one transaction: on success the state
  // changes, the store records the event and the result carries the
  // deliveries; on any failure (a rejection, an invalid outbox, an exception
  // in the game, a payload that cannot be serialized, a store that fails or
  // throws) nothing changes and result.error says why, in valid UTF-8 (the
  // rejected event is still recorded when the store can). Never throws. The
  // returned reference is valid until the next apply().
  const EventResult& apply(const Event& event);

  // The session's games in order: its app sequence. game() is the first
  // (the only one, in a session of one game).
  const std::vector<const Game*>& games() const { return games_; }
  const Game& game() const { return *games_.front(); }
  // "public_goods" or "quiz, public_goods": for people.
  std::string games_text() const;
  const std::string& code() const { return code_; }
  uint64_t seed() const { return seed_; }
  // SessionConfig::arrivals: participants arrive through kArrive events.
  bool arrivals() const { return arrivals_; }
  Rng& rng() { return rng_; }
  const Rng& rng() const { return rng_; }
  // The session clock: the time of the event being applied (or last
  // applied). It never goes backwards: an event stamped earlier than the
  // clock (a wall clock stepped back) is applied at the clock's time.
  int64_t now_ms() const { return now_ms_; }
  // Sequence number of the last recorded event (0 before the first).
  uint64_t last_seq() const { return next_seq_ - 1; }

  // The configuration: its name, every parameter's value (defaults filled
  // in) by name, and the money settings.
  const std::string& config_name() const { return config_name_; }
  const Json& params() const { return params_json_; }
  double real_world_currency_per_point() const { return currency_per_point_; }
  double participation_fee() const { return participation_fee_; }
  // A parameter's value: session[endowment]. Throws std::out_of_range for a
  // parameter of a game the session does not play.
  template <class T>
  T operator[](ParamOf<T> param) const {
    return params_.at(param_index(param.param)).template get<T>();
  }
  const std::vector<ParamSpec>& param_specs() const { return param_specs_; }
  // The participant fields of all the session's games, each name once
  // (shared_participant_fields): Participant::fields in this order.
  const std::vector<FieldSpec>& participant_fields() const { return participant_fields_; }
  // The session's index of participant field `field` of the game at `app`.
  uint32_t shared_participant_field(size_t app, uint32_t field) const {
    return apps_.at(app).participant_fields.at(field);
  }

  // The rounds of all the games, one after another: session round r (from
  // 1) is a round of game app_of_round(r). With one game these are its
  // rounds.
  int session_rounds() const { return static_cast<int>(rounds_); }
  size_t app_of_round(int session_round) const { return round_app_.at(session_round - 1); }
  // The session round of round 1 of the game at `app`.
  int first_round_of(size_t app) const { return static_cast<int>(apps_.at(app).first_round) + 1; }
  size_t participant_count() const { return participants_.size(); }
  const Participant& participant(uint32_t id_in_session) const;
  // oTree's participant.payoff: the sum of the participant's player.payoff
  // over all rounds of all games, in points.
  double participant_payoff(uint32_t id_in_session) const;

  // The participant's player in the round they are in now, or nullptr when
  // the session has no such participant.
  const Player* find_player(uint32_t id_in_session) const;
  // The same; throws std::out_of_range naming the valid ids when there is
  // no such participant (use find_player to ask without throwing).
  Player& player(uint32_t id_in_session);
  const Player& player(uint32_t id_in_session) const;
  // Every player of every session round, round by round, participants in
  // order within a round: index (session round - 1) * participant_count() +
  // participant.
  std::span<Player> players() { return players_; }
  std::span<const Player> players() const { return players_; }
  // The players of one session round, in participant order.
  std::span<Player> round_players(int session_round);
  std::span<const Player> round_players(int session_round) const;
  // A session round's groups as id_in_session rows in id_in_group order
  // (Subsession::get_group_matrix, for a const session).
  std::vector<std::vector<int>> group_matrix(int session_round) const;
  // Every group of every session round, round by round.
  std::span<Group> groups() { return groups_; }
  std::span<const Group> groups() const { return groups_; }
  // The rows of a record type of the game at `app` in the app sequence.
  const std::vector<Record>& records(RecordType type, size_t app = 0) const {
    return tables_[apps_.at(app).first_table + type.index];
  }
  // The tables of all games, one after another: Change::field of a
  // kRecord change indexes these; table_app and table_type say whose.
  size_t table_count() const { return tables_.size(); }
  const std::vector<Record>& table(size_t index) const { return tables_.at(index); }
  size_t table_app(size_t index) const;
  RecordType table_type(size_t index) const {
    return RecordType{static_cast<uint32_t>(index - apps_[table_app(index)].first_table)};
  }

  // The page flow: each game's pages once per round, game after game.
  uint32_t flow_size() const { return static_cast<uint32_t>(flow_.size()); }
  // The round of its game (from 1) and the game's place in the app
  // sequence of flow index `flow_index`.
  int flow_round(uint32_t flow_index) const;
  size_t flow_app(uint32_t flow_index) const { return flow_[flow_index].app; }
  const Game& flow_game(uint32_t flow_index) const { return *games_[flow_[flow_index].app]; }
  // The page's index among its game's pages.
  uint32_t flow_page_index(uint32_t flow_index) const { return flow_[flow_index].page; }
  const PageSpec& page_spec(uint32_t flow_index) const { return *flow_[flow_index].spec; }
  const PageSpec& page_of(const Player& player) const {
    return page_spec(player.participant().page);
  }
  // "'bid'", "'bid' of round 2" when the game has rounds, "'bid' of
  // auction round 2" in a session of several games.
  std::string describe_page(uint32_t flow_index) const;

  // What is due at session time `now_ms`, as events to apply at that time,
  // in this order: the page timeouts that have run out (Event{kTimeout,
  // participant, page}), in participant order; then the game timers due
  // (Event{kTimer, participant, page, {"timer": name}}: a group timer's
  // event names the group's member with id_in_group 1), earliest first,
  // then in declaration order and owner order. An event of the list may stop
  // being due when an earlier one is applied: ask is_due before applying
  // it. O(participants) when a game has a timed page, O(timers) otherwise.
  void due_events(int64_t now_ms, std::vector<Event>* out) const;
  // Whether `event` (from due_events) is still due at its time.
  bool is_due(const Event& event) const;
  // The scheduled timer a kTimer event names (its game, timer, owner and
  // page), whether due or not; nullptr when there is none.
  const ScheduledTimer* timer_of(const Event& event) const {
    std::string problem;
    return timer_of(event, &problem);
  }
  // The earliest time a page timer runs out or a game timer fires;
  // INT64_MAX when none is running.
  int64_t next_due_ms() const;
  // The scheduled game timers, ordered by app, timer and owner.
  const std::vector<ScheduledTimer>& timers() const { return timers_; }
  // The scheduled timer with this key, or nullptr.
  const ScheduledTimer* find_timer(uint32_t app, uint32_t timer, uint32_t owner) const;
  // "timer 'tick' of group 2 of round 1", for messages.
  std::string describe_timer(const ScheduledTimer& timer) const;

  // ---- Restoring a stored session ----
  // A store that reloads a session constructs it with the recorded
  // configuration (seed, codes, parameters), then puts back what events
  // changed. These bypass transactions and the store. REQUIRES: no event is
  // being applied; indices in range; values that fit the declared types
  // (throws std::invalid_argument otherwise).
  void restore_participant(uint32_t id_in_session, std::string label, uint32_t page,
                           bool arrived = true, int64_t page_entered_ms = 0, bool present = true);
  void restore_participant_field(uint32_t participant_index, uint32_t field, Json value);
  // The participant's delivery counts (Participant::delivered, page_delivered).
  void restore_deliveries(uint32_t id_in_session, uint64_t delivered, uint64_t page_delivered);
  void restore_group_field(uint32_t group_index, uint32_t field, Json value);
  void restore_player_field(uint32_t player_index, uint32_t field, Json value);
  void restore_record(size_t app, RecordType type, uint32_t group_index, uint32_t participant_index,
                      std::vector<Json> values);
  // The scheduled timers as stored (each bound to a page), replacing any
  // the constructor started.
  void restore_timers(std::vector<ScheduledTimer> timers);
  // The groups of one session round as stored (a matrix as set_group_matrix
  // takes; in a game that groups by arrival time, the groups formed so far,
  // in id_in_subsession order, leaving out whoever has none yet).
  void restore_groups(int session_round, const std::vector<std::vector<int>>& matrix);
  // The log position, the clock and the generator as they were after event
  // `last_seq`. Called last: it also puts back who is waiting to be grouped.
  void restore_progress(uint64_t last_seq, int64_t now_ms, const Rng::State& rng);

  // A stable hash of all session state (participants and their pages, group
  // and player fields of every round, extra records), as 16 hex digits:
  // equal states give equal digests on every run and platform.
  std::string digest() const;
  // The same, for one group only (its fields, its players and their pages).
  uint64_t group_hash(const Group& group) const;

 private:
  friend class Player;
  friend class Group;
  friend class Subsession;
  friend class Game;  // a period's timers (engine/period.cpp)

  struct Undo {
    Change::Scope scope;
    uint32_t owner;
    uint32_t field;
    Json old;
    // kPage and kArrival: the participant's presence and page time before
    // (`old` holds the page for kPage, the label for kArrival).
    bool old_arrived = false;
    bool old_present = false;  // kArrival and kPresence
    int64_t old_entered_ms = 0;
  };

  void set_field(Change::Scope scope, uint32_t owner, uint32_t field, std::vector<Json>& fields,
                 const FieldSpec& spec, Json value);
  void append_record(Player& player, RecordType type, std::vector<Json> values);
  Player& current_player(uint32_t participant_index);
  uint32_t next_page(uint32_t participant_index, uint32_t page);
  void advance(uint32_t participant_index);
  void arrive(uint32_t participant_index, std::string label);
  void set_presence(uint32_t participant_index, bool present);
  void change_presence(uint32_t participant_index, const Event& event);
  // The label an arrive event gives its participant ("" = none), or nullopt
  // after rejecting the event.
  std::optional<std::string> arrival_label(const Event& event);
  void settle_wait_page(uint32_t participant_index);
  void release_wait_page(Group& group, uint32_t page);
  void apply_timeout(uint32_t participant_index, const Event& event);
  // ---- game timers ----
  ScheduledTimer* find_timer(uint32_t app, uint32_t timer, uint32_t owner);
  // Saves the timer's state before the open transaction first changes it.
  void save_timer(uint32_t app, uint32_t timer, uint32_t owner);
  void set_timer(uint32_t app, uint32_t timer, uint32_t owner, int64_t delay_ms, int64_t every_ms);
  void erase_timer(uint32_t app, uint32_t timer, uint32_t owner);
  // The scheduled timer `event` (kTimer) fires, or nullptr with why not.
  const ScheduledTimer* timer_of(const Event& event, std::string* problem) const;
  void fire_timer(const Event& event);
  // Moves a timer that fires on: removed when it fires once, else due at
  // its next interval after now (missed intervals are skipped).
  void consume_timer(const ScheduledTimer& timer);
  // At commit (and at the end of the constructor, with no event): binds
  // new timers to their page and drops timers whose owner has left theirs.
  void settle_timers(const Event& event);
  bool timer_left(const ScheduledTimer& timer) const;
  // ---- periods (engine/period.cpp) ----
  // After an event moved, admitted or brought back participants: starts
  // the period of each one's page when their group is complete there,
  // schedules its grace timer at the first arrival, and passes a latecomer
  // through a period that has ended. With no event (the constructor), every
  // participant.
  void settle_periods(bool everyone);
  void settle_period(uint32_t participant_index);
  int64_t period_number(const PeriodNumber& number) const;
  // What a period's timers do; each returns what its hook returned.
  Outbox start_period(Group& group, const PeriodSpec& spec);
  Outbox tick_period(Group& group, const PeriodSpec& spec);
  Outbox end_period(Group& group, const PeriodSpec& spec);
  void collect_page_changes();
  // Numbers the result's deliveries per participant and starts the moved
  // participants' page counts; undo_delivery_numbers takes that back.
  void number_deliveries();
  void undo_delivery_numbers();
  void begin();
  void rollback();
  void reject(std::string message);
  void dispatch(const Event& event);
  void route(const Player& sender, uint32_t page, Outbox& outbox);
  bool was_on_page(uint32_t participant_index, uint32_t page) const;
  void set_params(const Json& given);
  uint32_t param_index(ConfigParam param) const;
  void group_round(int session_round, const std::vector<std::vector<int>>& matrix);
  void start_first_pages();
  const Game& round_game(uint32_t session_round) const {
    return *games_[round_app_[session_round - 1]];
  }
  // The flow index of the first page of session round `session_round`.
  uint32_t round_first_flow(uint32_t session_round) const;
  // ---- grouping by arrival time ----
  bool is_arrival_page(uint32_t flow_index) const { return flow_[flow_index].spec->by_arrival; }
  bool round_by_arrival(uint32_t session_round) const {
    return round_game(session_round).pages().front().by_arrival;
  }
  void check_regroupable(int round_number) const;
  // A new group of round `round` (from 1) of these participants, in
  // id_in_group order.
  Group& form_group(uint32_t round, const std::vector<uint32_t>& participant_indices);
  // Groups a participant who entered round `round` without arriving on its
  // arrival page: with the ungrouped members of their previous round's
  // group, or alone in round 1.
  void group_without_arrival(uint32_t participant_index, uint32_t round);
  void settle_arrival(uint32_t participant_index);
  // Arrival order: who entered their page earlier in session time, then the
  // lower id.
  bool came_first(uint32_t a, uint32_t b) const;
  std::vector<uint32_t>& waiting(uint32_t round);  // transactional access
  void release_arrivals(uint32_t round, std::vector<uint32_t> participant_indices, uint32_t page);

  // One game of the app sequence.
  struct App {
    uint32_t first_round = 0;  // the session round (from 0) of its round 1
    uint32_t first_flow = 0;   // the flow index of its round 1's first page
    uint32_t first_table = 0;  // its first record type's index in tables_
    // Its participant fields' and parameters' indices in the session's.
    std::vector<uint32_t> participant_fields;
    std::vector<uint32_t> params;
  };
  // One page of the flow.
  struct FlowPage {
    const PageSpec* spec;
    uint32_t round;  // the session round, from 1
    uint32_t app;
    uint32_t page;        // among its game's pages
    int32_t period = -1;  // its index in the game's periods(), or -1
  };

  std::vector<const Game*> games_;
  std::vector<App> apps_;
  std::vector<FlowPage> flow_;
  std::vector<uint32_t> round_app_;  // [session round - 1] -> app
  std::vector<FieldSpec> participant_fields_;
  std::vector<ParamSpec> param_specs_;
  Store& store_;
  std::string code_;
  uint64_t seed_;
  Rng rng_;
  int64_t now_ms_ = 0;
  uint64_t next_seq_ = 1;
  uint32_t rounds_ = 1;  // session rounds
  std::vector<Participant> participants_;
  std::vector<Player> players_;                                 // [round][participant], flattened
  std::vector<Group> groups_;                                   // round by round
  std::vector<std::vector<uint32_t>> round_groups_;             // [round - 1] -> group indices
  std::vector<std::vector<Record>> tables_;                     // [table][row], App::first_table
  std::vector<std::vector<std::vector<uint32_t>>> group_rows_;  // [table][group] -> rows
  bool arrivals_ = false;
  bool has_timeouts_ = false;  // some page of the game has a timeout
  bool has_periods_ = false;   // some page of a game has a period
  bool creating_ = false;      // inside the constructor: regrouping is allowed
  bool by_arrival_ = false;    // some game's first page groups by arrival time
  // [round - 1] -> participant indices on that round's arrival page with no
  // group yet, in arrival order (session time, then id); fewer than a group.
  std::vector<std::vector<uint32_t>> waiting_;
  // Queues as they were before the open transaction changed them.
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> waiting_before_;
  std::vector<ScheduledTimer> timers_;  // sorted by (app, timer, owner)
  // Timers as they were before the open transaction changed them (keyed
  // by app, timer and owner), and whether they were scheduled at all.
  std::vector<std::pair<ScheduledTimer, bool>> timers_before_;
  uint32_t fired_page_ = ScheduledTimer::kUnbound;  // the page of the timer firing now
  // page_delivered of the participants in result_.page_changes, before
  // number_deliveries.
  std::vector<uint64_t> page_delivered_before_;
  std::string config_name_;
  std::vector<Json> params_;  // by param_specs_ index
  Json params_json_;
  double currency_per_point_ = 1;
  double participation_fee_ = 0;

  // The open transaction.
  bool in_transaction_ = false;
  Rng::State rng_before_{};
  std::vector<Undo> undo_;
  std::vector<Change> changes_;
  EventResult result_;
};

inline const Participant& Player::participant() const {
  return session_->participants_[participant_];
}
inline int Player::round_number() const {
  return static_cast<int>(round_ - session_->apps_[app_].first_round);
}
inline const Game& Player::game() const {
  return *session_->games_[app_];
}
inline int Group::round_number() const {
  return static_cast<int>(round_ - session_->apps_[app_].first_round);
}
inline const Game& Group::game() const {
  return *session_->games_[app_];
}
inline const Json& Player::get(ParticipantField field) const {
  return participant().fields.at(session_->apps_[app_].participant_fields.at(field.index));
}
inline Group& Player::group() {
  if (group_ == kNoGroup) [[unlikely]]
    throw_no_group();
  return session_->groups_[group_];
}
inline const Group& Player::group() const {
  if (group_ == kNoGroup) [[unlikely]]
    throw_no_group();
  return session_->groups_[group_];
}
inline Subsession Player::subsession() {
  return Subsession(*session_, static_cast<int>(round_));
}

// {player.id_in_group: payload}: to `player` only (in live_method, the sender).
inline Outbox send_to(const Player& player, Json payload) {
  Outbox outbox;
  outbox.send(player.id_in_group(), std::move(payload));
  return outbox;
}

}  // namespace livectl
