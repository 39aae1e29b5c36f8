#pragma once
// The served sessions and everything that reaches them: WebSocket messages
// and page submits enter through Session::apply (the one door); what they
// produce (live frames, errors, page changes, HTTP pages) is held until the
// end of the event-loop turn, committed once, and only then released
// (commit before send). Free of libwebsockets: sockets are opaque pointers
// woken through `Wake`, so the rules here can be tested without a network.
//
// Thread: the event-loop thread only; no locks.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/session.h"
#include "server/assets.h"
#include "server/connection.h"
#include "server/durability.h"
#include "server/frames.h"
#include "server/page_layout.h"

namespace livectl::server {

class Admin;  // server/admin.h

// Session time for events (recorded with them, so replay sees the same
// times), in milliseconds of the system clock. Defined in server.cpp.
int64_t wall_clock_ms();

class SessionHost {
 public:
  // Asks for a writable callback on `socket` (lws_callback_on_writable).
  using Wake = void (*)(lws* socket);

  // Session time for the events the host makes itself (arrivals, timeouts).
  using Clock = int64_t (*)();

  // `durability` must outlive the host. Page templates come from `templates`.
  SessionHost(Durability& durability, ServerLimits limits, Wake wake,
              TemplateSource templates = embedded_file, Clock clock = wall_clock_ms);
  SessionHost(const SessionHost&) = delete;
  SessionHost& operator=(const SessionHost&) = delete;

  // Serves `session`, whose Store is durability.store(). Fails when its
  // game's page templates do not compile (GamePages::load's errors) or a
  // participant code is taken.
  Status add_session(std::unique_ptr<Session> session);

  const ServerLimits& limits() const { return limits_; }
  size_t session_count() const { return sessions_.size(); }
  const Session& session(uint32_t index) const { return *sessions_[index]; }
  // The participant with this code, in any session.
  std::optional<Seat> find(std::string_view code) const;

  // ---- WebSocket connections ----
  // Registers an open connection. `page_seen` is the page the client shows
  // (-1: unknown); when the participant is elsewhere, the client is told to
  // move. A participant's first page or connection is their arrival (a
  // kArrive event, which may let their group past a wait page).
  // Errors: "participant N already has 8 open pages".
  Status attach(Connection& connection, int32_t page_seen);
  // Unregisters a closing connection and drops what was held for it alone.
  void detach(Connection& connection);
  // A complete text message from `connection`: rate-limited, parsed, then
  // applied as a live event at session time `now_ms`. `monotonic_ms` drives
  // the rate limit.
  void receive(Connection& connection, std::string_view text, int64_t now_ms, int64_t monotonic_ms);
  // Sends `connection` an error frame (at the end of the turn) and nothing else.
  void refuse(Connection& connection, std::string_view message);

  // ---- HTTP ----
  // Applies a page submit of `seat` for page `page` (-1 when the form named
  // none, which changes nothing).
  void submit(Seat seat, int32_t page, int64_t now_ms);
  // Builds the exchange's response at the end of the turn: the current page
  // for kPage, a 303 to it for kSubmit. Until then the host keeps a pointer.
  void await_turn_end(HttpExchange& exchange);
  void forget(HttpExchange& exchange);

  // Fires the page timeouts that have run out (at most every
  // kTimeoutResolutionMs), each as a kTimeout event through the one door.
  void fire_timeouts();
  static constexpr int64_t kTimeoutResolutionMs = 50;

  // The end of an event-loop turn: commits what this turn applied, then
  // releases the frames and HTTP responses it held. After a failed commit,
  // the sessions storage lost are reloaded, their held frames dropped, and
  // their pages told to reload.
  void end_turn();

  // True while some connection has frames its socket has not taken yet.
  bool sending() const;

  // Events applied since start, for the startup and shutdown lines.
  uint64_t events_applied() const { return events_applied_; }

  // ---- For the admin pages (server/admin.h): read-only, but for set_admin ----
  // Open WebSocket connections of `seat`'s participant.
  // REQUIRES: `seat` is a participant of a served session.
  size_t connection_count(Seat seat) const {
    return connections_[seat.session][seat.participant - 1].size();
  }
  // The admin pages served beside the sessions (http_endpoint.cpp routes
  // /admin to them); null, the default, serves none: /admin is then 404.
  // The admin must outlive its use here.
  void set_admin(Admin* admin) { admin_ = admin; }
  Admin* admin() const { return admin_; }

 private:
  // A frame held until the commit: for one connection, or for every
  // connection of a participant.
  struct Held {
    Connection* only_to;  // nullptr: every connection of `seat`
    Seat seat;
    Frame frame;
  };

  void apply(Seat seat, const Event& event, Connection* sender);
  void arrive(Seat seat);
  void hold_for(Connection& connection, Frame frame);
  void deliver(Connection& connection, const Frame& frame);
  void respond(HttpExchange& exchange);
  void recover(const Status& failure, const std::vector<std::string>& lost);
  std::vector<Connection*>& connections_of(Seat seat) {
    return connections_[seat.session][seat.participant - 1];
  }

  Durability& durability_;
  ServerLimits limits_;
  Wake wake_;
  TemplateSource templates_;
  Clock clock_;
  int64_t next_timeout_check_ms_ = 0;
  std::vector<DueTimeout> due_;  // scratch for fire_timeouts
  std::vector<std::unique_ptr<Session>> sessions_;
  std::unordered_map<std::string, Seat> seats_;  // by participant code
  std::unordered_map<const Game*, std::unique_ptr<GamePages>> pages_;
  // [session][participant - 1] -> open connections
  std::vector<std::vector<std::vector<Connection*>>> connections_;
  bool uncommitted_ = false;  // events applied since the last commit
  std::vector<Held> held_;
  std::vector<HttpExchange*> awaiting_;
  uint64_t events_applied_ = 0;
  Admin* admin_ = nullptr;             // see set_admin
  std::vector<Frame> payload_frames_;  // scratch: one frame per payload of an event
};

}  // namespace livectl::server
