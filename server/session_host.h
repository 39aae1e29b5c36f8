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
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/registry.h"
#include "engine/session.h"
#include "server/assets.h"
#include "server/connection.h"
#include "server/durability.h"
#include "server/frames.h"
#include "server/page_layout.h"

namespace livectl::server {

class Admin;  // server/admin.h
class Room;   // server/room.h

// The time of the system clock in milliseconds. Defined in server.cpp.
int64_t wall_clock_ms();

// A monotonic clock in milliseconds (rate limits, stalls). Defined in server.cpp.
int64_t monotonic_ms();

// Session time for served events (recorded with them, so replay sees the
// same times): the system clock's time at the first call, then advanced by
// a monotonic clock, so that a wall clock stepped back (NTP) holds no page
// timer and no event time. Defined in server.cpp.
int64_t served_clock_ms();

class SessionHost {
 public:
  // Tells the server `socket` has something to write (Server::wake).
  using Wake = void (*)(lws* socket);
  // Closes `socket` within a bounded time even when it never becomes
  // writable again (a reader that reads nothing): its close code and reason
  // are in its Connection. See set_abort().
  using Abort = void (*)(lws* socket);

  // The clock session time is read from, in milliseconds. It may jump back
  // (a wall clock); session time never does: it advances by the clock's
  // forward steps only, from max(the first reading, the served sessions'
  // own clocks), so page timers keep running at the clock's pace.
  using Clock = int64_t (*)();

  // `durability` must outlive the host. Page templates come from `templates`
  // (compiled in), each game's compiled once, when its first session is added.
  SessionHost(Durability& durability, ServerLimits limits, Wake wake,
              TemplateSource templates = game_file, Clock clock = served_clock_ms);
  SessionHost(const SessionHost&) = delete;
  SessionHost& operator=(const SessionHost&) = delete;

  // `serve --dev`: from now on every page request compiles its game's
  // templates from `read` (folder_templates), so that an edit shows on
  // reload. A template that does not compile, or cannot be read, answers
  // that page with 500 and the error, also printed on stderr; nothing else
  // changes, and the next request reads the file again. The files are read
  // on the event-loop thread, which is fine for one person's edits and not
  // meant for a lab session.
  void set_dev_templates(TemplateReader read) { dev_templates_ = std::move(read); }
  // The reader set_dev_templates set; empty when none was.
  const TemplateReader& dev_template_reader() const { return dev_templates_; }

  // Compiles `game`'s page templates unless that was done: a session of it
  // is then served without a template error. Always ok under dev templates
  // (they are compiled at each request). Errors: GamePages::load's.
  Status load_pages(const Game& game);

  // Serves `session`, whose Store is durability.store(). Fails when its
  // game's page templates do not compile (load_pages) or a participant
  // code is taken.
  Status add_session(std::unique_ptr<Session> session);

  const ServerLimits& limits() const { return limits_; }
  size_t session_count() const { return sessions_.size(); }
  const Session& session(uint32_t index) const { return *sessions_[index]; }
  // Where a participant's requests go when several processes serve one
  // database behind a proxy (GET /_livectl/route, docs/protocol.md): this
  // process's node name (its address as the proxy reaches it), and how to
  // find the node that runs a session this process does not (ok with
  // nullopt: no such participant; ok with "": nobody runs it right now).
  using Router =
      std::function<Status(const std::string& participant_code, std::optional<std::string>* node)>;
  void set_router(std::string node_name, Router router) {
    node_name_ = std::move(node_name);
    router_ = std::move(router);
  }
  const std::string& node_name() const { return node_name_; }
  const Router& router() const { return router_; }

  // Whether the session with this code is served here.
  bool has_session(std::string_view code) const {
    for (const auto& session : sessions_) {
      if (session->code() == code) return true;
    }
    return false;
  }
  // The participant with this code, in any session.
  std::optional<Seat> find(std::string_view code) const;

  // The close of a socket that reads nothing, set through set_abort(); the
  // default (tests, no sockets) does nothing.
  void set_abort(Abort abort) { abort_ = abort; }

