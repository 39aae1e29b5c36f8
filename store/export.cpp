#include "store/export.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>

#include "store/database.h"
#include "store/schema.h"
#include "store/statement.h"

namespace livectl {

namespace {

namespace fs = std::filesystem;
using store::quote_identifier;
using store::Statement;

// How a stored cell becomes a value in the file.
enum class Cell {
  kPlain,     // as stored: integer, real, text or NULL
  kBoolean,   // 0/1: 1/0 in CSV (oTree), true/false in JSON
  kJsonText,  // JSON kept as text: verbatim in CSV, embedded in JSON
  kUnsigned,  // a 64-bit pattern shown unsigned (the seed)
};

struct Column {
  std::string header;
  std::string expression;
  Cell cell = Cell::kPlain;
};

std::string file_safe(const std::string& name) {
  std::string safe = name;
  for (char& c : safe) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (!ok) c = '_';
  }
  return safe;
}

void append_csv(std::string* line, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    line->append(text);
    return;
  }
  line->push_back('"');
  for (char c : text) {
    if (c == '"') line->push_back('"');
    line->push_back(c);
  }
  line->push_back('"');
}

std::string csv_text(const Statement& row, int column, Cell cell) {
  switch (row.column_type(column)) {
    case store::kSqlNull:
      return "";
    case store::kSqlInteger:
      if (cell == Cell::kUnsigned)
        return std::to_string(static_cast<uint64_t>(row.column_int(column)));
      return std::to_string(row.column_int(column));
    case store::kSqlFloat:
      return Json(row.column_double(column)).dump();
    default:
      return row.column_text(column);
  }
}

nlohmann::ordered_json json_value(const Statement& row, int column, Cell cell) {
  switch (row.column_type(column)) {
    case store::kSqlNull:
      return nullptr;
    case store::kSqlInteger:
      if (cell == Cell::kBoolean) return row.column_int(column) != 0;
      if (cell == Cell::kUnsigned) return static_cast<uint64_t>(row.column_int(column));
      return row.column_int(column);
    case store::kSqlFloat:
      return row.column_double(column);
    case store::kSqlBlob: {  // an integer beyond 64 bits, as decimal digits
      auto number = nlohmann::ordered_json::parse(row.column_text(column), nullptr, false);
      return number.is_number() ? number : nlohmann::ordered_json(row.column_text(column));
    }
    default: {
      std::string text = row.column_text(column);
      if (cell == Cell::kJsonText) {
        auto parsed = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (!parsed.is_discarded()) return parsed;
      }
      return text;
    }
  }
}

class Exporter {
 public:
  Exporter(SqlStore& store, const ExportOptions& options, std::vector<ExportedFile>* files)
      : store_(store), db_(&store.database()), options_(options), files_(files) {}

  Status run() {
    std::error_code error;
    fs::create_directories(options_.out_dir, error);
    if (error || !fs::is_directory(options_.out_dir)) {
      return Status::Error("cannot create the folder " + options_.out_dir);
    }
    // Every file from one snapshot, however much a server writes meanwhile.
    std::optional<store::ReadSnapshot> snapshot;
    try {
      snapshot.emplace(db_);
    } catch (const store::DatabaseError& e) {
      return store_.database().error(e);
    }
    std::vector<StoredSession> all;
    if (Status status = store_.list_sessions(&all); !status.ok()) return status;
    for (StoredSession& session : all) {
      if (options_.session.empty() || session.code == options_.session) {
        sessions_.push_back(std::move(session));
      }
    }
    if (!options_.session.empty() && sessions_.empty()) {
      return Status::Error(store_.path() + " has no session " + options_.session);
    }

    write("sessions",
          {{"session.code", "code"},
           {"session.game", "game"},
           {"session.participants", "participants"},
           {"session.seed", "seed", Cell::kUnsigned},
           {"session.origin", "origin"},
           {"session.created", "created"},
           {"session.last_seq", "last_seq"},
           {"session.config", "config", Cell::kJsonText},
           {"session.config.name", "config_name"},
           {"session.config.params", "params", Cell::kJsonText},
           {"session.config.real_world_currency_per_point", "real_world_currency_per_point"},
           {"session.config.participation_fee", "participation_fee"}},
          "FROM sessions WHERE code = ?1", sessions_);

    // Each game's files hold the sessions that play it, alone or in an app
    // sequence.
    auto add_new = [](std::vector<std::string>* names, const std::string& name) {
      if (std::find(names->begin(), names->end(), name) == names->end()) names->push_back(name);
    };
    std::vector<std::string> games;
    for (const StoredSession& session : sessions_) {
      for (const std::string& game : session.game_names()) add_new(&games, game);
    }
    for (const std::string& game : games) {
      std::vector<StoredSession> of_game;
      // Every game those sessions play: participant.payoff sums them all.
      std::vector<std::string> played;
      for (const StoredSession& session : sessions_) {
        const std::vector<std::string> names = session.game_names();
        if (std::find(names.begin(), names.end(), game) == names.end()) continue;
        of_game.push_back(session);
        for (const std::string& name : names) add_new(&played, name);
      }
      write_players(game, played, of_game);
      write_records(game, of_game);
    }

    write("events",
          {{"session.code", "e.session"},
           {"event.seq", "e.seq"},
           {"participant.id_in_session", "e.participant"},
           {"participant.code", "p.code"},
           {"event.kind", "e.kind"},
           {"event.page", "e.page"},
           {"event.page_claimed", "e.page_claimed"},
           {"event.time_ms", "e.time_ms"},
           {"event.data", "e.data", Cell::kJsonText},
           {"event.error", "e.error"},
           {"event.deliveries", "e.deliveries", Cell::kJsonText},
           {"event.page_changes", "e.page_changes", Cell::kJsonText}},
          "FROM events e LEFT JOIN participants p "
          "ON p.session = e.session AND p.id_in_session = e.participant "
          "WHERE e.session = ?1 ORDER BY e." +
              std::string(db_->event_order()),
          sessions_);
    return status_;
  }

