#include "engine/session.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "engine/text.h"

namespace livectl {

namespace {

// Codes derived from a seed: 8 characters from an alphabet without look-alikes.
std::string derived_code(Rng& rng) {
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
  std::string code(8, ' ');
  for (auto& c : code) c = kAlphabet[rng.below(sizeof(kAlphabet) - 1)];
  return code;
}

class Fnv1a {
 public:
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash_ ^= c;
      hash_ *= 0x100000001b3ULL;
    }
    add_separator();
  }
  void add(const Json& value) { add(std::string_view(value.dump())); }
  void add(uint64_t number) { add(std::string_view(std::to_string(number))); }
  uint64_t value() const { return hash_; }

 private:
  void add_separator() {
    hash_ ^= 0x1f;
    hash_ *= 0x100000001b3ULL;
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

Session::Session(const Game& game, Store& store, SessionConfig config)
    : game_(game),
      store_(store),
      seed_(config.seed),
      rng_(config.seed),
      arrivals_(config.arrivals) {
  const int size = game.players_per_group();
  if (config.participants <= 0 || config.participants % size != 0) {
    throw std::invalid_argument(game.name() + " needs a positive multiple of " +
                                std::to_string(size) + " participants, not " +
                                std::to_string(config.participants));
  }
  if (!config.participant_codes.empty() &&
      config.participant_codes.size() != static_cast<size_t>(config.participants)) {
    throw std::invalid_argument("expected one participant code per participant");
  }
  if (game.pages().empty()) throw std::invalid_argument(game.name() + " declares no pages");

  // Codes come from their own generator so that they do not shift the game's.
  Rng code_rng(config.seed ^ 0xc0de5eed5eed5eedULL);
  code_ = config.code.empty() ? derived_code(code_rng) : config.code;

  const auto n = static_cast<uint32_t>(config.participants);
  players_.resize(n);
  groups_.resize(n / size);
  for (uint32_t g = 0; g < groups_.size(); ++g) {
    Group& group = groups_[g];
    group.session_ = this;
    group.index_ = g;
    group.first_ = g * size;
    group.size_ = size;
    for (const auto& spec : game.group_fields()) group.fields_.push_back(spec.initial);
  }
  for (uint32_t i = 0; i < n; ++i) {
    Player& player = players_[i];
    player.session_ = this;
    player.index_ = i;
    player.group_ = &groups_[i / size];
    player.id_in_group_ = static_cast<int>(i % size) + 1;
    player.participant_.id_in_session = i + 1;
    player.participant_.code =
        config.participant_codes.empty() ? derived_code(code_rng) : config.participant_codes[i];
    for (const auto& spec : game.player_fields()) player.fields_.push_back(spec.initial);
    player.participant_.arrived = !config.arrivals;
  }
  tables_.resize(game.record_types().size());
  group_rows_.assign(game.record_types().size(),
                     std::vector<std::vector<uint32_t>>(groups_.size()));
  for (const PageSpec& spec : game.pages()) has_timeouts_ |= spec.timeout_ms > 0;
  // Everyone present from the start: complete groups pass a leading wait page now.
  if (!config.arrivals && game.pages()[0].kind == PageKind::kWait) {
    for (Player& player : players_) {
      if (player.participant_.page == 0) settle_wait_page(player);
    }
  }
}

// ---- state changes (transactional while an event is applied) ----

void Session::set_field(Change::Scope scope, uint32_t owner, uint32_t field,
                        std::vector<Json>& fields, const FieldSpec& spec, Json value) {
  if (auto problem = field_value_problem(spec.type, value)) {
    throw std::invalid_argument("field '" + spec.name + "' " + *problem);
  }
  Json& slot = fields.at(field);
  if (in_transaction_) {
    // The undo entry exists before the old value moves into it, so a failed
    // push_back loses nothing.
    undo_.push_back({scope, owner, field, Json()});
    undo_.back().old = std::move(slot);
  }
  slot = std::move(value);
}

void Player::set(PlayerField field, Json value) {
  session_->set_field(Change::Scope::kPlayerField, index_, field.index, fields_,
                      session_->game_.player_fields().at(field.index), std::move(value));
}

void Group::set(GroupField field, Json value) {
  session_->set_field(Change::Scope::kGroupField, index_, field.index, fields_,
                      session_->game_.group_fields().at(field.index), std::move(value));
}

std::string Player::field_name(PlayerField field) const {
  return "player field " + session_->game_.player_fields().at(field.index).name;
}

std::string Group::field_name(GroupField field) const {
  return "group field " + session_->game_.group_fields().at(field.index).name;
}

void Player::add_record(RecordType type, std::vector<Json> values) {
  session_->append_record(*this, type, std::move(values));
}

void Session::append_record(Player& player, RecordType type, std::vector<Json> values) {
  const RecordSpec& spec = game_.record_types().at(type.index);
  if (values.size() != spec.columns.size()) {
    throw std::invalid_argument("record '" + spec.name + "' takes " +
                                std::to_string(spec.columns.size()) + " values, not " +
                                std::to_string(values.size()));
  }
  for (size_t c = 0; c < values.size(); ++c) {
    if (auto problem = field_value_problem(spec.columns[c].type, values[c])) {
      throw std::invalid_argument("column '" + spec.columns[c].name + "' of record '" + spec.name +
                                  "' " + *problem);
    }
  }
  const uint32_t group = player.group_->index_;
  auto& table = tables_[type.index];
  const auto row = static_cast<uint32_t>(table.size());
  table.push_back(Record{group, player.index_, std::move(values)});
  group_rows_[type.index][group].push_back(row);
  if (in_transaction_) undo_.push_back({Change::Scope::kRecord, group, type.index, Json(row)});
}

std::vector<const Record*> Group::records(RecordType type) const {
  std::vector<const Record*> rows;
  const auto& table = session_->tables_[type.index];
  for (uint32_t row : session_->group_rows_[type.index][index_]) rows.push_back(&table[row]);
  return rows;
}

std::vector<const Record*> Player::records(RecordType type) const {
  std::vector<const Record*> rows;
  for (const Record* record : group_->records(type)) {
    if (record->participant == index_) rows.push_back(record);
  }
  return rows;
}

void Player::advance_page() {
  session_->advance(*this);
}

void Session::advance(Player& player) {
  Participant& participant = player.participant_;
  if (participant.page + 1 >= game_.pages().size()) return;
  if (in_transaction_) {
    undo_.push_back({Change::Scope::kPage, player.index_, 0, Json(participant.page),
                     participant.arrived, participant.page_entered_ms});
  }
  ++participant.page;
  participant.page_entered_ms = now_ms_;
  if (participant.arrived && game_.pages()[participant.page].kind == PageKind::kWait) {
    settle_wait_page(player);
  }
}

void Session::arrive(Player& player, std::string label) {
  Participant& participant = player.participant_;
  undo_.push_back({Change::Scope::kArrival, player.index_, 0, Json(participant.label),
                   participant.arrived, participant.page_entered_ms});
  if (!label.empty()) participant.label = std::move(label);
  participant.arrived = true;
  participant.page_entered_ms = now_ms_;
  if (game_.pages()[participant.page].kind == PageKind::kWait) settle_wait_page(player);
}

// `player` has just arrived on the wait page they are on.
void Session::settle_wait_page(Player& player) {
  const uint32_t page = player.participant_.page;
  const Group& group = *player.group_;
  bool complete = true;
  for (uint32_t i = 0; i < group.size_; ++i) {
    const Participant& member = players_[group.first_ + i].participant_;
    if (member.page > page) {
      // The group went on without this latecomer (a timeout): pass through.
      advance(player);
      return;
    }
    complete = complete && member.page == page && member.arrived;
  }
  if (complete) release_wait_page(*player.group_, page);
}

// The members of `group` present on wait page `page` move on, in id order.
void Session::release_wait_page(Group& group, uint32_t page) {
  for (uint32_t i = 0; i < group.size_; ++i) {
    Player& member = players_[group.first_ + i];
    if (member.participant_.page == page && member.participant_.arrived) advance(member);
  }
}

std::optional<std::string> Session::arrival_label(const Event& event) {
  if (event.data.is_null()) return std::string();
  const Json* label =
      event.data.is_object() && event.data.size() == 1 && event.data.contains("label")
          ? &event.data["label"]
          : nullptr;
  if (!label) {
    reject("an arrive event's data is {\"label\": \"...\"} or nothing");
    return std::nullopt;
  }
  if (!label->is_string() || label->get_ref<const std::string&>().empty() ||
      label->get_ref<const std::string&>().size() > kMaxLabelBytes ||
      !valid_utf8(label->get_ref<const std::string&>())) {
    reject("a participant label is text of 1 to " + std::to_string(kMaxLabelBytes) + " bytes");
    return std::nullopt;
  }
  const std::string& text = label->get_ref<const std::string&>();
  for (const Player& other : players_) {
    if (other.participant_.label == text) {
      reject("label " + text + " is participant " +
             std::to_string(other.participant_.id_in_session) + "'s already");
      return std::nullopt;
    }
  }
  return text;
}

void Session::apply_timeout(Player& player, const Event& event) {
  const Participant& participant = player.participant_;
  const PageSpec& spec = game_.pages()[participant.page];
  const std::string who = "participant " + std::to_string(event.participant);
  if (event.page < 0) {
    reject("a timeout must name its page");
  } else if (spec.timeout_ms <= 0) {
    reject("page '" + spec.name + "' has no timeout");
  } else if (!participant.arrived) {
    reject(who + " has not arrived, so their timer has not started");
  } else if (now_ms_ < participant.page_entered_ms + spec.timeout_ms) {
    reject("page '" + spec.name + "' times out for " + who + " at " +
           std::to_string(participant.page_entered_ms + spec.timeout_ms) + " ms, not at " +
           std::to_string(now_ms_) + " ms");
  } else if (spec.kind == PageKind::kWait) {
    release_wait_page(*player.group_, participant.page);
  } else {
    advance(player);  // oTree submits a timed-out page for the participant
  }
}

void Session::collect_page_changes() {
  auto& changed = result_.page_changes;
  for (const Undo& undo : undo_) {
    if (undo.scope != Change::Scope::kPage) continue;
    if (std::find(changed.begin(), changed.end(), undo.owner + 1) == changed.end()) {
      changed.push_back(undo.owner + 1);
    }
  }
}

void Session::due_timeouts(int64_t now_ms, std::vector<DueTimeout>* out) const {
  out->clear();
  if (!has_timeouts_) return;
  for (const Player& player : players_) {
    const Participant& p = player.participant_;
    const int64_t timeout = game_.pages()[p.page].timeout_ms;
    if (p.arrived && timeout > 0 && now_ms >= p.page_entered_ms + timeout) {
      out->push_back({p.id_in_session, p.page});
    }
  }
}

int64_t Session::next_timeout_ms() const {
  int64_t next = INT64_MAX;
  if (!has_timeouts_) return next;
  for (const Player& player : players_) {
    const Participant& p = player.participant_;
    const int64_t timeout = game_.pages()[p.page].timeout_ms;
    if (p.arrived && timeout > 0) next = std::min(next, p.page_entered_ms + timeout);
  }
  return next;
}

namespace {

[[noreturn]] void throw_no_member(int group, int id_in_group, uint32_t size) {
  throw std::out_of_range("group " + std::to_string(group) + " has no player with id_in_group " +
                          std::to_string(id_in_group) + " (ids 1.." + std::to_string(size) + ")");
}

[[noreturn]] void throw_no_participant(uint32_t id_in_session, size_t count) {
  throw std::out_of_range("the session has no participant " + std::to_string(id_in_session) +
                          " (ids 1.." + std::to_string(count) + ")");
}

}  // namespace

Player& Group::player(int id_in_group) {
  if (id_in_group < 1 || static_cast<uint32_t>(id_in_group) > size_) {
    throw_no_member(id_in_subsession(), id_in_group, size_);
  }
  return session_->players_[first_ + id_in_group - 1];
}
const Player& Group::player(int id_in_group) const {
  if (id_in_group < 1 || static_cast<uint32_t>(id_in_group) > size_) {
    throw_no_member(id_in_subsession(), id_in_group, size_);
  }
  return session_->players_[first_ + id_in_group - 1];
}

Player& Session::player(uint32_t id_in_session) {
  if (id_in_session < 1 || id_in_session > players_.size()) {
    throw_no_participant(id_in_session, players_.size());
  }
  return players_[id_in_session - 1];
}
const Player& Session::player(uint32_t id_in_session) const {
  if (id_in_session < 1 || id_in_session > players_.size()) {
    throw_no_participant(id_in_session, players_.size());
  }
  return players_[id_in_session - 1];
}

// ---- transactions ----

void Session::begin() {
  in_transaction_ = true;
  rng_before_ = rng_.state();
  undo_.clear();
}

void Session::rollback() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    switch (it->scope) {
      case Change::Scope::kGroupField:
        groups_[it->owner].fields_[it->field] = std::move(it->old);
        break;
      case Change::Scope::kPlayerField:
        players_[it->owner].fields_[it->field] = std::move(it->old);
        break;
      case Change::Scope::kPage:
      case Change::Scope::kArrival: {
        Participant& participant = players_[it->owner].participant_;
        if (it->scope == Change::Scope::kPage) participant.page = it->old.get<uint32_t>();
        if (it->scope == Change::Scope::kArrival) participant.label = it->old.get<std::string>();
        participant.arrived = it->old_arrived;
        participant.page_entered_ms = it->old_entered_ms;
        break;
      }
      case Change::Scope::kRecord:
        tables_[it->field].pop_back();
        group_rows_[it->field][it->owner].pop_back();
        break;
    }
  }
  undo_.clear();
  rng_.restore(rng_before_);
}

