#include "server/session_host.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/text.h"
#include "server/form_body.h"

namespace livectl::server {

namespace {

// What a page that cannot be rendered answers: the reason (a template's
// file, line and what exists, under --dev), in a page that needs nothing.
std::string page_error_document(std::string_view reason) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
      "<link rel=\"icon\" href=\"data:,\"><title>This page cannot be shown</title></head>\n"
      "<body>\n<h1>This page cannot be shown</h1>\n<pre id=\"error\">";
  append_html_escaped(reason, html);
  html += "</pre>\n<p>Reload this page once it is fixed.</p>\n</body>\n</html>\n";
  return html;
}

}  // namespace

SessionHost::SessionHost(Durability& durability, ServerLimits limits, Wake wake,
                         TemplateSource templates, Clock clock)
    : durability_(durability),
      limits_(limits),
      wake_(wake),
      templates_(compiled_templates(std::move(templates))),
      clock_(clock) {}

Status SessionHost::load_pages(const Game& game) {
  if (dev_templates_ || pages_.contains(&game)) return Status();
  std::unique_ptr<GamePages> pages;
  if (Status status = GamePages::load(game, templates_, &pages); !status.ok()) return status;
  pages_.emplace(&game, std::move(pages));
  return Status();
}

Status SessionHost::add_session(std::unique_ptr<Session> session) {
  for (const Game* game : session->games()) {
    if (Status status = load_pages(*game); !status.ok()) return status;
  }
  const auto index = static_cast<uint32_t>(sessions_.size());
  for (const Player& player : session->players()) {
    if (seats_.contains(player.participant().code)) {
      return Status::Error("participant code " + player.participant().code + " is taken");
    }
  }
  for (const Player& player : session->players()) {
    seats_.emplace(player.participant().code, Seat{index, player.participant().id_in_session});
  }
  connections_.emplace_back(session->participant_count());
  offline_.emplace_back();
  sent_.emplace_back(session->participant_count());
  released_.emplace_back(session->participant_count(), 0);
  // A resumed session's clock may be ahead of this machine's (it was set
  // back since): served time never goes below it.
  served_ms_ = std::max(served_ms_, session->now_ms());
  sessions_.push_back(std::move(session));
  load_sent(index);
  // Nobody has a page open yet: whoever does not come back in time left.
  for (const Player& player : sessions_.back()->round_players(1)) {
    const Participant& participant = player.participant();
    if (participant.arrived && participant.present) {
      expect_departure(Seat{index, participant.id_in_session});
    }
  }
  return Status();
}

std::optional<Seat> SessionHost::find(std::string_view code) const {
  const auto found = seats_.find(std::string(code));
  if (found == seats_.end()) return std::nullopt;
  return found->second;
}

// ---- WebSocket connections ----

int64_t SessionHost::now() {
  const int64_t reading = clock_();
  if (!clock_started_) {
    clock_started_ = true;
    served_ms_ = std::max(served_ms_, reading);
  } else if (reading > last_reading_ms_) {
    served_ms_ += reading - last_reading_ms_;
  }
  last_reading_ms_ = reading;
  return served_ms_;
}

size_t SessionHost::connection_count(Seat seat) const {
  const auto& open = connections_[seat.session][seat.participant - 1];
  return static_cast<size_t>(std::count_if(open.begin(), open.end(),
                                           [](const Connection* c) { return c->close_code == 0; }));
}

