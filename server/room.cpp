#include "server/room.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/json.h"
#include "engine/session.h"
#include "engine/text.h"
#include "server/page_template.h"
#include "server/session_host.h"

namespace livectl::server {

namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kJson = "application/json";

// How often the waiting page asks whether a session is open: a person
// waits a second or two at most; a room of 40 PCs costs ~30 requests a second.
constexpr int kPollMs = 1500;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string escaped(std::string_view text) {
  std::string out;
  append_html_escaped(text, out);
  return out;
}

// Why `label` cannot be a participant's label, as the engine says it
// (Session::apply of an arrive event); empty when it can.
std::string label_problem(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelBytes || !valid_utf8(label)) {
    return "a participant label is text of 1 to " + std::to_string(kMaxLabelBytes) + " bytes";
  }
  return {};
}

// The value of cookie `name` in a Cookie header ("a=1; name=value"); empty
// when it is not there.
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = std::min(header.find(';'), header.size());
    const std::string_view pair = trimmed(header.substr(0, end));
    header.remove_prefix(std::min(end + 1, header.size()));
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
  return {};
}

}  // namespace

bool valid_room_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

Status parse_room_labels(std::string_view text, std::string_view file,
                         std::vector<std::string>* labels) {
  labels->clear();
  std::vector<size_t> lines;  // the line of each label, for duplicates
  size_t line = 0;
  while (!text.empty()) {
    ++line;
    const size_t end = std::min(text.find('\n'), text.size());
    const std::string_view label = trimmed(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    if (label.empty()) continue;
    const std::string where = std::string(file) + " line " + std::to_string(line) + ": ";
    if (!valid_utf8(label)) return Status::Error(where + "the label is not UTF-8 text");
    if (label.size() > kMaxLabelBytes) {
      return Status::Error(where + "a label is at most " + std::to_string(kMaxLabelBytes) +
                           " bytes; this one has " + std::to_string(label.size()));
    }
    const auto same = std::find(labels->begin(), labels->end(), label);
    if (same != labels->end()) {
      return Status::Error(where + "label " + std::string(label) + " is on line " +
                           std::to_string(lines[same - labels->begin()]) + " already");
    }
    labels->emplace_back(label);
    lines.push_back(line);
  }
  if (labels->empty()) {
    return Status::Error(std::string(file) + ": the file has no labels; write one label per line");
  }
  return Status();
}

Status read_room_labels(const std::string& path, std::vector<std::string>* labels) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    return Status::Error(path + ": cannot read it (it is a folder)");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Error(path + ": cannot read it (" +
                         (errno ? std::strerror(errno) : "it cannot be opened") + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Error(path + ": cannot read it (a read error)");
  return parse_room_labels(text.str(), path, labels);
}

std::string url_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

Room::Room(SessionHost& host, std::string name, std::vector<std::string> labels)
    : host_(host),
      name_(std::move(name)),
      path_("/room/" + name_),
      cookie_name_("livectl_room_" + name_),
      labels_(std::move(labels)) {}

RoomAnswer Room::handle(const RoomRequest& request) {
  std::string_view rest = request.path.substr(std::string_view("/room/").size());
  const size_t slash = rest.find('/');
  const std::string_view name = rest.substr(0, slash);
  const std::string_view sub =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (name != name_ || (sub != "" && sub != "status")) {
    return page(404, "Not found",
                "<p>There is no room at this address. Check the link you were given.</p>");
  }
  if (sub == "status") {
    RoomAnswer answer;
    answer.content_type = kJson;
    answer.body = Json{{"room", name_}, {"open", session_.has_value()}}.dump() + "\n";
    return answer;
  }
  std::optional<std::string> label;
  if (request.label) {
    const std::string_view given = trimmed(*request.label);
    if (!given.empty()) label = std::string(given);
  }
  return enter(std::move(label), request.cookie);
}

RoomAnswer Room::enter(std::optional<std::string> label, std::string_view cookie) {
  if (!labels_.empty()) {
    if (!label) return label_form();
    if (std::find(labels_.begin(), labels_.end(), *label) == labels_.end()) {
      return page(403, "Unknown participant label",
                  "<p id=\"error\">The participant label <strong>" + escaped(*label) +
                      "</strong> is not on the list of room " + escaped(name_) +
                      ". Check the link you were given.</p>");
    }
  } else if (label) {
    if (const std::string problem = label_problem(*label); !problem.empty()) {
      return page(400, "Bad participant label", "<p id=\"error\">" + escaped(problem) + ".</p>");
    }
  }
  if (!session_) return waiting_page();
  if (const auto reason = host_.offline_reason(*session_)) {
    return page(503, "Session offline", "<p id=\"error\">" + escaped(*reason) + "</p>");
  }
  const Session& session = host_.session(*session_);
  const auto count = static_cast<uint32_t>(session.participant_count());
  // Whoever came before goes back to the same participant.
  if (label) {
    for (uint32_t id = 1; id <= count; ++id) {
      if (session.participant(id).label == *label) {
        RoomAnswer answer;
        answer.seat = Seat{*session_, id};
        return answer;
      }
    }
  } else if (const std::string_view code = cookie_value(cookie, cookie_name_); !code.empty()) {
    if (const std::optional<Seat> seat = host_.find(code); seat && seat->session == *session_) {
      RoomAnswer answer;
      answer.seat = seat;
      return answer;
    }
  }
  for (uint32_t id = 1; id <= count; ++id) {
    const Participant& participant = session.participant(id);
    if (!participant.arrived && participant.label.empty()) return admit(id, label.value_or(""));
  }
  return page(503, "This session is full",
              "<p id=\"error\">All " + std::to_string(count) +
                  " places of this session are taken. Please tell the experimenter.</p>");
}

RoomAnswer Room::admit(uint32_t participant, const std::string& label) {
  const Seat seat{*session_, participant};
  if (Status status = host_.admit(seat, label); !status.ok()) {
    // Every check the engine makes was made above; this is a failure of
    // the server, shown rather than hidden.
    return page(500, "Not admitted", "<p id=\"error\">" + escaped(status.message()) + "</p>");
  }
  RoomAnswer answer;
  answer.seat = seat;
  if (label.empty()) {
    // Without a label, the browser is who the participant is: a reload
    // comes back to them. Until the browser closes; only this room's pages see it.
    answer.set_cookie = cookie_name_ + "=" +
                        host_.session(*session_).participant(participant).code + "; Path=" + path_ +
                        "; HttpOnly; SameSite=Lax";
  }
  return answer;
}

RoomAnswer Room::page(int status, std::string_view title, std::string_view html_body) const {
  RoomAnswer answer;
  answer.status = status;
  answer.content_type = kHtml;
  answer.body =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<link rel=\"icon\" href=\"data:,\"><title>" +
      escaped(title) + "</title></head>\n<body>\n<h1>" + escaped(title) + "</h1>\n" +
      std::string(html_body) + "\n</body>\n</html>\n";
  return answer;
}

RoomAnswer Room::label_form() const {
  return page(200, "Welcome",
              "<form method=\"get\" action=\"" + path_ +
                  "\">\n<p><label>Your participant label <input name=\"participant_label\" "
                  "required maxlength=\"" +
                  std::to_string(kMaxLabelBytes) +
                  "\" autofocus></label>\n<button type=\"submit\">Next</button></p>\n</form>");
}

RoomAnswer Room::waiting_page() const {
  // Plain JavaScript: asks the status once every kPollMs and reloads the
  // same URL (label and all) once a session is open.
  return page(200, "Please wait",
              "<p id=\"waiting\" data-status=\"" + path_ +
                  "/status\">Waiting for the experimenter to start the session. This page "
                  "moves on by itself.</p>\n<script>\n(() => {\n"
                  "  const url = document.getElementById('waiting').dataset.status;\n"
                  "  async function poll() {\n"
                  "    try {\n"
                  "      const response = await fetch(url, { cache: 'no-store' });\n"
                  "      if (response.ok && (await response.json()).open) {\n"
                  "        location.reload();\n"
                  "        return;\n"
                  "      }\n"
                  "    } catch (error) {}  // the server restarting: ask again\n"
                  "    setTimeout(poll, " +
                  std::to_string(kPollMs) +
                  ");\n"
                  "  }\n"
                  "  setTimeout(poll, " +
                  std::to_string(kPollMs) + ");\n})();\n</script>");
}

}  // namespace livectl::server
