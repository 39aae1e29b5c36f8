#include "server/admin.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "engine/fields.h"
#include "engine/json.h"
#include "engine/registry.h"
#include "engine/study_config.h"
#include "server/admin_auth.h"
#include "server/admin_zip.h"
#include "server/assets.h"
#include "server/page_template.h"

namespace livectl::server {

namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kJson = "application/json";

constexpr std::string_view kSessionPrefix = "/admin/s/";
constexpr std::string_view kApiPrefix = "/admin/api/s/";

// Events per second are measured over the last 5 s: long enough to smooth
// one-second polls, short enough to show a burst ending.
constexpr int64_t kRateWindowMs = 5000;

constexpr std::string_view kStyle =
    "body { font-family: system-ui, sans-serif; margin: 1.5rem; line-height: 1.4; }\n"
    "table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }\n"
    "th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; }\n"
    "th { background: #f3f3f3; }\n"
    "td.offline { color: #999; }\n"
    "td.connected { color: #070; font-weight: bold; }\n"
    ".error { color: #b00; }\n"
    "code, .links a { font-family: ui-monospace, monospace; }\n";

std::string escaped(std::string_view text) {
  std::string out;
  append_html_escaped(text, out);
  return out;
}

std::string document(std::string_view title, std::string_view body) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  html += escaped(title);
  html += " - livectl admin</title>\n<style>\n";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n<p><a href=\"/admin\">Sessions</a></p>\n<h1>";
  html += escaped(title);
  html += "</h1>\n";
  html += body;
  html += "</body>\n</html>\n";
  return html;
}

AdminResponse html(int status, std::string body) {
  AdminResponse response;
  response.status = status;
  response.content_type = kHtml;
  response.body = std::move(body);
  return response;
}

// A page that says what went wrong, escaped, with a way back.
AdminResponse problem(int status, std::string_view title, std::string_view message) {
  return html(status,
              document(title, "<p class=\"error\">" + escaped(message) +
                                  "</p>\n<p><a href=\"/admin\">Back to the sessions</a></p>\n"));
}