Status SessionHost::attach(Connection& connection, int32_t page_seen,
                           std::optional<uint64_t> after) {
  if (offline_[connection.seat.session]) {
    return Status::Error(*offline_[connection.seat.session]);
  }
  std::vector<Connection*>& open = connections_of(connection.seat);
  if (static_cast<int>(open.size()) >= limits_.max_connections_per_participant) {
    return Status::Error("participant " + std::to_string(connection.seat.participant) +
                         " already has " + std::to_string(open.size()) + " open pages");
  }
  open.push_back(&connection);
  const Session& session = *sessions_[connection.seat.session];
  const Participant& participant = session.player(connection.seat.participant).participant();
  const uint32_t page = participant.page;
  if (page_seen != kPageNotNamed && static_cast<int64_t>(page_seen) != page) {
    hold_for(connection, page_frame(page, session.page_spec(page).name));
  } else if (after && *after < participant.delivered) {
    // What the page missed, from what was committed and released; those
    // not released yet (their commit has not ended) follow when it ends,
    // in order, as this connection is the participant's now.
    const uint64_t from = std::max(*after, participant.page_delivered);
    const uint64_t released = released_[connection.seat.session][connection.seat.participant - 1];
    const std::deque<Sent>& sent = sent_[connection.seat.session][connection.seat.participant - 1];
    if (from < released) {
      if (sent.empty() || sent.front().seq > from + 1) {
        deliver(connection, gap_frame(from, sent.empty() ? released + 1 : sent.front().seq));
      }
      for (const Sent& each : sent) {
        if (each.seq > from) deliver(connection, live_frame(each.seq, *each.payload));
      }
    }
  }
  // After the check: if arriving moves the page on, the page frame of that
  // move reaches this connection too.
  arrive(connection.seat);
  std::erase_if(departures_, [&](const Departure& d) {
    return d.seat.session == connection.seat.session &&
           d.seat.participant == connection.seat.participant;
  });
  if (participant.arrived && !participant.present) set_presence(connection.seat, true);
  return Status();
}

void SessionHost::expect_departure(Seat seat) {
  for (const Departure& departure : departures_) {
    if (departure.seat.session == seat.session && departure.seat.participant == seat.participant) {
      return;
    }
  }
  departures_.push_back({seat, now() + kPresenceGraceMs});
}

void SessionHost::set_presence(Seat seat, bool present) {
  Event event;
  event.kind = EventKind::kPresence;
  event.participant = seat.participant;
  event.time_ms = now();
  event.data = Json::object({{"present", present}});
  const EventResult* result = apply(seat, event, nullptr);
  if (result && result->error) {
    std::fprintf(stderr, "livectl: session %s: %s\n", sessions_[seat.session]->code().c_str(),
                 result->error->c_str());
  }
}

void SessionHost::detach(Connection& connection) {
  std::erase(connections_of(connection.seat), &connection);
  if (!offline_[connection.seat.session] && connection_count(connection.seat) == 0) {
    const Participant& participant =
        sessions_[connection.seat.session]->player(connection.seat.participant).participant();
    if (participant.arrived && participant.present) expect_departure(connection.seat);
  }
  auto for_it = [&](const Held& held) { return held.only_to == &connection; };
  std::erase_if(held_, for_it);
  std::erase_if(releasing_, for_it);
}

void SessionHost::receive(Connection& connection, std::string_view text, int64_t monotonic_ms) {
  if (!connection.rate.take(monotonic_ms)) {
    // Told once per run of dropped messages, so a flood does not turn into
    // a flood of errors back.
    if (!connection.dropping) {
      connection.dropping = true;
      hold_for(connection,
               error_frame("too many messages: more than " +
                           std::to_string(static_cast<int>(limits_.messages_per_second)) +
                           " a second; this one and those right after it were dropped"));
    }
    return;
  }
  connection.dropping = false;
  LiveMessage message;
  if (Status status = parse_live_message(text, &message); !status.ok()) {
    hold_for(connection, error_frame(status.message()));
    return;
  }
  Event event;
  event.kind = EventKind::kLive;
  event.participant = connection.seat.participant;
  event.time_ms = now();
  event.page = message.page;
  event.data = std::move(message.data);
  apply(connection.seat, event, &connection);
}

void SessionHost::refuse(Connection& connection, std::string_view message) {
  hold_for(connection, error_frame(message));
}

// ---- HTTP ----

std::vector<std::pair<std::string, std::string>> SessionHost::submit(Seat seat, int32_t page,
                                                                     Json values) {
  if (page < 0 || offline_[seat.session]) return {};
  arrive(seat);  // a client that posts without having loaded the page
  Event event;
  event.kind = EventKind::kSubmit;
  event.participant = seat.participant;
  event.time_ms = now();
  event.page = page;
  event.data = std::move(values);
  const EventResult* result = apply(seat, event, nullptr);
  // Copied now: the result is the session's until its next event.
  return result ? result->form_errors : std::vector<std::pair<std::string, std::string>>{};
}