 private:
  // The game's own columns of `table`, in declaration order, from game_columns.
  std::vector<std::pair<std::string, std::string>> game_columns(const std::string& table) {
    std::vector<std::pair<std::string, std::string>> columns;
    Statement query(db_,
                    "SELECT name, type FROM game_columns WHERE table_name = ?1 ORDER BY position");
    query.bind(1, std::string_view(table));
    while (query.next()) columns.emplace_back(query.column_text(0), query.column_text(1));
    return columns;
  }

  void add_fields(std::vector<Column>* columns, const std::string& prefix, const std::string& alias,
                  const std::string& table) {
    for (const auto& [name, type] : game_columns(table)) {
      columns->push_back({prefix + name, alias + "." + quote_identifier(name),
                          type == "boolean" ? Cell::kBoolean : Cell::kPlain});
    }
  }

  void write_players(const std::string& game, const std::vector<std::string>& played,
                     const std::vector<StoredSession>& sessions) {
    const std::string players = game + "_player";
    const std::string groups = game + "_group";
    const std::string participant_fields = game + "_participant";
    // oTree's participant.payoff (the sum over the rounds of every game the
    // session plays, in points) and payoff_plus_participation_fee (in
    // money, to the cent).
    std::string payoff = "(0";
    for (const std::string& other : played) {
      if (!store::table_exists(db_, other + "_player")) continue;
      payoff += " + (SELECT COALESCE(SUM(x.payoff), 0) FROM " +
                quote_identifier(other + "_player") +
                " x WHERE x.session = pl.session AND x.id_in_session = pl.id_in_session)";
    }
    payoff += ")";
    const std::string money =
        db_->round_to_cents(payoff + " * s.real_world_currency_per_point + s.participation_fee");
    std::vector<Column> columns = {{"session.code", "pl.session"},
                                   {"session.config.name", "s.config_name"},
                                   {"participant.code", "p.code"},
                                   {"participant.id_in_session", "p.id_in_session"},
                                   {"participant.label", "p.label"},
                                   {"participant.payoff", payoff},
                                   {"participant.payoff_plus_participation_fee", money}};
    const bool has_participant_fields = store::table_exists(db_, participant_fields);
    if (has_participant_fields) add_fields(&columns, "participant.", "pt", participant_fields);
    columns.push_back({"subsession.round_number", "pl.round_number"});
    columns.push_back({"player.id_in_group", "pl.id_in_group"});
    add_fields(&columns, "player.", "pl", players);
    columns.push_back({"group.id_in_subsession", "pl.id_in_subsession"});
    add_fields(&columns, "group.", "g", groups);
    write(game + "_players", columns,
          "FROM " + quote_identifier(players) + " pl " +
              "JOIN sessions s ON s.code = pl.session "
              "JOIN participants p ON p.session = pl.session AND p.id_in_session = "
              "pl.id_in_session " +
              (has_participant_fields
                   ? "LEFT JOIN " + quote_identifier(participant_fields) +
                         " pt ON pt.session = pl.session AND pt.id_in_session = pl.id_in_session "
                   : std::string()) +
              // LEFT: a player whose group has not formed (grouping by
              // arrival time) has blank group columns.
              "LEFT JOIN " + quote_identifier(groups) + " g " +
              "ON g.session = pl.session AND g.round_number = pl.round_number AND "
              "g.id_in_subsession = pl.id_in_subsession "
              "WHERE pl.session = ?1 ORDER BY pl.round_number, pl.id_in_session",
          sessions);
  }

