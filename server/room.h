#pragma once
// A room (oTree's ROOMS with participant_label_file): one stable URL that
// outlives sessions, and one link per lab PC (docs/protocol.md, "Rooms").
//
//   GET /room/<name>                          a label form (with a label file), else
//                                             the next free participant (remembered
//                                             by a cookie)
//   GET /room/<name>?participant_label=PC07   that label's participant
//   GET /room/<name>/status                   {"room": "<name>", "open": true|false}
//
// An arriving label gets the participant of the room's current session
// with the lowest id_in_session that has neither arrived nor a label: its
// arrival, with the label, is an event through the one door
// (SessionHost::admit), and the 303 to the participant's page leaves only
// after it is committed. The same label again goes to the same participant
// (Participant::label), so a reload, a second tab or a restarted server
// change nothing.
//
// Free of libwebsockets, like the admin pages: http_endpoint.cpp reads the
// request into a RoomRequest and writes the RoomAnswer.
//
// Thread: the event-loop thread only.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "server/connection.h"

namespace livectl::server {

class SessionHost;

// Whether `name` can name a room: one or more of A-Z a-z 0-9 _ -, so that
// it is a URL path segment and a cookie name as it is.
bool valid_room_name(std::string_view name);

// The labels of a participant label file's text: one label per line, with
// blank lines and the whitespace around each label ignored. `file` names
// the file in errors, which are one sentence:
//   "labels.txt line 4: label PC02 is on line 2 already"
//   "labels.txt line 7: a label is at most 100 bytes; this one has 104"
//   "labels.txt line 3: the label is not UTF-8 text"
//   "labels.txt: the file has no labels; write one label per line"
Status parse_room_labels(std::string_view text, std::string_view file,
                         std::vector<std::string>* labels);

// parse_room_labels of the file at `path`; a file that cannot be read:
// "labels.txt: cannot read it (No such file or directory)".
Status read_room_labels(const std::string& path, std::vector<std::string>* labels);

// `text` %-encoded for a URL's query: everything but A-Z a-z 0-9 - _ . ~.
std::string url_encoded(std::string_view text);

struct RoomRequest {
  std::string_view path;  // as lws decoded it: "/room/lab", "/room/lab/status"
  // The participant_label of the query, %-decoded; nullopt when absent.
  std::optional<std::string> label;
  std::string_view cookie;  // the Cookie header; empty when absent
};

struct RoomAnswer {
  int status = 200;
  const char* content_type = nullptr;  // a string constant
  std::string body;
  std::string set_cookie;  // the value of a Set-Cookie header; empty: none
  // Set when the answer is a 303 to this participant's page, which must
  // wait for the end of the turn: their arrival is committed first
  // (HttpExchange::Request::kRoom, SessionHost::await_turn_end). The
  // other fields are then unset.
  std::optional<Seat> seat;
};

class Room {
 public:
  // A room of `host`'s sessions called `name` (REQUIRES: valid_room_name),
  // which admits only `labels` when there are any (a label file), and any
  // label otherwise. `host` must outlive the room. It has no session until
  // open().
  Room(SessionHost& host, std::string name, std::vector<std::string> labels);
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  // Paths under /room/, this room's or not (another gets 404 from handle).
  static bool is_room_path(std::string_view path) { return path.starts_with("/room/"); }

  const std::string& name() const { return name_; }
  // "/room/<name>": the room's URL on this server.
  const std::string& path() const { return path_; }
  // The label file's labels, in its order; empty without one.
  const std::vector<std::string>& labels() const { return labels_; }

  // The host's index of the session that takes new arrivals; nullopt
  // until the first open().
  std::optional<uint32_t> session() const { return session_; }
  // From now on, arrivals go to session `index` of the host; those that
  // came to an earlier session stay there.
  void open(uint32_t index) { session_ = index; }

  // Answers a GET of a room path (the status codes are in
  // docs/protocol.md, "Rooms"). When the answer has a seat, the
  // participant was admitted in this turn or before. Never throws on
  // anything a client sends.
  RoomAnswer handle(const RoomRequest& request);

 private:
  RoomAnswer enter(std::optional<std::string> label, std::string_view cookie);
  RoomAnswer admit(uint32_t participant, const std::string& label);
  RoomAnswer page(int status, std::string_view title, std::string_view html_body) const;
  RoomAnswer label_form() const;
  RoomAnswer waiting_page() const;

  SessionHost& host_;
  std::string name_;
  std::string path_;
  std::string cookie_name_;  // "livectl_room_<name>": the participant code given without a label
  std::vector<std::string> labels_;
  std::optional<uint32_t> session_;
};

}  // namespace livectl::server