void SessionHost::submit_form(HttpExchange& exchange, int32_t page) {
  const Session& session = *sessions_[exchange.seat.session];
  Json values;
  // A page index beyond the flow is refused by the engine as stale.
  if (page >= 0 && static_cast<uint32_t>(page) < session.flow_size()) {
    values = page_form_values(session.flow_game(static_cast<uint32_t>(page)),
                              session.page_spec(static_cast<uint32_t>(page)), exchange.form);
  }
  RefusedForm refused;
  refused.page = static_cast<uint32_t>(std::max(page, 0));
  refused.values = values.is_object() ? values : Json::object();
  refused.errors = submit(exchange.seat, page, std::move(values));
  if (!refused.errors.empty()) exchange.refused = std::move(refused);
  await_turn_end(exchange);
}

Status SessionHost::admit(Seat seat, const std::string& label) {
  if (offline_[seat.session]) return Status::Error(*offline_[seat.session]);
  if (sessions_[seat.session]->participant(seat.participant).arrived) {
    return Status::Error("participant " + std::to_string(seat.participant) +
                         " has arrived already");
  }
  Event event;
  event.kind = EventKind::kArrive;
  event.participant = seat.participant;
  event.time_ms = now();
  if (!label.empty()) event.data = Json{{"label", label}};
  const EventResult* result = apply(seat, event, nullptr);
  if (result && result->error) return Status::Error(*result->error);
  return Status();
}

void SessionHost::await_turn_end(HttpExchange& exchange) {
  if (exchange.request == HttpExchange::Request::kPage) arrive(exchange.seat);
  awaiting_.push_back(&exchange);
}

void SessionHost::forget(HttpExchange& exchange) {
  std::erase(awaiting_, &exchange);
  std::erase_if(answers_, [&](const Answer& answer) { return answer.exchange == &exchange; });
}

void SessionHost::respond(HttpExchange& exchange) {
  if (const auto& reason = offline_[exchange.seat.session]) {
    exchange.status = 503;
    exchange.content_type = "text/plain; charset=utf-8";
    exchange.set_cookie.clear();
    exchange.body = *reason + "\n";
    return;
  }
  const Session& session = *sessions_[exchange.seat.session];
  const Player& player = session.player(exchange.seat.participant);
  // A refused form is shown again only on its page: another event of the
  // same turn (a timeout, a second tab) may have moved the participant on.
  const bool refused = exchange.request == HttpExchange::Request::kSubmit && exchange.refused &&
                       exchange.refused->page == player.participant().page;
  if (exchange.request == HttpExchange::Request::kRoom && !player.participant().arrived) {
    // A failed commit took the arrival back (recover): nothing was promised.
    exchange.status = 503;
    exchange.content_type = "text/plain; charset=utf-8";
    exchange.set_cookie.clear();
    exchange.body = "the server could not store your arrival; reload this page\n";
  } else if ((exchange.request == HttpExchange::Request::kSubmit && !refused) ||
             exchange.request == HttpExchange::Request::kRoom) {
    // Post/redirect/get: a reload then shows the page instead of resubmitting.
    exchange.status = 303;
    exchange.content_type = "text/plain; charset=utf-8";
    exchange.location = "/p/" + player.participant().code;
    exchange.body = "See " + exchange.location + "\n";
  } else {
    render_page(exchange, player, refused ? &*exchange.refused : nullptr);
  }
}

void SessionHost::render_page(HttpExchange& exchange, const Player& player,
                              const RefusedForm* refused) {
  exchange.content_type = "text/html; charset=utf-8";
  Status rendered;
  if (dev_templates_) {
    std::unique_ptr<GamePages> pages;
    rendered = GamePages::load(player.game(), dev_templates_, &pages);
    if (rendered.ok()) rendered = pages->render(player, &exchange.body, refused);
  } else {
    rendered = pages_.at(&player.game())->render(player, &exchange.body, refused);
  }
  exchange.status = rendered.ok() ? 200 : 500;
  if (!rendered.ok()) {
    std::fprintf(stderr, "livectl: the page of participant %s: %s\n",
                 player.participant().code.c_str(), rendered.message().c_str());
    exchange.body = page_error_document(rendered.message());
  }
}

// ---- events and the end of the turn ----

