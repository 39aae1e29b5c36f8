// The server's rules without a network: commit before send, errors to the
// sender only, bounded queues and rates, page changes.
#include "server/session_host.h"

#include <doctest/doctest.h>

#include <stdexcept>

#include "engine/scripted_game.h"
#include "engine/text.h"
#include "engine/waiting_game.h"
#include "support.h"

namespace livectl::testing {
namespace {

using server::Connection;
using server::SessionHost;

int wakes = 0;
void count_wake(lws*) {
  ++wakes;
}

std::optional<std::string_view> tiny_templates(std::string_view) {
  return std::string_view("<p>{{ group.counter }}</p>");
}

// Commits into memory, counting; can be told to lose the next commit.
// With `off_loop`, a commit runs beside the loop (start_commit) until the
// test sets `ended`, as a writer thread's would.
class FakeDurability final : public server::Durability {
 public:
  Store& store() override { return store_; }
  Status commit(std::vector<std::string>* lost) override {
    ++commits;
    recorded_ = store_.events_recorded();
    if (!lose_next.empty()) {
      *lost = {lose_next};
      lose_next.clear();
      return Status::Error(commit_error);
    }
    return Status();
  }
  Status start_commit(bool* started, std::vector<std::string>* lost) override {
    if (!off_loop) return Durability::start_commit(started, lost);
    REQUIRE_FALSE(running);
    *started = store_.events_recorded() > recorded_;
    if (!*started) return Status();
    ++commits;
    recorded_ = store_.events_recorded();
    running = true;
    ended = false;
    return Status();
  }
  bool commit_finished() override { return !running || ended; }
  Status finish_commit(std::vector<std::string>* lost) override {
    REQUIRE(ended);
    running = false;
    if (!lose_next.empty()) {
      // What was recorded after it goes too (SqlStore::finish_flush).
      recorded_ = store_.events_recorded();
      *lost = {lose_next};
      lose_next.clear();
      return Status::Error(commit_error);
    }
    return Status();
  }
  Status reload(const std::string&, const std::vector<const Game*>& games,
                std::unique_ptr<Session>* out) override {
    if (reload_fails) return Status::Error("the database is gone");
    *out = std::make_unique<Session>(games, store_, config);
    return Status();
  }

  int commits = 0;
  bool off_loop = false;
  bool running = false;
  bool ended = false;
  std::string lose_next;
  bool reload_fails = false;
  std::string commit_error = "the disk is full";
  SessionConfig config;

 private:
  MemoryStore store_;
  uint64_t recorded_ = 0;  // events_recorded() at the last commit's start
};

// Broadcasts what it is sent; throws on "boom".
Outbox echo(const ScriptedGame& game, Player& player, const Json& data) {
  if (data == "boom") throw std::runtime_error("boom");
  Group& group = player.group();
  group[game.counter] += 1;
  return {{0, data}};
}

// The frames waiting on `page`, oldest first; the queue is left empty.
std::vector<std::string> take_frames(Connection& page) {
  std::vector<std::string> texts;
  while (!page.outgoing.empty()) {
    texts.emplace_back(server::frame_text(page.outgoing.front()));
    page.outgoing.pop();
  }
  return texts;
}

struct Fixture {
  explicit Fixture(server::ServerLimits limits = {})
      : host(durability, limits, count_wake, tiny_templates) {
    durability.config.participants = 3;
    durability.config.participant_codes = {"code-one", "code-two", "code-three"};
    REQUIRE(host.add_session(std::make_unique<Session>(game, durability.store(), durability.config))
                .ok());
    for (uint32_t i = 0; i < 3; ++i) {
      pages.push_back(std::make_unique<Connection>(nullptr, server::Seat{0, i + 1}, host.limits()));
      REQUIRE(host.attach(*pages.back(), 0).ok());
    }
  }
  void send(uint32_t id_in_session, std::string_view frame) {
    host.receive(*pages[id_in_session - 1], frame, 0);
  }
  // The frames waiting on participant `id_in_session`'s page, oldest first.
  std::vector<std::string> frames(uint32_t id_in_session) {
    return take_frames(*pages[id_in_session - 1]);
  }

