#include "store/statement.h"

#include <limits>

namespace livectl::store {

void throw_sqlite(sqlite3* db, int code) {
  throw SqliteError(code, db ? sqlite3_errmsg(db) : sqlite3_errstr(code));
}

std::string quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

Statement::Statement(sqlite3* db, std::string_view sql) {
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db, rc);
}

void Statement::bind_value(int index, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      bind_null(index);
      break;
    case Json::value_t::boolean:
      bind(index, int64_t{value.get<bool>()});
      break;
    case Json::value_t::number_integer:
      bind(index, value.get<int64_t>());
      break;
    case Json::value_t::number_unsigned: {
      const auto number = value.get<uint64_t>();
      if (number <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        bind(index, static_cast<int64_t>(number));
      } else {
        // A BLOB, because INTEGER affinity would turn digits this long into
        // a lossy REAL; read_value() parses it back.
        const std::string digits = std::to_string(number);
        sqlite3_bind_blob(stmt_, index, digits.data(), static_cast<int>(digits.size()),
                          SQLITE_TRANSIENT);
      }
      break;
    }
    case Json::value_t::number_float:
      bind(index, value.get<double>());
      break;
    case Json::value_t::string:
      bind(index, std::string_view(value.get_ref<const std::string&>()));
      break;
    default:
      bind(index, std::string_view(value.dump()));
      break;
  }
}

int Statement::run() {
  int rc;
  while ((rc = step()) == SQLITE_ROW) {
  }
  sqlite3_reset(stmt_);
  return rc;
}

bool Statement::next() {
  const int rc = step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite(sqlite3_db_handle(stmt_), rc);
}

std::string Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!text) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string what = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw SqliteError(rc, what);
  }
}

}  // namespace livectl::store