void Session::reject(std::string message) {
  rollback();
  result_.clear();
  // Messages carry game and exception texts, which may be cut mid-character;
  // the sender's error frame and the log must still serialize.
  result_.error = valid_utf8(message) ? std::move(message) : repair_utf8(message);
}

bool Session::was_on_page(const Player& member, uint32_t page) const {
  if (member.participant_.page == page) return true;
  // A member the game advanced during this event still gets its messages:
  // its page is only told to move after them.
  for (const Undo& undo : undo_) {
    if (undo.scope == Change::Scope::kPage && undo.owner == member.index_ &&
        undo.old.get<uint32_t>() == page) {
      return true;
    }
  }
  return false;
}

void Session::route(const Player& sender, uint32_t page, Outbox& outbox) {
  const Group& group = *sender.group_;
  auto& entries = outbox.entries();
  // Position of each id's payload in `entries`; -1 = none.
  constexpr int kNone = -1;
  int broadcast = kNone;
  thread_local std::vector<int> specific;
  specific.assign(group.size_ + 1, kNone);
  for (size_t i = 0; i < entries.size(); ++i) {
    const int64_t id = entries[i].first;
    if (id < 0 || id > static_cast<int64_t>(group.size_)) {
      reject("live_method returned id " + std::to_string(id) +
             ", which is not in the group (ids 1.." + std::to_string(group.size_) + ")");
      return;
    }
    int& slot = id == 0 ? broadcast : specific[id];
    if (slot != kNone) {
      reject("live_method returned id " + std::to_string(id) + " twice");
      return;
    }
    slot = static_cast<int>(i);
  }
  // Serialize each payload once, in the outbox's order.
  thread_local std::vector<int> payload_of_entry;
  payload_of_entry.assign(entries.size(), kNone);
  for (uint32_t id = 1; id <= group.size_; ++id) {
    const int entry = specific[id] != kNone ? specific[id] : broadcast;
    if (entry == kNone) continue;
    const Player& member = players_[group.first_ + id - 1];
    if (!was_on_page(member, page)) continue;
    if (payload_of_entry[entry] == kNone) {
      std::string serialized;
      try {
        serialized = entries[entry].second.dump();
      } catch (const Json::type_error&) {
        // nlohmann's only dump failure: a string that is not valid UTF-8.
        reject("live_method returned a payload for id_in_group " +
               std::to_string(entries[entry].first) + " that is not valid UTF-8 text");
        return;
      }
      payload_of_entry[entry] = static_cast<int>(result_.payloads.size());
      result_.payloads.push_back(std::move(serialized));
      result_.payload_values.push_back(std::move(entries[entry].second));
    }
    result_.deliveries.push_back(
        {member.index_ + 1, static_cast<uint32_t>(payload_of_entry[entry])});
  }
}

