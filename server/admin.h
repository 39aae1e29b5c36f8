#pragma once
// The admin pages of `livectl serve` (docs/protocol.md, "Admin pages"):
// the sessions and a form that creates one, each session's participant
// links and live monitor, and the export download; all behind one password.
//
//   GET  /admin                          sessions and the create form
//   POST /admin/sessions                 config=C[&participants=N]: create, 303 to its page
//                                        (&room=R: in the room, server/room.h)
//   GET  /admin/s/<code>                 links, monitor, export links
//   GET  /admin/api/s/<code>             the monitor's state as JSON
//   GET  /admin/s/<code>/livectl-<code>-csv.zip (or -json.zip)   the export
//   GET  /admin/s/<code>/payments        label, points and money of each participant
//   GET  /admin/admin.js                 the monitor's script

//
// Free of libwebsockets: a request comes in as an AdminRequest and leaves as
// an AdminResponse; http_endpoint.cpp does the reading and writing. Storage
// comes through AdminHooks, which the CLI implements over SQLite, so that
// the server still never sees the store.
//
// Thread: the event-loop thread only. Nothing here runs per event: the
// monitor's state is built when it is asked for (once a second per open
// monitor page).
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/game.h"
#include "engine/status.h"
#include "server/room.h"
#include "server/session_host.h"

namespace livectl::server {

// The text of a 401, whatever the path and whatever was wrong.
inline constexpr std::string_view kAdminPasswordNeeded =
    "the admin pages need the admin password (any user name)\n";

// A large lab or online study; every link is printed, one per line.
inline constexpr int kMaxServedParticipants = 10000;

// Whether a served session of `games` can have `participants`: a positive
// multiple of their group sizes, at most kMaxServedParticipants. Error:
// "The number of participants must be a positive multiple of 3 (the group
// size of auction), at most 10000; not 4".
Status check_participants(std::span<const Game* const> games, int participants);

enum class ExportFormat { kCsv, kJson };

// One file of an export, as `livectl export` names it ("auction_players.csv").
struct ExportFile {
  std::string name;
  std::string bytes;
};

// A stored session and the process that runs it, for the admin of one of
// several processes on one database.
struct SessionPlace {
  std::string code;
  std::string games;  // Session::games_text()'s form: "auction", "survey, auction"
  int participants = 0;
  uint64_t events = 0;  // committed
  std::string node;     // "": nobody runs it right now (being taken over)
};

struct AdminHooks {
  // Creates a session of `games` with `base`'s participants, parameters and
  // money settings (engine/study_config.h), stores and commits it, then
  // serves it from the host (or, when several processes share the
  // database, from the least loaded of them: then this host does not
  // have it); sets `*code` to its code. With a `room` (not
  // empty: the name of the Admin's room), it becomes that room's current
  // session, remembered in storage. REQUIRES:
  // check_participants(games, base.participants) is ok; nothing the host
  // applied is uncommitted (Admin::handle ends the turn first), so the new
  // session's commit is a batch of its own. Errors (storage) are one
  // sentence; then nothing is served or stored.
  std::function<Status(const std::vector<const Game*>& games, const SessionConfig& base,
                       const std::string& room, std::string* code)>
      create_session;
  // The files `livectl export --session CODE --format F` writes, with what
  // is committed now. Errors are one sentence.
  std::function<Status(const std::string& code, ExportFormat format,
                       std::vector<ExportFile>* files)>
      export_session;
  // Every stored session and where it runs, when several processes share
  // the database (serve on PostgreSQL); unset: the sessions page lists this
  // process's own only. Errors are one sentence.
  std::function<Status(std::vector<SessionPlace>*)> sessions_everywhere;
};

struct AdminRequest {
  bool post = false;
  std::string_view path;           // as lws decoded it: "/admin/s/<code>"
  std::string_view authorization;  // the Authorization header; empty when absent
  std::string_view host;           // the Host header
  std::string_view origin;         // the Origin header; empty when absent
  std::string_view referer;        // the Referer header; empty when absent
  std::string_view fetch_site;     // the Sec-Fetch-Site header; empty when absent
  std::string_view form;           // a POST's application/x-www-form-urlencoded body
};

// The content type of the export download. Whoever writes the response
// adds "Content-Disposition: attachment" to it (the file's name is the URL's
// last segment), and "WWW-Authenticate: <kAdminChallenge>" to a 401.
inline constexpr const char* kAdminDownload = "application/zip";

struct AdminResponse {
  int status = 200;
  const char* content_type = nullptr;  // a string constant
  std::string location;                // a redirect's target
  std::string body;
};

class Admin {
 public:
  // Serves `host`'s sessions to whoever gives `password`. `host` must
  // outlive the admin. REQUIRES: `password` is not empty.
  Admin(SessionHost& host, std::string password, AdminHooks hooks);
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // "/admin" and everything under "/admin/".
  static bool is_admin_path(std::string_view path);

  // The start of participants' links on the session pages, as printed at
  // start ("http://lab-pc:8000"). Empty (the default): "http://" and the
  // request's Host header.
  void set_link_base(std::string base) { link_base_ = std::move(base); }

  // The room served beside the sessions (server/room.h): the create form
  // offers it, and the sessions page says which session it admits to.
  // Null, the default: no room. It must outlive the admin.
  void set_room(const Room* room) { room_ = room; }

  // Answers one request. Every path asks for the password first (401, the
  // same short text for every path), so that nothing, not even which
  // sessions exist, is shown without it; then: 404 for an unknown path or
  // session, 400 for a bad create form (with the reason), 403 for a form
  // that does not say it was sent from this server's pages (see
  // same_origin in admin.cpp), 500 when storage fails, 503 for the pages
  // of an offline session (SessionHost::offline_reason). `now_ms`
  // (monotonic) times the events-per-second window.
  AdminResponse handle(const AdminRequest& request, int64_t now_ms);

 private:
  // Events a session had applied at one moment, for its events per second.
  struct Sample {
    int64_t time_ms;
    uint64_t events;
  };

  AdminResponse sessions_page();
  AdminResponse create(const AdminRequest& request);
  AdminResponse session_page(uint32_t index, const AdminRequest& request);
  AdminResponse monitor_state(uint32_t index, int64_t now_ms);
  AdminResponse export_download(uint32_t index, ExportFormat format);
  // Each participant's label, points, money, fee and total, as oTree's
  // payments page.
  AdminResponse payments_page(uint32_t index);
  // The index of the served session `code`, or -1.
  int64_t find_session(std::string_view code) const;
  double events_per_second(uint32_t index, int64_t now_ms);

  SessionHost& host_;
  std::string password_;
  AdminHooks hooks_;
  std::string link_base_;
  const Room* room_ = nullptr;               // see set_room
  std::vector<std::deque<Sample>> samples_;  // [session index]
};

}  // namespace livectl::server
