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

void CapturedWrites::add(StatementImpl* impl, const std::vector<Value>& values) {
  writes_.push_back(
      {impl, static_cast<uint32_t>(values_.size()), static_cast<uint32_t>(values.size())});
  values_.insert(values_.end(), values.begin(), values.end());
}

int CapturedWrites::run() const {
  for (const Write& write : writes_) {
    StatementImpl& impl = *write.impl;
    impl.reset();
    for (uint32_t i = 0; i < write.count; ++i) {
      const Value& value = values_[write.first + i];
      const int index = static_cast<int>(i + 1);
      switch (value.type) {
        case Value::Type::kUnset:
          break;
        case Value::Type::kNull:
          impl.bind_null(index);
          break;
        case Value::Type::kInteger:
          impl.bind(index, value.integer);
          break;
        case Value::Type::kReal:
          impl.bind(index, value.real);
          break;
        case Value::Type::kText:
          impl.bind(index, std::string_view(value.text));
          break;
        case Value::Type::kBigInteger:
          impl.bind_big_integer(index, value.text);
          break;
      }
    }
    int rc;
    while ((rc = impl.step()) == kSqlRow) {
    }
    impl.reset();
    if (rc != kSqlDone) return rc;
  }
  return kSqlOk;
}

Statement::Statement(Database* db, std::string_view sql) : db_(db), impl_(db->prepare(sql)) {}

CapturedWrites* Statement::capturing() const {
  return db_->captured_writes();
}

CapturedWrites::Value& Statement::captured(int index) {
  const auto slot = static_cast<size_t>(index - 1);
  if (captured_.size() <= slot) captured_.resize(slot + 1);
  return captured_[slot];
}

void Statement::bind(int index, int64_t value) {
  if (!capturing()) return impl_->bind(index, value);
  CapturedWrites::Value& to = captured(index);
  to.type = CapturedWrites::Value::Type::kInteger;
  to.integer = value;
}

void Statement::bind(int index, double value) {
  if (!capturing()) return impl_->bind(index, value);
  CapturedWrites::Value& to = captured(index);
  to.type = CapturedWrites::Value::Type::kReal;
  to.real = value;
}

void Statement::bind(int index, std::string_view text) {
  if (!capturing()) return impl_->bind(index, text);
  CapturedWrites::Value& to = captured(index);
  to.type = CapturedWrites::Value::Type::kText;
  to.text.assign(text);
}

void Statement::bind_null(int index) {
  if (!capturing()) return impl_->bind_null(index);
  captured(index).type = CapturedWrites::Value::Type::kNull;
}

void Statement::reset() {
  if (capturing()) {
    captured_.clear();
  } else {
    impl_->reset();
  }
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
        // Digits, because a 64-bit integer column would turn a number this
        // long into a lossy real; read_value() parses them back.
        if (capturing()) {
          CapturedWrites::Value& to = captured(index);
          to.type = CapturedWrites::Value::Type::kBigInteger;
          to.text = std::to_string(number);
        } else {
          impl_->bind_big_integer(index, std::to_string(number));
        }
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
  if (CapturedWrites* writes = capturing()) {
    writes->add(impl_.get(), captured_);
    return kSqlDone;
  }
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