  // ---- WebSocket connections ----
  // What attach() is told when the client named no page, and when it named
  // something that is not a page index (?page=abc): the latter always gets
  // a page frame.
  static constexpr int32_t kPageNotNamed = -1;
  static constexpr int32_t kNotAPageIndex = -2;
  // Registers an open connection. `page_seen` is the page the client shows
  // (or one of the two constants above); when the participant is
  // elsewhere, the client is told to move. A participant's first page or
  // connection is their arrival (a kArrive event, which may let their group
  // past a wait page). With `after` (the last delivery number the page
  // handled, docs/protocol.md "Delivery"), the connection is first sent,
  // in order, the deliveries of the participant's page numbered after it
  // that were released before (at most kHistoryLimit; a gap frame says
  // when older ones are missing).
  // Errors: "participant N already has 8 open pages"; an offline session's
  // reason (offline_reason()).
  Status attach(Connection& connection, int32_t page_seen,
                std::optional<uint64_t> after = std::nullopt);
  // How many deliveries of a participant's page are kept for re-sending.
  static constexpr size_t kHistoryLimit = 1000;
  // How long a participant who has arrived may have no open page before
  // the game is told they left (EventKind::kPresence): longer than a page
  // reload and than live.js's first attempts to reconnect after a drop
  // (0.25 + 0.5 + 1 + 2 s), so that neither counts as leaving.
  static constexpr int64_t kPresenceGraceMs = 5000;
  // Unregisters a closing connection and drops what was held for it alone.
  void detach(Connection& connection);
  // A complete text message from `connection`: rate-limited, parsed, then
  // applied as a live event at session time (now()). `monotonic_ms` drives
  // the rate limit.
  void receive(Connection& connection, std::string_view text, int64_t monotonic_ms);
  // Sends `connection` an error frame (at the end of the turn) and nothing else.
  void refuse(Connection& connection, std::string_view message);

  // ---- HTTP ----
  // Applies a page submit of `seat` for page `page` (-1 when the form named
  // none, which changes nothing) with the form's `values` (Event::data:
  // {"field": value}; null for a page without form fields) at session time
  // now(). Returns the engine's messages when it refused the values
  // (EventResult::form_errors); empty otherwise, also for a submit refused
  // for another reason (a stale page).
  std::vector<std::pair<std::string, std::string>> submit(Seat seat, int32_t page,
                                                          Json values = nullptr);
  // A participant's POST of page `page` (docs/protocol.md, "POST /p/<code>"):
  // the values of that page's form fields are taken from exchange.form
  // (form_body.h: other names are ignored) and submitted; a refusal of the
  // values is kept in exchange.refused. Then await_turn_end(exchange).
  void submit_form(HttpExchange& exchange, int32_t page);
  // Admits `seat`'s participant through a room (server/room.h): their
  // arrival, with `label` unless it is empty, as a kArrive event at session
  // time now() through the one door, committed at the end of this turn.
  // Errors (nothing changes): the session's offline reason; "participant
  // N has arrived already"; the engine's refusal of the label ("label PC07
  // is participant 2's already").
  Status admit(Seat seat, const std::string& label);
  // Builds the exchange's response at the end of the turn: the current page
  // for kPage (500 with the reason when it cannot be rendered: its game's
  // js_vars failed, or a dev template does not compile); for kSubmit a 303
  // to it, or, when its form values were refused (exchange.refused) and the
  // participant is still on that page, 200 with the page showing the
  // values typed and the messages (as oTree does; nothing changed); for
  // kRoom a 303 to the page (503 when the arrival was lost to a failed
  // commit); for an offline session, 503 with the reason. Until then the
  // host keeps a pointer.
  void await_turn_end(HttpExchange& exchange);
  void forget(HttpExchange& exchange);

  // Fires what is due in every session (Session::due_events: page
  // timeouts and game timers), each as an event through the one door at
  // the session time now(). Returns how many milliseconds from now the next
  // one is due, at most kTimeoutResolutionMs: the event loop should wake
  // by then.
  int64_t fire_due();
  static constexpr int64_t kTimeoutResolutionMs = 50;

