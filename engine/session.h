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
  // Index into the session's page flow: every page of every round, in order
  // (Session::flow_round, Session::page_spec).
  uint32_t page = 0;
  // Present: counts on wait pages and runs page timers. Everyone is present
  // from the start in simulations; served participants arrive (EventKind::kArrive).
  bool arrived = true;
  // Session time at which the participant arrived on their current page
  // (or arrived at all); page timeouts count from it.
  int64_t page_entered_ms = 0;
  // Values of the game's participant fields, in declaration order.
  std::vector<Json> fields;
};

// A page timer that has run out: Event{kTimeout, participant, page}.
struct DueTimeout {
  uint32_t participant;  // id_in_session
  uint32_t page;
};

// One row of an extra-record table.
struct Record {
  uint32_t group;            // the group's index in Session::groups()
  uint32_t participant;      // participant index (id_in_session - 1)
  std::vector<Json> values;  // one per column, in declaration order
};

// A participant in one round (oTree's player). Each round has its own
// players, groups and fields; the participant is shared.
class Player {
 public:
  // 0 while the player has no group (has_group()).
  int id_in_group() const { return id_in_group_; }
  // False only in a game that groups by arrival time (PageSpec::by_arrival),
  // for a player of a round whose group has not formed yet; group() then
  // throws std::logic_error saying so.
  bool has_group() const { return group_ != kNoGroup; }
  int round_number() const { return static_cast<int>(round_); }
  const Participant& participant() const;
  uint32_t id_in_session() const { return participant_ + 1; }
  Group& group();
  const Group& group() const;
  Session& session() { return *session_; }
  const Session& session() const { return *session_; }
  Subsession subsession();

  // This participant's player in round `round_number` (oTree's in_round).
  // Throws std::out_of_range naming the rounds when there is none.
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

  const std::vector<Json>& fields() const { return fields_; }

 private:
  friend class Session;
  friend class Subsession;
  template <class T, class Owner, class Handle>
  friend class FieldRef;
  // Reached through operator[] and its typed references only.
  const Json& get(PlayerField field) const { return fields_.at(field.index); }
  void set(PlayerField field, Json value);
  const Json& get(ParticipantField field) const { return participant().fields.at(field.index); }
  void set(ParticipantField field, Json value);

  static constexpr uint32_t kNoGroup = UINT32_MAX;
  [[noreturn]] void throw_no_group() const;

  Session* session_ = nullptr;
  uint32_t index_ = 0;        // in Session::players(): (round - 1) * N + participant
  uint32_t participant_ = 0;  // participant index
  uint32_t round_ = 1;
  uint32_t group_ = 0;  // index in Session::groups(); kNoGroup = none yet
  int id_in_group_ = 0;
  std::vector<Json> fields_;
};

// A group of one round.
class Group {
 public:
  int id_in_subsession() const { return static_cast<int>(id_in_subsession_); }
  int round_number() const { return static_cast<int>(round_); }
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
  uint32_t round_ = 1;
  uint32_t id_in_subsession_ = 1;
  std::vector<uint32_t> members_;
  std::vector<Json> fields_;
};

// One round of a session (oTree's subsession): a view, cheap to copy.
class Subsession {
 public:
  Subsession(Session& session, int round_number) : session_(&session), round_(round_number) {}
  int round_number() const { return round_; }
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
  // The groups of an earlier round, again.
  void group_like_round(int round_number);

 private:
  Session* session_;
  int round_;
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
  // Throws std::invalid_argument when the configuration does not fit the
  // game (participants not a positive multiple of the group size, wrong
  // number of codes, unknown or ill-typed parameters) and whatever
  // Game::creating_session throws. `game` and `store` must outlive the
  // session.
  Session(const Game& game, Store& store, SessionConfig config);
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

  const Game& game() const { return game_; }
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
  // A parameter's value: session[endowment].
  template <class T>
  T operator[](ParamOf<T> param) const {
    return params_.at(param.param.index).template get<T>();
  }

  int num_rounds() const { return game_.num_rounds(); }
  size_t participant_count() const { return participants_.size(); }
  const Participant& participant(uint32_t id_in_session) const;
  // oTree's participant.payoff: the sum of the participant's player.payoff
  // over all rounds, in points.
  double participant_payoff(uint32_t id_in_session) const;

  // The participant's player in the round they are in now, or nullptr when
  // the session has no such participant.
  const Player* find_player(uint32_t id_in_session) const;
  // The same; throws std::out_of_range naming the valid ids when there is
  // no such participant (use find_player to ask without throwing).
  Player& player(uint32_t id_in_session);
  const Player& player(uint32_t id_in_session) const;
  // Every player of every round, round by round, participants in order
  // within a round: index (round - 1) * participant_count() + participant.
  std::span<Player> players() { return players_; }
  std::span<const Player> players() const { return players_; }
  // The players of one round, in participant order.
  std::span<Player> round_players(int round_number);
  std::span<const Player> round_players(int round_number) const;
  // Round `round_number`'s groups as id_in_session rows in id_in_group order
  // (Subsession::get_group_matrix, for a const session).
  std::vector<std::vector<int>> group_matrix(int round_number) const;
  // Every group of every round, round by round.
  std::span<Group> groups() { return groups_; }
  std::span<const Group> groups() const { return groups_; }
  const std::vector<Record>& records(RecordType type) const { return tables_[type.index]; }

