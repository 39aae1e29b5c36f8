#include "engine/session.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <tuple>

#include "engine/form.h"
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

Session::Session(std::vector<const Game*> games, Store& store, SessionConfig config)
    : games_(std::move(games)),
      store_(store),
      seed_(config.seed),
      rng_(config.seed),
      arrivals_(config.arrivals),
      config_name_(config.config_name),
      currency_per_point_(config.real_world_currency_per_point),
      participation_fee_(config.participation_fee) {
  if (games_.empty()) throw std::invalid_argument("a session plays at least one game");
  if (!participant_count_fits(games_, config.participants)) {
    throw std::invalid_argument("participants must be " + participant_count_rule(games_) +
                                ", not " + std::to_string(config.participants));
  }
  if (!config.participant_codes.empty() &&
      config.participant_codes.size() != static_cast<size_t>(config.participants)) {
    throw std::invalid_argument("expected one participant code per participant");
  }
  participant_fields_ = shared_participant_fields(games_);
  param_specs_ = shared_params(games_);
  rounds_ = 0;
  for (uint32_t a = 0; a < games_.size(); ++a) {
    const Game& game = *games_[a];
    for (uint32_t g = 0; g < a; ++g) {
      if (games_[g] == games_[a]) {
        throw std::invalid_argument("the app sequence plays " + game.name() + " twice");
      }
    }
    if (game.pages().empty()) throw std::invalid_argument(game.name() + " declares no pages");
    for (size_t i = 0; i < game.pages().size(); ++i) {
      const PageSpec& spec = game.pages()[i];
      if (spec.by_arrival && (i != 0 || spec.kind != PageKind::kWait)) {
        throw std::invalid_argument(game.name() + "'s page '" + spec.name +
                                    "' groups by arrival time, so it must be a wait page and the "
                                    "game's first page");
      }
      has_timeouts_ |= spec.timeout_ms > 0;
    }
    by_arrival_ |= game.pages()[0].by_arrival;
    // Each period's page, checked here: a game declares its periods before
    // the pages they name.
    std::vector<int32_t> page_period(game.pages().size(), -1);
    for (size_t k = 0; k < game.periods().size(); ++k) {
      const std::string& name = game.periods()[k].page;
      const int page = game.find_page(name);
      if (page < 0 || game.pages()[page].kind != PageKind::kLive) {
        throw std::invalid_argument(game.name() + " declares a period on page '" + name +
                                    "', which is not a live page of it");
      }
      if (page_period[page] >= 0) {
        throw std::invalid_argument(game.name() + " declares two periods on page '" + name + "'");
      }
      page_period[page] = static_cast<int32_t>(k);
      has_periods_ = true;
    }
    App app;
    app.first_round = rounds_;
    app.first_flow = static_cast<uint32_t>(flow_.size());
    app.first_table = static_cast<uint32_t>(tables_.size());
    for (const FieldSpec& spec : game.participant_fields()) {
      for (uint32_t k = 0; k < participant_fields_.size(); ++k) {
        if (participant_fields_[k].name == spec.name) app.participant_fields.push_back(k);
      }
    }
    for (const ParamSpec& spec : game.params()) {
      for (uint32_t k = 0; k < param_specs_.size(); ++k) {
        if (param_specs_[k].name == spec.name) app.params.push_back(k);
      }
    }
    for (uint32_t r = 0; r < static_cast<uint32_t>(game.num_rounds()); ++r) {
      round_app_.push_back(a);
      for (uint32_t page = 0; page < game.pages().size(); ++page) {
        flow_.push_back({&game.pages()[page], rounds_ + r + 1, a, page, page_period[page]});
      }
    }
    rounds_ += static_cast<uint32_t>(game.num_rounds());
    tables_.resize(tables_.size() + game.record_types().size());
    apps_.push_back(std::move(app));
  }
  set_params(config.params);

  // Codes come from their own generator so that they do not shift the game's.
  Rng code_rng(config.seed ^ 0xc0de5eed5eed5eedULL);
  code_ = config.code.empty() ? derived_code(code_rng) : config.code;

  const auto n = static_cast<uint32_t>(config.participants);
  participants_.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    Participant& p = participants_[i];
    p.id_in_session = i + 1;
    p.code =
        config.participant_codes.empty() ? derived_code(code_rng) : config.participant_codes[i];
    p.arrived = !config.arrivals;
    p.present = !config.arrivals;
    for (const auto& spec : participant_fields_) p.fields.push_back(spec.initial);
  }
  players_.resize(static_cast<size_t>(n) * rounds_);
  round_groups_.resize(rounds_);
  if (by_arrival_) {
    waiting_.resize(rounds_);
    // Groups form during the session; each has a member, so at most one per
    // player. References to groups stay valid while they form.
    groups_.reserve(players_.size());
  }
  for (uint32_t r = 0; r < rounds_; ++r) {
    const Game& game = round_game(r + 1);
    const bool by_arrival = round_by_arrival(r + 1);
    for (uint32_t i = 0; i < n; ++i) {
      Player& player = players_[r * n + i];
      player.session_ = this;
      player.index_ = r * n + i;
      player.participant_ = i;
      player.round_ = r + 1;
      player.app_ = round_app_[r];
      if (by_arrival) player.group_ = Player::kNoGroup;
      for (const auto& spec : game.player_fields()) player.fields_.push_back(spec.initial);
    }
    if (by_arrival) continue;
    // oTree's default: every round starts grouped in id order.
    const auto size = static_cast<uint32_t>(game.players_per_group());
    std::vector<std::vector<int>> matrix(n / size);
    for (uint32_t i = 0; i < n; ++i) matrix[i / size].push_back(static_cast<int>(i + 1));
    group_round(static_cast<int>(r + 1), matrix);
  }
  group_rows_.assign(tables_.size(), std::vector<std::vector<uint32_t>>(groups_.size()));

  creating_ = true;
  for (uint32_t r = 1; r <= rounds_; ++r) {
    Subsession subsession(*this, static_cast<int>(r));
    round_game(r).creating_session(subsession);
  }
  creating_ = false;
  start_first_pages();
  if (!arrivals_) settle_periods(true);
  // Timers a game started while the session was created (a leading wait
  // page's after_all_players_arrive, creating_session) get their pages.
  settle_timers(Event{});
}

std::string Session::games_text() const {
  std::string text;
  for (const Game* game : games_) text += (text.empty() ? "" : ", ") + game->name();
  return text;
}

void Session::set_params(const Json& given) {
  if (!given.is_null() && !given.is_object()) {
    throw std::invalid_argument("parameters are a JSON object, not " + given.dump());
  }
  params_json_ = Json::object();
  params_.clear();
  for (const ParamSpec& spec : param_specs_) params_.push_back(spec.default_value);
  if (given.is_object()) {
    for (const auto& [name, value] : given.items()) {
      if (auto problem = param_problem(games_, games_text(), name, &value)) {
        throw std::invalid_argument(*problem);
      }
      for (size_t k = 0; k < param_specs_.size(); ++k) {
        if (param_specs_[k].name == name) params_[k] = value;
      }
    }
  }
  for (size_t i = 0; i < param_specs_.size(); ++i) params_json_[param_specs_[i].name] = params_[i];
}

uint32_t Session::param_index(ConfigParam param) const {
  for (size_t a = 0; a < games_.size(); ++a) {
    if (games_[a] == param.game || (param.game == nullptr && games_.size() == 1)) {
      return apps_[a].params.at(param.index);
    }
  }
  throw std::out_of_range("a parameter of " +
                          (param.game ? param.game->name() : std::string("another game")) +
                          ", which this session does not play (it plays " + games_text() + ")");
}

size_t Session::table_app(size_t index) const {
  size_t app = 0;
  while (app + 1 < apps_.size() && apps_[app + 1].first_table <= index) ++app;
  return app;
}

uint32_t Session::round_first_flow(uint32_t session_round) const {
  const App& app = apps_[round_app_[session_round - 1]];
  const auto pages = static_cast<uint32_t>(round_game(session_round).pages().size());
  return app.first_flow + (session_round - 1 - app.first_round) * pages;
}

