// A continuous-time public goods game (after otree-redwood's continuous
// public goods examples): groups of four, one period. Each player sets a
// slider, how many of their `endowment` points per period they put in the
// group's pot; the pot is multiplied and shared equally. Payoffs flow at
// every tick of the period (every `tick_ms`) from the sliders as they stand
// then, so a period earns what a one-shot public goods game would if every
// slider stayed put. Each tick broadcasts one batched state to the group.
// The period is the SDK's (Game::period): it starts when all four are on
// the decide page with it open, and its subperiods are the ticks.
#include <livectl/livectl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace livectl;

constexpr int kPlayersPerGroup = 4;

class Slider final : public Game {
 public:
  Slider()
      : Game("slider", "a public goods slider whose payoffs flow at every tick of a period",
             kPlayersPerGroup) {
    // Off for load tests (configuration slider_load), whose clients play
    // the live page only.
    page("introduction", PageKind::kPlain, "introduction.html")
        .is_displayed([this](const Player& player) { return player.session()[introduction]; });
    // The period (`play`, below) starts when the whole group is here, so
    // that nobody loses time to a slow loader.
    page("decide", PageKind::kLive, "decide.html");
    page("results", PageKind::kPlain, "results.html");
  }

  Outbox live_method(Player& player, const Json& data) const override {
    const Session& session = player.session();
    if (data.is_object() && data.empty()) return send_to(player, state(player.group(), &player));
    if (!play.running(player.group())) {
      return reject("the period starts when the whole group is here");
    }
    const Json* value = data.is_object() && data.size() == 1 && data.contains("contribution")
                            ? &data["contribution"]
                            : nullptr;
    if (!value) return reject("send {} for the state, or {\"contribution\": points}");
    const int64_t most = session[endowment];
    if (!value->is_number_integer() || value->get<int64_t>() < 0 || value->get<int64_t>() > most) {
      return reject("a contribution is a whole number of points from 0 to " + std::to_string(most));
    }
    Group& group = player.group();
    player[contribution] = value->get<int64_t>();
    player.add_record(move, {group[ticks].json(), *value});
    return {};  // the next tick tells the group
  }

  Json js_vars(const Player& player) const override {
    const Session& session = player.session();
    return object({{"endowment", session[endowment]},
                   {"multiplier", session[multiplier]},
                   {"period_ms", session[period_ms]},
                   {"tick_ms", session[tick_ms]},
                   {"id_in_group", player.id_in_group()}});
  }

  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;

  // What a tick earns each member: their share of a period's one-shot
  // payoff, endowment - contribution + multiplier * pot / group size, for
  // one tick of the period.
  std::vector<double> tick_earnings(const Group& group) const {
    const Session& session = group.session();
    int64_t pot = 0;
    for (const Player* member : group.players()) pot += (*member)[contribution];
    const double share = static_cast<double>(pot) * session[multiplier] / group.size();
    const double fraction =
        static_cast<double>(session[tick_ms]) / static_cast<double>(session[period_ms]);
    std::vector<double> earnings;
    for (const Player* member : group.players()) {
      earnings.push_back(
          (static_cast<double>(session[endowment] - (*member)[contribution]) + share) * fraction);
    }
    return earnings;
  }