  // Bytes the OS has taken for `socket` and not yet delivered (SIOCOUTQ).
  using Unsent = size_t (*)(lws* socket);
  // Closes, with 1008 and a reason, every connection that has had something
  // to write (frames queued here, bytes lws holds, or `unsent` bytes in the
  // OS) and made no progress for limits().stall_timeout_ms (monotonic
  // `now_ms`): no frame taken, and no fewer bytes in the OS than at the
  // last check. `unsent` may be null (no OS to ask); it is asked only about
  // sockets that wrote since the last check or still had bytes in the OS
  // then (Connection::wrote). Cheap enough for once a second.
  void close_stalled(int64_t now_ms, Unsent unsent);

  // The end of an event-loop turn. Commits run beside the loop
  // (Durability::start_commit), one at a time: when the last one has
  // ended, its frames and HTTP responses are released; then what the
  // turns since applied is handed to the next commit. Frames and pages
  // of events wait for the commit that holds them; the rest (a page
  // frame for a new connection, a page asked for) for the commit running
  // when they were made, as what they show may come from it. An HTTP page
  // is rendered when its commit starts, from the state being committed.
  // Never throws. After a failed commit, the sessions storage lost (those
  // of that commit and of every event applied after it) are reloaded,
  // their held frames dropped, their pages rendered again, and their
  // pages told to reload. A session that cannot be reloaded either goes
  // offline (one policy, whoever ended the turn): its pages are closed
  // with 1011 and the reason, its HTTP pages answer 503, and it takes no
  // more events until the server is restarted, which resumes it from what
  // storage holds. Other sessions go on.
  void end_turn();
  // Waits for the running commit, commits the rest here, and releases
  // everything held: storage then has no open batch. Before creating or
  // taking over a session, and at the end.
  void settle();

  // Why session `index` is offline ("the session could not be stored:
  // ..."), or nullopt while it is served.
  std::optional<std::string> offline_reason(uint32_t index) const { return offline_[index]; }

  // Session time now: see Clock. Never less than an earlier reading.
  int64_t now();

  // True while some connection has frames its socket has not taken yet.
  bool sending() const;

  // Events applied since start, for the startup and shutdown lines.
  uint64_t events_applied() const { return events_applied_; }
  // How late the game timers fired against their schedule, in whole
  // milliseconds of session time (the event loop wakes when one is due):
  // [ms] -> firings, the last bucket counting everything from there on.
  const std::vector<uint64_t>& timer_lateness() const { return timer_lateness_; }
  // "12000 timer firings, late by p50 0 ms, p99 1 ms, max 3 ms"; empty when
  // no timer fired.
  std::string timer_lateness_summary() const;

  // ---- For the admin pages (server/admin.h): read-only, but for set_admin ----
  // Open WebSocket connections of `seat`'s participant; one being closed
  // (close_code set) no longer counts.
  // REQUIRES: `seat` is a participant of a served session.
  size_t connection_count(Seat seat) const;
  // The admin pages served beside the sessions (http_endpoint.cpp routes
  // /admin to them); null, the default, serves none: /admin is then 404.
  // The admin must outlive its use here.
  void set_admin(Admin* admin) { admin_ = admin; }
  Admin* admin() const { return admin_; }
  // The room served beside the sessions (http_endpoint.cpp routes /room/
  // to it); null, the default: /room/ paths are 404. It must outlive its
  // use here.
  void set_room(Room* room) { room_ = room; }
  Room* room() const { return room_; }

 private:
  std::string node_name_;
  Router router_;
  // A frame held until the commit: for one connection, or for every
  // connection of a participant.
  struct Held {
    Connection* only_to;  // nullptr: every connection of `seat`
    Seat seat;
    Frame frame;
    // A live frame's delivery: kept for re-sending once released.
    uint64_t seq = 0;
    std::shared_ptr<const std::string> payload;
  };
  // A delivery released to a participant, kept for pages that missed it.
  struct Sent {
    uint64_t seq;
    std::shared_ptr<const std::string> payload;
  };
  // Keeps `sent` for the participant's page, forgetting what belongs to
  // pages they left and what is beyond kHistoryLimit.
  void keep_sent(Seat seat, Sent sent);
  // Fills sent_ for session `index` from storage.
  void load_sent(uint32_t index);