// Makes `matrix` (id_in_session rows) the groups of session round
// `session_round`, with fresh group fields. Only while no event has been
// applied.
void Session::group_round(int session_round, const std::vector<std::vector<int>>& matrix) {
  const auto n = static_cast<uint32_t>(participants_.size());
  std::vector<uint8_t> seen(n, 0);
  for (size_t g = 0; g < matrix.size(); ++g) {
    if (matrix[g].empty()) {
      throw std::invalid_argument("group " + std::to_string(g + 1) + " of the matrix is empty");
    }
    for (int id : matrix[g]) {
      if (id < 1 || static_cast<uint32_t>(id) > n) {
        throw std::invalid_argument("the matrix names participant " + std::to_string(id) +
                                    "; the session has 1.." + std::to_string(n));
      }
      if (seen[id - 1]++) {
        throw std::invalid_argument("the matrix names participant " + std::to_string(id) +
                                    " twice");
      }
    }
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (!seen[i]) {
      throw std::invalid_argument("the matrix leaves out participant " + std::to_string(i + 1));
    }
  }
  const uint32_t r = static_cast<uint32_t>(session_round) - 1;
  std::vector<uint32_t>& indices = round_groups_[r];
  // The other rounds' matrices, when the table is rebuilt.
  std::vector<std::vector<std::vector<int>>> rebuilt;
  // A round's groups are replaced in place while their count stays; a
  // different count (a matrix of other sizes) rebuilds the whole table.
  if (indices.size() != matrix.size()) {
    for (const auto& table : tables_) {
      if (!table.empty()) {
        throw std::logic_error("a round's number of groups changes only before records are added");
      }
    }
    std::vector<std::vector<std::vector<int>>>& matrices = rebuilt;
    for (uint32_t other = 0; other < round_groups_.size(); ++other) {
      if (other == r || round_groups_[other].empty()) {
        matrices.push_back(other == r ? matrix : std::vector<std::vector<int>>{});
        continue;
      }
      matrices.push_back(Subsession(*this, static_cast<int>(other + 1)).get_group_matrix());
    }
    std::vector<std::vector<Json>> old_fields;
    for (const Group& group : groups_) old_fields.push_back(group.fields_);
    std::vector<std::vector<uint32_t>> old_indices = round_groups_;
    groups_.clear();
    for (uint32_t other = 0; other < round_groups_.size(); ++other) {
      round_groups_[other].clear();
      for (size_t g = 0; g < matrices[other].size(); ++g) {
        Group group;
        group.session_ = this;
        group.index_ = static_cast<uint32_t>(groups_.size());
        group.round_ = other + 1;
        group.app_ = round_app_[other];
        group.id_in_subsession_ = static_cast<uint32_t>(g + 1);
        if (other != r && g < old_indices[other].size()) {
          group.fields_ = std::move(old_fields[old_indices[other][g]]);
        } else {
          for (const auto& spec : round_game(other + 1).group_fields()) {
            group.fields_.push_back(spec.initial);
          }
        }
        round_groups_[other].push_back(group.index_);
        groups_.push_back(std::move(group));
      }
    }
  } else {
    for (uint32_t index : indices) {
      groups_[index].fields_.clear();
      for (const auto& spec : round_game(r + 1).group_fields()) {
        groups_[index].fields_.push_back(spec.initial);
      }
    }
  }
  // Members of round `round` (0-based) from its matrix.
  auto assign = [&](uint32_t round, const std::vector<std::vector<int>>& rows) {
    for (size_t g = 0; g < rows.size(); ++g) {
      Group& group = groups_[round_groups_[round][g]];
      group.members_.clear();
      for (size_t k = 0; k < rows[g].size(); ++k) {
        Player& player = players_[round * n + static_cast<uint32_t>(rows[g][k]) - 1];
        player.group_ = group.index_;
        player.id_in_group_ = static_cast<int>(k + 1);
        group.members_.push_back(player.index_);
      }
    }
  };
  for (uint32_t other = 0; other < rebuilt.size(); ++other) {
    if (other != r) assign(other, rebuilt[other]);
  }
  assign(r, matrix);
  if (group_rows_.size() == tables_.size()) {
    for (auto& rows : group_rows_) rows.resize(groups_.size());
  }
}

// Everyone starts on the first page shown to them; present groups pass a
// leading wait page at once.
void Session::start_first_pages() {
  const auto n = static_cast<uint32_t>(participants_.size());
  for (uint32_t i = 0; i < n; ++i) {
    const PageSpec& first = page_spec(0);
    if (first.displayed && !first.displayed(players_[i])) {
      if (first.by_arrival) group_without_arrival(i, 1);
      participants_[i].page = next_page(i, 0);
    }
  }
  if (arrivals_) return;
  for (uint32_t i = 0; i < n; ++i) {
    if (page_spec(participants_[i].page).kind == PageKind::kWait) settle_wait_page(i);
  }
}

int Session::flow_round(uint32_t flow_index) const {
  const FlowPage& page = flow_[flow_index];
  return static_cast<int>(page.round - apps_[page.app].first_round);
}

const Participant& Session::participant(uint32_t id_in_session) const {
  if (id_in_session < 1 || id_in_session > participants_.size()) {
    throw std::out_of_range("the session has no participant " + std::to_string(id_in_session) +
                            " (ids 1.." + std::to_string(participants_.size()) + ")");
  }
  return participants_[id_in_session - 1];
}

double Session::participant_payoff(uint32_t id_in_session) const {
  const Participant& p = participant(id_in_session);
  double sum = 0;
  const size_t n = participants_.size();
  for (uint32_t r = 0; r < rounds_; ++r) {
    const Json& value =
        players_[r * n + p.id_in_session - 1].fields_[round_game(r + 1).payoff.field.index];
    if (value.is_number()) sum += value.get<double>();
  }
  return sum;
}

Player& Session::current_player(uint32_t participant_index) {
  const uint32_t round = flow_[participants_[participant_index].page].round;
  return players_[(round - 1) * participants_.size() + participant_index];
}

const Player* Session::find_player(uint32_t id_in_session) const {
  if (id_in_session < 1 || id_in_session > participants_.size()) return nullptr;
  return &const_cast<Session*>(this)->current_player(id_in_session - 1);
}

std::span<Player> Session::round_players(int session_round) {
  if (session_round < 1 || static_cast<uint32_t>(session_round) > rounds_) {
    throw std::out_of_range("the session has no round " + std::to_string(session_round) +
                            " (rounds 1.." + std::to_string(rounds_) + ")");
  }
  const size_t n = participants_.size();
  return std::span<Player>(players_).subspan((session_round - 1) * n, n);
}
std::span<const Player> Session::round_players(int session_round) const {
  return const_cast<Session*>(this)->round_players(session_round);
}

// ---- rounds and regrouping ----

namespace {

// The session round of round `round_number` of the game at `app`; throws
// std::out_of_range naming the game's rounds when it has no such round.
int session_round_of(const Session& session, size_t app, int round_number) {
  const int rounds = session.games()[app]->num_rounds();
  if (round_number < 1 || round_number > rounds) {
    throw std::out_of_range(
        (session.games().size() > 1 ? session.games()[app]->name() + " has" : "the session has") +
        std::string(" no round ") + std::to_string(round_number) + " (rounds 1.." +
        std::to_string(rounds) + ")");
  }
  return session.first_round_of(app) + round_number - 1;
}

}  // namespace

Player& Player::in_round(int round_number) {
  return session_->round_players(session_round_of(*session_, app_, round_number))[participant_];
}
const Player& Player::in_round(int round_number) const {
  return const_cast<Player*>(this)->in_round(round_number);
}

std::vector<const Player*> Player::in_previous_rounds() const {
  std::vector<const Player*> players;
  for (int r = 1; r < round_number(); ++r) players.push_back(&in_round(r));
  return players;
}

std::vector<const Player*> Player::in_all_rounds() const {
  std::vector<const Player*> players = in_previous_rounds();
  players.push_back(this);
  return players;
}

std::vector<Player*> Group::players() {
  std::vector<Player*> members;
  for (uint32_t index : members_) members.push_back(&session_->players_[index]);
  return members;
}
std::vector<const Player*> Group::players() const {
  std::vector<const Player*> members;
  for (uint32_t index : members_) members.push_back(&session_->players_[index]);
  return members;
}

Group& Group::in_round(int round_number) {
  const int session_round = session_round_of(*session_, app_, round_number);
  const auto& indices = session_->round_groups_[session_round - 1];
  if (id_in_subsession_ > indices.size()) {
    throw std::out_of_range("round " + std::to_string(round_number) + " has no group " +
                            std::to_string(id_in_subsession_));
  }
  return session_->groups_[indices[id_in_subsession_ - 1]];
}
const Group& Group::in_round(int round_number) const {
  return const_cast<Group*>(this)->in_round(round_number);
}