const EventResult& Session::apply(const Event& event) {
  result_.clear();
  result_.seq = next_seq_;
  changes_.clear();
  begin();
  now_ms_ = std::max(now_ms_, event.time_ms);

  // Whatever fails inside the event, wherever, leaves no trace: the game's
  // own exceptions are caught nearer to it with a better message; this
  // catches the rest (routing, an engine bug, an allocation failure).
  try {
    dispatch(event);
  } catch (const std::exception& e) {
    reject(std::string("the event failed: ") + e.what());
  } catch (...) {
    reject("the event failed with an unknown exception");
  }

  for (const Undo& undo : undo_) {
    changes_.push_back({undo.scope, undo.owner, undo.field,
                        undo.scope == Change::Scope::kRecord ? undo.old.get<uint32_t>() : 0});
  }
  Status recorded;
  try {
    recorded = store_.record(*this, event, result_, changes_);
  } catch (const std::exception& e) {
    recorded = Status::Error(e.what());
  } catch (...) {
    recorded = Status::Error("the store failed with an unknown exception");
  }
  if (!recorded.ok()) {
    // Not recorded means not applied: the state must match what is durable.
    reject("the event could not be recorded: " + recorded.message());
    in_transaction_ = false;
    return result_;
  }
  undo_.clear();
  in_transaction_ = false;
  ++next_seq_;
  return result_;
}

