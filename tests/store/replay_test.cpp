// Any recorded session is reproducible from its event log alone.
#include "store/replay.h"

#include <doctest/doctest.h>

#include "store_support.h"

namespace livectl::testing {
namespace {

ReplayResult replay(const std::string& path, const std::string& code) {
  auto store = open_for_reading(path);
  std::optional<StoredSession> session;
  REQUIRE(store->find_session(code, &session).ok());
  REQUIRE(session);
  ReplayResult result;
  const Status status = replay_session(*store, *session, find_game, &result);
  INFO(status.message());
  REQUIRE(status.ok());
  return result;
}

TEST_CASE("every game's stored session replays to the digest it was stored with") {
  for (const Game* game : all_games()) {
    CAPTURE(game->name());
    TempDir dir;
    const std::string path = dir.database();
    PlayedSession played;
    {
      auto store = open_store(path);
      played = play_stored(*store, *game, game->players_per_group() * 3, 9, 300);
    }
    const ReplayResult result = replay(path, played.code);
    INFO(result.divergence);
    CHECK(result.matches);
    CHECK(result.events == played.last_seq);
    CHECK(result.digest == played.digest);
  }
}

// A stored auction of three bidders: bids 10, 5 (too low), 12, then "oops".
std::string stored_auction(TempDir& dir, std::string* code) {
  const std::string path = dir.database();
  auto store = open_store(path);
  SessionConfig config;
  config.participants = 3;
  config.seed = 1;
  Session session(game_named("auction"), *store, config);
  REQUIRE(store->add_session(session, "test", Json::object()).ok());
  int64_t t = 0;
  for (auto [who, bid] :
       std::vector<std::pair<uint32_t, Json>>{{1, 10}, {2, 5}, {3, 12}, {2, "oops"}}) {
    Event event;
    event.participant = who;
    event.time_ms = (t += 1000);
    event.data = bid;
    session.apply(event);
  }
  REQUIRE(store->flush().ok());
  *code = session.code();
  return path;
}

TEST_CASE("a tampered payload is reported at the event where replay first diverges") {
  TempDir dir;
  std::string code;
  const std::string path = stored_auction(dir, &code);
  sql(path, "UPDATE events SET data = '11' WHERE seq = 3");
  const ReplayResult result = replay(path, code);
  CHECK_FALSE(result.matches);
  CHECK(result.divergent_seq == 3);
  CHECK(
      result.divergence ==
      R"(participant 1 received {"bid":12,"id_in_group":3} in the log but {"bid":11,"id_in_group":3} in the replay)");
}

TEST_CASE("an accepted event that replays as rejected is a divergence at that event") {
  TempDir dir;
  std::string code;
  const std::string path = stored_auction(dir, &code);
  sql(path, "UPDATE events SET data = '\"ten\"' WHERE seq = 1");
  const ReplayResult result = replay(path, code);
  CHECK(result.divergent_seq == 1);
  CHECK(result.divergence ==
        R"(the log accepted it but the replay rejected it ("a bid must be a number"))");
}

TEST_CASE("a changed error text is a divergence at that event") {
  TempDir dir;
  std::string code;
  const std::string path = stored_auction(dir, &code);
  sql(path, "UPDATE events SET error = 'no' WHERE seq = 4");
  const ReplayResult result = replay(path, code);
  CHECK(result.divergent_seq == 4);
  CHECK(result.divergence ==
        R"(the log rejected it with "no" but the replay with "a bid must be a number")");
}

TEST_CASE("a tampered group hash names the event after which the group's state differs") {
  TempDir dir;
  std::string code;
  const std::string path = stored_auction(dir, &code);
  sql(path, "UPDATE events SET group_hash = 7 WHERE seq = 2");
  const ReplayResult result = replay(path, code);
  CHECK(result.divergent_seq == 2);
  CHECK(result.divergence == "group 1 is in another state after it than when it was recorded");
}

TEST_CASE("a missing event is reported by its sequence number") {
  TempDir dir;
  std::string code;
  const std::string path = stored_auction(dir, &code);
  sql(path, "DELETE FROM events WHERE seq = 2");
  const ReplayResult result = replay(path, code);
  CHECK(result.divergent_seq == 2);
  CHECK(result.divergence == "the log has no event 2");
}

TEST_CASE("a tampered stored state is named after all events replayed") {
  TempDir dir;
  std::string code;
  const std::string path = stored_auction(dir, &code);
  sql(path, "UPDATE auction_group SET highest_bid = 57");
  const ReplayResult result = replay(path, code);
  CHECK_FALSE(result.matches);
  CHECK(result.divergent_seq == 0);
  CHECK(result.events == 4);
  CHECK(result.divergence.rfind(
            "group 1 highest_bid is 57 in the database but 12 after replay (digest ", 0) == 0);
}

TEST_CASE("a tampered extra record is named after all events replayed") {
  TempDir dir;
  std::string code;
  const std::string path = stored_auction(dir, &code);
  sql(path, "UPDATE auction_bid SET amount = 10.5 WHERE id = 1");
  const ReplayResult result = replay(path, code);
  CHECK(result.divergent_seq == 0);
  CHECK(result.divergence.rfind("bid record 1 is [10.5] of participant 1 in the database but [10] "
                                "of participant 1 after replay",
                                0) == 0);
}

TEST_CASE("a session of a game this livectl does not have cannot be replayed") {
  TempDir dir;
  std::string code;
  const std::string path = stored_auction(dir, &code);
  sql(path, "UPDATE sessions SET game = 'chess'");
  const ReplayResult result = replay(path, code);
  CHECK_FALSE(result.matches);
  CHECK(result.divergence == "this livectl has no game 'chess'");
}

}  // namespace
}  // namespace livectl::testing