int Subsession::round_number() const {
  session_->round_players(round_);  // checks the round
  return round_ - session_->first_round_of(session_->app_of_round(round_)) + 1;
}

const Game& Subsession::game() const {
  return *session_->games()[session_->app_of_round(round_)];
}

std::vector<Player*> Subsession::players() {
  std::vector<Player*> players;
  for (Player& player : session_->round_players(round_)) players.push_back(&player);
  return players;
}

std::vector<Group*> Subsession::groups() {
  session_->round_players(round_);  // checks the round
  std::vector<Group*> groups;
  for (uint32_t index : session_->round_groups_[round_ - 1]) {
    groups.push_back(&session_->groups_[index]);
  }
  return groups;
}

std::vector<std::vector<int>> Subsession::get_group_matrix() const {
  return session_->group_matrix(round_);
}

std::vector<std::vector<int>> Session::group_matrix(int session_round) const {
  round_players(session_round);  // checks the round
  std::vector<std::vector<int>> matrix;
  for (uint32_t index : round_groups_[session_round - 1]) {
    std::vector<int> row;
    for (uint32_t member : groups_[index].members_) {
      row.push_back(static_cast<int>(players_[member].participant_ + 1));
    }
    matrix.push_back(std::move(row));
  }
  return matrix;
}

void Session::check_regroupable(int session_round) const {
  round_players(session_round);  // checks the round
  if (!creating_) {
    throw std::logic_error("groups change only in creating_session, before anyone plays");
  }
  const auto round = static_cast<uint32_t>(session_round);
  if (round_by_arrival(round)) {
    throw std::logic_error(round_game(round).name() + " groups by arrival time (page '" +
                           round_game(round).pages()[0].name +
                           "'): its groups form as participants arrive, not in creating_session");
  }
}

void Subsession::set_group_matrix(const std::vector<std::vector<int>>& matrix) {
  session_->check_regroupable(round_);
  session_->group_round(round_, matrix);
}

void Subsession::group_randomly(bool fixed_id_in_group) {
  session_->check_regroupable(round_);
  const auto size = static_cast<size_t>(game().players_per_group());
  const size_t n = session_->participants_.size();
  std::vector<std::vector<int>> matrix(n / size);
  Rng& rng = session_->rng_;
  if (fixed_id_in_group) {
    // Shuffle each id_in_group's column of the current matrix across groups.
    std::vector<std::vector<int>> current = get_group_matrix();
    for (size_t k = 0; k < size; ++k) {
      std::vector<int> column;
      for (const auto& row : current) column.push_back(row.at(k));
      for (size_t i = column.size(); i > 1; --i) std::swap(column[i - 1], column[rng.below(i)]);
      for (size_t g = 0; g < matrix.size(); ++g) matrix[g].push_back(column[g]);
    }
  } else {
    std::vector<int> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int>(i + 1);
    for (size_t i = n; i > 1; --i) std::swap(ids[i - 1], ids[rng.below(i)]);
    for (size_t i = 0; i < n; ++i) matrix[i / size].push_back(ids[i]);
  }
  set_group_matrix(matrix);
}

void Subsession::group_like_round(int round_number) {
  const int round = this->round_number();
  if (round_number < 1 || round_number >= round) {
    throw std::invalid_argument("round " + std::to_string(round) +
                                " can be grouped like an earlier round, not round " +
                                std::to_string(round_number));
  }
  session_->check_regroupable(round_);
  set_group_matrix(session_->group_matrix(round_ - round + round_number));
}

// ---- state changes (transactional while an event is applied) ----

void Session::set_field(Change::Scope scope, uint32_t owner, uint32_t field,
                        std::vector<Json>& fields, const FieldSpec& spec, Json value) {
  if (auto problem = field_value_problem(spec.type, value)) {
    throw std::invalid_argument("field '" + spec.name + "' " + *problem);
  }
  one_zero(value);
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
                      game().player_fields().at(field.index), std::move(value));
}

void Player::set(ParticipantField field, Json value) {
  const uint32_t shared = session_->apps_[app_].participant_fields.at(field.index);
  session_->set_field(Change::Scope::kParticipantField, participant_, shared,
                      session_->participants_[participant_].fields,
                      session_->participant_fields_[shared], std::move(value));
}

void Group::set(GroupField field, Json value) {
  session_->set_field(Change::Scope::kGroupField, index_, field.index, fields_,
                      game().group_fields().at(field.index), std::move(value));
}

std::string Player::field_name(PlayerField field) const {
  return "player field " + game().player_fields().at(field.index).name;
}

std::string Player::field_name(ParticipantField field) const {
  return "participant field " + game().participant_fields().at(field.index).name;
}

std::string Group::field_name(GroupField field) const {
  return "group field " + game().group_fields().at(field.index).name;
}

void Player::add_record(RecordType type, std::vector<Json> values) {
  session_->append_record(*this, type, std::move(values));
}

void Session::append_record(Player& player, RecordType type, std::vector<Json> values) {
  const RecordSpec& spec = player.game().record_types().at(type.index);
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
    one_zero(values[c]);
  }
  if (!player.has_group()) player.throw_no_group();
  const uint32_t group = player.group_;
  const uint32_t index = apps_[player.app_].first_table + type.index;
  auto& table = tables_[index];
  const auto row = static_cast<uint32_t>(table.size());
  table.push_back(Record{group, player.participant_, std::move(values)});
  group_rows_[index][group].push_back(row);
  if (in_transaction_) undo_.push_back({Change::Scope::kRecord, group, index, Json(row)});
}

std::vector<const Record*> Group::records(RecordType type) const {
  std::vector<const Record*> rows;
  if (type.index >= game().record_types().size()) {
    throw std::out_of_range(game().name() + " has no record type " + std::to_string(type.index));
  }
  const uint32_t index = session_->apps_[app_].first_table + type.index;
  const auto& table = session_->tables_[index];
  for (uint32_t row : session_->group_rows_[index][index_]) rows.push_back(&table[row]);
  return rows;
}

std::vector<const Record*> Player::records(RecordType type) const {
  std::vector<const Record*> rows;
  for (const Record* record : group().records(type)) {
    if (record->participant == participant_) rows.push_back(record);
  }
  return rows;
}

void Player::advance_page() {
  session_->advance(participant_);
}

// The flow index after `page` that the participant is shown (is_displayed
// asked with their player of that round); the last page when none is. In a
// game that groups by arrival time, a round whose arrival page is skipped
// groups the participant as they pass it, before its later pages are asked.
uint32_t Session::next_page(uint32_t participant_index, uint32_t page) {
  const uint32_t last = flow_size() - 1;
  const size_t n = participants_.size();
  for (uint32_t next = page + 1; next < last; ++next) {
    const PageSpec& spec = page_spec(next);
    if (!spec.displayed) return next;
    const uint32_t round = flow_[next].round;
    if (spec.displayed(players_[(round - 1) * n + participant_index])) return next;
    if (is_arrival_page(next)) group_without_arrival(participant_index, round);
  }
  return last;
}

void Session::advance(uint32_t participant_index) {
  Participant& participant = participants_[participant_index];
  if (participant.page + 1 >= flow_size()) return;
  const uint32_t from = participant.page;
  if (is_arrival_page(from) && !current_player(participant_index).has_group()) {
    throw std::logic_error("participant " + std::to_string(participant_index + 1) +
                           " is waiting to be grouped on page " + describe_page(from) +
                           " and moves on only with a group");
  }
  if (in_transaction_) {
    undo_.push_back({Change::Scope::kPage, participant_index, 0, Json(participant.page),
                     participant.arrived, participant.present, participant.page_entered_ms});
  }
  participant.page = next_page(participant_index, participant.page);
  participant.page_entered_ms = now_ms_;
  if (participant.arrived && page_spec(participant.page).kind == PageKind::kWait) {
    settle_wait_page(participant_index);
  }
}

void Session::arrive(uint32_t participant_index, std::string label) {
  Participant& participant = participants_[participant_index];
  undo_.push_back({Change::Scope::kArrival, participant_index, 0, Json(participant.label),
                   participant.arrived, participant.present, participant.page_entered_ms});
  if (!label.empty()) participant.label = std::move(label);
  participant.arrived = true;
  participant.present = true;
  participant.page_entered_ms = now_ms_;
  if (page_spec(participant.page).kind == PageKind::kWait) settle_wait_page(participant_index);
}

