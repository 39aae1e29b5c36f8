// Export writes oTree's column names and the stored values, exactly.
#include "store/export.h"

#include <doctest/doctest.h>

#include "store_support.h"

namespace livectl::testing {
namespace {

struct StoredAuction {
  TempDir dir;
  std::string path = dir.database();
  std::string code;
  std::vector<std::string> participant_codes;

  // Three bidders, labelled; bids 10, 5 (too low), 12, "oops", then
  // participant 1 presses next.
  StoredAuction() {
    auto store = open_store(path);
    SessionConfig config;
    config.participants = 3;
    config.seed = 1;
    Session session(game_named("auction"), *store, config);
    const uint32_t live = session.player(1).participant().page;
    session.restore_participant(1, "alice", live);
    session.restore_participant(2, "bob, jr", live);
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
    Event next;
    next.kind = EventKind::kSubmit;
    next.participant = 1;
    next.time_ms = 5000;
    next.page = static_cast<int32_t>(live);
    REQUIRE_FALSE(session.apply(next).error);
    REQUIRE(store->flush().ok());
    code = session.code();
    for (const Player& player : session.players())
      participant_codes.push_back(player.participant().code);
  }

  std::vector<ExportedFile> export_as(ExportOptions::Format format, const std::string& out,
                                      const std::string& session = "") {
    auto store = open_for_reading(path);
    ExportOptions options;
    options.format = format;
    options.out_dir = dir.file(out);
    options.session = session;
    std::vector<ExportedFile> files;
    const Status status = export_data(*store, options, &files);
    INFO(status.message());
    REQUIRE(status.ok());
    return files;
  }
  const std::string& pc(int id_in_session) const { return participant_codes[id_in_session - 1]; }
};

TEST_CASE("export writes sessions, players, one file per record type and the event log") {
  StoredAuction a;
  const auto files = a.export_as(ExportOptions::Format::kCsv, "out");
  REQUIRE(files.size() == 4);
  CHECK(files[0].path == a.dir.file("out/sessions.csv"));
  CHECK(files[0].rows == 1);
  CHECK(files[1].path == a.dir.file("out/auction_players.csv"));
  CHECK(files[1].rows == 3);
  CHECK(files[2].path == a.dir.file("out/auction_bid.csv"));
  CHECK(files[2].rows == 2);
  CHECK(files[3].path == a.dir.file("out/events.csv"));
  CHECK(files[3].rows == 5);
}

TEST_CASE("the players CSV has oTree's column names and the final values") {
  StoredAuction a;
  a.export_as(ExportOptions::Format::kCsv, "out");
  const std::string c = a.code;
  CHECK(read_file(a.dir.file("out/auction_players.csv")) ==
        "session.code,session.config.name,participant.code,participant.id_in_session,"
        "participant.label,participant.payoff,participant.payoff_plus_participation_fee,"
        "subsession.round_number,player.id_in_group,player.payoff,group.id_in_subsession,"
        "group.highest_bid,group.highest_bidder\r\n" +
            c + ",," + a.pc(1) + ",1,alice,0,0.0,1,1,0,1,12,3\r\n" + c + ",," + a.pc(2) +
            ",2,\"bob, jr\",0,0.0,1,2,0,1,12,3\r\n" + c + ",," + a.pc(3) +
            ",3,,0,0.0,1,3,0,1,12,3\r\n");
}

TEST_CASE("the record CSV has one row per record with its player, group and event") {
  StoredAuction a;
  a.export_as(ExportOptions::Format::kCsv, "out");
  const std::string c = a.code;
  CHECK(read_file(a.dir.file("out/auction_bid.csv")) ==
        "session.code,participant.code,participant.id_in_session,subsession.round_number,"
        "player.id_in_group,group.id_in_subsession,bid.id,bid.seq,bid.amount\r\n" +
            c + "," + a.pc(1) + ",1,1,1,1,1,1,10\r\n" + c + "," + a.pc(3) + ",3,1,3,1,2,3,12\r\n");
}

TEST_CASE("the event log CSV quotes JSON and keeps errors and page moves") {
  StoredAuction a;
  a.export_as(ExportOptions::Format::kCsv, "out");
  const std::string c = a.code;
  CHECK(read_file(a.dir.file("out/events.csv")) ==
        "session.code,event.seq,participant.id_in_session,participant.code,event.kind,event.page,"
        "event.page_claimed,event.time_ms,event.data,event.error,event.deliveries,"
        "event.page_changes\r\n" +
            c + ",1,1," + a.pc(1) +
            ",live,live,,1000,10,,\"[[[1,2,3],{\"\"bid\"\":10,\"\"id_in_group\"\":1}]]\",\r\n" + c +
            ",2,2," + a.pc(2) + ",live,live,,2000,5,,[],\r\n" + c + ",3,3," + a.pc(3) +
            ",live,live,,3000,12,,\"[[[1,2,3],{\"\"bid\"\":12,\"\"id_in_group\"\":3}]]\",\r\n" + c +
            ",4,2," + a.pc(2) + ",live,live,,4000,\"\"\"oops\"\"\",a bid must be a number,,\r\n" +
            c + ",5,1," + a.pc(1) + ",submit,live,1,5000,,,[],[1]\r\n");
}

TEST_CASE("the sessions CSV describes each session") {
  StoredAuction a;
  a.export_as(ExportOptions::Format::kCsv, "out");
  const std::string text = read_file(a.dir.file("out/sessions.csv"));
  const std::string header =
      "session.code,session.game,session.participants,session.seed,session.origin,"
      "session.created,session.last_seq,session.config,session.config.name,"
      "session.config.params,session.config.real_world_currency_per_point,"
      "session.config.participation_fee\r\n";
  REQUIRE(text.rfind(header, 0) == 0);
  CHECK(text.rfind(header + a.code + ",auction,3,1,test,", 0) == 0);
  CHECK(text.substr(text.size() - 19) == ",5,{},,{},1.0,0.0\r\n");
}

TEST_CASE("the JSON export carries the same rows with typed values") {
  StoredAuction a;
  const auto files = a.export_as(ExportOptions::Format::kJson, "json");
  REQUIRE(files.size() == 4);
  CHECK(files[1].path == a.dir.file("json/auction_players.json"));
  const Json players = Json::parse(read_file(a.dir.file("json/auction_players.json")));
  REQUIRE(players.size() == 3);
  CHECK(players[1] == Json{{"session.code", a.code},
                           {"participant.code", a.pc(2)},
                           {"participant.id_in_session", 2},
                           {"participant.label", "bob, jr"},
                           {"session.config.name", ""},
                           {"participant.payoff", 0},
                           {"participant.payoff_plus_participation_fee", 0.0},
                           {"subsession.round_number", 1},
                           {"player.payoff", 0},
                           {"player.id_in_group", 2},
                           {"group.id_in_subsession", 1},
                           {"group.highest_bid", 12},
                           {"group.highest_bidder", 3}});
  const Json events = Json::parse(read_file(a.dir.file("json/events.json")));
  REQUIRE(events.size() == 5);
  CHECK(events[0]["event.deliveries"] == Json::parse(R"([[[1,2,3],{"bid":10,"id_in_group":1}]])"));
  CHECK(events[0]["event.error"] == nullptr);
  CHECK(events[3]["event.data"] == "oops");
  CHECK(events[3]["event.error"] == "a bid must be a number");
  CHECK(events[4]["event.page_changes"] == Json::array({1}));
  // Column order is kept, as in the CSV.
  const std::string raw = read_file(a.dir.file("json/events.json"));
  CHECK(raw.find("\"session.code\"") < raw.find("\"event.seq\""));
}

TEST_CASE("booleans export as 1/0 in CSV and true/false in JSON, like oTree") {
  TempDir dir;
  const std::string path = dir.database();
  {
    auto store = open_store(path);
    SessionConfig config;
    config.participants = 2;
    Session session(game_named("tictactoe"), *store, config);
    REQUIRE(store->add_session(session, "test", Json::object()).ok());
    REQUIRE(store->flush().ok());
  }
  auto store = open_for_reading(path);
  std::vector<ExportedFile> files;
  REQUIRE(export_data(*store, {"", ExportOptions::Format::kCsv, dir.file("csv")}, &files).ok());
  REQUIRE(export_data(*store, {"", ExportOptions::Format::kJson, dir.file("json")}, &files).ok());
  const std::string csv = read_file(dir.file("csv/tictactoe_players.csv"));
  const std::string header = csv.substr(0, csv.find("\r\n"));
  const std::string first =
      csv.substr(header.size() + 2, csv.find("\r\n", header.size() + 2) - header.size() - 2);
  auto cell = [&](const std::string& column) {
    std::vector<std::string> names;
    std::vector<std::string> values;
    std::stringstream h(header);
    std::stringstream v(first);
    for (std::string s; std::getline(h, s, ',');) names.push_back(s);
    for (std::string s; std::getline(v, s, ',');) values.push_back(s);
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == column) return i < values.size() ? values[i] : std::string();
    }
    return std::string("(no column)");
  };
  CHECK(cell("group.draw") == "0");
  CHECK(cell("group.winner") == "");
  const Json players = Json::parse(read_file(dir.file("json/tictactoe_players.json")));
  CHECK(players[0]["group.draw"] == false);
  CHECK(players[0]["group.winner"] == nullptr);
}

TEST_CASE("export of one session writes only that session's rows") {
  StoredAuction a;
  {
    auto store = open_store(a.path);
    play_stored(*store, game_named("auction"), 6, 99, 50);
  }
  const auto all = a.export_as(ExportOptions::Format::kCsv, "all");
  CHECK(all[0].rows == 2);
  const auto one = a.export_as(ExportOptions::Format::kCsv, "one", a.code);
  CHECK(one[0].rows == 1);
  CHECK(one[1].rows == 3);
  CHECK(one[3].rows == 5);
}

TEST_CASE("export of a session that does not exist names it") {
  StoredAuction a;
  auto store = open_for_reading(a.path);
  std::vector<ExportedFile> files;
  const Status status =
      export_data(*store, {"nosuchcode", ExportOptions::Format::kCsv, a.dir.file("x")}, &files);
  CHECK(status.message() == a.path + " has no session nosuchcode");
}

}  // namespace
}  // namespace livectl::testing