const EventResult* SessionHost::apply(Seat seat, const Event& event, Connection* sender) {
  if (offline_[seat.session]) return nullptr;  // ahead of storage: it takes nothing more
  Session& session = *sessions_[seat.session];
  const EventResult& result = session.apply(event);
  if (seat.session < due_stale_.size()) due_stale_[seat.session] = 1;
  uncommitted_ = true;
  ++events_applied_;
  if (result.error) {
    if (sender) hold_for(*sender, error_frame(*result.error));
    return &result;
  }
  // One frame per delivery (each carries its recipient's number); the
  // payload text is shared by its recipients, and kept for re-sending.
  payloads_.assign(result.payloads.size(), nullptr);
  for (const Delivery& delivery : result.deliveries) {
    std::shared_ptr<const std::string>& payload = payloads_[delivery.payload];
    if (!payload) payload = std::make_shared<const std::string>(result.payloads[delivery.payload]);
    held_.push_back({nullptr, Seat{seat.session, delivery.participant},
                     live_frame(delivery.seq, *payload), delivery.seq, payload});
  }
  for (uint32_t participant : result.page_changes) {
    const uint32_t page = session.player(participant).participant().page;
    held_.push_back({nullptr, Seat{seat.session, participant},
                     page_frame(page, session.page_spec(page).name), 0, nullptr});
  }
  payloads_.clear();
  return &result;
}

void SessionHost::arrive(Seat seat) {
  const Session& session = *sessions_[seat.session];
  if (offline_[seat.session] || session.player(seat.participant).participant().arrived) return;
  Event event;
  event.kind = EventKind::kArrive;
  event.participant = seat.participant;
  event.time_ms = now();
  apply(seat, event, nullptr);
}

void SessionHost::note_lateness(const Session& session, const Event& event, int64_t now) {
  const ScheduledTimer* scheduled = session.timer_of(event);
  if (!scheduled) return;
  const auto late = static_cast<size_t>(std::max<int64_t>(0, now - scheduled->due_ms));
  ++timer_lateness_[std::min(late, timer_lateness_.size() - 1)];
}

std::string SessionHost::timer_lateness_summary() const {
  uint64_t total = 0;
  for (uint64_t count : timer_lateness_) total += count;
  if (total == 0) return {};
  auto percentile = [&](double p) {
    const auto wanted = static_cast<uint64_t>(std::ceil(p * static_cast<double>(total)));
    uint64_t seen = 0;
    for (size_t ms = 0; ms < timer_lateness_.size(); ++ms) {
      seen += timer_lateness_[ms];
      if (seen >= wanted) return ms;
    }
    return timer_lateness_.size() - 1;
  };
  size_t max = 0;
  for (size_t ms = 0; ms < timer_lateness_.size(); ++ms) {
    if (timer_lateness_[ms] > 0) max = ms;
  }
  const std::string last = max + 1 == timer_lateness_.size() ? "+" : "";
  return std::to_string(total) + " timer firings, late by p50 " + std::to_string(percentile(0.5)) +
         " ms, p99 " + std::to_string(percentile(0.99)) + " ms, max " + std::to_string(max) + last +
         " ms";
}

int64_t SessionHost::fire_due() {
  const int64_t now = this->now();
  next_due_.resize(sessions_.size(), INT64_MAX);
  due_stale_.resize(sessions_.size(), 1);
  int64_t next = now + kTimeoutResolutionMs;
  // Who has had no page for the grace period has left.
  for (size_t i = 0; i < departures_.size();) {
    const Departure departure = departures_[i];
    if (departure.due_ms > now) {
      next = std::min(next, departure.due_ms);
      ++i;
      continue;
    }
    departures_.erase(departures_.begin() + static_cast<std::ptrdiff_t>(i));
    if (offline_[departure.seat.session] || connection_count(departure.seat) > 0) continue;
    const Participant& participant =
        sessions_[departure.seat.session]->player(departure.seat.participant).participant();
    if (participant.present) set_presence(departure.seat, false);
  }
  for (uint32_t index = 0; index < sessions_.size(); ++index) {
    if (offline_[index]) continue;
    Session& session = *sessions_[index];
    if (due_stale_[index]) {
      next_due_[index] = session.next_due_ms();
      due_stale_[index] = 0;
    }
    if (next_due_[index] <= now) {
      session.due_events(now, &due_);
      for (const Event& event : due_) {
        // An earlier event of this batch may have made it moot.
        if (!session.is_due(event)) continue;
        if (event.kind == EventKind::kTimer) note_lateness(session, event, now);
        const EventResult* result = apply(Seat{index, event.participant}, event, nullptr);
        if (result && result->error && event.kind == EventKind::kTimer) {
          // Nobody sent it, so nobody is told: the log and stderr say it.
          std::fprintf(stderr, "livectl: session %s: %s\n", session.code().c_str(),
                       result->error->c_str());
        }
      }
      next_due_[index] = session.next_due_ms();
      due_stale_[index] = 0;
      // Still due: the door refused it (a game that throws); try again
      // later rather than at every turn.
      if (next_due_[index] <= now) next_due_[index] = now + kTimeoutResolutionMs;
    }
    next = std::min(next, next_due_[index]);
  }
  return std::max<int64_t>(0, next - now);
}

