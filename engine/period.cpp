// Periods (Game::period): a group's timed stretch of a live page, built on
// game timers and presence. Its state is four group fields and its work
// three group timers, so it is recorded, restored and replayed like any
// game's own fields and timers.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/session.h"

namespace livectl {

Period Game::period(std::string page, PeriodSpec spec) {
  for (const PeriodSpec& other : periods_) {
    if (other.page == page) throw std::logic_error("page '" + page + "' has two periods");
  }
  const auto index = static_cast<uint32_t>(periods_.size());
  Period handle;
  handle.index = index;
  handle.started_ms = {group_field(page + "_started_ms", FieldType::kInteger)};
  handle.ends_ms = {group_field(page + "_ends_ms", FieldType::kInteger)};
  handle.subperiod = {group_field(page + "_subperiod", FieldType::kInteger, 0)};
  handle.ended_ms = {group_field(page + "_ended_ms", FieldType::kInteger)};
  // Declared in this order so that at one moment a subperiod's tick fires
  // before the end it shares its time with (timers fire in declaration
  // order).
  spec.start_timer = group_timer(page + "_start", [this, index](Group& group) {
                       return group.session().start_period(group, periods_[index]);
                     }).index;
  spec.tick_timer = group_timer(page + "_subperiod", [this, index](Group& group) {
                      return group.session().tick_period(group, periods_[index]);
                    }).index;
  spec.end_timer = group_timer(page + "_end", [this, index](Group& group) {
                     return group.session().end_period(group, periods_[index]);
                   }).index;
  spec.page = std::move(page);
  spec.started_ms = handle.started_ms;
  spec.ends_ms = handle.ends_ms;
  spec.subperiod = handle.subperiod;
  spec.ended_ms = handle.ended_ms;
  periods_.push_back(std::move(spec));
  return handle;
}

bool Period::running(const Group& group) const {
  return group[started_ms].is_set() && !group[ended_ms].is_set();
}

namespace {

std::string describe(const PeriodSpec& spec, const Group& group) {
  return "the period on page '" + spec.page + "' of group " +
         std::to_string(group.id_in_subsession());
}

}  // namespace

int64_t Session::period_number(const PeriodNumber& number) const {
  if (number.of_session) return number.of_session(*this);
  if (!number.param) return number.value;
  return (*this)[ParamOf<int64_t>{*number.param}];
}

Outbox Session::start_period(Group& group, const PeriodSpec& spec) {
  if (group[spec.started_ms].is_set()) return {};
  const int64_t length = period_number(spec.length);
  const int64_t count = period_number(spec.count);
  if (length < 1 || length > kMaxTimerDelayMs) {
    throw std::invalid_argument(describe(spec, group) + " lasts 1 to " +
                                std::to_string(kMaxTimerDelayMs) + " ms, not " +
                                std::to_string(length));
  }
  if (count < 0 || (count > 0 && length / count < kMinTimerIntervalMs)) {
    throw std::invalid_argument(describe(spec, group) + " of " + std::to_string(length) +
                                " ms cannot have " + std::to_string(count) +
                                " subperiods (each lasts at least " +
                                std::to_string(kMinTimerIntervalMs) + " ms)");
  }
  group.cancel(GroupTimer{spec.start_timer});
  group[spec.started_ms] = now_ms_;
  group[spec.ends_ms] = now_ms_ + length;
  if (count > 0) group.schedule_every(GroupTimer{spec.tick_timer}, length / count);
  group.schedule(GroupTimer{spec.end_timer}, length);
  return spec.started ? spec.started(group) : Outbox();
}

Outbox Session::tick_period(Group& group, const PeriodSpec& spec) {
  const int64_t count = period_number(spec.count);
  const int64_t started = group[spec.started_ms];
  const int64_t every = (group[spec.ends_ms] - started) / std::max<int64_t>(count, 1);
  // A late tick (a busy or stopped server) counts the subperiods that have
  // passed; the ones it skipped are not called.
  const int64_t subperiod = std::min(count, (now_ms_ - started) / every);
  if (subperiod >= count) group.cancel(GroupTimer{spec.tick_timer});
  if (subperiod <= group[spec.subperiod]) return {};
  group[spec.subperiod] = subperiod;
  return spec.ticked ? spec.ticked(group, subperiod) : Outbox();
}

Outbox Session::end_period(Group& group, const PeriodSpec& spec) {
  group.cancel(GroupTimer{spec.tick_timer});
  group[spec.ended_ms] = now_ms_;
  Outbox outbox = spec.ended ? spec.ended(group) : Outbox();
  if (!spec.stay) {
    // fired_page_ is the page of the end timer: the period's, in the
    // group's round.
    for (uint32_t member : group.members_) {
      const uint32_t p = players_[member].participant_;
      if (participants_[p].page == fired_page_) advance(p);
    }
  }
  return outbox;
}

void Session::settle_periods(bool everyone) {
  if (everyone) {
    for (uint32_t p = 0; p < participants_.size(); ++p) settle_period(p);
    return;
  }
  // settle_period may move a latecomer on, which adds to undo_.
  for (size_t i = 0; i < undo_.size() && !result_.error; ++i) {
    const Change::Scope scope = undo_[i].scope;
    const uint32_t p = undo_[i].owner;
    if (scope == Change::Scope::kPage || scope == Change::Scope::kArrival ||
        (scope == Change::Scope::kPresence && participants_[p].present)) {
      settle_period(p);
    }
  }
}

void Session::settle_period(uint32_t participant_index) {
  const Participant& participant = participants_[participant_index];
  const uint32_t page = participant.page;
  const FlowPage& flow = flow_[page];
  if (flow.period < 0 || !participant.arrived) return;
  Player& player = current_player(participant_index);
  if (!player.has_group()) return;
  Group& group = player.group();
  const PeriodSpec& spec = games_[flow.app]->periods()[flow.period];
  if (group[spec.ended_ms].is_set()) {
    // A latecomer to a period that is over passes through, as a latecomer
    // to a wait page does.
    if (!spec.stay) advance(participant_index);
    return;
  }
  if (group[spec.started_ms].is_set()) return;
  bool complete = true;
  for (uint32_t member : group.members_) {
    const Participant& other = participants_[players_[member].participant_];
    complete = complete && other.page == page && other.arrived && other.present;
  }
  // The period's timers belong to its page, whoever's event starts them.
  const uint32_t fired = fired_page_;
  fired_page_ = page;
  if (complete) {
    Outbox outbox = start_period(group, spec);
    if (outbox.rejection()) {
      throw std::runtime_error(describe(spec, group) +
                               " could not start: reject: " + *outbox.rejection());
    }
    if (outbox.malformed()) {
      throw std::runtime_error(describe(spec, group) + " could not start: " + *outbox.malformed());
    }
    route(players_[group.members_.front()], page, outbox);
  } else if (!group.timer_due(GroupTimer{spec.start_timer})) {
    const int64_t grace = period_number(spec.grace);
    if (grace < 0 || grace > kMaxTimerDelayMs) {
      throw std::invalid_argument(describe(spec, group) + " has a start grace of " +
                                  std::to_string(grace) + " ms; it must be 0 to " +
                                  std::to_string(kMaxTimerDelayMs));
    }
    group.schedule(GroupTimer{spec.start_timer}, grace);
  }
  fired_page_ = fired;
}

}  // namespace livectl