  LIVECTL_PARAM(int64_t, endowment, 100);
  LIVECTL_PARAM(double, multiplier, 2.0);
  LIVECTL_PARAM(int64_t, period_ms, 60'000);
  LIVECTL_PARAM(int64_t, tick_ms, 100);
  LIVECTL_PARAM(bool, introduction, true);
  // How long after the first member came the period starts without the rest.
  LIVECTL_PARAM(int64_t, start_grace_ms, 60'000);
  LIVECTL_PLAYER_FIELD(int64_t, contribution, 0);
  // The ticks that fired, each broadcasting one state: the pages' states
  // are numbered by it, one after another.
  LIVECTL_GROUP_FIELD(int64_t, ticks, 0);
  // The ticks of the period paid for: every one that has passed. A late
  // tick (a busy server, or one restarted mid-period) also pays for the
  // ones it skipped, with the sliders as they stood, so a period pays what
  // a one-shot game would however punctually the server kept time.
  LIVECTL_GROUP_FIELD(int64_t, ticks_paid, 0);
  // Every slider move: the tick it came after and the new contribution.
  const RecordType move = record_type(
      "move", {{"after_tick", FieldType::kInteger}, {"contribution", FieldType::kInteger}});

  // The period: one tick every tick_ms, each paying every member and
  // telling the group; then everyone moves on to the results.
  const Period play = period(
      "decide", PeriodSpec()
                    .length_ms(period_ms)
                    .start_grace_ms(start_grace_ms)
                    .subperiods([this](const Session& session) {
                      return session[period_ms] / session[tick_ms];
                    })
                    .on_subperiod([this](Group& group, int64_t tick) { return pay(group, tick); }));

 private:
  // Tick number `tick` of the period: pays for it and for any the server
  // skipped since the last one, then tells the group.
  Outbox pay(Group& group, int64_t tick) const {
    const auto passed = static_cast<double>(tick - group[ticks_paid]);
    group[ticks_paid] = tick;
    group[ticks] += 1;
    const std::vector<double> earnings = tick_earnings(group);
    std::vector<Player*> members = group.players();
    for (size_t i = 0; i < members.size(); ++i) {
      (*members[i])[payoff] += earnings[i] * passed;
    }
    return send_to_group(state(group, nullptr));
  }

  // The group's state: the tick, every slider and every payoff so far, in
  // id_in_group order, and when the period ends; with `me`, whose it is.
  Json state(const Group& group, const Player* me) const {
    Json sliders = Json::array();
    Json payoffs = Json::array();
    for (const Player* member : group.players()) {
      sliders.push_back((*member)[contribution].json());
      payoffs.push_back((*member)[payoff].json());
    }
    Json result = object({{"tick", group[ticks].json()},
                          {"contributions", std::move(sliders)},
                          {"payoffs", std::move(payoffs)},
                          {"ends_ms", group[play.ends_ms].json()},
                          {"now_ms", group.session().now_ms()}});
    if (me) {
      result["id_in_group"] = me->id_in_group();
      result["endowment"] = group.session()[endowment];
    }
    return result;
  }
};

// Reads the state, waits for the period to start, moves its slider a few
// times at random, then waits for the period to end.
class Mover final : public Bot {
 public:
  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.name == "introduction") return BotAction::submit();
    if (page.name != "decide") return BotAction::done();
    if (!asked_) {
      asked_ = true;
      return BotAction::send(Json::object());
    }
    if (running_ && endowment_ >= 0 && moves_ < 5) {
      ++moves_;
      return BotAction::send(object({{"contribution", rng.between(0, endowment_)}}));
    }
    return BotAction::wait();  // the period's end moves the page on
  }
  // The reply to {} says how many points a slider goes up to; a state with
  // an end says the period runs (the first tick says so if the reply did not).
  void on_receive(const Json& data) override {
    if (data.contains("endowment")) endowment_ = data["endowment"].get<int64_t>();
    running_ = running_ || (data.contains("ends_ms") && !data["ends_ms"].is_null());
  }

 private:
  int64_t endowment_ = -1;
  bool running_ = false;
  bool asked_ = false;
  int moves_ = 0;
};

std::unique_ptr<Bot> Slider::make_bot(int, int) const {
  return std::make_unique<Mover>();
}

// After every tick: each member earned exactly what the sliders said for
// each tick it pays (one, or every one a late tick covers), so the payoffs
// are the running sum of those earnings.
class PayoffsFlowFromTheSliders final : public Invariant {
 public:
  explicit PayoffsFlowFromTheSliders(const Slider& game) : game_(game) {}
  std::string_view name() const override {
    return "each tick pays every member their share of the sliders as they stood";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    if (event.kind != EventKind::kTimer || result.error ||
        event.data["timer"] != "decide_subperiod") {
      return {};
    }
    const Group& group = session.player(event.participant).in_round(1).group();
    std::vector<double>& expected = expected_[group.id_in_subsession()];
    int64_t& paid = paid_[group.id_in_subsession()];
    const auto passed = static_cast<double>(group[game_.ticks_paid] - paid);
    paid = group[game_.ticks_paid];
    const std::vector<double> earnings = game_.tick_earnings(group);
    expected.resize(earnings.size(), 0.0);
    std::vector<const Player*> members = group.players();
    for (size_t i = 0; i < members.size(); ++i) {
      expected[i] += earnings[i] * passed;
      if ((*members[i])[game_.payoff] != expected[i]) {
        return "participant " + std::to_string(members[i]->id_in_session()) + " has earned " +
               (*members[i])[game_.payoff].json().dump() + " after tick " +
               group[game_.ticks].json().dump() + ", not " + std::to_string(expected[i]);
      }
    }
    return {};
  }

 private:
  const Slider& game_;
  std::map<int, std::vector<double>> expected_;
  std::map<int, int64_t> paid_;
};

// A period pays for at most period_ms / tick_ms ticks, and fires no more
// ticks than it pays for.
class TicksStayInThePeriod final : public Invariant {
 public:
  explicit TicksStayInThePeriod(const Slider& game) : game_(game) {}
  std::string_view name() const override { return "a period ticks at most period / tick times"; }
  std::optional<std::string> check(const Session& session, const Event&,
                                   const EventResult&) override {
    const int64_t most = session[game_.period_ms] / session[game_.tick_ms];
    for (const Group& group : session.groups()) {
      if (&group.game() != &game_) continue;
      const int64_t fired = group[game_.ticks];
      const int64_t paid = group[game_.ticks_paid];
      if (paid > most || fired > paid) {
        return "group " + std::to_string(group.id_in_subsession()) + " fired " +
               std::to_string(fired) + " ticks and paid for " + std::to_string(paid) +
               " in a period of " + std::to_string(most) + " ticks";
      }
    }
    return {};
  }

 private:
  const Slider& game_;
};

std::vector<std::unique_ptr<Invariant>> Slider::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> checks;
  checks.push_back(std::make_unique<PayoffsFlowFromTheSliders>(*this));
  checks.push_back(std::make_unique<TicksStayInThePeriod>(*this));
  return checks;
}

}  // namespace

LIVECTL_GAME(slider, Slider)