void Session::dispatch(const Event& event) {
  if (event.participant < 1 || event.participant > players_.size()) {
    reject("there is no participant " + std::to_string(event.participant) + " in this session");
    return;
  }
  Player& player = players_[event.participant - 1];
  const uint32_t page = player.participant_.page;
  const PageSpec& spec = game_.pages()[page];
  if (event.page >= 0 && static_cast<uint32_t>(event.page) != page) {
    const auto& pages = game_.pages();
    const std::string stale = static_cast<size_t>(event.page) < pages.size()
                                  ? "'" + pages[event.page].name + "'"
                                  : std::to_string(event.page);
    reject("participant " + std::to_string(event.participant) + " is on page '" + spec.name +
           "', not " + stale);
  } else if (event.kind == EventKind::kArrive) {
    if (player.participant_.arrived) {
      reject("participant " + std::to_string(event.participant) + " has already arrived");
    } else if (auto label = arrival_label(event)) {
      arrive(player, std::move(*label));
      collect_page_changes();
    }
  } else if (!player.participant_.arrived) {
    reject("participant " + std::to_string(event.participant) +
           " has not arrived yet (an arrive event comes first)");
  } else if (event.kind == EventKind::kTimeout) {
    apply_timeout(player, event);
    if (!result_.error) collect_page_changes();
  } else if (event.kind == EventKind::kSubmit) {
    if (spec.kind == PageKind::kWait) {
      reject("participant " + std::to_string(event.participant) + " is on wait page '" + spec.name +
             "', which moves on by itself when the group is complete");
    } else if (page + 1 >= game_.pages().size()) {
      reject("page '" + spec.name + "' is the last page; there is nothing to submit");
    } else {
      advance(player);
      collect_page_changes();
    }
  } else if (spec.kind != PageKind::kLive) {
    reject("participant " + std::to_string(event.participant) + " is not on a live page (on '" +
           spec.name + "')");
  } else {
    Outbox outbox;
    std::optional<std::string> failure;
    try {
      outbox = game_.live_method(player, event.data);
    } catch (const std::exception& e) {
      failure = std::string("live_method failed: ") + e.what();
    } catch (...) {
      failure = "live_method failed with an unknown exception";
    }
    if (failure) {
      reject(std::move(*failure));
    } else if (outbox.rejection()) {
      reject(*outbox.rejection());
    } else if (outbox.malformed()) {
      reject(*outbox.malformed());
    } else {
      route(player, page, outbox);
      if (!result_.error) collect_page_changes();
    }
  }
}