  // The session's result, or null when the session is offline.
  const EventResult* apply(Seat seat, const Event& event, Connection* sender);
  void arrive(Seat seat);
  void hold_for(Connection& connection, Frame frame);
  void deliver(Connection& connection, const Frame& frame);
  void respond(HttpExchange& exchange);
  void render_page(HttpExchange& exchange, const Player& player, const RefusedForm* refused);
  void recover(const Status& failure, const std::vector<std::string>& lost);
  void take_offline(uint32_t index, std::string reason);
  // Marks `connection` to close with `code` and `reason` (cut to the 123
  // bytes a close frame holds) and makes sure its socket closes.
  void close(Connection& connection, int code, std::string_view reason);
  std::vector<Connection*>& connections_of(Seat seat) {
    return connections_[seat.session][seat.participant - 1];
  }

  Durability& durability_;
  ServerLimits limits_;
  Wake wake_;
  TemplateReader templates_;      // compiled in
  TemplateReader dev_templates_;  // empty unless set_dev_templates
  Abort abort_ = nullptr;
  Clock clock_;
  // Session time (see Clock): the last clock reading and the time served then.
  bool clock_started_ = false;
  int64_t last_reading_ms_ = 0;
  int64_t served_ms_ = 0;
  // Participants whose last page went away, and when they count as gone.
  struct Departure {
    Seat seat;
    int64_t due_ms;
  };
  std::vector<Departure> departures_;
  void expect_departure(Seat seat);
  // Counts how late `event` (a due kTimer, before it is applied) fires at `now`.
  void note_lateness(const Session& session, const Event& event, int64_t now);
  // Applies a kPresence event for `seat` (its page's hook may answer).
  void set_presence(Seat seat, bool present);
  // [session index] -> Session::next_due_ms(), worked out again after the
  // session applied events (due_stale_).
  std::vector<int64_t> next_due_;
  std::vector<uint8_t> due_stale_;
  std::vector<Event> due_;  // scratch for fire_due
  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<std::optional<std::string>> offline_;  // [session index], see offline_reason
  std::unordered_map<std::string, Seat> seats_;      // by participant code
  std::unordered_map<const Game*, std::unique_ptr<GamePages>> pages_;
  // [session][participant - 1] -> open connections
  std::vector<std::vector<std::vector<Connection*>>> connections_;
  bool uncommitted_ = false;  // events applied since the last commit started
  bool committing_ = false;   // a commit runs beside the loop
  // Made since the last commit started, and waiting for its own.
  std::vector<Held> held_;
  std::vector<HttpExchange*> awaiting_;
  // Waiting for the running commit (released at once when none runs): the
  // frames, and the rendered responses with the status they get then.
  struct Answer {
    HttpExchange* exchange;
    int status;
  };
  std::vector<Held> releasing_;
  std::vector<Answer> answers_;
  void take_held();      // held_ and awaiting_ (rendered) to releasing_ and answers_
  void release();        // sends releasing_ and answers_
  void finish_commit();  // waits for the running commit's end, then release()
  uint64_t events_applied_ = 0;
  std::vector<uint64_t> timer_lateness_ = std::vector<uint64_t>(1001, 0);
  Admin* admin_ = nullptr;  // see set_admin
  Room* room_ = nullptr;    // see set_room
  // scratch: each payload of an event, shared by its recipients
  std::vector<std::shared_ptr<const std::string>> payloads_;
  // [session][participant - 1] -> the deliveries of their current page
  // that were released, oldest first, at most kHistoryLimit.
  std::vector<std::vector<std::deque<Sent>>> sent_;
  // [session][participant - 1] -> the number of the last delivery released
  // to them: those after it are held for a commit.
  std::vector<std::vector<uint64_t>> released_;
};

}  // namespace livectl::server
