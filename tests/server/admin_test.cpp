// The admin pages without a network: the password check, the create form's
// answers, the monitor's state and its events per second, the ZIP of the
// export. (tests/server/admin_test.py drives them through a real server.)
#include "server/admin.h"

#include <doctest/doctest.h>

#include "server/admin_auth.h"
#include "server/admin_zip.h"
#include "support.h"

namespace livectl::testing {
namespace {

using server::Admin;
using server::AdminRequest;
using server::AdminResponse;
using server::basic_auth_password;
using server::same_secret;
using server::SessionHost;

void ignore_wake(lws*) {}

// "Basic " + base64 of `credentials`.
std::string basic(std::string_view credentials) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "Basic ";
  for (size_t i = 0; i < credentials.size(); i += 3) {
    uint32_t bits = static_cast<unsigned char>(credentials[i]) << 16;
    if (i + 1 < credentials.size()) bits |= static_cast<unsigned char>(credentials[i + 1]) << 8;
    if (i + 2 < credentials.size()) bits |= static_cast<unsigned char>(credentials[i + 2]);
    out += kDigits[(bits >> 18) & 63];
    out += kDigits[(bits >> 12) & 63];
    out += i + 1 < credentials.size() ? kDigits[(bits >> 6) & 63] : '=';
    out += i + 2 < credentials.size() ? kDigits[bits & 63] : '=';
  }
  return out;
}

TEST_CASE("a Basic Authorization header gives its password, whatever the user name") {
  CHECK(basic_auth_password(basic("admin:secret")) == "secret");
  CHECK(basic_auth_password(basic(":secret")) == "secret");
  CHECK(basic_auth_password(basic("someone:pass:with:colons")) == "pass:with:colons");
  CHECK(basic_auth_password(basic("admin:")) == "");
  CHECK(basic_auth_password("bAsIc   YWRtaW46c2VjcmV0  ") == "secret");
  CHECK(basic_auth_password("Basic YWRtaW46c2VjcmV0") == "secret");
  CHECK(basic_auth_password("Basic YTpi") == "b");     // "a:b", no padding needed
  CHECK(basic_auth_password("Basic YTpiYw") == "bc");  // "a:bc" with its padding left out
}

TEST_CASE("an Authorization header that is not Basic base64 of user:password gives nothing") {
  CHECK(!basic_auth_password(""));
  CHECK(!basic_auth_password("Basic"));
  CHECK(!basic_auth_password("Basic "));
  CHECK(!basic_auth_password("Bearer YWRtaW46c2VjcmV0"));
  CHECK(!basic_auth_password("Basic YWRtaW46c2VjcmV0!"));
  CHECK(!basic_auth_password("Basic Y"));  // not a whole byte
  CHECK(!basic_auth_password(basic("no colon at all")));
  CHECK(!basic_auth_password("Basicx " + basic("a:b").substr(6)));
}

TEST_CASE("same_secret is equality, including for lengths and prefixes") {
  CHECK(same_secret("k3j4h5g6f7d8s9a2", "k3j4h5g6f7d8s9a2"));
  CHECK(!same_secret("k3j4h5g6f7d8s9a3", "k3j4h5g6f7d8s9a2"));
  CHECK(!same_secret("k3j4h5g6f7d8s9a", "k3j4h5g6f7d8s9a2"));
  CHECK(!same_secret("k3j4h5g6f7d8s9a2k3j4h5g6f7d8s9a2", "k3j4h5g6f7d8s9a2"));
  CHECK(!same_secret("", "k"));
  // A repetition of the secret is not the secret (the loop wraps around it).
  CHECK(!same_secret("abab", "ab"));
}

TEST_CASE("crc32 is the checksum ZIP files use") {
  CHECK(server::crc32("") == 0);
  CHECK(server::crc32("123456789") == 0xcbf43926u);  // the standard check value
}

uint32_t le32(const std::string& bytes, size_t at) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

TEST_CASE("a ZIP archive stores each file whole, then a directory of them") {
  std::string zip;
  REQUIRE(server::zip_archive({{"a.csv", "x,y\r\n1,2\r\n"}, {"b.json", "[]\n"}}, 0, &zip).ok());
  // Two local headers (30 bytes + name + data), two directory entries
  // (46 bytes + name), the end record (22 bytes).
  CHECK(zip.size() == (30 + 5 + 10) + (30 + 6 + 3) + (46 + 5) + (46 + 6) + 22);
  CHECK(le32(zip, 0) == 0x04034b50u);
  CHECK(zip.substr(30, 5) == "a.csv");
  CHECK(zip.substr(35, 10) == "x,y\r\n1,2\r\n");
  CHECK(le32(zip, 14) == server::crc32("x,y\r\n1,2\r\n"));
  const size_t end = zip.size() - 22;
  CHECK(le32(zip, end) == 0x06054b50u);
  CHECK(zip[end + 10] == 2);                                   // entries
  CHECK(le32(zip, end + 16) == (30 + 5 + 10) + (30 + 6 + 3));  // where the directory starts
  CHECK(le32(zip, le32(zip, end + 16)) == 0x02014b50u);
}

// An admin over auction sessions kept in memory; `created` counts the
// create hook's calls.
struct AdminFixture {
  AdminFixture()
      : host(durability, server::ServerLimits{}, ignore_wake), admin(host, "pw", hooks()) {
    add_session(3);
  }

