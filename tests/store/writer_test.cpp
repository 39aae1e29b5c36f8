// Commits on the store's writer thread (SqlStore::start_writer): batches
// committed beside the caller hold exactly what synchronous ones hold, the
// caller records the next batch meanwhile, other calls see an up-to-date
// database, and a failed batch loses its sessions and those of every event
// recorded after it, nothing else. Where batches commit: on the caller's
// thread while commits are quick, on the writer for a while after a slow
// one.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "store_support.h"

namespace livectl::testing {
namespace {

// Applies `count` live events of participants 1..n of `session`, at times
// from `*clock` on.
void play(Session& session, int count, int64_t* clock) {
  const auto n = static_cast<int64_t>(session.participant_count());
  for (int i = 0; i < count; ++i) {
    Event event;
    ++*clock;
    event.participant = static_cast<uint32_t>(*clock % n + 1);
    event.time_ms = *clock;
    event.data = *clock % 97;
    const EventResult& result = session.apply(event);
    INFO(result.error.value_or(""));
    REQUIRE_FALSE(result.error);
  }
}

// start_writer()'s threshold that hands every batch to the writer.
constexpr std::chrono::steady_clock::duration kAlwaysWriter{0};

SessionConfig config_of(int participants, uint64_t seed) {
  SessionConfig config;
  config.participants = participants;
  config.seed = seed;
  return config;
}

// The codes of `count` new auction sessions of 30 (seeds 1, 2, ...) stored
// in a new database at `path`.
std::vector<std::string> stored_sessions(const std::string& path, int count) {
  auto store = open_store(path);
  std::vector<std::string> codes;
  for (int s = 0; s < count; ++s) {
    Session session(game_named("auction"), *store, config_of(30, static_cast<uint64_t>(s + 1)));
    REQUIRE(store->add_session(session, "test", Json::object()).ok());
    codes.push_back(session.code());
  }
  REQUIRE(store->flush().ok());
  return codes;
}

TEST_CASE("batches committed on the writer thread hold what commits on the caller's thread hold") {
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  std::atomic<int> ended{0};
  std::string code, digest;
  uint64_t last_seq = 0;
  {
    auto store = open_store(path);
    Session session(auction, *store, config_of(30, 11));
    REQUIRE(store->add_session(session, "test", Json::object()).ok());
    REQUIRE(store->flush().ok());
    store->start_writer([&ended] { ++ended; }, kAlwaysWriter);
    int64_t clock = 0;
    int started_batches = 0;
    for (int batch = 0; batch < 20; ++batch) {
      play(session, 25, &clock);
      bool started = false;
      REQUIRE(store->flush_async(&started).ok());
      CHECK(started);
      ++started_batches;
      // The next batch is recorded while this one is written.
      play(session, 5, &clock);
      const Status finished = store->finish_flush();
      INFO(finished.message());
      REQUIRE(finished.ok());
      CHECK(store->flush_finished());
    }
    bool started = false;
    REQUIRE(store->flush_async(&started).ok());
    CHECK(started);
    REQUIRE(store->finish_flush().ok());
    ++started_batches;
    CHECK(ended == started_batches);
    // Nothing recorded since: nothing to start.
    REQUIRE(store->flush_async(&started).ok());
    CHECK_FALSE(started);
    code = session.code();
    digest = session.digest();
    last_seq = session.last_seq();
    CHECK(last_seq == 20 * 30);
  }
  auto store = open_store(path);
  std::unique_ptr<Session> reloaded;
  REQUIRE(store->load_session(code, auction, &reloaded).ok());
  CHECK(reloaded->digest() == digest);
  CHECK(reloaded->last_seq() == last_seq);

  // The same events committed synchronously, in a database of their own.
  TempDir other;
  auto plain = open_store(other.database());
  Session same(auction, *plain, config_of(30, 11));
  REQUIRE(plain->add_session(same, "test", Json::object()).ok());
  int64_t clock = 0;
  for (int batch = 0; batch < 20; ++batch) {
    play(same, 30, &clock);
    REQUIRE(plain->flush().ok());
  }
  CHECK(same.digest() == digest);
}

TEST_CASE("a session can be added and the sessions listed while a batch is written") {
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  auto store = open_store(path);
  Session first(auction, *store, config_of(6, 1));
  REQUIRE(store->add_session(first, "test", Json::object()).ok());
  REQUIRE(store->flush().ok());
  store->start_writer(nullptr, kAlwaysWriter);
  int64_t clock = 0;
  play(first, 40, &clock);
  bool started = false;
  REQUIRE(store->flush_async(&started).ok());
  REQUIRE(started);
  play(first, 3, &clock);  // into the open batch, before the new session's rows
  Session second(auction, *store, config_of(3, 2));
  REQUIRE(store->add_session(second, "test", Json::object()).ok());
  play(second, 4, &clock);
  std::vector<StoredSession> listed;
  REQUIRE(store->list_sessions(&listed).ok());
  REQUIRE(listed.size() == 2);
  CHECK(store->finish_flush().ok());  // the running batch ended inside add_session
  REQUIRE(store->flush_async(&started).ok());
  REQUIRE(started);
  REQUIRE(store->finish_flush().ok());
  store.reset();

  auto again = open_store(path);
  for (const Session* session : {&first, &second}) {
    std::unique_ptr<Session> reloaded;
    REQUIRE(again->load_session(session->code(), auction, &reloaded).ok());
    CHECK(reloaded->digest() == session->digest());
  }
}

TEST_CASE("a batch the writer cannot store loses its sessions and those recorded after it" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  const std::vector<std::string> codes = stored_sessions(path, 3);
  auto store = reopen_nearly_full(path, 8);
  store->start_writer(nullptr, kAlwaysWriter);
  // a: in every batch; b: only ever recorded after a batch started;
  // bystander: played once at the start, then left alone.
  std::unique_ptr<Session> a, b, bystander;
  REQUIRE(store->load_session(codes[0], auction, &a).ok());
  REQUIRE(store->load_session(codes[1], auction, &b).ok());
  REQUIRE(store->load_session(codes[2], auction, &bystander).ok());
  int64_t clock = 0;
  play(*bystander, 10, &clock);
  REQUIRE(store->flush().ok());
  const std::string bystander_digest = bystander->digest();

  std::string committed_a = a->digest(), committed_b = b->digest();
  Status failure;
  for (int batch = 0; batch < 10000 && failure.ok(); ++batch) {
    play(*a, 50, &clock);
    const std::string pending_a = a->digest(), pending_b = b->digest();
    bool started = false;
    REQUIRE(store->flush_async(&started).ok());
    REQUIRE(started);
    play(*b, 5, &clock);
    failure = store->finish_flush();
    if (failure.ok()) {
      committed_a = pending_a;
      committed_b = pending_b;
    }
  }
  CHECK(failure.message() == "the disk holding " + path + " is full");
  // Until the lost sessions are taken, nothing more is recorded or committed.
  bool started = false;
  CHECK(store->flush_async(&started).message() == failure.message());
  std::vector<std::string> lost = store->take_lost_sessions();
  std::sort(lost.begin(), lost.end());
  std::vector<std::string> expected = {codes[0], codes[1]};
  std::sort(expected.begin(), expected.end());
  CHECK(lost == expected);
  REQUIRE(store->flush_async(&started).ok());
  CHECK_FALSE(started);

  std::unique_ptr<Session> reloaded;
  REQUIRE(store->load_session(codes[0], auction, &reloaded).ok());
  CHECK(reloaded->digest() == committed_a);
  REQUIRE(store->load_session(codes[1], auction, &reloaded).ok());
  CHECK(reloaded->digest() == committed_b);
  // The bystander was not lost, and holds what it committed.
  REQUIRE(store->load_session(codes[2], auction, &reloaded).ok());
  CHECK(reloaded->digest() == bystander_digest);
  store.reset();
  CHECK(sql_value(path, "PRAGMA integrity_check") == "ok");
}

TEST_CASE(
    "quick commits are made on the caller's thread, and a slow one sends the next to the "
    "writer until commits are quick again" *
    doctest::test_suite("sqlite")) {
  using namespace std::chrono_literals;
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  auto store = open_store(path);
  Session session(auction, *store, config_of(30, 5));
  REQUIRE(store->add_session(session, "test", Json::object()).ok());
  REQUIRE(store->flush().ok());
  std::atomic<int> ended{0};
  // Slow: longer than 50 ms. Another program's write lock held for 300 ms
  // makes one commit slow (the store waits for a lock up to a second).
  store->start_writer([&ended] { ++ended; }, 50ms);
  int64_t clock = 0;
  bool started = true;
  play(session, 20, &clock);
  REQUIRE(store->flush_async(&started).ok());
  CHECK_FALSE(started);
  CHECK(ended == 0);

  std::promise<void> locked;
  std::thread other([&path, &locked] {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    const int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    locked.set_value();
    std::this_thread::sleep_for(300ms);
    if (rc == SQLITE_OK) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  });
  locked.get_future().wait();
  play(session, 20, &clock);
  const auto slow_began = std::chrono::steady_clock::now();
  const Status slow = store->flush_async(&started);
  other.join();
  INFO(slow.message());
  REQUIRE(slow.ok());
  CHECK_FALSE(started);  // it waited for the lock on this thread
  CHECK(std::chrono::steady_clock::now() - slow_began >= 250ms);

  // The next ones go to the writer, for at least the hold (1 s) ...
  play(session, 20, &clock);
  REQUIRE(store->flush_async(&started).ok());
  CHECK(started);
  REQUIRE(store->finish_flush().ok());
  CHECK(ended == 1);
  // ... and come back once it passed with quick commits.
  int handed_over = 1;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (started && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    play(session, 20, &clock);
    REQUIRE(store->flush_async(&started).ok());
    if (started) {
      REQUIRE(store->finish_flush().ok());
      ++handed_over;
    }
  }
  CHECK_FALSE(started);
  CHECK(ended == handed_over);
  CHECK(std::chrono::steady_clock::now() - slow_began >= 1s);

  const std::string digest = session.digest();
  store.reset();
  auto again = open_store(path);
  std::unique_ptr<Session> reloaded;
  REQUIRE(again->load_session(session.code(), auction, &reloaded).ok());
  CHECK(reloaded->digest() == digest);
  CHECK(reloaded->last_seq() == session.last_seq());
}

TEST_CASE("a batch that fails on the caller's thread loses its sessions there and then" *
          doctest::test_suite("sqlite")) {
  using namespace std::chrono_literals;
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  const std::vector<std::string> codes = stored_sessions(path, 2);
  auto store = reopen_nearly_full(path, 8);
  store->start_writer(nullptr, 1h);  // nothing is that slow: every batch commits here
  std::unique_ptr<Session> a, bystander;
  REQUIRE(store->load_session(codes[0], auction, &a).ok());
  REQUIRE(store->load_session(codes[1], auction, &bystander).ok());
  int64_t clock = 0;
  play(*bystander, 10, &clock);
  REQUIRE(store->flush().ok());
  const std::string bystander_digest = bystander->digest();

  std::string committed_a = a->digest();
  Status failure;
  for (int batch = 0; batch < 10000 && failure.ok(); ++batch) {
    play(*a, 50, &clock);
    bool started = true;
    failure = store->flush_async(&started);
    CHECK_FALSE(started);
    if (failure.ok()) committed_a = a->digest();
  }
  CHECK(failure.message() == "the disk holding " + path + " is full");
  bool started = true;
  CHECK(store->flush_async(&started).message() == failure.message());
  CHECK(store->take_lost_sessions() == std::vector<std::string>{codes[0]});
  REQUIRE(store->flush_async(&started).ok());
  CHECK_FALSE(started);

  std::unique_ptr<Session> reloaded;
  REQUIRE(store->load_session(codes[0], auction, &reloaded).ok());
  CHECK(reloaded->digest() == committed_a);
  REQUIRE(store->load_session(codes[1], auction, &reloaded).ok());
  CHECK(reloaded->digest() == bystander_digest);
  store.reset();
  CHECK(sql_value(path, "PRAGMA integrity_check") == "ok");
}

}  // namespace
}  // namespace livectl::testing
