// Rooms without a network: the label file, and who the room sends where
// (tests/server/room_test.py drives them through a real server).
#include "server/room.h"

#include <doctest/doctest.h>

#include "server/admin.h"
#include "server/session_host.h"
#include "support.h"

namespace livectl::testing {
namespace {

using server::parse_room_labels;
using server::Room;
using server::RoomAnswer;
using server::RoomRequest;
using server::Seat;
using server::SessionHost;

void ignore_wake(lws*) {}

std::vector<std::string> labels_of(std::string_view text) {
  std::vector<std::string> labels;
  const Status status = parse_room_labels(text, "labels.txt", &labels);
  REQUIRE_MESSAGE(status.ok(), status.message());
  return labels;
}

std::string label_error(std::string_view text) {
  std::vector<std::string> labels;
  const Status status = parse_room_labels(text, "labels.txt", &labels);
  REQUIRE(!status.ok());
  return status.message();
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("a label file is one label a line, without blank lines or the spaces around them") {
  CHECK(labels_of("PC01\nPC02\n") == std::vector<std::string>{"PC01", "PC02"});
  CHECK(labels_of("\n  PC01 \r\n\t\n PC 02\t\r\n\nPC03") ==
        std::vector<std::string>{"PC01", "PC 02", "PC03"});
  CHECK(labels_of("Zoë\n\xe5\xae\xa4\n") == std::vector<std::string>{"Zoë", "\xe5\xae\xa4"});
  CHECK(labels_of(std::string(100, 'x')).front().size() == 100);
}

TEST_CASE(
    "a label file with a duplicate, a long label or bytes that are not UTF-8 names the line") {
  CHECK(label_error("PC01\nPC02\n\nPC02\n") ==
        "labels.txt line 4: label PC02 is on line 2 already");
  CHECK(label_error("PC01\n PC01 \n") == "labels.txt line 2: label PC01 is on line 1 already");
  CHECK(label_error("PC01\n" + std::string(101, 'x') + "\n") ==
        "labels.txt line 2: a label is at most 100 bytes; this one has 101");
  CHECK(label_error("PC01\nPC\xff\n") == "labels.txt line 2: the label is not UTF-8 text");
}

TEST_CASE("a label file without labels, or that cannot be read, is refused naming the file") {
  CHECK(label_error("") == "labels.txt: the file has no labels; write one label per line");
  CHECK(label_error("\n  \n\t\n") ==
        "labels.txt: the file has no labels; write one label per line");
  std::vector<std::string> labels;
  CHECK(server::read_room_labels("/nonexistent/labels.txt", &labels).message() ==
        "/nonexistent/labels.txt: cannot read it (No such file or directory)");
  CHECK(server::read_room_labels("/tmp", &labels).message() ==
        "/tmp: cannot read it (it is a folder)");
}

TEST_CASE("a room name is letters, digits, _ and -") {
  CHECK(server::valid_room_name("lab"));
  CHECK(server::valid_room_name("Lab_2-b"));
  CHECK(!server::valid_room_name(""));
  CHECK(!server::valid_room_name("lab 2"));
  CHECK(!server::valid_room_name("lab/2"));
  CHECK(!server::valid_room_name("lab?"));
  CHECK(!server::valid_room_name("labö"));
}

TEST_CASE("a label in a link is %-encoded but for letters, digits and -_.~") {
  CHECK(server::url_encoded("PC07") == "PC07");
  CHECK(server::url_encoded("a b&c=<d>") == "a%20b%26c%3D%3Cd%3E");
  CHECK(server::url_encoded("Zoë") == "Zo%C3%AB");
  CHECK(server::url_encoded("-_.~") == "-_.~");
}

// A room over auction sessions of 3 kept in memory, whose participants
// arrive by events (as served ones do).
struct RoomFixture {
  explicit RoomFixture(std::vector<std::string> labels = {"PC01", "PC02", "PC03", "PC04", "<b>&"})
      : host(durability, server::ServerLimits{}, ignore_wake),
        room(host, "lab", std::move(labels)) {}

  uint32_t add_session(int participants = 3) {
    SessionConfig config;
    config.participants = participants;
    config.arrivals = true;
    config.code = "session" + std::to_string(host.session_count() + 1);
    for (int i = 1; i <= participants; ++i) {
      config.participant_codes.push_back(config.code + "-p" + std::to_string(i));
    }
    REQUIRE(host.add_session(
                    std::make_unique<Session>(game_named("auction"), durability.store(), config))
                .ok());
    return static_cast<uint32_t>(host.session_count() - 1);
  }

  RoomAnswer get(std::string_view path, std::optional<std::string> label = std::nullopt,
                 std::string_view cookie = "") {
    return room.handle(RoomRequest{path, std::move(label), cookie});
  }
  RoomAnswer enter(std::string label) { return get("/room/lab", std::move(label)); }

  const Participant& participant(uint32_t id, uint32_t session = 0) {
    return host.session(session).participant(id);
  }

  server::MemoryDurability durability;
  SessionHost host;
  Room room;
};

TEST_CASE("a room without a session shows the waiting page, and its status says it is not open") {
  RoomFixture f;
  const RoomAnswer waiting = f.enter("PC01");
  CHECK(waiting.status == 200);
  CHECK(!waiting.seat);
  CHECK(contains(waiting.body, "<title>Please wait</title>"));
  CHECK(contains(waiting.body,
                 "<p id=\"waiting\" data-status=\"/room/lab/status\">Waiting for the experimenter "
                 "to start the session. This page moves on by itself.</p>"));
  CHECK(contains(waiting.body, "setTimeout(poll, 1500)"));
  RoomAnswer status = f.get("/room/lab/status");
  CHECK(status.status == 200);
  CHECK(std::string_view(status.content_type) == "application/json");
  CHECK(status.body == "{\"open\":false,\"room\":\"lab\"}\n");

  f.room.open(f.add_session());
  CHECK(f.get("/room/lab/status").body == "{\"open\":true,\"room\":\"lab\"}\n");
}

TEST_CASE("with a label file, the room's URL without a label asks for one") {
  RoomFixture f;
  f.room.open(f.add_session());
  for (const std::optional<std::string>& label :
       {std::optional<std::string>(), std::optional<std::string>(""),
        std::optional<std::string>("  ")}) {
    const RoomAnswer form = f.get("/room/lab/", label);
    CHECK(form.status == 200);
    CHECK(contains(form.body, "<form method=\"get\" action=\"/room/lab\">"));
    CHECK(contains(form.body, "<input name=\"participant_label\" required maxlength=\"100\""));
  }
  CHECK(f.host.session(0).last_seq() == 0);
}

TEST_CASE("a label that is not on the room's list is 403, naming it escaped, and changes nothing") {
  RoomFixture f;
  f.room.open(f.add_session());
  const RoomAnswer refused = f.enter("PC99<script>");
  CHECK(refused.status == 403);
  CHECK(!refused.seat);
  CHECK(contains(refused.body,
                 "<p id=\"error\">The participant label <strong>PC99&lt;script&gt;</strong> is "
                 "not on the list of room lab. Check the link you were given.</p>"));
  CHECK(!contains(refused.body, "<script>"));
  CHECK(f.host.session(0).last_seq() == 0);
  // Before a session too: the label is checked first.
  RoomFixture empty;
  CHECK(empty.enter("PC99").status == 403);
}

TEST_CASE("arriving labels get the lowest free participants, each labelled by an arrive event") {
  RoomFixture f;
  f.room.open(f.add_session());
  RoomAnswer first = f.enter("PC03");
  REQUIRE(first.seat);
  CHECK(first.seat->participant == 1);
  CHECK(first.set_cookie.empty());
  CHECK(f.participant(1).label == "PC03");
  CHECK(f.participant(1).arrived);
  RoomAnswer second = f.enter(" PC01 ");  // the spaces around a typed label do not count
  REQUIRE(second.seat);
  CHECK(second.seat->participant == 2);
  CHECK(f.participant(2).label == "PC01");
  CHECK(f.host.session(0).last_seq() == 2);
  CHECK(f.participant(3).label.empty());
}

TEST_CASE("the same label again goes to the same participant and applies nothing") {
  RoomFixture f;
  f.room.open(f.add_session());
  REQUIRE(f.enter("PC02").seat);
  const RoomAnswer again = f.enter("PC02");
  REQUIRE(again.seat);
  CHECK(again.seat->participant == 1);
  CHECK(f.host.session(0).last_seq() == 1);
}

TEST_CASE("a participant who came by their own link is passed over") {
  RoomFixture f;
  f.room.open(f.add_session());
  server::HttpExchange opened(nullptr);
  opened.request = server::HttpExchange::Request::kPage;
  opened.seat = Seat{0, 1};
  f.host.await_turn_end(opened);  // participant 1 opens /p/<code>: they arrive
  f.host.end_turn();
  const RoomAnswer answer = f.enter("PC01");
  REQUIRE(answer.seat);
  CHECK(answer.seat->participant == 2);
}

TEST_CASE("the participant's page is answered only at the end of the turn, with a 303 to it") {
  RoomFixture f;
  f.room.open(f.add_session());
  RoomAnswer answer = f.enter("PC01");
  REQUIRE(answer.seat);
  server::HttpExchange exchange(nullptr);
  exchange.request = server::HttpExchange::Request::kRoom;
  exchange.seat = *answer.seat;
  f.host.await_turn_end(exchange);
  CHECK(exchange.status == 0);  // held until the commit
  f.host.end_turn();
  CHECK(exchange.status == 303);
  CHECK(exchange.location == "/p/session1-p1");
}

TEST_CASE(
    "when every participant is taken, the room says the session is full and applies nothing") {
  RoomFixture f;
  f.room.open(f.add_session());
  for (const char* label : {"PC01", "PC02", "PC03"}) REQUIRE(f.enter(label).seat);
  const RoomAnswer full = f.enter("PC04");
  CHECK(full.status == 503);
  CHECK(!full.seat);
  CHECK(contains(full.body, "<title>This session is full</title>"));
  CHECK(contains(full.body,
                 "<p id=\"error\">All 3 places of this session are taken. Please tell the "
                 "experimenter.</p>"));
  CHECK(f.host.session(0).last_seq() == 3);
  // Those who have a place still reach it.
  CHECK(f.enter("PC02").seat->participant == 2);
}

TEST_CASE("odd characters in a label on the list are admitted as they are") {
  RoomFixture f;
  f.room.open(f.add_session());
  const RoomAnswer answer = f.enter("<b>&");
  REQUIRE(answer.seat);
  CHECK(f.participant(1).label == "<b>&");
}

TEST_CASE("a new session in the room takes new arrivals, and the old one keeps its labels") {
  RoomFixture f;
  f.room.open(f.add_session());
  REQUIRE(f.enter("PC01").seat);
  f.room.open(f.add_session());
  const RoomAnswer answer = f.enter("PC01");
  REQUIRE(answer.seat);
  CHECK(answer.seat->session == 1);
  CHECK(answer.seat->participant == 1);
  CHECK(f.participant(1, 1).label == "PC01");
  CHECK(f.participant(1, 0).label == "PC01");
}

TEST_CASE("without a label file any label is admitted, and one that cannot be a label is 400") {
  RoomFixture f(std::vector<std::string>{});
  f.room.open(f.add_session());
  const RoomAnswer answer = f.enter("anyone at all");
  REQUIRE(answer.seat);
  CHECK(f.participant(1).label == "anyone at all");
  for (const std::string& bad : {std::string(101, 'x'), std::string("PC\xff")}) {
    const RoomAnswer refused = f.enter(bad);
    CHECK(refused.status == 400);
    CHECK(contains(refused.body,
                   "<p id=\"error\">a participant label is text of 1 to 100 bytes.</p>"));
  }
  CHECK(f.host.session(0).last_seq() == 1);
}

TEST_CASE(
    "without a label, the next free participant is given and a cookie brings the browser back") {
  RoomFixture f(std::vector<std::string>{});
  f.room.open(f.add_session());
  const RoomAnswer first = f.get("/room/lab");
  REQUIRE(first.seat);
  CHECK(first.seat->participant == 1);
  CHECK(first.set_cookie == "livectl_room_lab=session1-p1; Path=/room/lab; HttpOnly; SameSite=Lax");
  CHECK(f.participant(1).arrived);
  CHECK(f.participant(1).label.empty());
  const RoomAnswer back = f.get("/room/lab", std::nullopt, "x=1; livectl_room_lab=session1-p1");
  REQUIRE(back.seat);
  CHECK(back.seat->participant == 1);
  CHECK(f.host.session(0).last_seq() == 1);
  // A cookie of another session, or of nobody, is a new browser.
  for (const char* cookie : {"livectl_room_lab=nobody", "livectl_room_other=session1-p1"}) {
    const RoomAnswer other = f.get("/room/lab", std::nullopt, cookie);
    REQUIRE(other.seat);
    CHECK(other.seat->participant != 1);
  }
}

TEST_CASE("another room's name, or a path under the room that is not status, is 404") {
  RoomFixture f;
  for (const char* path :
       {"/room/other", "/room/labx", "/room/lab/x", "/room/lab/status/x", "/room/", "/room/LAB"}) {
    CHECK(f.get(path).status == 404);
  }
}

// ---- the admin's side ----

TEST_CASE("with a room, the admin's create form offers it, and says where arrivals go") {
  RoomFixture f;
  std::string created_in = "(not called)";
  server::AdminHooks hooks;
  hooks.create_session = [&](const std::vector<const Game*>&, const SessionConfig&,
                             const std::string& room, std::string* code) {
    created_in = room;
    f.room.open(f.add_session());
    *code = f.host.session(f.host.session_count() - 1).code();
    return Status();
  };
  server::Admin admin(f.host, "pw", hooks);
  admin.set_room(&f.room);
  const std::string auth = "Basic YTpwdw==";  // a:pw
  server::AdminRequest request;
  request.path = "/admin";
  request.authorization = auth;
  request.host = "lab:8000";
  std::string page = admin.handle(request, 0).body;
  CHECK(contains(page, "<p id=\"room\">Room <a href=\"/room/lab\">lab</a>: no session yet"));
  CHECK(contains(page,
                 "<label>Room <select name=\"room\"><option value=\"lab\" selected>lab</option>"
                 "<option value=\"\">none</option></select></label>"));

  request.post = true;
  request.path = "/admin/sessions";
  request.origin = "http://lab:8000";
  request.form = "config=auction&room=kitchen";
  const server::AdminResponse refused = admin.handle(request, 0);
  CHECK(refused.status == 400);
  CHECK(contains(refused.body, "There is no room &#39;kitchen&#39;; the room is lab."));
  CHECK(created_in == "(not called)");

  request.form = "config=auction&room=lab";
  CHECK(admin.handle(request, 0).status == 303);
  CHECK(created_in == "lab");
  request.post = false;
  request.path = "/admin";
  page = admin.handle(request, 0).body;
  CHECK(
      contains(page, "arrivals go to session <a href=\"/admin/s/session1\"><code>session1</code>"));
}

TEST_CASE("the monitor shows each participant's label") {
  RoomFixture f;
  f.room.open(f.add_session());
  REQUIRE(f.enter("<b>&").seat);
  server::Admin admin(f.host, "pw", server::AdminHooks{});
  const std::string auth = "Basic YTpwdw==";  // a:pw
  server::AdminRequest request;
  request.path = "/admin/api/s/session1";
  request.authorization = auth;
  const Json state = Json::parse(admin.handle(request, 0).body);
  CHECK(state["players"][0]["label"] == "<b>&");
  CHECK(state["players"][1]["label"] == "");
}

}  // namespace
}  // namespace livectl::testing