  server::AdminHooks hooks() {
    server::AdminHooks hooks;
    hooks.create_session = [this](const std::vector<const Game*>& games, const SessionConfig& base,
                                  const std::string& /*room*/, std::string* code) {
      ++created;
      const Session& added = add_session(base.participants, games.front());
      *code = added.code();
      return Status();
    };
    hooks.export_session = [](const std::string& code, server::ExportFormat format,
                              std::vector<server::ExportFile>* files) {
      const bool json = format == server::ExportFormat::kJson;
      files->push_back({json ? "sessions.json" : "sessions.csv", "session " + code});
      return Status();
    };
    return hooks;
  }

  const Session& add_session(int participants, const Game* game = nullptr) {
    SessionConfig config;
    config.participants = participants;
    config.code = "session" + std::to_string(host.session_count() + 1);
    for (int i = 1; i <= participants; ++i) {
      config.participant_codes.push_back(config.code + "-p" + std::to_string(i));
    }
    auto session =
        std::make_unique<Session>(game ? *game : game_named("auction"), durability.store(), config);
    const Session& added = *session;
    REQUIRE(host.add_session(std::move(session)).ok());
    return added;
  }

  AdminResponse get(std::string_view path, int64_t now_ms = 0, std::string auth = basic("a:pw")) {
    authorization = std::move(auth);
    AdminRequest request;
    request.path = path;
    request.authorization = authorization;
    request.host = "lab:8000";
    return admin.handle(request, now_ms);
  }

  AdminResponse post(std::string_view path, std::string_view form,
                     std::string_view origin = "http://lab:8000", std::string_view referer = "",
                     std::string_view fetch_site = "") {
    authorization = basic("a:pw");
    AdminRequest request;
    request.post = true;
    request.path = path;
    request.authorization = authorization;
    request.host = "lab:8000";
    request.origin = origin;
    request.referer = referer;
    request.fetch_site = fetch_site;
    request.form = form;
    return admin.handle(request, 0);
  }

