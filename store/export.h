#pragma once
// Writes a database's data as files for analysis tools, with oTree's column
// names so that existing oTree scripts read them unchanged:
//   sessions.csv           one row per session
//   <game>_players.csv     one row per player: session.code, participant.code,
//                          participant.id_in_session, participant.label,
//                          player.id_in_group, player.<field>...,
//                          group.id_in_subsession, group.<field>...
//   <game>_<record>.csv    one row per extra record
//   events.csv             the event log
// CSV follows RFC 4180 (CRLF, quotes only where needed); NULL is an empty
// cell and a boolean is 1 or 0, as in oTree's export. The JSON format writes
// the same files as .json: an array with one object per row, keyed by the
// same column names, with typed values (true/false, null, and the event
// log's JSON columns as JSON). Reads only the database, not the games.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/status.h"
#include "store/sql_store.h"

namespace livectl {

struct ExportOptions {
  enum class Format { kCsv, kJson };
  std::string session;  // one session's data only; empty = every session
  Format format = Format::kCsv;
  std::string out_dir = ".";  // created when missing; files in it are replaced
};

struct ExportedFile {
  std::string path;
  int64_t rows = 0;
};

// Writes the files; `files` lists them in the order written. Errors: the
// session does not exist ("PATH has no session CODE"), a file cannot be
// written, the database cannot be read.
Status export_data(SqlStore& store, const ExportOptions& options, std::vector<ExportedFile>* files);

}  // namespace livectl