// ---- restoring ----

void Session::restore_participant(uint32_t id_in_session, std::string label, uint32_t page,
                                  bool arrived, int64_t page_entered_ms) {
  if (id_in_session < 1 || id_in_session > players_.size() || page >= game_.pages().size()) {
    throw std::invalid_argument("participant " + std::to_string(id_in_session) + " or page " +
                                std::to_string(page) + " does not exist");
  }
  Participant& participant = players_[id_in_session - 1].participant_;
  participant.label = std::move(label);
  participant.page = page;
  participant.arrived = arrived;
  participant.page_entered_ms = page_entered_ms;
}

void Session::restore_group_field(uint32_t group_index, uint32_t field, Json value) {
  Group& group = groups_.at(group_index);
  set_field(Change::Scope::kGroupField, group_index, field, group.fields_,
            game_.group_fields().at(field), std::move(value));
}

void Session::restore_player_field(uint32_t participant_index, uint32_t field, Json value) {
  Player& player = players_.at(participant_index);
  set_field(Change::Scope::kPlayerField, participant_index, field, player.fields_,
            game_.player_fields().at(field), std::move(value));
}

void Session::restore_record(RecordType type, uint32_t group_index, uint32_t participant_index,
                             std::vector<Json> values) {
  Player& player = players_.at(participant_index);
  if (player.group_->index_ != group_index) {
    throw std::invalid_argument("participant " + std::to_string(participant_index + 1) +
                                " is not in group " + std::to_string(group_index + 1));
  }
  append_record(player, type, std::move(values));
}

