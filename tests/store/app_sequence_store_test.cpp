// A session of two games in a row is stored in each game's tables, the
// participant fields they share in both: a restart puts it back, replay
// reproduces it, and the export's participant.payoff adds up both games.
#include <doctest/doctest.h>

#include "engine/sequence_games.h"
#include "store/export.h"
#include "store/replay.h"
#include "store_support.h"

namespace livectl::testing {
namespace {

const FirstApp& first() {
  static const FirstApp game;
  return game;
}
const SecondApp& second() {
  static const SecondApp game;
  return game;
}
const std::vector<const Game*>& both() {
  static const std::vector<const Game*> games = {&first(), &second()};
  return games;
}

void apply(Session& session, EventKind kind, uint32_t participant, int64_t time_ms,
           Json data = nullptr) {
  Event event;
  event.kind = kind;
  event.participant = participant;
  event.time_ms = time_ms;
  event.data = std::move(data);
  const EventResult& result = session.apply(event);
  INFO(result.error.value_or(""));
  REQUIRE_FALSE(result.error);
}

// Six participants through both rounds of the first game (participant 1
// and 4 send a message in each), then into the second: 1 and 2 answer, 1
// sends there. Returns the code and the digest.
std::pair<std::string, std::string> play(const std::string& path) {
  auto store = open_store(path);
  SessionConfig config;
  config.participants = 6;
  config.seed = 5;
  Session session(both(), *store, config);
  REQUIRE(store->add_session(session, "test", Json::object()).ok());
  int64_t clock = 0;
  for (int round = 1; round <= 2; ++round) {
    apply(session, EventKind::kLive, 1, clock += 1000, "a");
    apply(session, EventKind::kLive, 4, clock += 1000, "b");
    for (uint32_t id = 1; id <= 6; ++id) apply(session, EventKind::kSubmit, id, clock += 1000);
    for (uint32_t id = 1; id <= 6; ++id) apply(session, EventKind::kSubmit, id, clock += 1000);
  }
  apply(session, EventKind::kSubmit, 1, clock += 1000, Json{{"answer", 3}});
  apply(session, EventKind::kSubmit, 2, clock += 1000, Json{{"answer", 8}});
  apply(session, EventKind::kLive, 1, clock += 1000, "c");
  REQUIRE(store->flush().ok());
  return {session.code(), session.digest()};
}

TEST_CASE("a session of two games is restored with both games' state and the shared fields") {
  TempDir dir;
  const std::string path = dir.database();
  const auto [code, digest] = play(path);

  auto store = open_store(path);
  std::optional<StoredSession> stored;
  REQUIRE(store->find_session(code, &stored).ok());
  CHECK(stored->game == "first,second");
  CHECK(stored->game_names() == std::vector<std::string>{"first", "second"});
  std::unique_ptr<Session> restored;
  const Status loaded = store->load_session(code, both(), &restored);
  INFO(loaded.message());
  REQUIRE(loaded.ok());
  CHECK(restored->digest() == digest);
  CHECK(restored->page_of(restored->player(1)).name == "chat");
  CHECK(&restored->player(1).game() == &second());
  CHECK(restored->player(1)[second().carried] == 2);
  CHECK(restored->player(1)[second().answer] == 3);
  CHECK(restored->round_players(2)[3][first().sent] == 1);
  CHECK(restored->records(first().notes, 0).size() == 4);
  CHECK(restored->records(second().notes, 1).size() == 1);
  // A session of the first game alone is not this one.
  std::unique_ptr<Session> wrong;
  CHECK(store->load_session(code, first(), &wrong).message() ==
        "session " + code + " in " + path + " is a first,second session, not first");

  // It goes on where it was, and is stored again as it is then.
  apply(*restored, EventKind::kLive, 1, 100000, "d");
  REQUIRE(store->flush().ok());
  const std::string continued = restored->digest();
  restored.reset();
  store.reset();
  auto again = open_store(path);
  std::unique_ptr<Session> twice;
  REQUIRE(again->load_session(code, both(), &twice).ok());
  CHECK(twice->digest() == continued);
}

TEST_CASE("a session of two games replays to its digest and exports each game's players") {
  TempDir dir;
  const std::string path = dir.database();
  const auto [code, digest] = play(path);

  auto store = open_for_reading(path);
  std::optional<StoredSession> stored;
  REQUIRE(store->find_session(code, &stored).ok());
  ReplayResult result;
  REQUIRE(replay_session(
              *store, *stored,
              [&](std::string_view name) -> const Game* {
                return name == "first"    ? static_cast<const Game*>(&first())
                       : name == "second" ? &second()
                                          : nullptr;
              },
              &result)
              .ok());
  INFO(result.divergence);
  CHECK(result.matches);
  CHECK(result.digest == digest);

  ExportOptions options;
  options.format = ExportOptions::Format::kJson;
  options.out_dir = dir.file("out");
  std::vector<ExportedFile> files;
  REQUIRE(export_data(*store, options, &files).ok());
  const Json firsts = Json::parse(read_file(dir.file("out/first_players.json")));
  const Json seconds = Json::parse(read_file(dir.file("out/second_players.json")));
  REQUIRE(firsts.size() == 12);   // 6 participants, 2 rounds
  REQUIRE(seconds.size() == 12);  // and again in the second game
  // Participant 1: a point per message in the first game, the bonus (5)
  // in the second; the same total in both files, with the shared field.
  CHECK(firsts[0]["participant.id_in_session"] == 1);
  CHECK(firsts[0]["participant.payoff"] == 7);
  CHECK(firsts[0]["participant.carried"] == 2);
  CHECK(seconds[0]["participant.id_in_session"] == 1);
  CHECK(seconds[0]["participant.payoff"] == 7);
  CHECK(seconds[0]["participant.carried"] == 2);
  CHECK(seconds[0]["subsession.round_number"] == 1);
  CHECK(seconds[0]["player.answer"] == 3);
  CHECK(seconds[6]["subsession.round_number"] == 2);
  const Json sessions = Json::parse(read_file(dir.file("out/sessions.json")));
  CHECK(sessions[0]["session.game"] == "first,second");
}

}  // namespace
}  // namespace livectl::testing