void SessionHost::keep_sent(Seat seat, Sent sent) {
  if (offline_[seat.session]) return;
  std::deque<Sent>& kept = sent_[seat.session][seat.participant - 1];
  const uint64_t page_start =
      sessions_[seat.session]->player(seat.participant).participant().page_delivered;
  while (!kept.empty() && (kept.front().seq <= page_start || kept.size() >= kHistoryLimit)) {
    kept.pop_front();
  }
  if (sent.seq > page_start) kept.push_back(std::move(sent));
}

void SessionHost::load_sent(uint32_t index) {
  const Session& session = *sessions_[index];
  std::vector<std::vector<PageDelivery>> stored;
  auto& kept = sent_[index];
  kept.assign(session.participant_count(), {});
  // What storage holds was released (or is told of again on reload).
  for (uint32_t p = 0; p < session.participant_count(); ++p) {
    released_[index][p] = session.player(p + 1).participant().delivered;
  }
  if (Status status = durability_.page_deliveries(session, kHistoryLimit, &stored); !status.ok()) {
    // Pages that reconnect are told of a gap and ask for the state.
    std::fprintf(stderr, "livectl: session %s: %s\n", session.code().c_str(),
                 status.message().c_str());
    return;
  }
  for (size_t p = 0; p < stored.size() && p < kept.size(); ++p) {
    for (PageDelivery& delivery : stored[p]) {
      kept[p].push_back(
          {delivery.seq, std::make_shared<const std::string>(std::move(delivery.payload))});
    }
  }
}

void SessionHost::hold_for(Connection& connection, Frame frame) {
  held_.push_back({&connection, connection.seat, std::move(frame), 0, nullptr});
}

void SessionHost::deliver(Connection& connection, const Frame& frame) {
  if (connection.close_code != 0) return;
  // From idle to waiting: the stall clock starts (SessionHost::close_stalled).
  if (connection.outgoing.empty() && !connection.choked && connection.os_unsent == 0) {
    connection.waiting_since_ms = monotonic_ms();
  }
  if (!connection.outgoing.push(frame)) {
    close(connection, 1008,  // policy violation
          "outgoing queue over " + std::to_string(limits_.max_queue_bytes) +
              " bytes: the page reads too slowly; reconnect to resync");
    return;
  }
  wake_(connection.socket);
}

void SessionHost::close(Connection& connection, int code, std::string_view reason) {
  if (connection.close_code != 0) return;
  connection.outgoing.clear();
  connection.close_code = code;
  connection.close_reason = std::string(cut_utf8(reason, 123));
  wake_(connection.socket);
  if (abort_) abort_(connection.socket);
}

void SessionHost::close_stalled(int64_t now_ms, Unsent unsent) {
  for (auto& session : connections_) {
    for (auto& participant : session) {
      for (Connection* connection : participant) {
        if (connection->close_code != 0) continue;
        // The OS's queue only shrinks while nothing is written: a socket
        // that was empty at the last check and has written nothing since
        // is not asked (an idle session's sockets cost no system call).
        const bool asked = connection->wrote || connection->os_unsent != 0;
        connection->wrote = false;
        const size_t in_os = unsent && asked ? unsent(connection->socket) : 0;
        const bool progress = in_os < connection->os_unsent;
        connection->os_unsent = in_os;
        if (connection->outgoing.empty() && !connection->choked && in_os == 0) continue;
        if (progress) connection->waiting_since_ms = std::max(connection->waiting_since_ms, now_ms);
        if (now_ms - connection->waiting_since_ms < limits_.stall_timeout_ms) continue;
        close(*connection, 1008,
              "the page took nothing for " + std::to_string(limits_.stall_timeout_ms / 1000) +
                  " s: it reads too slowly; reconnect to resync");
      }
    }
  }
}