  server::MemoryDurability durability;
  SessionHost host;
  Admin admin;
  std::string authorization;
  int created = 0;
};

TEST_CASE("without the password every admin path is 401 and shows nothing") {
  AdminFixture f;
  for (const char* path : {"/admin", "/admin/s/session1", "/admin/api/s/session1", "/admin/nope"}) {
    for (const std::string& auth : {std::string(), basic("a:wrong"), basic("a:pw "), basic("pw")}) {
      const AdminResponse response = f.get(path, 0, auth);
      CHECK(response.status == 401);
      CHECK(response.body == "the admin pages need the admin password (any user name)\n");
    }
  }
}

TEST_CASE("the session page lists every participant's link, from the Host header") {
  AdminFixture f;
  const AdminResponse page = f.get("/admin/s/session1");
  CHECK(page.status == 200);
  for (int i = 1; i <= 3; ++i) {
    const std::string link = "http://lab:8000/p/session1-p" + std::to_string(i);
    CHECK(page.body.find("<a href=\"" + link + "\">" + link + "</a>") != std::string::npos);
  }
  f.admin.set_link_base("http://lab-pc.local:8000");
  CHECK(f.get("/admin/s/session1").body.find("http://lab-pc.local:8000/p/session1-p1") !=
        std::string::npos);
  CHECK(f.get("/admin/s/nosuch").status == 404);
  CHECK(f.get("/admin/api/s/nosuch").status == 404);
}

TEST_CASE("a good create form creates the session and redirects to its page") {
  AdminFixture f;
  const AdminResponse response = f.post("/admin/sessions", "game=tictactoe&participants=4");
  CHECK(response.status == 303);
  CHECK(response.location == "/admin/s/session2");
  CHECK(f.created == 1);
  CHECK(f.host.session(1).participant_count() == 4);
  CHECK(f.get("/admin").body.find("/admin/s/session2") != std::string::npos);
}

TEST_CASE(
    "a create form names a configuration; without participants it takes the configuration's") {
  AdminFixture f;
  const AdminResponse response = f.post("/admin/sessions", "config=auction&participants=");
  CHECK(response.status == 303);
  CHECK(f.created == 1);
  CHECK(f.host.session(1).participant_count() == 3);
  CHECK(f.get("/admin").body.find("<select name=\"config\">") != std::string::npos);
}

TEST_CASE("the payments page shows each participant's label, points and money to the cent") {
  AdminFixture f;
  SessionConfig config;
  config.participants = 3;
  config.code = "paid";
  config.participant_codes = {"paid-p1", "paid-p2", "paid-p3"};
  config.config_name = "pg_low";
  config.real_world_currency_per_point = 0.1;
  config.participation_fee = 5;
  auto session = std::make_unique<Session>(game_named("auction"), f.durability.store(), config);
  const PlayerField payoff = session->game().payoff.field;
  session->restore_player_field(0, payoff.index, 45);
  session->restore_player_field(1, payoff.index, 12.345);
  session->restore_participant(1, "PC<1>", 0);
  REQUIRE(f.host.add_session(std::move(session)).ok());
  const AdminResponse page = f.get("/admin/s/paid/payments");
  CHECK(page.status == 200);
  CHECK(page.body.find("configuration pg_low: each point is worth 0.1; the participation fee is "
                       "5.00.") != std::string::npos);
  CHECK(page.body.find("<tr><td>1</td><td>PC&lt;1&gt;</td><td><code>paid-p1</code></td><td>45</td>"
                       "<td>4.50</td><td>5.00</td><td>9.50</td></tr>") != std::string::npos);
  CHECK(page.body.find("<tr><td>2</td><td></td><td><code>paid-p2</code></td><td>12.345</td>"
                       "<td>1.23</td><td>5.00</td><td>6.23</td></tr>") != std::string::npos);
  CHECK(page.body.find("<td>0</td><td>0.00</td><td>5.00</td><td>5.00</td>") != std::string::npos);
  CHECK(page.body.find("<td id=\"payments-total\">20.73</td>") != std::string::npos);
  CHECK(f.get("/admin/s/paid").body.find("href=\"/admin/s/paid/payments\"") != std::string::npos);
  CHECK(f.get("/admin/s/nope/payments").status == 404);
}

TEST_CASE("a bad create form is 400 with the reason, escaped, and calls nothing") {
  AdminFixture f;
  const std::pair<const char*, const char*> cases[] = {
      {"game=chess&participants=2",
       "There is no game &#39;chess&#39;; the games are auction, tictactoe, bargaining, "
       "ten_messages."},
      {"participants=2", "The form names no configuration."},
      {"config=nope",
       "There is no configuration &#39;nope&#39;; the configurations are auction, "
       "tictactoe, bargaining, ten_messages."},
      {"game=auction&participants=4",
       "The number of participants must be a positive multiple of 3 (the group size of auction), "
       "at most 10000; not 4."},
      {"game=auction&participants=10002",
       "The number of participants must be a positive multiple of 3 (the group size of auction), "
       "at most 10000; not 10002."},
      {"game=auction&participants=0", "at most 10000; not 0."},
      {"game=auction&participants=3x", "participants must be a whole number, not &#39;3x&#39;."},
      {"game=auction&participants=-", "participants must be a whole number, not &#39;-&#39;."},
      {"game=%3Cb%3E+x&participants=3", "There is no game &#39;&lt;b&gt; x&#39;"},
  };
  for (const auto& [form, message] : cases) {
    const AdminResponse response = f.post("/admin/sessions", form);
    CHECK_MESSAGE(response.status == 400, form);
    CHECK_MESSAGE(response.body.find(message) != std::string::npos, form);
  }
  CHECK(f.created == 0);
}

TEST_CASE("a create form posted from another site is refused") {
  AdminFixture f;
  CHECK(f.post("/admin/sessions", "game=auction&participants=3", "http://evil.example").status ==
        403);
  CHECK(f.post("/admin/sessions", "game=auction&participants=3", "http://lab:8000.evil").status ==
        403);
  CHECK(f.created == 0);
  CHECK(f.post("/admin/sessions", "game=auction&participants=3", "http://lab:8000").status == 303);
  CHECK(f.created == 1);
}

TEST_CASE("a create form that does not say where it came from is refused") {
  AdminFixture f;
  const char* form = "game=auction&participants=3";
  CHECK(f.post("/admin/sessions", form, "").status == 403);
  CHECK(f.post("/admin/sessions", form, "", "http://evil.example/x").status == 403);
  CHECK(f.post("/admin/sessions", form, "", "http://lab:8000.evil/admin").status == 403);
  CHECK(f.post("/admin/sessions", form, "http://lab:8000", "", "cross-site").status == 403);
  CHECK(f.created == 0);
  CHECK(f.post("/admin/sessions", form, "", "http://lab:8000/admin").status == 303);
  CHECK(f.post("/admin/sessions", form, "", "", "same-origin").status == 303);
  CHECK(f.post("/admin/sessions", form, "", "", "none").status == 303);
  CHECK(f.created == 3);
}

TEST_CASE("the monitor shows pages, connections, fields and events per second") {
  AdminFixture f;
  server::Connection page(nullptr, server::Seat{0, 2}, f.host.limits());
  REQUIRE(f.host.attach(page, -1).ok());

  Json state = Json::parse(f.get("/admin/api/s/session1", 10'000).body);
  CHECK(state["events"] == 0);
  CHECK(state["events_per_second"] == 0.0);
  CHECK(state["connected"] == 1);
  CHECK(state["players"][0]["state"] == "offline");
  CHECK(state["players"][1]["state"] == "connected");
  CHECK(state["players"][1]["connections"] == 1);
  CHECK(state["players"][1]["page_name"] == "live");  // everyone is present: past the wait page
  CHECK(state["groups"][0]["fields"] == Json{{"highest_bid", 0}, {"highest_bidder", nullptr}});

  for (int bid = 1; bid <= 4; ++bid) {
    f.host.receive(page, R"({"data":)" + std::to_string(bid) + "}", 0);
  }
  state = Json::parse(f.get("/admin/api/s/session1", 12'000).body);
  CHECK(state["events"] == 4);
  CHECK(state["events_per_second"] == 2.0);  // 4 events in the 2 s since the last look
  CHECK(state["groups"][0]["fields"] == Json{{"highest_bid", 4}, {"highest_bidder", 2}});
  // Over a window of 5 s: events older than that no longer count.
  state = Json::parse(f.get("/admin/api/s/session1", 20'000).body);
  CHECK(state["events_per_second"] == 0.0);

  f.host.detach(page);
  state = Json::parse(f.get("/admin/api/s/session1", 21'000).body);
  CHECK(state["connected"] == 0);
  CHECK(state["players"][1]["state"] == "offline");
}

TEST_CASE("the export is a ZIP download of the hook's files") {
  AdminFixture f;
  const AdminResponse response = f.get("/admin/s/session1/livectl-session1-json.zip");
  CHECK(response.status == 200);
  CHECK(std::string_view(response.content_type) == server::kAdminDownload);
  CHECK(response.body.find("sessions.json") != std::string::npos);
  CHECK(response.body.find("session session1") != std::string::npos);
  CHECK(f.get("/admin/s/session1/livectl-session1-csv.zip").body.find("sessions.csv") !=
        std::string::npos);
  CHECK(f.get("/admin/s/session1/livectl-session2-csv.zip").status == 404);
  CHECK(f.get("/admin/s/session1/export").status == 404);
}

}  // namespace
}  // namespace livectl::testing