void Session::set_presence(uint32_t participant_index, bool present) {
  Participant& participant = participants_[participant_index];
  undo_.push_back({Change::Scope::kPresence, participant_index, 0, Json(), participant.arrived,
                   participant.present, participant.page_entered_ms});
  participant.present = present;
}

void Session::change_presence(uint32_t participant_index, const Event& event) {
  const Json* present = event.data.is_object() && event.data.size() == 1 &&
                                event.data.contains("present") && event.data["present"].is_boolean()
                            ? &event.data["present"]
                            : nullptr;
  const std::string who = "participant " + std::to_string(participant_index + 1);
  if (!present) {
    reject("a presence event's data is {\"present\": true} or {\"present\": false}");
    return;
  }
  const bool now_present = present->get<bool>();
  if (participants_[participant_index].present == now_present) {
    reject(who + " is " + (now_present ? "present" : "away") + " already");
    return;
  }
  set_presence(participant_index, now_present);
  Player& player = current_player(participant_index);
  if (!player.has_group()) return;
  const uint32_t page = participants_[participant_index].page;
  std::optional<std::string> failure;
  Outbox outbox;
  try {
    outbox = player.game().on_presence(player, now_present);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an unknown exception";
  }
  if (!failure && outbox.rejection()) failure = "reject: " + *outbox.rejection();
  if (!failure && outbox.malformed()) failure = *outbox.malformed();
  if (!failure) {
    route(player, page, outbox);
    if (!result_.error) {
      collect_page_changes();
      return;
    }
    failure = *result_.error;
  }
  // As a failed timer: the game's changes are undone, the presence stands.
  reject("on_presence of " + who + " failed: " + *failure);
  set_presence(participant_index, now_present);
}

// The participant has just arrived on the wait page they are on.
void Session::settle_wait_page(uint32_t participant_index) {
  const uint32_t page = participants_[participant_index].page;
  if (is_arrival_page(page) && !current_player(participant_index).has_group()) {
    settle_arrival(participant_index);
    return;
  }
  Group& group = current_player(participant_index).group();
  bool complete = true;
  for (uint32_t member : group.members_) {
    const Participant& other = participants_[players_[member].participant_];
    if (other.page > page) {
      // The group went on without this latecomer (a timeout): pass through.
      advance(participant_index);
      return;
    }
    complete = complete && other.page == page && other.arrived;
  }
  if (complete) release_wait_page(group, page);
}

// The members of `group` present on wait page `page` move on, in id order,
// after the page's after_all_players_arrive.
void Session::release_wait_page(Group& group, uint32_t page) {
  const PageSpec& spec = page_spec(page);
  if (spec.on_all_arrived) spec.on_all_arrived(group);
  for (uint32_t member : group.members_) {
    const uint32_t p = players_[member].participant_;
    if (participants_[p].page == page && participants_[p].arrived) advance(p);
  }
}

// ---- grouping by arrival time ----

void Player::throw_no_group() const {
  const Session& session = *session_;
  throw std::logic_error("participant " + std::to_string(participant_ + 1) +
                         " has no group in round " + std::to_string(round_number()) +
                         " yet: groups form as participants arrive on page " +
                         session.describe_page(session.round_first_flow(round_)));
}

Group& Session::form_group(uint32_t round, const std::vector<uint32_t>& participant_indices) {
  if (groups_.size() == groups_.capacity()) {
    throw std::logic_error("more groups formed than the session has players");
  }
  const auto n = static_cast<uint32_t>(participants_.size());
  std::vector<uint32_t>& round_groups = round_groups_[round - 1];
  Group& group = groups_.emplace_back();
  group.session_ = this;
  group.index_ = static_cast<uint32_t>(groups_.size() - 1);
  group.round_ = round;
  group.app_ = round_app_[round - 1];
  group.id_in_subsession_ = static_cast<uint32_t>(round_groups.size() + 1);
  for (const auto& spec : round_game(round).group_fields()) group.fields_.push_back(spec.initial);
  round_groups.push_back(group.index_);
  for (auto& rows : group_rows_) rows.emplace_back();
  if (in_transaction_) undo_.push_back({Change::Scope::kGroupFormed, group.index_, 0, Json()});
  for (uint32_t p : participant_indices) {
    Player& player = players_[(round - 1) * n + p];
    player.group_ = group.index_;
    player.id_in_group_ = static_cast<int>(group.members_.size() + 1);
    group.members_.push_back(player.index_);
  }
  return group;
}

std::vector<uint32_t>& Session::waiting(uint32_t round) {
  if (in_transaction_) {
    const bool saved = std::any_of(waiting_before_.begin(), waiting_before_.end(),
                                   [&](const auto& entry) { return entry.first == round; });
    if (!saved) waiting_before_.emplace_back(round, waiting_[round - 1]);
  }
  return waiting_[round - 1];
}

bool Session::came_first(uint32_t a, uint32_t b) const {
  const int64_t ta = participants_[a].page_entered_ms;
  const int64_t tb = participants_[b].page_entered_ms;
  return ta != tb ? ta < tb : a < b;
}

void Session::group_without_arrival(uint32_t participant_index, uint32_t round) {
  const auto n = static_cast<uint32_t>(participants_.size());
  if (players_[(round - 1) * n + participant_index].has_group()) return;
  std::vector<uint32_t> members;
  if (round == apps_[round_app_[round - 1]].first_round + 1) {
    members.push_back(participant_index);
  } else {
    // The previous round's group again, without those grouped in this round
    // already and those waiting on its arrival page (they are grouped there).
    const uint32_t arrival_page = round_first_flow(round);
    for (uint32_t member : players_[(round - 2) * n + participant_index].group().members_) {
      const uint32_t p = players_[member].participant_;
      if (players_[(round - 1) * n + p].has_group()) continue;
      if (p != participant_index && participants_[p].page == arrival_page) continue;
      members.push_back(p);
    }
  }
  form_group(round, members);
}

// The participant, with no group, has just arrived on their round's arrival
// page: they queue, and the first players_per_group waiting go on together.
void Session::settle_arrival(uint32_t participant_index) {
  const uint32_t page = participants_[participant_index].page;
  const uint32_t round = flow_[page].round;
  std::vector<uint32_t>& queue = waiting(round);
  queue.insert(std::upper_bound(queue.begin(), queue.end(), participant_index,
                                [&](uint32_t a, uint32_t b) { return came_first(a, b); }),
               participant_index);
  const auto size = static_cast<size_t>(round_game(round).players_per_group());
  if (queue.size() < size) return;
  release_arrivals(round, std::vector<uint32_t>(queue.begin(), queue.begin() + size), page);
}

// `participant_indices` (all waiting on round `round`'s arrival page) leave
// the queue as a new group and go on past the page.
void Session::release_arrivals(uint32_t round, std::vector<uint32_t> participant_indices,
                               uint32_t page) {
  std::vector<uint32_t>& queue = waiting(round);
  std::erase_if(queue, [&](uint32_t p) {
    return std::find(participant_indices.begin(), participant_indices.end(), p) !=
           participant_indices.end();
  });
  Group& group = form_group(round, participant_indices);
  release_wait_page(group, page);
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
  for (const Participant& other : participants_) {
    if (other.label == text) {
      reject("label " + text + " is participant " + std::to_string(other.id_in_session) +
             "'s already");
      return std::nullopt;
    }
  }
  return text;
}

void Session::apply_timeout(uint32_t participant_index, const Event& event) {
  const Participant& participant = participants_[participant_index];
  const PageSpec& spec = page_spec(participant.page);
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
  } else if (spec.kind == PageKind::kWait && is_arrival_page(participant.page) &&
             !current_player(participant_index).has_group()) {
    // oTree's dropout snippet: whoever waits goes on with a smaller group,
    // or this participant alone.
    const uint32_t round = flow_[participant.page].round;
    std::vector<uint32_t> members = spec.arrival_fallback == ArrivalFallback::kAlone
                                        ? std::vector<uint32_t>{participant_index}
                                        : waiting(round);
    release_arrivals(round, std::move(members), participant.page);
  } else if (spec.kind == PageKind::kWait) {
    release_wait_page(current_player(participant_index).group(), participant.page);
  } else {
    advance(participant_index);  // oTree submits a timed-out page for the participant
  }
}