void Session::restore_progress(uint64_t last_seq, int64_t now_ms, const Rng::State& rng) {
  next_seq_ = last_seq + 1;
  now_ms_ = now_ms;
  rng_.restore(rng);
}

// ---- digest ----

uint64_t Session::group_hash(const Group& group) const {
  Fnv1a hash;
  hash.add(group.index_);
  for (const Json& value : group.fields_) hash.add(value);
  for (uint32_t i = 0; i < group.size_; ++i) {
    const Player& player = players_[group.first_ + i];
    hash.add(player.participant_.page);
    hash.add(player.participant_.arrived ? 1 : 0);
    hash.add(static_cast<uint64_t>(player.participant_.page_entered_ms));
    for (const Json& value : player.fields_) hash.add(value);
  }
  for (size_t type = 0; type < tables_.size(); ++type) {
    hash.add(group_rows_[type][group.index_].size());
  }
  return hash.value();
}

std::string Session::digest() const {
  Fnv1a hash;
  hash.add(std::string_view("livectl-state-v1"));
  hash.add(std::string_view(game_.name()));
  hash.add(std::string_view(code_));
  for (const Player& player : players_) {
    const Participant& p = player.participant_;
    hash.add(p.id_in_session);
    hash.add(std::string_view(p.code));
    hash.add(std::string_view(p.label));
    hash.add(p.page);
    hash.add(p.arrived ? 1 : 0);
    hash.add(static_cast<uint64_t>(p.page_entered_ms));
    for (const Json& value : player.fields_) hash.add(value);
  }
  for (const Group& group : groups_) {
    for (const Json& value : group.fields_) hash.add(value);
  }
  for (const auto& table : tables_) {
    hash.add(table.size());
    for (const Record& record : table) {
      hash.add(record.group);
      hash.add(record.participant);
      for (const Json& value : record.values) hash.add(value);
    }
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash.value()));
  return text;
}

}  // namespace livectl