  void write_records(const std::string& game, const std::vector<StoredSession>& sessions) {
    std::vector<std::pair<std::string, std::string>> tables;  // table, record name
    {
      Statement query(db_,
                      "SELECT name, record FROM game_tables WHERE game = ?1 AND kind = 'record' "
                      "ORDER BY name");
      query.bind(1, std::string_view(game));
      while (query.next()) tables.emplace_back(query.column_text(0), query.column_text(1));
    }
    for (const auto& [table, record] : tables) {
      std::vector<Column> columns = {{"session.code", "r.session"},
                                     {"participant.code", "p.code"},
                                     {"participant.id_in_session", "r.id_in_session"},
                                     {"subsession.round_number", "r.round_number"},
                                     {"player.id_in_group", "pl.id_in_group"},
                                     {"group.id_in_subsession", "r.id_in_subsession"},
                                     {record + ".id", "r.id"},
                                     {record + ".seq", "r.seq"}};
      add_fields(&columns, record + ".", "r", table);
      write(table, columns,
            "FROM " + quote_identifier(table) + " r " +
                "LEFT JOIN participants p ON p.session = r.session AND p.id_in_session = "
                "r.id_in_session "
                "LEFT JOIN " +
                quote_identifier(game + "_player") + " pl " +
                "ON pl.session = r.session AND pl.round_number = r.round_number AND "
                "pl.id_in_session = r.id_in_session "
                "WHERE r.session = ?1 ORDER BY r.id",
            sessions);
    }
  }

  // Writes one file: `columns` selected `from` (with ?1 bound to each of
  // `sessions` in turn), as CSV or JSON.
  void write(const std::string& name, const std::vector<Column>& columns, const std::string& from,
             const std::vector<StoredSession>& sessions) {
    if (!status_.ok()) return;
    const bool csv = options_.format == ExportOptions::Format::kCsv;
    const fs::path path = fs::path(options_.out_dir) / (file_safe(name) + (csv ? ".csv" : ".json"));
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) {
      status_ = Status::Error("cannot write " + path.string());
      return;
    }
    std::string sql = "SELECT ";
    for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + columns[i].expression;
    sql += " " + from;

    int64_t rows = 0;
    std::string line;
    if (csv) {
      for (size_t i = 0; i < columns.size(); ++i) {
        if (i) line.push_back(',');
        append_csv(&line, columns[i].header);
      }
      out << line << "\r\n";
    } else {
      out << "[";
    }
    try {
      Statement query(db_, sql);
      query.stream_rows();
      for (const StoredSession& session : sessions) {
        query.bind(1, std::string_view(session.code));
        while (query.next()) {
          if (csv) {
            line.clear();
            for (size_t i = 0; i < columns.size(); ++i) {
              if (i) line.push_back(',');
              append_csv(&line, csv_text(query, static_cast<int>(i), columns[i].cell));
            }
            out << line << "\r\n";
          } else {
            nlohmann::ordered_json object = nlohmann::ordered_json::object();
            for (size_t i = 0; i < columns.size(); ++i) {
              object[columns[i].header] = json_value(query, static_cast<int>(i), columns[i].cell);
            }
            out << (rows ? ",\n" : "\n")
                << object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
          }
          ++rows;
        }
        query.reset();
      }
    } catch (const store::DatabaseError& e) {
      status_ = store_.database().error(e);
      return;
    }
    if (!csv) out << (rows ? "\n]\n" : "]\n");
    out.close();
    if (!out) {
      status_ = Status::Error("cannot write " + path.string());
      return;
    }
    files_->push_back({path.string(), rows});
  }

  SqlStore& store_;
  store::Database* db_;
  const ExportOptions& options_;
  std::vector<ExportedFile>* files_;
  std::vector<StoredSession> sessions_;
  Status status_;
};

}  // namespace

Status export_data(SqlStore& store, const ExportOptions& options,
                   std::vector<ExportedFile>* files) {
  files->clear();
  return Exporter(store, options, files).run();
}

}  // namespace livectl