AdminResponse redirect(std::string location) {
  AdminResponse response;
  response.status = 303;  // see other: a reload then shows the page, not a second create
  response.content_type = "text/plain; charset=utf-8";
  response.body = "See " + location + "\n";
  response.location = std::move(location);
  return response;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of `key` in an application/x-www-form-urlencoded body, decoded
// ('+' is a space, %XX a byte); nullopt when the key is missing.
std::optional<std::string> form_value(std::string_view form, std::string_view key) {
  while (!form.empty()) {
    const size_t end = std::min(form.find('&'), form.size());
    std::string_view pair = form.substr(0, end);
    form.remove_prefix(std::min(end + 1, form.size()));
    if (!pair.starts_with(key) || pair.size() == key.size() || pair[key.size()] != '=') continue;
    pair.remove_prefix(key.size() + 1);
    std::string value;
    for (size_t i = 0; i < pair.size(); ++i) {
      if (pair[i] == '+') {
        value.push_back(' ');
      } else if (pair[i] == '%' && i + 2 < pair.size() && hex_digit(pair[i + 1]) >= 0 &&
                 hex_digit(pair[i + 2]) >= 0) {
        value.push_back(static_cast<char>(hex_digit(pair[i + 1]) * 16 + hex_digit(pair[i + 2])));
        i += 2;
      } else {
        value.push_back(pair[i]);
      }
    }
    return value;
  }
  return std::nullopt;
}

// Whether a POST says it came from a page of this server. A browser sends
// a cached Basic password along with any site's form: without this check
// any web page could make an admin's browser create sessions. The browser's
// own word comes first: Sec-Fetch-Site (same-origin, or none for what the
// admin typed), else Origin, else Referer; a POST that says none of them
// is refused (curl: add -H 'Sec-Fetch-Site: same-origin').
bool same_origin(const AdminRequest& request) {
  if (!request.fetch_site.empty()) {
    return request.fetch_site == "same-origin" || request.fetch_site == "none";
  }
  const std::string host(request.host);
  if (host.empty()) return false;
  const std::string http = "http://" + host;
  const std::string https = "https://" + host;
  if (!request.origin.empty()) return request.origin == http || request.origin == https;
  const std::string_view referer = request.referer;
  for (const std::string& base : {http, https}) {
    if (referer == base || (referer.starts_with(base) && referer[base.size()] == '/')) {
      return true;
    }
  }
  return false;
}

// The monitor's JSON keeps its keys in the order written, for people
// reading it with curl.
using OrderedJson = nlohmann::ordered_json;

// Appends `value` as JSON. Text that is not UTF-8 (a field a game filled
// from raw input) is replaced rather than failing the whole answer.
void append_json(const Json& value, std::string& out) {
  out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Appends fields as a JSON object by name, in declaration order of `specs`.
void append_fields(const std::vector<FieldSpec>& specs, const std::vector<Json>& values,
                   std::string& out) {
  out += '{';
  for (size_t i = 0; i < specs.size() && i < values.size(); ++i) {
    if (i > 0) out += ',';
    append_json(specs[i].name, out);
    out += ':';
    append_json(values[i], out);
  }
  out += '}';
}

// The player (or group) fields of every game the session plays, each name
// once: the monitor's columns.
std::vector<FieldSpec> monitored_fields(const Session& session, bool group) {
  std::vector<FieldSpec> fields;
  for (const Game* game : session.games()) {
    for (const FieldSpec& spec : group ? game->group_fields() : game->player_fields()) {
      if (std::none_of(fields.begin(), fields.end(),
                       [&](const FieldSpec& field) { return field.name == spec.name; })) {
        fields.push_back(spec);
      }
    }
  }
  return fields;
}

// "3", or each game's group size in an app sequence: "3, then 1".
std::string group_sizes(const Session& session) {
  std::string sizes;
  for (const Game* game : session.games()) {
    sizes += (sizes.empty() ? "" : ", then ") + std::to_string(game->players_per_group());
  }
  return sizes;
}

OrderedJson field_names(const std::vector<FieldSpec>& specs) {
  OrderedJson names = OrderedJson::array();
  for (const FieldSpec& spec : specs) names.push_back(spec.name);
  return names;
}

}  // namespace

Status check_participants(std::span<const Game* const> games, int participants) {
  if (!participant_count_fits(games, participants) || participants > kMaxServedParticipants) {
    return Status::Error("The number of participants must be " + participant_count_rule(games) +
                         ", at most " + std::to_string(kMaxServedParticipants) + "; not " +
                         std::to_string(participants));
  }
  return Status();
}

Admin::Admin(SessionHost& host, std::string password, AdminHooks hooks)
    : host_(host), password_(std::move(password)), hooks_(std::move(hooks)) {}

bool Admin::is_admin_path(std::string_view path) {
  return path == "/admin" || path.starts_with("/admin/");
}

AdminResponse Admin::handle(const AdminRequest& request, int64_t now_ms) {
  const std::optional<std::string> password = basic_auth_password(request.authorization);
  if (!password || !same_secret(*password, password_)) {
    AdminResponse response;
    response.status = 401;
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::string(kAdminPasswordNeeded);
    return response;
  }

  // Commit before show, as for participants: what this turn applied so far
  // is committed (and its frames released) before any page reads the
  // sessions, so no admin sees a state a failed commit would take back. A
  // new session is then a commit of its own.
  host_.settle();

  std::string_view path = request.path;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (request.post) {
    if (path == "/admin/sessions") return create(request);
    return problem(404, "Not found", "There is no admin action at this address.");
  }
  if (path == "/admin") return sessions_page();
  if (path == "/admin/sessions") return redirect("/admin");  // a reload of a failed create
  if (path == "/admin/admin.js") {
    AdminResponse response;
    response.content_type = "text/javascript; charset=utf-8";
    response.body = std::string(*embedded_file("server/admin.js"));
    return response;
  }
  if (path.starts_with(kApiPrefix)) {
    const int64_t index = find_session(path.substr(kApiPrefix.size()));
    if (index < 0) return problem(404, "Not found", "No session has this code.");
    if (const auto reason = host_.offline_reason(static_cast<uint32_t>(index))) {
      return problem(503, "Session offline", *reason);
    }
    return monitor_state(static_cast<uint32_t>(index), now_ms);
  }
  if (path.starts_with(kSessionPrefix)) {
    std::string_view rest = path.substr(kSessionPrefix.size());
    const size_t slash = rest.find('/');
    const int64_t index = find_session(rest.substr(0, slash));
    if (index < 0) return problem(404, "Not found", "No session has this code.");
    if (const auto reason = host_.offline_reason(static_cast<uint32_t>(index))) {
      return problem(503, "Session offline", *reason);
    }
    if (slash == std::string_view::npos) return session_page(static_cast<uint32_t>(index), request);
    const std::string file = "livectl-" + std::string(rest.substr(0, slash));
    rest.remove_prefix(slash + 1);
    if (rest == file + "-csv.zip") {
      return export_download(static_cast<uint32_t>(index), ExportFormat::kCsv);
    }
    if (rest == file + "-json.zip") {
      return export_download(static_cast<uint32_t>(index), ExportFormat::kJson);
    }
    if (rest == "payments") return payments_page(static_cast<uint32_t>(index));
  }
  return problem(404, "Not found", "There is no admin page at this address.");
}

int64_t Admin::find_session(std::string_view code) const {
  for (uint32_t i = 0; i < host_.session_count(); ++i) {
    if (host_.session(i).code() == code) return i;
  }
  return -1;
}

AdminResponse Admin::sessions_page() {
  std::string body;
  if (host_.session_count() == 0) {
    body += "<p>No sessions yet.</p>\n";
  } else {
    body +=
        "<table id=\"sessions\">\n<tr><th>Session</th><th>Game</th><th>Participants</th>"
        "<th>Connected</th><th>Events</th></tr>\n";
    for (uint32_t i = 0; i < host_.session_count(); ++i) {
      const Session& session = host_.session(i);
      size_t connected = 0;
      for (const Player& player : session.round_players(1)) {
        if (host_.connection_count(Seat{i, player.participant().id_in_session}) > 0) ++connected;
      }
      const std::string code = escaped(session.code());
      body += "<tr><td><a href=\"/admin/s/" + code + "\"><code>" + code + "</code></a></td><td>" +
              escaped(session.games_text()) + "</td><td>" +
              std::to_string(session.participant_count()) + "</td><td>" +
              std::to_string(connected) + "</td><td>" + std::to_string(session.last_seq()) +
              "</td></tr>\n";
    }
    body += "</table>\n";
  }
  if (hooks_.sessions_everywhere) {
    std::vector<SessionPlace> places;
    if (Status status = hooks_.sessions_everywhere(&places); !status.ok()) {
      body += "<p id=\"everywhere\">The sessions of the other processes cannot be listed: " +
              escaped(status.message()) + "</p>\n";
    } else {
      body +=
          "<h2>Every process</h2>\n<table id=\"everywhere\">\n<tr><th>Session</th><th>Game</th>"
          "<th>Participants</th><th>Events</th><th>Runs on</th></tr>\n";
      for (const SessionPlace& place : places) {
        const std::string code = escaped(place.code);
        const bool here = host_.has_session(place.code);
        body += "<tr><td>" +
                (here ? "<a href=\"/admin/s/" + code + "\"><code>" + code + "</code></a>"
                      : "<code>" + code + "</code>") +
                "</td><td>" + escaped(place.games) + "</td><td>" +
                std::to_string(place.participants) + "</td><td>" + std::to_string(place.events) +
                "</td><td>" +
                (place.node.empty()
                     ? std::string("nobody (being taken over)")
                     : escaped(place.node) + (here ? " (this process)" : std::string())) +
                "</td></tr>\n";
      }
      body += "</table>\n";
    }
  }
  if (room_) {
    body += "<p id=\"room\">Room <a href=\"" + escaped(room_->path()) + "\">" +
            escaped(room_->name()) + "</a>: ";
    if (const std::optional<uint32_t> index = room_->session()) {
      const std::string code = escaped(host_.session(*index).code());
      body += "arrivals go to session <a href=\"/admin/s/" + code + "\"><code>" + code +
              "</code></a>.</p>\n";
    } else {
      body += "no session yet; its participants wait until one is created in it.</p>\n";
    }
  }
  body +=
      "<h2>New session</h2>\n<form method=\"post\" action=\"/admin/sessions\">\n"
      "<p><label>Configuration <select name=\"config\">\n";
  auto option = [&body](const StudyConfig& config) {
    const std::vector<const Game*> games = config_games(config);
    const int participants = session_config_for(config, games, {}).participants;
    std::string sizes;
    for (const Game* game : games) {
      const std::string size = std::to_string(game->players_per_group());
      if (sizes.find(size) == std::string::npos) sizes += (sizes.empty() ? "" : ", ") + size;
    }
    body += "<option value=\"" + escaped(config.name) + "\">" + escaped(config.display_name) +
            " (" + escaped(games_text(config)) + ", " + std::to_string(participants) +
            " participants, groups of " + sizes + ")</option>\n";
  };
  for (const StudyConfig& config : declared_configs()) option(config);
  for (const Game* game : all_games()) option(game_config(*game));
  body +=
      "</select></label>\n<label>Participants <input type=\"number\" name=\"participants\" "
      "min=\"1\" max=\"" +
      std::to_string(kMaxServedParticipants) + "\"></label>\n" +
      (room_ ? "<label>Room <select name=\"room\"><option value=\"" + escaped(room_->name()) +
                   "\" selected>" + escaped(room_->name()) +
                   "</option><option value=\"\">none</option></select></label>\n"
             : std::string()) +
      "<button type=\"submit\">Create</button></p>\n"
      "<p>A multiple of the game's group size, at most " +
      std::to_string(kMaxServedParticipants) +
      "; empty for the configuration's own number.</p>\n</form>\n";
  return html(200, document("Sessions", body));
}

AdminResponse Admin::create(const AdminRequest& request) {
  if (!same_origin(request)) {
    return problem(403, "Refused",
                   "The form was sent from another site, or did not say where it came from; "
                   "create sessions from this server's admin page.");
  }
  // config=NAME, or game=NAME for a game's own configuration.
  std::optional<StudyConfig> config;
  if (const std::optional<std::string> name = form_value(request.form, "config");
      name && !name->empty()) {
    config = find_config(*name);
    if (!config) {
      return problem(400, "Bad form",
                     "There is no configuration '" + *name + "'; the configurations are " +
                         config_names() + ".");
    }
  } else if (const std::optional<std::string> game_name = form_value(request.form, "game");
             game_name && !game_name->empty()) {
    const Game* game = find_game(*game_name);
    if (!game) {
      return problem(400, "Bad form",
                     "There is no game '" + *game_name + "'; the games are " + game_names() + ".");
    }
    config = game_config(*game);
  } else {
    return problem(400, "Bad form", "The form names no configuration.");
  }
  const std::vector<const Game*> games = config_games(*config);
  const std::optional<std::string> count = form_value(request.form, "participants");
  int participants = 0;
  const bool counted = count && !count->empty();
  if (counted) {
    const char* const begin = count->data();
    const char* const end = count->data() + count->size();
    const auto [rest, error] = std::from_chars(begin, end, participants);
    if (error != std::errc() || rest != end) {
      return problem(400, "Bad form", "participants must be a whole number, not '" + *count + "'.");
    }
  }
  SessionConfig base = session_config_for(*config, games, {});
  if (counted) base.participants = participants;
  if (Status status = check_participants(games, base.participants); !status.ok()) {
    return problem(400, "Bad form", status.message() + ".");
  }
  std::string room = form_value(request.form, "room").value_or("");
  if (!room.empty() && (!room_ || room != room_->name())) {
    return problem(400, "Bad form",
                   "There is no room '" + room + "'" +
                       (room_ ? "; the room is " + room_->name() + "." : "; serve has no room."));
  }
  std::string code;
  if (Status status = hooks_.create_session(games, base, room, &code); !status.ok()) {
    return problem(500, "Not created", "The session could not be stored: " + status.message());
  }
  // Placed on another process: the list says which.
  if (!host_.has_session(code)) return redirect("/admin");
  return redirect(std::string(kSessionPrefix) + code);
}

AdminResponse Admin::session_page(uint32_t index, const AdminRequest& request) {
  const Session& session = host_.session(index);
  const std::string code = escaped(session.code());
  const std::string base = link_base_.empty() ? "http://" + std::string(request.host) : link_base_;
  const std::string download = "/admin/s/" + code + "/livectl-" + code;

  std::string body = "<p>" + escaped(session.games_text()) + ", " +
                     std::to_string(session.participant_count()) + " participants in groups of " +
                     group_sizes(session) + ". Export: <a id=\"export-csv\" href=\"" + download +
                     "-csv.zip\">CSV</a> or <a id=\"export-json\" href=\"" + download +
                     "-json.zip\">JSON</a> (a ZIP of the files <code>livectl export</code> "
                     "writes). <a id=\"payments\" href=\"/admin/s/" +
                     code + "/payments\">Payments</a>.</p>\n";

  body += "<h2>Monitor</h2>\n<p id=\"summary\">Loading...</p>\n";
  body +=
      "<table id=\"players\">\n<thead><tr><th>Participant</th><th>Label</th><th>Group</th>"
      "<th>id_in_group</th><th>Page</th><th>Connection</th>";
  for (const FieldSpec& field : monitored_fields(session, false)) {
    body += "<th>player." + escaped(field.name) + "</th>";
  }
  body += "</tr></thead>\n<tbody></tbody>\n</table>\n";
  body += "<table id=\"groups\">\n<thead><tr><th>Group</th>";
  for (const FieldSpec& field : monitored_fields(session, true)) {
    body += "<th>group." + escaped(field.name) + "</th>";
  }
  body += "</tr></thead>\n<tbody></tbody>\n</table>\n";

  body += "<h2>Links</h2>\n<table class=\"links\" id=\"links\">\n";
  for (const Player& player : session.round_players(1)) {
    const std::string link = escaped(base + "/p/" + player.participant().code);
    body += "<tr><td>" + std::to_string(player.participant().id_in_session) +
            "</td><td><a href=\"" + link + "\">" + link + "</a></td></tr>\n";
  }
  body += "</table>\n";
  // The code reaches the script through a data- attribute, never inside <script>.
  body += "<script src=\"/admin/admin.js\" data-session=\"" + code + "\"></script>\n";
  return html(200, document("Session " + session.code(), body));
}

double Admin::events_per_second(uint32_t index, int64_t now_ms) {
  if (samples_.size() < host_.session_count()) samples_.resize(host_.session_count());
  std::deque<Sample>& samples = samples_[index];
  samples.push_back({now_ms, host_.session(index).last_seq()});
  // Keep the newest sample that is at least a window old, as the baseline.
  while (samples.size() > 2 && samples[1].time_ms <= now_ms - kRateWindowMs) samples.pop_front();
  const Sample& first = samples.front();
  if (now_ms <= first.time_ms) return 0;
  return static_cast<double>(samples.back().events - first.events) * 1000.0 /
         static_cast<double>(now_ms - first.time_ms);
}

namespace {

// Money as oTree shows it: two decimals.
std::string money(double amount) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f", amount);
  return text;
}

}  // namespace