void SessionHost::end_turn() {
  if (committing_ && durability_.commit_finished()) finish_commit();
  if (uncommitted_ && !committing_) {
    uncommitted_ = false;
    bool started = false;
    std::vector<std::string> lost;
    if (Status status = durability_.start_commit(&started, &lost); !status.ok()) {
      recover(status, lost);
    }
    committing_ = started;
  }
  // Frames and pages of the events not handed to a commit yet wait for it.
  if (uncommitted_) return;
  // The rest show what the running commit holds, or what storage holds.
  take_held();
  if (!committing_) release();
}

void SessionHost::settle() {
  if (committing_) finish_commit();
  if (uncommitted_) {
    uncommitted_ = false;
    std::vector<std::string> lost;
    if (Status status = durability_.commit(&lost); !status.ok()) recover(status, lost);
  }
  take_held();
  release();
}

void SessionHost::finish_commit() {
  committing_ = false;
  std::vector<std::string> lost;
  if (Status status = durability_.finish_commit(&lost); !status.ok()) recover(status, lost);
  release();
}

void SessionHost::take_held() {
  if (releasing_.empty()) {
    releasing_.swap(held_);
  } else {
    std::move(held_.begin(), held_.end(), std::back_inserter(releasing_));
    held_.clear();
  }
  // Rendered now, from exactly the state being committed; sent once it is.
  for (HttpExchange* exchange : awaiting_) {
    respond(*exchange);
    answers_.push_back({exchange, exchange->status});
    exchange->status = 0;  // not ready before the release (http_endpoint.cpp)
  }
  awaiting_.clear();
}

void SessionHost::release() {
  for (Held& held : releasing_) {
    if (held.only_to) {
      deliver(*held.only_to, held.frame);
    } else {
      for (Connection* connection : connections_of(held.seat)) deliver(*connection, held.frame);
    }
    if (held.seq != 0) {
      uint64_t& released = released_[held.seat.session][held.seat.participant - 1];
      released = std::max(released, held.seq);
      keep_sent(held.seat, {held.seq, std::move(held.payload)});
    }
  }
  releasing_.clear();
  for (const Answer& answer : answers_) {
    answer.exchange->status = answer.status;
    wake_(answer.exchange->socket);
  }
  answers_.clear();
}

bool SessionHost::sending() const {
  for (const auto& session : connections_) {
    for (const auto& participant : session) {
      for (const Connection* connection : participant) {
        if (!connection->outgoing.empty() || connection->choked) return true;
      }
    }
  }
  return false;
}

void SessionHost::recover(const Status& failure, const std::vector<std::string>& lost) {
  for (const std::string& code : lost) {
    const auto found = std::find_if(sessions_.begin(), sessions_.end(),
                                    [&](const auto& session) { return session->code() == code; });
    if (found == sessions_.end()) continue;
    const auto index = static_cast<uint32_t>(found - sessions_.begin());
    auto of_it = [&](const Held& held) { return held.seat.session == index; };
    std::erase_if(held_, of_it);
    std::erase_if(releasing_, of_it);
    // Its pages rendered for the lost commit show what was lost: again.
    auto answer_again = [&] {
      for (Answer& answer : answers_) {
        if (answer.exchange->seat.session != index) continue;
        respond(*answer.exchange);
        answer.status = answer.exchange->status;
        answer.exchange->status = 0;
      }
    };
    std::unique_ptr<Session> reloaded;
    if (Status status = durability_.reload(code, (*found)->games(), &reloaded); !status.ok()) {
      // Nothing consistent is left to serve this session from.
      take_offline(index, "the session could not be stored: " + failure.message() +
                              "; reloading it failed too: " + status.message());
      answer_again();
      continue;
    }
    *found = std::move(reloaded);
    answer_again();
    load_sent(index);
    // Every page of the session may show what was lost: each reloads.
    const Session& session = **found;
    for (const Player& player : session.round_players(1)) {
      const uint32_t page = player.participant().page;
      for (Connection* connection :
           connections_of(Seat{index, player.participant().id_in_session})) {
        hold_for(*connection, error_frame("the server could not store the latest changes (" +
                                          failure.message() + "); the page reloads"));
        hold_for(*connection, page_frame(page, session.page_spec(page).name));
      }
    }
  }
}

void SessionHost::take_offline(uint32_t index, std::string reason) {
  std::fprintf(stderr, "livectl: session %s is offline: %s\n", sessions_[index]->code().c_str(),
               reason.c_str());
  for (auto& participant : connections_[index]) {
    for (Connection* connection : participant) close(*connection, 1011, reason);
  }
  offline_[index] = std::move(reason);
}

}  // namespace livectl::server
