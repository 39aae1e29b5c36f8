#include "store/database.h"

#include <stdexcept>

#include "store/schema.h"

namespace livectl::store {

bool Database::is_postgres(std::string_view target) {
  return target.starts_with("postgresql://") || target.starts_with("postgres://");
}

Status Database::open(const std::string& target, Mode mode, std::unique_ptr<Database>* out) {
  if (is_postgres(target)) return open_postgres(target, mode, out);
  return open_sqlite(target, mode, out);
}

Status Database::error(const DatabaseError& e) const {
  switch (e.code() & 0xff) {
    case kSqlNotADb:
    case kSqlBusy:
    case kSqlLocked:
    case kSqlFull:
    case kSqlCorrupt:
    case kSqlReadOnly:
    case kSqlCantOpen:
      return error(e.code());
    default:
      return Status::Error(path_ + ": " + e.what());
  }
}

Status Database::identify() {
  try {
    identify_and_prepare();
  } catch (const DatabaseError& e) {
    return error(e);
  } catch (const std::runtime_error& e) {
    return Status::Error(e.what());
  }
  return Status();
}

void Database::check_identity(bool empty, bool ours, int64_t version) const {
  if (empty) {
    if (mode_ == Mode::kRead) throw std::runtime_error(path_ + " is not a livectl database");
    return;
  }
  if (!ours || version < 1) throw std::runtime_error(path_ + " is not a livectl database");
  if (version < kSchemaVersion) {
    throw std::runtime_error(path_ + " was written by an older livectl (schema " +
                             std::to_string(version) + "; this livectl reads schema " +
                             std::to_string(kSchemaVersion) + ")");
  }
  if (version > kSchemaVersion) {
    throw std::runtime_error(path_ + " was written by a newer livectl (schema " +
                             std::to_string(version) + "; this livectl reads schema " +
                             std::to_string(kSchemaVersion) + ")");
  }
}

}  // namespace livectl::store
