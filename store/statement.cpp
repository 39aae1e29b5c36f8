#include "store/statement.h"

#include <limits>

#include "store/database.h"

namespace livectl::store {

std::string quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

Statement::Statement(Database* db, std::string_view sql) : db_(db), impl_(db->prepare(sql)) {}

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
        // Digits, because a 64-bit integer column would turn a number this
        // long into a lossy real; read_value() parses them back.
        impl_->bind_big_integer(index, std::to_string(number));
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
  while ((rc = step()) == kSqlRow) {
  }
  impl_->rewind();
  return rc;
}

bool Statement::next() {
  const int rc = step();
  if (rc == kSqlRow) return true;
  if (rc != kSqlDone) db_->raise(rc);
  return false;
}

ReadSnapshot::ReadSnapshot(Database* db) : db_(db->in_transaction() ? nullptr : db) {
  if (db_) db_->exec(db_->begin_read());
}

ReadSnapshot::~ReadSnapshot() {
  if (!db_) return;
  try {
    db_->exec("COMMIT");
  } catch (const DatabaseError&) {
    // A read-only transaction has nothing to lose; the connection says why
    // at its next use.
  }
}

}  // namespace livectl::store