void Session::number_deliveries() {
  for (Delivery& delivery : result_.deliveries) {
    delivery.seq = ++participants_[delivery.participant - 1].delivered;
  }
  // A participant who moved starts their new page's count after this
  // event's payloads, which belong to the page they left.
  page_delivered_before_.clear();
  for (uint32_t moved : result_.page_changes) {
    Participant& participant = participants_[moved - 1];
    page_delivered_before_.push_back(participant.page_delivered);
    participant.page_delivered = participant.delivered;
  }
}

void Session::undo_delivery_numbers() {
  for (size_t i = 0; i < result_.page_changes.size(); ++i) {
    participants_[result_.page_changes[i] - 1].page_delivered = page_delivered_before_[i];
  }
  for (const Delivery& delivery : result_.deliveries) {
    --participants_[delivery.participant - 1].delivered;
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

void Session::due_events(int64_t now_ms, std::vector<Event>* out) const {
  out->clear();
  if (has_timeouts_) {
    for (const Participant& p : participants_) {
      const int64_t timeout = page_spec(p.page).timeout_ms;
      if (p.arrived && timeout > 0 && now_ms >= p.page_entered_ms + timeout) {
        Event& event = out->emplace_back();
        event.kind = EventKind::kTimeout;
        event.participant = p.id_in_session;
        event.time_ms = now_ms;
        event.page = static_cast<int32_t>(p.page);
      }
    }
  }
  const size_t first_timer = out->size();
  for (const ScheduledTimer& timer : timers_) {
    if (timer.due_ms > now_ms || timer.page == ScheduledTimer::kUnbound) continue;
    const TimerSpec& spec = games_[timer.app]->timers()[timer.timer];
    Event& event = out->emplace_back();
    event.kind = EventKind::kTimer;
    event.participant = spec.on_group
                            ? players_[groups_[timer.owner].members_.front()].participant_ + 1
                            : timer.owner + 1;
    // Carried here for the sort below; every event is applied at `now_ms`.
    event.time_ms = timer.due_ms;
    event.page = static_cast<int32_t>(timer.page);
    event.data = Json::object({{"timer", spec.name}});
  }
  // timers_ is in (app, timer, owner) order: a stable sort by due time
  // keeps it among equals.
  std::stable_sort(out->begin() + static_cast<std::ptrdiff_t>(first_timer), out->end(),
                   [](const Event& a, const Event& b) { return a.time_ms < b.time_ms; });
  for (size_t i = first_timer; i < out->size(); ++i) (*out)[i].time_ms = now_ms;
}

bool Session::is_due(const Event& event) const {
  if (event.participant < 1 || event.participant > participants_.size() || event.page < 0 ||
      static_cast<uint32_t>(event.page) >= flow_size()) {
    return false;
  }
  if (event.kind == EventKind::kTimeout) {
    const Participant& p = participants_[event.participant - 1];
    const int64_t timeout = page_spec(p.page).timeout_ms;
    return p.page == static_cast<uint32_t>(event.page) && p.arrived && timeout > 0 &&
           event.time_ms >= p.page_entered_ms + timeout;
  }
  if (event.kind == EventKind::kTimer) {
    const ScheduledTimer* timer = timer_of(event);
    return timer && timer->due_ms <= std::max(now_ms_, event.time_ms);
  }
  return false;
}

int64_t Session::next_due_ms() const {
  int64_t next = INT64_MAX;
  if (has_timeouts_) {
    for (const Participant& p : participants_) {
      const int64_t timeout = page_spec(p.page).timeout_ms;
      if (p.arrived && timeout > 0) next = std::min(next, p.page_entered_ms + timeout);
    }
  }
  for (const ScheduledTimer& timer : timers_) {
    if (timer.page != ScheduledTimer::kUnbound) next = std::min(next, timer.due_ms);
  }
  return next;
}

// ---- game timers ----

namespace {

bool timer_before(const ScheduledTimer& a, const ScheduledTimer& b) {
  return std::tie(a.app, a.timer, a.owner) < std::tie(b.app, b.timer, b.owner);
}

void check_delay(const TimerSpec& spec, int64_t delay_ms, bool repeating) {
  const int64_t least = repeating ? kMinTimerIntervalMs : 0;
  if (delay_ms < least || delay_ms > kMaxTimerDelayMs) {
    throw std::invalid_argument("timer '" + spec.name +
                                "': " + (repeating ? "an interval" : "a delay") + " must be " +
                                std::to_string(least) + " to " + std::to_string(kMaxTimerDelayMs) +
                                " ms, not " + std::to_string(delay_ms));
  }
}

const TimerSpec& timer_spec(const Game& game, uint32_t index, bool group) {
  if (index >= game.timers().size()) {
    throw std::out_of_range(game.name() + " has no timer " + std::to_string(index));
  }
  const TimerSpec& spec = game.timers()[index];
  if (static_cast<bool>(spec.on_group) != group) {
    throw std::out_of_range("timer '" + spec.name + "' of " + game.name() + " is a " +
                            (group ? "player" : "group") + " timer");
  }
  return spec;
}

}  // namespace

ScheduledTimer* Session::find_timer(uint32_t app, uint32_t timer, uint32_t owner) {
  ScheduledTimer key;
  key.app = app;
  key.timer = timer;
  key.owner = owner;
  auto it = std::lower_bound(timers_.begin(), timers_.end(), key, timer_before);
  if (it == timers_.end() || timer_before(key, *it)) return nullptr;
  return &*it;
}

const ScheduledTimer* Session::find_timer(uint32_t app, uint32_t timer, uint32_t owner) const {
  return const_cast<Session*>(this)->find_timer(app, timer, owner);
}

void Session::save_timer(uint32_t app, uint32_t timer, uint32_t owner) {
  if (!in_transaction_) return;
  for (const auto& [saved, scheduled] : timers_before_) {
    if (saved.app == app && saved.timer == timer && saved.owner == owner) return;
  }
  if (const ScheduledTimer* current = find_timer(app, timer, owner)) {
    timers_before_.emplace_back(*current, true);
  } else {
    ScheduledTimer key;
    key.app = app;
    key.timer = timer;
    key.owner = owner;
    timers_before_.emplace_back(key, false);
  }
}

void Session::set_timer(uint32_t app, uint32_t timer, uint32_t owner, int64_t delay_ms,
                        int64_t every_ms) {
  save_timer(app, timer, owner);
  ScheduledTimer value;
  value.app = app;
  value.timer = timer;
  value.owner = owner;
  value.due_ms = now_ms_ + delay_ms;
  value.every_ms = every_ms;
  // A timer's own firing that schedules it again keeps its page.
  value.page = fired_page_;
  if (ScheduledTimer* current = find_timer(app, timer, owner)) {
    *current = value;
  } else {
    timers_.insert(std::upper_bound(timers_.begin(), timers_.end(), value, timer_before), value);
  }
}

void Session::erase_timer(uint32_t app, uint32_t timer, uint32_t owner) {
  ScheduledTimer* current = find_timer(app, timer, owner);
  if (!current) return;
  save_timer(app, timer, owner);
  timers_.erase(timers_.begin() + (current - timers_.data()));
}

void Player::schedule(PlayerTimer timer, int64_t delay_ms) {
  check_delay(timer_spec(game(), timer.index, false), delay_ms, false);
  session_->set_timer(app_, timer.index, participant_, delay_ms, 0);
}

void Player::schedule_every(PlayerTimer timer, int64_t every_ms) {
  check_delay(timer_spec(game(), timer.index, false), every_ms, true);
  session_->set_timer(app_, timer.index, participant_, every_ms, every_ms);
}

void Player::cancel(PlayerTimer timer) {
  timer_spec(game(), timer.index, false);
  session_->erase_timer(app_, timer.index, participant_);
}

std::optional<int64_t> Player::timer_due(PlayerTimer timer) const {
  timer_spec(game(), timer.index, false);
  const ScheduledTimer* scheduled = session_->find_timer(app_, timer.index, participant_);
  if (!scheduled) return std::nullopt;
  return scheduled->due_ms;
}

void Group::schedule(GroupTimer timer, int64_t delay_ms) {
  check_delay(timer_spec(game(), timer.index, true), delay_ms, false);
  session_->set_timer(app_, timer.index, index_, delay_ms, 0);
}

void Group::schedule_every(GroupTimer timer, int64_t every_ms) {
  check_delay(timer_spec(game(), timer.index, true), every_ms, true);
  session_->set_timer(app_, timer.index, index_, every_ms, every_ms);
}

void Group::cancel(GroupTimer timer) {
  timer_spec(game(), timer.index, true);
  session_->erase_timer(app_, timer.index, index_);
}

std::optional<int64_t> Group::timer_due(GroupTimer timer) const {
  timer_spec(game(), timer.index, true);
  const ScheduledTimer* scheduled = session_->find_timer(app_, timer.index, index_);
  if (!scheduled) return std::nullopt;
  return scheduled->due_ms;
}

std::string Session::describe_timer(const ScheduledTimer& timer) const {
  const TimerSpec& spec = games_.at(timer.app)->timers().at(timer.timer);
  std::string text = "timer '" + spec.name + "' of ";
  if (spec.on_group) {
    const Group& group = groups_.at(timer.owner);
    text += "group " + std::to_string(group.id_in_subsession_);
    if (group.game().num_rounds() > 1) text += " of round " + std::to_string(group.round_number());
  } else {
    text += "participant " + std::to_string(timer.owner + 1);
  }
  return text;
}

const ScheduledTimer* Session::timer_of(const Event& event, std::string* problem) const {
  if (event.page < 0 || static_cast<uint32_t>(event.page) >= flow_size()) {
    *problem = "a timer event must name its page";
    return nullptr;
  }
  const auto page = static_cast<uint32_t>(event.page);
  const Game& game = flow_game(page);
  const Json* name = event.data.is_object() && event.data.size() == 1 &&
                             event.data.contains("timer") && event.data["timer"].is_string()
                         ? &event.data["timer"]
                         : nullptr;
  if (!name) {
    *problem = "a timer event's data is {\"timer\": \"name\"}";
    return nullptr;
  }
  const int index = game.find_timer(name->get_ref<const std::string&>());
  if (index < 0) {
    *problem = game.name() + " has no timer '" + name->get_ref<const std::string&>() + "'";
    return nullptr;
  }
  const TimerSpec& spec = game.timers()[static_cast<size_t>(index)];
  const uint32_t participant = event.participant - 1;
  uint32_t owner = participant;
  if (spec.on_group) {
    const Player& player = players_[(flow_[page].round - 1) * participants_.size() + participant];
    if (!player.has_group()) {
      *problem = "participant " + std::to_string(event.participant) + " has no group there";
      return nullptr;
    }
    owner = player.group_;
  }
  const ScheduledTimer* timer = find_timer(flow_[page].app, static_cast<uint32_t>(index), owner);
  if (!timer || timer->page != page) {
    *problem = "timer '" + spec.name + "' of " +
               (spec.on_group ? "the group of participant " : "participant ") +
               std::to_string(event.participant) + " is not running on page " + describe_page(page);
    return nullptr;
  }
  return timer;
}

void Session::consume_timer(const ScheduledTimer& timer) {
  const uint32_t app = timer.app;
  const uint32_t index = timer.timer;
  const uint32_t owner = timer.owner;
  if (timer.every_ms == 0) {
    erase_timer(app, index, owner);
    return;
  }
  save_timer(app, index, owner);
  ScheduledTimer& next = *find_timer(app, index, owner);
  const int64_t missed = (now_ms_ - next.due_ms) / next.every_ms;
  next.due_ms += (missed + 1) * next.every_ms;
}

void Session::fire_timer(const Event& event) {
  std::string problem;
  const ScheduledTimer* found = timer_of(event, &problem);
  if (!found) {
    reject(std::move(problem));
    return;
  }
  if (found->due_ms > now_ms_) {
    reject(describe_timer(*found) + " fires at " + std::to_string(found->due_ms) + " ms, not at " +
           std::to_string(now_ms_) + " ms");
    return;
  }
  const ScheduledTimer timer = *found;
  const TimerSpec& spec = games_[timer.app]->timers()[timer.timer];
  const size_t n = participants_.size();
  Player& sender = spec.on_group ? players_[groups_[timer.owner].members_.front()]
                                 : players_[(flow_[timer.page].round - 1) * n + timer.owner];
  consume_timer(timer);
  fired_page_ = timer.page;
  Outbox outbox;
  std::optional<std::string> failure;
  try {
    outbox = spec.on_group ? spec.on_group(groups_[timer.owner]) : spec.on_player(sender);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an unknown exception";
  }
  if (!failure && outbox.rejection()) failure = "reject: " + *outbox.rejection();
  if (!failure && outbox.malformed()) failure = *outbox.malformed();
  if (!failure) {
    route(sender, timer.page, outbox);
    if (!result_.error) {
      collect_page_changes();
      return;
    }
    failure = *result_.error;
  }
  // A failed firing changes nothing but the timer itself, which moves on
  // (or is used up) all the same, so that it cannot fail forever.
  reject(describe_timer(timer) + " failed: " + *failure);
  consume_timer(timer);
}

bool Session::timer_left(const ScheduledTimer& timer) const {
  const TimerSpec& spec = games_[timer.app]->timers()[timer.timer];
  if (!spec.on_group) return participants_[timer.owner].page != timer.page;
  for (uint32_t member : groups_[timer.owner].members_) {
    if (participants_[players_[member].participant_].page == timer.page) return false;
  }
  return true;
}

void Session::settle_timers(const Event& event) {
  if (timers_.empty()) return;
  // Timers scheduled while the session was created have no event: they
  // are bound to their page at the end of the constructor.
  bool moved = !timers_before_.empty() || !in_transaction_;
  for (const Undo& undo : undo_) moved = moved || undo.scope == Change::Scope::kPage;
  if (!moved) return;
  for (size_t i = timers_.size(); i-- > 0;) {
    ScheduledTimer& timer = timers_[i];
    if (timer.page == ScheduledTimer::kUnbound) {
      const TimerSpec& spec = games_[timer.app]->timers()[timer.timer];
      if (!spec.on_group) {
        timer.page = participants_[timer.owner].page;
      } else {
        // The page of the member whose event this is; else the furthest
        // member's, within the group's round.
        const Group& group = groups_[timer.owner];
        uint32_t page = 0;
        for (uint32_t member : group.members_) {
          const uint32_t p = players_[member].participant_;
          if (p + 1 == event.participant) {
            page = participants_[p].page;
            break;
          }
          page = std::max(page, participants_[p].page);
        }
        if (flow_[page].round != group.round_) {
          erase_timer(timer.app, timer.timer, timer.owner);
          continue;
        }
        timer.page = page;
      }
    }
    if (timer_left(timer)) erase_timer(timer.app, timer.timer, timer.owner);
  }
}

void Session::restore_timers(std::vector<ScheduledTimer> timers) {
  std::sort(timers.begin(), timers.end(), timer_before);
  for (size_t i = 0; i < timers.size(); ++i) {
    const ScheduledTimer& timer = timers[i];
    if (timer.app >= games_.size() || timer.timer >= games_[timer.app]->timers().size() ||
        timer.page >= flow_size() || flow_[timer.page].app != timer.app) {
      throw std::invalid_argument("a stored timer names a game, timer or page that does not exist");
    }
    const bool group = static_cast<bool>(games_[timer.app]->timers()[timer.timer].on_group);
    if (group ? timer.owner >= groups_.size() || groups_[timer.owner].app_ != timer.app
              : timer.owner >= participants_.size()) {
      throw std::invalid_argument("a stored timer's owner does not exist");
    }
    if (i > 0 && !timer_before(timers[i - 1], timer)) {
      throw std::invalid_argument(describe_timer(timer) + " is stored twice");
    }
  }
  timers_ = std::move(timers);
}

namespace {

[[noreturn]] void throw_no_member(int group, int id_in_group, size_t size) {
  throw std::out_of_range("group " + std::to_string(group) + " has no player with id_in_group " +
                          std::to_string(id_in_group) + " (ids 1.." + std::to_string(size) + ")");
}

[[noreturn]] void throw_no_participant(uint32_t id_in_session, size_t count) {
  throw std::out_of_range("the session has no participant " + std::to_string(id_in_session) +
                          " (ids 1.." + std::to_string(count) + ")");
}

}  // namespace

Player& Group::player(int id_in_group) {
  if (id_in_group < 1 || static_cast<size_t>(id_in_group) > members_.size()) {
    throw_no_member(id_in_subsession(), id_in_group, members_.size());
  }
  return session_->players_[members_[id_in_group - 1]];
}
const Player& Group::player(int id_in_group) const {
  return const_cast<Group*>(this)->player(id_in_group);
}

Player& Session::player(uint32_t id_in_session) {
  if (id_in_session < 1 || id_in_session > participants_.size()) {
    throw_no_participant(id_in_session, participants_.size());
  }
  return current_player(id_in_session - 1);
}
const Player& Session::player(uint32_t id_in_session) const {
  return const_cast<Session*>(this)->player(id_in_session);
}

// ---- transactions ----

void Session::begin() {
  in_transaction_ = true;
  rng_before_ = rng_.state();
  undo_.clear();
  waiting_before_.clear();
  timers_before_.clear();
  fired_page_ = ScheduledTimer::kUnbound;
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
      case Change::Scope::kParticipantField:
        participants_[it->owner].fields[it->field] = std::move(it->old);
        break;
      case Change::Scope::kPage:
      case Change::Scope::kArrival: {
        Participant& participant = participants_[it->owner];
        if (it->scope == Change::Scope::kPage) participant.page = it->old.get<uint32_t>();
        if (it->scope == Change::Scope::kArrival) participant.label = it->old.get<std::string>();
        participant.arrived = it->old_arrived;
        participant.present = it->old_present;
        participant.page_entered_ms = it->old_entered_ms;
        break;
      }
      case Change::Scope::kPresence:
        participants_[it->owner].present = it->old_present;
        break;
      case Change::Scope::kRecord:
        tables_[it->field].pop_back();
        group_rows_[it->field][it->owner].pop_back();
        break;
      case Change::Scope::kTimer:
        break;  // timers_before_ holds what timers were
      case Change::Scope::kGroupFormed: {
        // Formed last, so undone first: it is the last group of all.
        Group& group = groups_.back();
        for (uint32_t member : group.members_) {
          players_[member].group_ = Player::kNoGroup;
          players_[member].id_in_group_ = 0;
        }
        round_groups_[group.round_ - 1].pop_back();
        for (auto& rows : group_rows_) rows.pop_back();
        groups_.pop_back();
        break;
      }
    }
  }
  undo_.clear();
  for (auto& [round, queue] : waiting_before_) waiting_[round - 1] = std::move(queue);
  waiting_before_.clear();
  for (auto it = timers_before_.rbegin(); it != timers_before_.rend(); ++it) {
    const ScheduledTimer& old = it->first;
    ScheduledTimer* current = find_timer(old.app, old.timer, old.owner);
    if (it->second && current) {
      *current = old;
    } else if (it->second) {
      timers_.insert(std::upper_bound(timers_.begin(), timers_.end(), old, timer_before), old);
    } else if (current) {
      timers_.erase(timers_.begin() + (current - timers_.data()));
    }
  }
  timers_before_.clear();
  rng_.restore(rng_before_);
}