  ScriptedGame game{echo};
  FakeDurability durability;
  SessionHost host;
  std::vector<std::unique_ptr<Connection>> pages;
};

TEST_CASE("live frames reach pages only after the turn's commit") {
  Fixture f;
  f.send(1, R"({"page":0,"data":5})");
  CHECK(f.pages[0]->outgoing.empty());
  CHECK(f.durability.commits == 0);
  f.host.end_turn();
  CHECK(f.durability.commits == 1);
  for (uint32_t id = 1; id <= 3; ++id) {
    CHECK(f.frames(id) == std::vector<std::string>{R"({"type":"live","seq":1,"data":5})"});
  }
}

TEST_CASE("each recipient's live frame carries that participant's own delivery number") {
  Fixture f;
  f.send(1, R"({"data":{"x":[1,2]}})");
  f.host.end_turn();
  for (uint32_t id = 1; id <= 3; ++id) {
    CHECK(f.frames(id) ==
          std::vector<std::string>{R"({"type":"live","seq":1,"data":{"x":[1,2]}})"});
  }
  f.send(2, R"({"data":7})");
  f.host.end_turn();
  for (uint32_t id = 1; id <= 3; ++id) {
    CHECK(f.frames(id) == std::vector<std::string>{R"({"type":"live","seq":2,"data":7})"});
    CHECK(f.host.session(0).player(id).participant().delivered == 2);
  }
}

TEST_CASE("a page that reconnects gets exactly what it missed, in order, then the live ones") {
  Fixture f;
  for (int i = 1; i <= 5; ++i) f.send(2, R"({"data":)" + std::to_string(i) + "}");
  f.host.end_turn();
  CHECK(f.frames(1).size() == 5);
  // Participant 1's page handled two of them, lost its socket, and is back;
  // a message of this turn is held until its commit, and follows.
  Connection back(nullptr, server::Seat{0, 1}, f.host.limits());
  REQUIRE(f.host.attach(back, 0, 2).ok());
  f.send(3, R"({"data":6})");
  f.host.end_turn();
  CHECK(take_frames(back) == std::vector<std::string>{R"({"type":"live","seq":3,"data":3})",
                                                      R"({"type":"live","seq":4,"data":4})",
                                                      R"({"type":"live","seq":5,"data":5})",
                                                      R"({"type":"live","seq":6,"data":6})"});
  // A page that missed nothing is sent nothing again; one that names no
  // number is sent nothing of the past.
  Connection current(nullptr, server::Seat{0, 1}, f.host.limits());
  REQUIRE(f.host.attach(current, 0, 6).ok());
  Connection plain(nullptr, server::Seat{0, 1}, f.host.limits());
  REQUIRE(f.host.attach(plain, 0).ok());
  f.host.end_turn();
  CHECK(take_frames(current).empty());
  CHECK(take_frames(plain).empty());
  for (Connection* page : {&back, &current, &plain}) f.host.detach(*page);
}

TEST_CASE("a page that missed more than is kept is told of the gap, then gets the rest") {
  server::ServerLimits limits;
  limits.messages_per_second = 1e9;
  limits.message_burst = 1e9;
  Fixture f(limits);
  const auto total = static_cast<int>(SessionHost::kHistoryLimit) + 5;
  for (int i = 1; i <= total; ++i) {
    f.send(2, R"({"data":)" + std::to_string(i) + "}");
    if (i % 100 == 0) {
      f.host.end_turn();
      for (uint32_t id = 1; id <= 3; ++id) f.frames(id);
    }
  }
  f.host.end_turn();
  Connection back(nullptr, server::Seat{0, 1}, f.host.limits());
  REQUIRE(f.host.attach(back, 0, 0).ok());
  const std::vector<std::string> frames = take_frames(back);
  REQUIRE(frames.size() == SessionHost::kHistoryLimit + 1);
  CHECK(frames.front() == R"({"type":"gap","after":0,"resumes":6})");
  CHECK(frames[1] == R"({"type":"live","seq":6,"data":6})");
  CHECK(frames.back() == "{\"type\":\"live\",\"seq\":" + std::to_string(total) +
                             ",\"data\":" + std::to_string(total) + "}");
  f.host.detach(back);
}

TEST_CASE("what is re-sent is the participant's current page's only") {
  Fixture f;
  f.send(2, R"({"data":"old"})");
  f.host.end_turn();
  f.host.submit(server::Seat{0, 1}, 0);  // participant 1 moves to 'middle'
  f.host.end_turn();
  CHECK(f.host.session(0).player(1).participant().page_delivered == 1);
  // The page frame: the page that was open is told to load the next one.
  CHECK(f.frames(1) == std::vector<std::string>{R"({"type":"live","seq":1,"data":"old"})",
                                                R"({"type":"page","page":1,"name":"middle"})"});
  f.host.submit(server::Seat{0, 2}, 0);
  f.host.end_turn();
  f.host.receive(*f.pages[1], R"({"page":1,"data":"new"})", 0);
  f.host.end_turn();
  // The middle page, loaded with its history, asks from its start.
  Connection middle(nullptr, server::Seat{0, 1}, f.host.limits());
  REQUIRE(f.host.attach(middle, 1, 0).ok());
  f.host.end_turn();
  CHECK(take_frames(middle) == std::vector<std::string>{R"({"type":"live","seq":2,"data":"new"})"});
  f.host.detach(middle);
}

TEST_CASE("one turn commits once however many events it applied") {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.send(1 + i % 3, R"({"data":1})");
  f.host.end_turn();
  f.host.end_turn();  // nothing applied: no commit
  CHECK(f.durability.commits == 1);
  CHECK(f.frames(2).size() == 10);
}

TEST_CASE("a game that throws sends its sender an error and the session goes on") {
  Fixture f;
  f.send(2, R"({"data":"boom"})");
  f.send(3, R"({"data":"fine"})");
  f.host.end_turn();
  CHECK(f.frames(2) ==
        std::vector<std::string>{R"({"type":"error","message":"live_method failed: boom"})",
                                 R"({"type":"live","seq":1,"data":"fine"})"});
  CHECK(f.frames(1) == std::vector<std::string>{R"({"type":"live","seq":1,"data":"fine"})"});
}

TEST_CASE("a malformed frame is answered with an error to its sender alone") {
  Fixture f;
  f.send(1, "{nope");
  f.host.end_turn();
  CHECK(f.frames(1) ==
        std::vector<std::string>{
            R"j({"type":"error","message":"the frame is not valid JSON (error at byte 3)"})j"});
  CHECK(f.frames(2).empty());
  CHECK(f.durability.commits == 0);
}

TEST_CASE("messages over the rate are dropped and the sender is told once") {
  server::ServerLimits limits;
  limits.messages_per_second = 1;
  limits.message_burst = 2;
  Fixture f(limits);
  for (int i = 0; i < 5; ++i) f.send(1, R"({"data":1})");
  f.host.end_turn();
  CHECK(
      f.frames(1) ==
      std::vector<std::string>{
          R"({"type":"live","seq":1,"data":1})", R"({"type":"live","seq":2,"data":1})",
          R"({"type":"error","message":"too many messages: more than 1 a second; this one and those right after it were dropped"})"});
  CHECK(f.frames(2).size() == 2);
}

// What the stall check asks the OS, by socket; the answer is `os_bytes`.
std::vector<lws*> asked_os;
size_t os_bytes = 0;
size_t count_unsent(lws* socket) {
  asked_os.push_back(socket);
  return os_bytes;
}

TEST_CASE("the stall check asks the OS only about sockets that wrote or still had bytes there") {
  Fixture f;
  auto* socket = reinterpret_cast<lws*>(f.pages[0].get());
  f.pages[0]->socket = socket;
  asked_os.clear();
  f.host.close_stalled(1'000, count_unsent);
  CHECK(asked_os.empty());  // nobody wrote: an idle session costs no system call
  f.pages[0]->wrote = true;
  os_bytes = 100;  // the peer has not taken it yet
  f.host.close_stalled(2'000, count_unsent);
  CHECK(asked_os == std::vector<lws*>{socket});
  os_bytes = 0;  // still bytes in the OS at the last check: asked again
  f.host.close_stalled(3'000, count_unsent);
  CHECK(asked_os.size() == 2);
  f.host.close_stalled(4'000, count_unsent);  // empty and nothing written since
  CHECK(asked_os.size() == 2);
  CHECK(f.pages[0]->close_code == 0);
}

TEST_CASE("a page whose queue passes the limit is closed with a named reason") {
  server::ServerLimits limits;
  limits.max_queue_bytes = 100;
  Fixture f(limits);
  for (int i = 0; i < 4; ++i) f.send(1, R"({"data":"0123456789"})");
  f.host.end_turn();
  CHECK(f.pages[1]->close_code == 1008);
  CHECK(f.pages[1]->close_reason ==
        "outgoing queue over 100 bytes: the page reads too slowly; reconnect to resync");
  CHECK(f.pages[1]->outgoing.empty());
}

TEST_CASE("a submit moves the participant's pages on, the same submit again changes nothing") {
  Fixture f;
  f.host.submit(server::Seat{0, 2}, 0);
  f.host.end_turn();
  CHECK(f.frames(2) == std::vector<std::string>{R"({"type":"page","page":1,"name":"middle"})"});
  f.host.submit(server::Seat{0, 2}, 0);
  f.host.end_turn();
  CHECK(f.frames(2).empty());
  CHECK(f.host.session(0).player(2).participant().page == 1);
  // A live message for the page left behind is refused with the engine's words.
  f.send(2, R"({"page":0,"data":1})");
  f.host.end_turn();
  CHECK(f.frames(2) ==
        std::vector<std::string>{
            R"({"type":"error","message":"participant 2 is on page 'middle', not 'live'"})"});
}

TEST_CASE("a page that connects showing an old page is told where the participant is") {
  Fixture f;
  Connection stale(nullptr, server::Seat{0, 1}, f.host.limits());
  REQUIRE(f.host.attach(stale, 2).ok());
  f.host.end_turn();
  REQUIRE(!stale.outgoing.empty());
  CHECK(server::frame_text(stale.outgoing.front()) == R"({"type":"page","page":0,"name":"live"})");
  f.host.detach(stale);
}

TEST_CASE("a participant may have at most the limit of open pages") {
  server::ServerLimits limits;
  limits.max_connections_per_participant = 1;
  Fixture f(limits);
  Connection second(nullptr, server::Seat{0, 1}, f.host.limits());
  CHECK(f.host.attach(second, 0).message() == "participant 1 already has 1 open pages");
}

TEST_CASE("a lost commit drops the turn's frames and makes every page reload") {
  Fixture f;
  f.durability.lose_next = f.host.session(0).code();
  f.send(1, R"({"data":7})");
  f.host.end_turn();
  const std::vector<std::string> expected = {
      R"({"type":"error","message":"the server could not store the latest changes (the disk is full); the page reloads"})",
      R"({"type":"page","page":0,"name":"live"})"};
  for (uint32_t id = 1; id <= 3; ++id) CHECK(f.frames(id) == expected);
  // The session was rebuilt as storage holds it: without the lost event.
  CHECK(f.host.session(0).player(1).group()[f.game.counter] == 0);
}

TEST_CASE("with commits off the loop, frames wait for the commit that holds their event") {
  Fixture f;
  f.durability.off_loop = true;
  f.send(1, R"({"data":5})");
  f.host.end_turn();
  CHECK(f.durability.commits == 1);
  CHECK(f.durability.running);
  // The loop goes on while it runs: the next events wait for their own commit.
  f.send(2, R"({"data":6})");
  f.host.end_turn();
  f.send(3, R"({"data":7})");
  f.host.end_turn();
  CHECK(f.durability.commits == 1);
  for (uint32_t id = 1; id <= 3; ++id) CHECK(f.frames(id).empty());
  f.durability.ended = true;
  f.host.end_turn();  // releases the first; hands the other two to one commit
  CHECK(f.durability.commits == 2);
  for (uint32_t id = 1; id <= 3; ++id) {
    CHECK(f.frames(id) == std::vector<std::string>{R"({"type":"live","seq":1,"data":5})"});
  }
  f.durability.ended = true;
  f.host.end_turn();
  for (uint32_t id = 1; id <= 3; ++id) {
    CHECK(f.frames(id) == std::vector<std::string>{R"({"type":"live","seq":2,"data":6})",
                                                   R"({"type":"live","seq":3,"data":7})"});
  }
  CHECK_FALSE(f.durability.running);
}

TEST_CASE("with commits off the loop, a page shows what the commit running then holds") {
  Fixture f;
  f.durability.off_loop = true;
  f.send(1, R"({"data":5})");  // the group's counter becomes 1
  f.host.end_turn();
  REQUIRE(f.durability.running);
  server::HttpExchange asked(nullptr);
  asked.request = server::HttpExchange::Request::kPage;
  asked.seat = server::Seat{0, 2};
  f.host.await_turn_end(asked);
  f.host.end_turn();           // nothing new to commit: it waits for the running one
  f.send(3, R"({"data":6})");  // counter 2, not committed when the page is sent
  f.host.end_turn();
  CHECK(asked.status == 0);
  f.durability.ended = true;
  f.host.end_turn();
  CHECK(asked.status == 200);
  CHECK(asked.body.find("<p>1</p>") != std::string::npos);
  f.durability.ended = true;
  f.host.end_turn();
  // settle() leaves nothing running and nothing held.
  f.send(1, R"({"data":8})");
  f.host.end_turn();
  f.durability.ended = true;
  f.host.settle();
  CHECK_FALSE(f.durability.running);
  CHECK(f.frames(1).size() == 3);
}

TEST_CASE(
    "with commits off the loop, a page that reconnects meanwhile gets the rest when it ends") {
  Fixture f;
  f.durability.off_loop = true;
  f.send(2, R"({"data":1})");
  f.host.end_turn();  // delivery 1 is being committed, nothing was released
  // Participant 1's page handled nothing and comes back: no gap, 1 follows.
  Connection early(nullptr, server::Seat{0, 1}, f.host.limits());
  REQUIRE(f.host.attach(early, 0, 0).ok());
  f.host.end_turn();
  CHECK(take_frames(early).empty());
  f.durability.ended = true;
  f.host.end_turn();
  CHECK(take_frames(early) == std::vector<std::string>{R"({"type":"live","seq":1,"data":1})"});
  f.send(2, R"({"data":2})");
  f.host.end_turn();  // delivery 2 is being committed
  // Another page comes back: 1 was released, 2 follows when its commit ends.
  Connection back(nullptr, server::Seat{0, 1}, f.host.limits());
  REQUIRE(f.host.attach(back, 0, 0).ok());
  f.host.end_turn();
  CHECK(take_frames(back) == std::vector<std::string>{R"({"type":"live","seq":1,"data":1})"});
  f.durability.ended = true;
  f.host.end_turn();
  CHECK(take_frames(back) == std::vector<std::string>{R"({"type":"live","seq":2,"data":2})"});
  CHECK(take_frames(early) == std::vector<std::string>{R"({"type":"live","seq":2,"data":2})"});
  f.host.detach(back);
  f.host.detach(early);
}

TEST_CASE("with commits off the loop, a lost commit takes the events after it too") {
  Fixture f;
  f.durability.off_loop = true;
  f.durability.lose_next = f.host.session(0).code();
  f.send(1, R"({"data":7})");
  f.host.end_turn();
  f.send(2, R"({"data":8})");  // after the doomed commit started
  f.host.end_turn();
  f.durability.ended = true;
  f.host.end_turn();
  const std::vector<std::string> expected = {
      R"({"type":"error","message":"the server could not store the latest changes (the disk is full); the page reloads"})",
      R"({"type":"page","page":0,"name":"live"})"};
  for (uint32_t id = 1; id <= 3; ++id) CHECK(f.frames(id) == expected);
  CHECK(f.host.session(0).player(1).group()[f.game.counter] == 0);
  CHECK_FALSE(f.durability.running);  // nothing left to commit
  // The session goes on from what storage holds.
  f.send(3, R"({"data":9})");
  f.host.end_turn();
  f.durability.ended = true;
  f.host.end_turn();
  CHECK(f.frames(1) == std::vector<std::string>{R"({"type":"live","seq":1,"data":9})"});
}

TEST_CASE("a session that can be neither stored nor reloaded goes offline, others go on") {
  Fixture f;
  SessionConfig other = f.durability.config;
  other.participant_codes = {"other-one", "other-two", "other-three"};
  REQUIRE(f.host.add_session(std::make_unique<Session>(f.game, f.durability.store(), other)).ok());
  Connection bystander(nullptr, server::Seat{1, 1}, f.host.limits());
  REQUIRE(f.host.attach(bystander, 0).ok());
  f.durability.lose_next = f.host.session(0).code();
  f.durability.reload_fails = true;
  f.send(1, R"({"data":7})");
  f.host.end_turn();  // no exception: the policy is one, for every caller
  const std::string reason =
      "the session could not be stored: the disk is full; reloading it failed too: the database "
      "is gone";
  for (uint32_t id = 1; id <= 3; ++id) {
    CHECK(f.pages[id - 1]->close_code == 1011);
    CHECK(f.pages[id - 1]->close_reason == std::string(cut_utf8(reason, 123)));
    CHECK(f.frames(id).empty());  // what was not stored is never shown
  }
  // Its pages answer 503 with the reason; it takes no more events.
  server::HttpExchange exchange(nullptr);
  exchange.request = server::HttpExchange::Request::kPage;
  exchange.seat = server::Seat{0, 2};
  f.host.await_turn_end(exchange);
  const uint64_t events = f.host.events_applied();
  f.send(2, R"({"data":8})");
  f.host.submit(server::Seat{0, 2}, 0);
  f.host.end_turn();
  CHECK(exchange.status == 503);
  CHECK(exchange.body == reason + "\n");
  CHECK(f.host.events_applied() == events);
  CHECK(f.host.offline_reason(0) == reason);
  Connection late(nullptr, server::Seat{0, 3}, f.host.limits());
  CHECK(f.host.attach(late, 0).message() == reason);
  // The other session is served as before.
  CHECK(!f.host.offline_reason(1));
  f.host.receive(bystander, R"({"data":9})", 0);
  f.host.end_turn();
  CHECK(take_frames(bystander) == std::vector<std::string>{R"({"type":"live","seq":1,"data":9})"});
  f.host.detach(bystander);
}

TEST_CASE("a close reason is cut to 123 bytes without splitting a character") {
  Fixture f;
  f.durability.commit_error = "le disque est plein: " + std::string(40, 'x');
  for (int i = 0; i < 40; ++i) f.durability.commit_error += "\xc3\xa9";  // é
  f.durability.lose_next = f.host.session(0).code();
  f.durability.reload_fails = true;
  f.send(1, R"({"data":7})");
  f.host.end_turn();
  const std::string& reason = f.pages[0]->close_reason;
  CHECK(reason.size() <= 123);
  CHECK(reason.size() >= 121);
  CHECK(valid_utf8(reason));
  CHECK(reason.starts_with("the session could not be stored: le disque est plein: xxx"));
}

TEST_CASE("a closed page gets nothing more") {
  Fixture f;
  f.send(1, "{nope");
  f.host.detach(*f.pages[0]);
  f.host.end_turn();
  CHECK(f.pages[0]->outgoing.empty());
}

// The host's clock, moved by hand.
int64_t fake_now = 0;
int64_t fake_clock() {
  return fake_now;
}

// A served session of WaitingGame: a lobby that times out after 5 s.
struct WaitingFixture {
  explicit WaitingFixture(int64_t lobby_timeout_ms = 5000)
      : game(lobby_timeout_ms),
        host(
            durability, {}, count_wake,
            [](std::string_view) {
              return std::optional<std::string_view>("<p>{{ group.messages }}</p>");
            },
            fake_clock) {
    fake_now = 1000;
    SessionConfig config;
    config.participants = 3;
    config.participant_codes = {"w-one", "w-two", "w-three"};
    config.arrivals = true;
    REQUIRE(host.add_session(std::make_unique<Session>(game, durability.store(), config)).ok());
    for (uint32_t i = 0; i < 3; ++i) {
      pages.push_back(std::make_unique<Connection>(nullptr, server::Seat{0, i + 1}, host.limits()));
    }
  }
  std::vector<std::string> frames(uint32_t id_in_session) {
    return take_frames(*pages[id_in_session - 1]);
  }
  const Participant& participant(uint32_t id) { return host.session(0).player(id).participant(); }

  WaitingGame game;
  FakeDurability durability;
  SessionHost host;
  std::vector<std::unique_ptr<Connection>> pages;
};

const std::string kToLive = R"({"type":"page","page":1,"name":"live"})";

TEST_CASE("a participant whose last page is gone for the grace period has left, and comes back") {
  WaitingFixture f(0);  // a lobby without a timeout: only presence moves anything
  REQUIRE(f.host.attach(*f.pages[0], 0).ok());
  f.host.end_turn();
  const uint64_t arrived = f.host.events_applied();
  // A reload: the page goes and comes back within the grace period.
  f.host.detach(*f.pages[0]);
  fake_now += SessionHost::kPresenceGraceMs - 1;
  f.host.fire_due();
  Connection reloaded(nullptr, server::Seat{0, 1}, f.host.limits());
  REQUIRE(f.host.attach(reloaded, 0).ok());
  fake_now += SessionHost::kPresenceGraceMs;
  f.host.fire_due();
  f.host.end_turn();
  CHECK(f.host.events_applied() == arrived);
  CHECK(f.participant(1).present);

  // Gone for good: after the grace period the game hears it, once.
  f.host.detach(reloaded);
  fake_now += SessionHost::kPresenceGraceMs - 1;
  f.host.fire_due();
  CHECK(f.participant(1).present);
  fake_now += 1;
  f.host.fire_due();
  f.host.fire_due();
  f.host.end_turn();
  CHECK_FALSE(f.participant(1).present);
  CHECK(f.host.events_applied() == arrived + 1);
  // Back: at once.
  REQUIRE(f.host.attach(*f.pages[0], 0).ok());
  f.host.end_turn();
  CHECK(f.participant(1).present);
  CHECK(f.host.events_applied() == arrived + 2);
  // Who never arrived is never told away.
  fake_now += 10 * SessionHost::kPresenceGraceMs;
  f.host.fire_due();
  CHECK(f.host.events_applied() == arrived + 2);
  f.host.detach(*f.pages[0]);
}

TEST_CASE("opening a page is arriving, the last arrival moves every page of the group on") {
  WaitingFixture f;
  REQUIRE(f.host.attach(*f.pages[0], 0).ok());
  f.host.end_turn();
  CHECK(f.participant(1).arrived);
  CHECK(f.participant(1).page_entered_ms == 1000);
  CHECK(f.frames(1).empty());
  REQUIRE(f.host.attach(*f.pages[1], 0).ok());
  // The third participant arrives by loading their page over HTTP.
  server::HttpExchange exchange(nullptr);
  exchange.request = server::HttpExchange::Request::kPage;
  exchange.seat = server::Seat{0, 3};
  f.host.await_turn_end(exchange);
  f.host.end_turn();
  CHECK(exchange.status == 200);
  for (uint32_t id : {1u, 2u}) CHECK(f.frames(id) == std::vector<std::string>{kToLive});
  CHECK(f.participant(3).page == 1);
  // Opening another page later is no new arrival.
  const uint64_t events = f.host.events_applied();
  REQUIRE(f.host.attach(*f.pages[2], 1).ok());
  f.host.end_turn();
  CHECK(f.host.events_applied() == events);
  CHECK(f.frames(3).empty());
}

TEST_CASE("a wait page's timeout fires on the host's clock and moves those present on") {
  WaitingFixture f;
  REQUIRE(f.host.attach(*f.pages[0], 0).ok());
  fake_now = 2000;
  REQUIRE(f.host.attach(*f.pages[1], 0).ok());
  f.host.end_turn();
  fake_now = 5999;  // participant 1's timer runs out at 6000
  f.host.fire_due();
  f.host.end_turn();
  CHECK(f.frames(1).empty());
  fake_now = 6000 + SessionHost::kTimeoutResolutionMs;
  f.host.fire_due();
  f.host.end_turn();
  for (uint32_t id : {1u, 2u}) CHECK(f.frames(id) == std::vector<std::string>{kToLive});
  CHECK(f.participant(3).page == 0);
  // One timeout event moved both; participant 2's own timer was not fired too.
  CHECK(f.host.events_applied() == 3);
  // The latecomer goes straight through.
  REQUIRE(f.host.attach(*f.pages[2], 0).ok());
  f.host.end_turn();
  CHECK(f.frames(3) == std::vector<std::string>{kToLive});
}

}  // namespace
}  // namespace livectl::testing

namespace livectl::testing {
namespace {

TEST_CASE("a wall clock stepped back holds no page timer and no event time goes back") {
  WaitingFixture f;
  REQUIRE(f.host.attach(*f.pages[0], 0).ok());  // arrives at 1000: the timer runs out at 6000
  f.host.end_turn();
  fake_now -= 3'600'000;  // NTP steps the wall clock back an hour
  REQUIRE(f.host.attach(*f.pages[1], 0).ok());
  f.host.end_turn();
  CHECK(f.participant(2).page_entered_ms == 1000);  // served time did not go back
  fake_now += 4999;
  f.host.fire_due();
  f.host.end_turn();
  CHECK(f.frames(1).empty());
  fake_now +=
      1 + SessionHost::kTimeoutResolutionMs;  // 5 s after the arrival, on the wall clock's pace
  f.host.fire_due();
  f.host.end_turn();
  for (uint32_t id : {1u, 2u}) CHECK(f.frames(id) == std::vector<std::string>{kToLive});
  CHECK(f.host.session(0).now_ms() == 1000 + 5000 + SessionHost::kTimeoutResolutionMs);
}

TEST_CASE("served time resumes from the stored session's clock when the wall clock is behind it") {
  WaitingFixture f;
  fake_now = 50'000;
  REQUIRE(f.host.attach(*f.pages[0], 0).ok());
  f.host.end_turn();
  // A second host serves the same session after a restart on a clock that is behind.
  FakeDurability durability;
  SessionHost again(
      durability, {}, count_wake,
      [](std::string_view) {
        return std::optional<std::string_view>("<p>{{ group.messages }}</p>");
      },
      fake_clock);
  SessionConfig config;
  config.participants = 3;
  config.participant_codes = {"r-one", "r-two", "r-three"};
  config.arrivals = true;
  auto session = std::make_unique<Session>(f.game, durability.store(), config);
  session->restore_progress(0, 50'000, session->rng().state());
  REQUIRE(again.add_session(std::move(session)).ok());
  fake_now = 20'000;
  Connection page(nullptr, server::Seat{0, 1}, again.limits());
  REQUIRE(again.attach(page, 0).ok());
  again.end_turn();
  CHECK(again.session(0).player(1).participant().page_entered_ms == 50'000);
  fake_now += 5000 + SessionHost::kTimeoutResolutionMs;
  again.fire_due();
  again.end_turn();
  CHECK(take_frames(page) == std::vector<std::string>{kToLive});
  again.detach(page);
}

}  // namespace
}  // namespace livectl::testing
