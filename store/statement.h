#pragma once
// A prepared statement on either database the store speaks to (SQLite or
// PostgreSQL), with the few binds and reads the store needs. Internal to
// store/.
//
// SQL is written once, in the dialect both databases share, with numbered
// parameters ?1, ?2, ... (the PostgreSQL connection turns them into $1, $2,
// ...). Where the two differ, Database says what to write.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"

namespace livectl::store {

class Database;

// Result codes. They are SQLite's numbers; the PostgreSQL connection maps
// its failures onto them, so that the store handles both alike.
inline constexpr int kSqlOk = 0;
inline constexpr int kSqlError = 1;  // any other failure; the message says which
inline constexpr int kSqlBusy = 5;   // another process holds a lock
inline constexpr int kSqlLocked = 6;
inline constexpr int kSqlReadOnly = 8;
inline constexpr int kSqlIoError = 10;  // PostgreSQL: the connection broke
inline constexpr int kSqlCorrupt = 11;
inline constexpr int kSqlFull = 13;  // the disk is full
inline constexpr int kSqlCantOpen = 14;
inline constexpr int kSqlNotADb = 26;
inline constexpr int kSqlRow = 100;   // step(): a row is ready
inline constexpr int kSqlDone = 101;  // step(): no more rows

// What a cell holds (Statement::column_type), as SQLite's storage classes.
// PostgreSQL's: bigint and boolean are integers, double precision is a
// float, numeric is an integer without a decimal point (a blob of digits
// beyond 64 bits) and a float with one, everything else is text.
inline constexpr int kSqlInteger = 1;
inline constexpr int kSqlFloat = 2;
inline constexpr int kSqlText = 3;
inline constexpr int kSqlBlob = 4;  // an integer beyond 64 bits: read it with column_text
inline constexpr int kSqlNull = 5;

// A database failure outside the hot path (opening, loading, replay,
// export). The public functions of store/ catch it and return a Status; it
// never leaves the library.
class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// `name` quoted as an SQL identifier: "name", with inner quotes doubled.
std::string quote_identifier(std::string_view name);

// One database's prepared statement; Statement forwards to it.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void bind(int index, int64_t value) = 0;
  virtual void bind(int index, double value) = 0;
  virtual void bind(int index, std::string_view text) = 0;
  // An integer beyond 64 bits, as its decimal digits.
  virtual void bind_big_integer(int index, std::string_view digits) = 0;
  virtual void bind_null(int index) = 0;
  virtual int step() = 0;
  // Fetch the rows one at a time as they are stepped through, not the whole
  // result at the first step (PostgreSQL; SQLite always does). Until the
  // last row has been stepped past or the statement is rewound, nothing
  // else may run on the connection.
  virtual void stream_rows() {}
  // Back to before the first step, keeping the bindings.
  virtual void rewind() = 0;
  // Back to before the first step, dropping the bindings.
  virtual void reset() = 0;
  virtual int column_count() const = 0;
  virtual std::string column_name(int column) const = 0;
  virtual int column_type(int column) const = 0;
  virtual int64_t column_int(int column) const = 0;
  virtual double column_double(int column) const = 0;
  virtual std::string column_text(int column) const = 0;
};

// The writes of a batch taken down instead of executed (Database::capture),
// to be executed later, in order, on whichever thread then owns the
// connection (run_captured): a writer thread commits a batch while the
// event loop goes on. Each write keeps the values bound to it.
class CapturedWrites {
 public:
  struct Value {
    enum class Type : uint8_t { kUnset, kNull, kInteger, kReal, kText, kBigInteger };
    Type type = Type::kUnset;
    int64_t integer = 0;
    double real = 0;
    std::string text;  // kText, kBigInteger
  };
  bool empty() const { return writes_.empty(); }
  size_t size() const { return writes_.size(); }
  void clear() {
    writes_.clear();
    values_.clear();
  }
  // Takes down one execution of `impl` with `values` (by parameter, from 1).
  void add(StatementImpl* impl, const std::vector<Value>& values);
  // Executes every write in order, each as Statement::run() would: kSqlOk,
  // or the failing write's result code (the writes after it are not run).
  int run() const;

 private:
  struct Write {
    StatementImpl* impl;
    uint32_t first, count;  // its values in values_, parameter 1 first
  };
  std::vector<Write> writes_;
  std::vector<Value> values_;
};

class Statement {
 public:
  Statement() = default;
  // Prepares `sql`; throws DatabaseError when it does not compile.
  Statement(Database* db, std::string_view sql);
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  bool prepared() const { return impl_ != nullptr; }

  // Parameters count from 1. Text is copied, so the argument need not
  // outlive the call. An unbound parameter is NULL.
  //
  // While the database captures writes (Database::capture), binds are kept
  // here and run() takes the statement down with them instead of executing
  // it (it then returns kSqlDone); reset() drops them. The prepared
  // statement itself is not touched then: another thread may be executing it.
  void bind(int index, int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view text);
  void bind_null(int index);
  // A field or record cell: null, boolean (0/1), integer, real or text.
  // Unsigned integers above INT64_MAX are stored as their decimal digits
  // (SQLite: a BLOB; PostgreSQL: numeric).
  void bind_value(int index, const Json& value);

  // kSqlRow, kSqlDone or an error code. Not while capturing.
  int step() { return impl_->step(); }
  // For a read of a whole log: memory stays that of one row, however many
  // rows there are (StatementImpl::stream_rows says what it forbids
  // meanwhile). Before the first step.
  void stream_rows() { impl_->stream_rows(); }
  // Steps to the end, then rewinds (keeping the bindings); returns kSqlDone
  // or the error.
  int run();
  // Makes the statement reusable and drops its bindings.
  void reset();
  // Steps once and throws on anything but a row or the end. Returns true on a row.
  bool next();

  int column_count() const { return impl_->column_count(); }
  std::string column_name(int column) const { return impl_->column_name(column); }
  int column_type(int column) const { return impl_->column_type(column); }
  bool is_null(int column) const { return column_type(column) == kSqlNull; }
  int64_t column_int(int column) const { return impl_->column_int(column); }
  double column_double(int column) const { return impl_->column_double(column); }
  std::string column_text(int column) const { return impl_->column_text(column); }

 private:
  CapturedWrites* capturing() const;
  CapturedWrites::Value& captured(int index);

  Database* db_ = nullptr;
  std::unique_ptr<StatementImpl> impl_;
  std::vector<CapturedWrites::Value> captured_;  // by parameter - 1, while capturing
};

// Reads between construction and destruction see one snapshot of the
// database, however much a writer in another process commits meanwhile.
// Does nothing when a transaction is open already.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Database* db);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Database* db_;
};

}  // namespace livectl::store