  // The page flow: the game's pages once per round. Flow index f is page
  // f % pages of round f / pages + 1.
  uint32_t flow_size() const { return static_cast<uint32_t>(game_.pages().size()) * rounds_; }
  int flow_round(uint32_t flow_index) const;
  const PageSpec& page_spec(uint32_t flow_index) const;
  const PageSpec& page_of(const Player& player) const {
    return page_spec(player.participant().page);
  }
  // "'bid'", or "'bid' of round 2" when the game has rounds.
  std::string describe_page(uint32_t flow_index) const;

  // The page timers that have run out at session time `now_ms`, in
  // participant order: each is applied as Event{kTimeout, participant, page}.
  // O(participants) when the game has a timed page, free otherwise.
  void due_timeouts(int64_t now_ms, std::vector<DueTimeout>* out) const;
  // The earliest time a page timer runs out; INT64_MAX when none is running.
  int64_t next_timeout_ms() const;

  // ---- Restoring a stored session ----
  // A store that reloads a session constructs it with the recorded
  // configuration (seed, codes, parameters), then puts back what events
  // changed. These bypass transactions and the store. REQUIRES: no event is
  // being applied; indices in range; values that fit the declared types
  // (throws std::invalid_argument otherwise).
  void restore_participant(uint32_t id_in_session, std::string label, uint32_t page,
                           bool arrived = true, int64_t page_entered_ms = 0);
  void restore_participant_field(uint32_t participant_index, uint32_t field, Json value);
  void restore_group_field(uint32_t group_index, uint32_t field, Json value);
  void restore_player_field(uint32_t player_index, uint32_t field, Json value);
  void restore_record(RecordType type, uint32_t group_index, uint32_t participant_index,
                      std::vector<Json> values);
  // The groups of one round as stored (a matrix as set_group_matrix takes;
  // in a game that groups by arrival time, the groups formed so far, in
  // id_in_subsession order, leaving out whoever has none yet).
  void restore_groups(int round_number, const std::vector<std::vector<int>>& matrix);
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

  struct Undo {
    Change::Scope scope;
    uint32_t owner;
    uint32_t field;
    Json old;
    // kPage and kArrival: the participant's presence and page time before
    // (`old` holds the page for kPage, the label for kArrival).
    bool old_arrived = false;
    int64_t old_entered_ms = 0;
  };

  void set_field(Change::Scope scope, uint32_t owner, uint32_t field, std::vector<Json>& fields,
                 const FieldSpec& spec, Json value);
  void append_record(Player& player, RecordType type, std::vector<Json> values);
  Player& current_player(uint32_t participant_index);
  uint32_t next_page(uint32_t participant_index, uint32_t page);
  void advance(uint32_t participant_index);
  void arrive(uint32_t participant_index, std::string label);
  // The label an arrive event gives its participant ("" = none), or nullopt
  // after rejecting the event.
  std::optional<std::string> arrival_label(const Event& event);
  void settle_wait_page(uint32_t participant_index);
  void release_wait_page(Group& group, uint32_t page);
  void apply_timeout(uint32_t participant_index, const Event& event);
  void collect_page_changes();
  void begin();
  void rollback();
  void reject(std::string message);
  void dispatch(const Event& event);
  void route(const Player& sender, uint32_t page, Outbox& outbox);
  bool was_on_page(uint32_t participant_index, uint32_t page) const;
  void set_params(const Json& given);
  void group_round(int round_number, const std::vector<std::vector<int>>& matrix);
  void start_first_pages();
  // ---- grouping by arrival time ----
  bool is_arrival_page(uint32_t flow_index) const {
    return by_arrival_ && flow_index % game_.pages().size() == 0;
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

  const Game& game_;
  Store& store_;
  std::string code_;
  uint64_t seed_;
  Rng rng_;
  int64_t now_ms_ = 0;
  uint64_t next_seq_ = 1;
  uint32_t rounds_ = 1;
  std::vector<Participant> participants_;
  std::vector<Player> players_;                                 // [round][participant], flattened
  std::vector<Group> groups_;                                   // round by round
  std::vector<std::vector<uint32_t>> round_groups_;             // [round - 1] -> group indices
  std::vector<std::vector<Record>> tables_;                     // [type][row]
  std::vector<std::vector<std::vector<uint32_t>>> group_rows_;  // [type][group] -> rows
  bool arrivals_ = false;
  bool has_timeouts_ = false;  // some page of the game has a timeout
  bool creating_ = false;      // inside the constructor: regrouping is allowed
  bool by_arrival_ = false;    // the first page groups by arrival time
  // [round - 1] -> participant indices on that round's arrival page with no
  // group yet, in arrival order (session time, then id); fewer than a group.
  std::vector<std::vector<uint32_t>> waiting_;
  // Queues as they were before the open transaction changed them.
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> waiting_before_;
  std::string config_name_;
  std::vector<Json> params_;  // by ParamSpec index
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