AdminResponse Admin::payments_page(uint32_t index) {
  const Session& session = host_.session(index);
  const double rate = session.real_world_currency_per_point();
  const double fee = session.participation_fee();
  const std::string code = escaped(session.code());
  std::string body =
      "<p>Session <a href=\"/admin/s/" + code + "\"><code>" + code + "</code></a>" +
      (session.config_name().empty() ? std::string()
                                     : ", configuration " + escaped(session.config_name())) +
      ": each point is worth " + escaped(Json(rate).dump()) + "; the participation fee is " +
      money(fee) + ".</p>\n";
  body +=
      "<table id=\"payments\">\n<thead><tr><th>Participant</th><th>Label</th><th>Code</th>"
      "<th>Points</th><th>Money</th><th>Participation fee</th><th>Total</th></tr></thead>\n"
      "<tbody>\n";
  double sum = 0;
  for (uint32_t id = 1; id <= session.participant_count(); ++id) {
    const Participant& participant = session.participant(id);
    const double points = session.participant_payoff(id);
    // As the export's payoff_plus_participation_fee: rounded to the cent once.
    const double total = std::round((points * rate + fee) * 100) / 100;
    sum += total;
    body += "<tr><td>" + std::to_string(id) + "</td><td>" + escaped(participant.label) +
            "</td><td><code>" + escaped(participant.code) + "</code></td><td>" +
            escaped(field_json(points).dump()) + "</td><td>" + money(points * rate) + "</td><td>" +
            money(fee) + "</td><td>" + money(total) + "</td></tr>\n";
  }
  body += "</tbody>\n<tfoot><tr><td colspan=\"6\">Total</td><td id=\"payments-total\">" +
          money(sum) + "</td></tr></tfoot>\n</table>\n";
  return html(200, document("Payments " + session.code(), body));
}