void Session::reject(std::string message) {
  rollback();
  result_.clear();
  // Messages carry game and exception texts, which may be cut mid-character;
  // the sender's error frame and the log must still serialize.
  result_.error = valid_utf8(message) ? std::move(message) : repair_utf8(message);
}

bool Session::was_on_page(uint32_t participant_index, uint32_t page) const {
  if (participants_[participant_index].page == page) return true;
  // A member the game advanced during this event still gets its messages:
  // its page is only told to move after them.
  for (const Undo& undo : undo_) {
    if (undo.scope == Change::Scope::kPage && undo.owner == participant_index &&
        undo.old.get<uint32_t>() == page) {
      return true;
    }
  }
  return false;
}

void Session::route(const Player& sender, uint32_t page, Outbox& outbox) {
  const Group& group = sender.group();
  const auto size = static_cast<uint32_t>(group.members_.size());
  auto& entries = outbox.entries();
  // Position of each id's payload in `entries`; -1 = none.
  constexpr int kNone = -1;
  int broadcast = kNone;
  thread_local std::vector<int> specific;
  specific.assign(size + 1, kNone);
  for (size_t i = 0; i < entries.size(); ++i) {
    const int64_t id = entries[i].first;
    if (id < 0 || id > static_cast<int64_t>(size)) {
      reject("live_method returned id " + std::to_string(id) +
             ", which is not in the group (ids 1.." + std::to_string(size) + ")");
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
  for (uint32_t id = 1; id <= size; ++id) {
    const int entry = specific[id] != kNone ? specific[id] : broadcast;
    if (entry == kNone) continue;
    const uint32_t member = players_[group.members_[id - 1]].participant_;
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
    result_.deliveries.push_back({member + 1, static_cast<uint32_t>(payload_of_entry[entry])});
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

  if (!result_.error && has_periods_) {
    try {
      settle_periods(false);
    } catch (const std::exception& e) {
      reject(std::string("the event failed: ") + e.what());
    }
  }
  if (!result_.error) {
    try {
      settle_timers(event);
    } catch (const std::exception& e) {
      reject(std::string("the event failed: ") + e.what());
    }
  }
  for (const Undo& undo : undo_) {
    changes_.push_back({undo.scope, undo.owner, undo.field,
                        undo.scope == Change::Scope::kRecord ? undo.old.get<uint32_t>() : 0});
  }
  for (const auto& [timer, scheduled] : timers_before_) {
    changes_.push_back({Change::Scope::kTimer, timer.owner, timer.timer, timer.app});
  }
  if (!result_.error) number_deliveries();
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
    if (!result_.error) undo_delivery_numbers();
    reject("the event could not be recorded: " + recorded.message());
    in_transaction_ = false;
    return result_;
  }
  undo_.clear();
  timers_before_.clear();
  in_transaction_ = false;
  ++next_seq_;
  return result_;
}

std::string Session::describe_page(uint32_t flow_index) const {
  if (flow_index >= flow_size()) return std::to_string(flow_index);
  std::string text = "'" + page_spec(flow_index).name + "'";
  if (games_.size() > 1) {
    text += " of " + flow_game(flow_index).name();
    if (flow_game(flow_index).num_rounds() > 1) {
      text += " round " + std::to_string(flow_round(flow_index));
    }
  } else if (rounds_ > 1) {
    text += " of round " + std::to_string(flow_round(flow_index));
  }
  return text;
}

void Session::dispatch(const Event& event) {
  if (event.participant < 1 || event.participant > participants_.size()) {
    reject("there is no participant " + std::to_string(event.participant) + " in this session");
    return;
  }
  if (event.kind == EventKind::kTimer) {
    // Not the participant's page: a group timer's event names a member who
    // may have moved on.
    fire_timer(event);
    return;
  }
  const uint32_t index = event.participant - 1;
  Participant& participant = participants_[index];
  Player& player = current_player(index);
  const uint32_t page = participant.page;
  const PageSpec& spec = page_spec(page);
  // Only for errors: built when one is made, not for every event.
  auto who = [&] { return "participant " + std::to_string(event.participant); };
  if (event.page >= 0 && static_cast<uint32_t>(event.page) != page) {
    reject(who() + " is on page " + describe_page(page) + ", not " +
           describe_page(static_cast<uint32_t>(event.page)));
  } else if (event.kind == EventKind::kArrive) {
    if (participant.arrived) {
      reject(who() + " has already arrived");
    } else if (auto label = arrival_label(event)) {
      arrive(index, std::move(*label));
      collect_page_changes();
    }
  } else if (!participant.arrived) {
    reject(who() + " has not arrived yet (an arrive event comes first)");
  } else if (event.kind == EventKind::kPresence) {
    change_presence(index, event);
  } else if (event.kind == EventKind::kTimeout) {
    apply_timeout(index, event);
    if (!result_.error) collect_page_changes();
  } else if (event.kind == EventKind::kSubmit) {
    if (spec.kind == PageKind::kWait) {
      reject(who() + " is on wait page '" + spec.name +
             "', which moves on by itself when the group is complete");
    } else if (page + 1 >= flow_size()) {
      reject("page '" + spec.name + "' is the last page; there is nothing to submit");
    } else {
      FormCheck form = check_form(player.game(), spec, player, event.data);
      if (!form.errors.empty()) {
        reject(join_form_errors(form.errors));
        for (auto& [field, message] : form.errors) {
          if (!valid_utf8(message)) message = repair_utf8(message);
        }
        result_.form_errors = std::move(form.errors);
        return;
      }
      for (auto& [field, value] : form.values) player.set(PlayerField{field}, std::move(value));
      advance(index);
      collect_page_changes();
    }
  } else if (spec.kind != PageKind::kLive) {
    reject(who() + " is not on a live page (on '" + spec.name + "')");
  } else {
    Outbox outbox;
    std::optional<std::string> failure;
    try {
      outbox = player.game().live_method(player, event.data);
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
                                  bool arrived, int64_t page_entered_ms, bool present) {
  if (id_in_session < 1 || id_in_session > participants_.size() || page >= flow_size()) {
    throw std::invalid_argument("participant " + std::to_string(id_in_session) + " or page " +
                                std::to_string(page) + " does not exist");
  }
  Participant& participant = participants_[id_in_session - 1];
  participant.label = std::move(label);
  participant.page = page;
  participant.arrived = arrived;
  participant.present = present;
  participant.page_entered_ms = page_entered_ms;
}

void Session::restore_deliveries(uint32_t id_in_session, uint64_t delivered,
                                 uint64_t page_delivered) {
  if (id_in_session < 1 || id_in_session > participants_.size() || page_delivered > delivered) {
    throw std::invalid_argument("participant " + std::to_string(id_in_session) +
                                " cannot have received " + std::to_string(delivered) +
                                " payloads, " + std::to_string(page_delivered) +
                                " of them before their page");
  }
  participants_[id_in_session - 1].delivered = delivered;
  participants_[id_in_session - 1].page_delivered = page_delivered;
}

void Session::restore_participant_field(uint32_t participant_index, uint32_t field, Json value) {
  Participant& participant = participants_.at(participant_index);
  set_field(Change::Scope::kParticipantField, participant_index, field, participant.fields,
            participant_fields_.at(field), std::move(value));
}

void Session::restore_group_field(uint32_t group_index, uint32_t field, Json value) {
  Group& group = groups_.at(group_index);
  set_field(Change::Scope::kGroupField, group_index, field, group.fields_,
            group.game().group_fields().at(field), std::move(value));
}

void Session::restore_player_field(uint32_t player_index, uint32_t field, Json value) {
  Player& player = players_.at(player_index);
  set_field(Change::Scope::kPlayerField, player_index, field, player.fields_,
            player.game().player_fields().at(field), std::move(value));
}

void Session::restore_record(size_t app, RecordType type, uint32_t group_index,
                             uint32_t participant_index, std::vector<Json> values) {
  const Group& group = groups_.at(group_index);
  if (group.app_ != app) {
    throw std::invalid_argument("group " + std::to_string(group.id_in_subsession_) +
                                " is not a group of " + games_.at(app)->name());
  }
  const size_t n = participants_.size();
  if (participant_index >= n) {
    throw std::invalid_argument("the session has no participant " +
                                std::to_string(participant_index + 1));
  }
  Player& player = players_[(group.round_ - 1) * n + participant_index];
  if (player.group_ != group_index) {
    throw std::invalid_argument("participant " + std::to_string(participant_index + 1) +
                                " is not in group " + std::to_string(group.id_in_subsession_) +
                                " of round " + std::to_string(group.round_number()));
  }
  append_record(player, type, std::move(values));
}

void Session::restore_groups(int session_round, const std::vector<std::vector<int>>& matrix) {
  round_players(session_round);  // checks the round
  for (const auto& table : tables_) {
    if (!table.empty()) throw std::logic_error("groups are restored before records");
  }
  if (round_by_arrival(static_cast<uint32_t>(session_round))) {
    const auto round = static_cast<uint32_t>(session_round);
    if (!round_groups_[round - 1].empty()) {
      throw std::invalid_argument("round " + std::to_string(round) +
                                  "'s groups are restored twice");
    }
    const auto n = static_cast<uint32_t>(participants_.size());
    for (const auto& row : matrix) {
      std::vector<uint32_t> members;
      for (int id : row) {
        if (id < 1 || static_cast<uint32_t>(id) > n ||
            players_[(round - 1) * n + static_cast<uint32_t>(id) - 1].has_group() ||
            std::find(members.begin(), members.end(), id - 1) != members.end()) {
          throw std::invalid_argument("round " + std::to_string(round) +
                                      "'s groups name participant " + std::to_string(id) +
                                      ", who cannot be in them");
        }
        members.push_back(static_cast<uint32_t>(id - 1));
      }
      if (members.empty()) throw std::invalid_argument("a stored group has no members");
      form_group(round, members);
    }
    return;
  }
  group_round(session_round, matrix);
  group_rows_.assign(tables_.size(), std::vector<std::vector<uint32_t>>(groups_.size()));
}

void Session::restore_progress(uint64_t last_seq, int64_t now_ms, const Rng::State& rng) {
  next_seq_ = last_seq + 1;
  now_ms_ = now_ms;
  rng_.restore(rng);
  if (!by_arrival_) return;
  for (auto& queue : waiting_) queue.clear();
  for (uint32_t i = 0; i < participants_.size(); ++i) {
    const Participant& p = participants_[i];
    if (p.arrived && is_arrival_page(p.page) && !current_player(i).has_group()) {
      waiting_[flow_[p.page].round - 1].push_back(i);
    }
  }
  for (auto& queue : waiting_) {
    std::sort(queue.begin(), queue.end(), [&](uint32_t a, uint32_t b) { return came_first(a, b); });
  }
}

// ---- digest ----

uint64_t Session::group_hash(const Group& group) const {
  Fnv1a hash;
  hash.add(group.round_);
  hash.add(group.id_in_subsession_);
  for (const Json& value : group.fields_) hash.add(value);
  for (uint32_t member : group.members_) {
    const Player& player = players_[member];
    const Participant& p = participants_[player.participant_];
    hash.add(p.page);
    hash.add(p.arrived ? 1 : 0);
    hash.add(static_cast<uint64_t>(p.page_entered_ms));
    for (const Json& value : p.fields) hash.add(value);
    for (const Json& value : player.fields_) hash.add(value);
  }
  for (size_t type = 0; type < tables_.size(); ++type) {
    hash.add(group_rows_[type][group.index_].size());
  }
  return hash.value();
}

std::string Session::digest() const {
  Fnv1a hash;
  // Groups are named by round and id_in_subsession, never by their place
  // in groups_: groups formed by arrival time are restored round by round,
  // not in the order they formed.
  auto add_group = [&](uint32_t index) {
    hash.add(groups_[index].round_);
    hash.add(groups_[index].id_in_subsession_);
  };
  hash.add(std::string_view("livectl-state-v3"));
  for (const Game* game : games_) hash.add(std::string_view(game->name()));
  hash.add(std::string_view(code_));
  hash.add(params_json_);
  for (const Participant& p : participants_) {
    hash.add(p.id_in_session);
    hash.add(std::string_view(p.code));
    hash.add(std::string_view(p.label));
    hash.add(p.page);
    hash.add(p.arrived ? 1 : 0);
    hash.add(static_cast<uint64_t>(p.page_entered_ms));
    for (const Json& value : p.fields) hash.add(value);
    // Only when it differs from arriving: the digests of sessions where
    // everyone stays are those of earlier versions.
    if (p.arrived && !p.present) hash.add(std::string_view("away"));
  }
  for (const Player& player : players_) {
    if (player.has_group()) {
      add_group(player.group_);
    } else {
      hash.add(std::string_view("no group"));
    }
    hash.add(static_cast<uint64_t>(player.id_in_group_));
    for (const Json& value : player.fields_) hash.add(value);
  }
  // Round by round, in id order.
  for (const auto& round : round_groups_) {
    for (uint32_t index : round) {
      for (const Json& value : groups_[index].fields_) hash.add(value);
    }
  }
  for (const auto& table : tables_) {
    hash.add(table.size());
    for (const Record& record : table) {
      add_group(record.group);
      hash.add(record.participant);
      for (const Json& value : record.values) hash.add(value);
    }
  }
  if (!timers_.empty()) {
    // Named as groups are, so that the order of groups_ does not matter.
    std::vector<std::array<int64_t, 7>> timers;
    for (const ScheduledTimer& timer : timers_) {
      const bool group = static_cast<bool>(games_[timer.app]->timers()[timer.timer].on_group);
      timers.push_back({timer.app, timer.timer, group ? groups_[timer.owner].round_ : 0,
                        group ? groups_[timer.owner].id_in_subsession_ : timer.owner + 1,
                        timer.page, timer.due_ms, timer.every_ms});
    }
    std::sort(timers.begin(), timers.end());
    hash.add(std::string_view("timers"));
    for (const auto& timer : timers) {
      for (int64_t value : timer) hash.add(static_cast<uint64_t>(value));
    }
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash.value()));
  return text;
}

}  // namespace livectl