AdminResponse Admin::monitor_state(uint32_t index, int64_t now_ms) {
  const Session& session = host_.session(index);
  const Game& game = session.game();
  // Each page's name as JSON once, not once per participant.
  std::vector<std::string> page_names;
  for (uint32_t flow = 0; flow < session.flow_size(); ++flow) {
    page_names.push_back(OrderedJson(session.page_spec(flow).name).dump());
  }

  // The players and groups are written by hand: for 10,000 participants a
  // JSON tree would cost the event loop several times as long.
  std::string players = "[";
  size_t connected = 0;
  // Each participant with their player of the round they are in.
  for (uint32_t id = 1; id <= session.participant_count(); ++id) {
    const Player& player = session.player(id);
    const Participant& participant = player.participant();
    const size_t connections = host_.connection_count(Seat{index, participant.id_in_session});
    if (connections > 0) ++connected;
    if (players.size() > 1) players += ",\n";
    players += "{\"id_in_session\":" + std::to_string(participant.id_in_session);
    players += ",\"code\":";
    append_json(participant.code, players);
    players += ",\"label\":";
    append_json(participant.label, players);
    // null while waiting to be grouped by arrival time.
    players += ",\"group\":" +
               (player.has_group() ? std::to_string(player.group().id_in_subsession()) : "null");
    players += ",\"id_in_group\":" + std::to_string(player.id_in_group());
    players += ",\"page\":" + std::to_string(participant.page);
    players += ",\"page_name\":" + page_names[participant.page];
    players += ",\"round_number\":" + std::to_string(player.round_number());
    players += participant.arrived ? ",\"arrived\":true" : ",\"arrived\":false";
    players += participant.present ? ",\"present\":true" : ",\"present\":false";
    players += ",\"connections\":" + std::to_string(connections);
    players += connections > 0 ? ",\"state\":\"connected\"" : ",\"state\":\"offline\"";
    if (session.games().size() > 1) {
      players += ",\"game\":";
      append_json(player.game().name(), players);
    }
    players += ",\"fields\":";
    append_fields(player.game().player_fields(), player.fields(), players);
    players += "}";
  }
  players += "]";
  std::string groups = "[";
  for (const Group& group : session.groups()) {
    if (groups.size() > 1) groups += ",\n";
    groups += "{\"id_in_subsession\":" + std::to_string(group.id_in_subsession());
    groups += ",\"round_number\":" + std::to_string(group.round_number());
    if (session.games().size() > 1) {
      groups += ",\"game\":";
      append_json(group.game().name(), groups);
    }
    groups += ",\"fields\":";
    append_fields(group.game().group_fields(), group.fields(), groups);
    groups += "}";
  }
  groups += "]";

  OrderedJson pages = OrderedJson::array();
  for (const PageSpec& page : game.pages()) pages.push_back(page.name);
  const OrderedJson summary = {
      {"session", session.code()},
      {"game", session.games_text()},
      {"participants", session.participant_count()},
      {"group_size", game.players_per_group()},
      {"connected", connected},
      {"events", session.last_seq()},
      {"events_per_second", events_per_second(index, now_ms)},
      {"pages", pages},
      {"player_fields", field_names(monitored_fields(session, false))},
      {"group_fields", field_names(monitored_fields(session, true))},
  };
  AdminResponse response;
  response.content_type = kJson;
  response.body = summary.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
  response.body.pop_back();  // the closing brace: players and groups follow
  response.body.reserve(response.body.size() + players.size() + groups.size() + 32);
  response.body += ",\n\"players\":" + players + ",\n\"groups\":" + groups + "}\n";
  return response;
}

AdminResponse Admin::export_download(uint32_t index, ExportFormat format) {
  const std::string& code = host_.session(index).code();
  std::vector<ExportFile> files;
  if (Status status = hooks_.export_session(code, format, &files); !status.ok()) {
    return problem(500, "Export failed", status.message());
  }
  std::vector<ZipEntry> entries;
  entries.reserve(files.size());
  for (ExportFile& file : files) entries.push_back({file.name, std::move(file.bytes)});
  AdminResponse response;
  if (Status status = zip_archive(entries, std::time(nullptr), &response.body); !status.ok()) {
    return problem(500, "Export failed", status.message());
  }
  response.content_type = kAdminDownload;
  return response;
}

}  // namespace livectl::server
