// The PostgreSQL side of store::Database, over libpq: one connection, the
// livectl tables in the connection's current schema, synchronous_commit on,
// and an advisory lock per session that keeps a second writer of it out (so
// several processes may write one database, each its own sessions).
//
// Inside a transaction, a write (INSERT, UPDATE, DELETE) is sent without
// waiting for its reply (libpq's pipeline mode): a batch of events costs a
// few round trips to the server, not one per row. The replies are read at
// the next statement that needs an answer (a query, COMMIT, ROLLBACK), which
// reports the first failure among them; a failed write thus fails the batch
// at its commit rather than at its record(), and the store rolls the whole
// batch back either way.
#include <libpq-fe.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "store/database.h"
#include "store/schema.h"

namespace livectl::store {

namespace {

// Advisory lock keys. pg_advisory_xact_lock(int4, int4): livectl's
// application id, then 1, while the schema is checked or created. A
// session's lock is pg_try_advisory_lock(bigint) of a 64-bit hash of
// "livectl session CODE" (claim()).
constexpr int kLockSpace = kApplicationId;
constexpr int kSchemaLock = 1;

// Type OIDs (PostgreSQL's pg_type.h; stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// The result code for a failed result (or a broken connection).
int code_of(PGconn* conn, const PGresult* result) {
  if (PQstatus(conn) == CONNECTION_BAD) return kSqlIoError;
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (!state) return kSqlIoError;
  const std::string_view s(state);
  if (s == "53100") return kSqlFull;                                    // disk_full
  if (s.starts_with("08") || s.starts_with("57P")) return kSqlIoError;  // connection, shutdown
  if (s == "40001" || s == "40P01" || s == "55P03")
    return kSqlBusy;  // serialization, deadlock, lock
  if (s == "25006") return kSqlReadOnly;
  return kSqlError;
}

std::string message_of(PGconn* conn, const PGresult* result) {
  const char* text = result ? PQresultErrorMessage(result) : nullptr;
  std::string message = text && *text ? text : PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (message.starts_with("ERROR:  ")) message.erase(0, 8);
  return message;
}

// "?1" -> "$1" outside quotes; a bare "?" takes the next number. Sets
// `*count` to the largest parameter number.
std::string dollar_parameters(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  int next = 1;
  *count = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    int number = 0;
    size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9')
      number = number * 10 + (sql[j++] - '0');
    if (j == i + 1) number = next;
    next = number + 1;
    *count = std::max(*count, number);
    out += '$' + std::to_string(number);
    i = j - 1;
  }
  return out;
}

class PostgresDatabase;

class PostgresStatement final : public StatementImpl {
 public:
  PostgresStatement(PostgresDatabase* db, PGconn* conn, std::string_view sql);
  ~PostgresStatement() override;

  void bind(int index, int64_t value) override { set(index, std::to_string(value)); }
  void bind(int index, double value) override;
  void bind(int index, std::string_view text) override { set(index, std::string(text)); }
  void bind_big_integer(int index, std::string_view digits) override {
    set(index, std::string(digits));
  }
  void bind_null(int index) override {
    if (index >= 1 && index <= count_) bound_[index - 1] = 0;
  }
  int step() override;
  void stream_rows() override { streamed_ = !write_; }
  // Sends the write without waiting for its reply (pipeline mode).
  int send() const;
  void rewind() override {
    if (streaming_) end_stream();
    first_ = false;
    PQclear(result_);
    result_ = nullptr;
    executed_ = false;
  }
  void reset() override {
    rewind();
    std::fill(bound_.begin(), bound_.end(), 0);
  }
  // PostgreSQL names a result's columns once it has run the query, so
  // asking before the first step runs it (SQLite knows them from the SQL);
  // a streamed statement reads its first row for them.
  int column_count() const override {
    if (!executed_) streamed_ ? read_first() : void(execute());
    return result_ ? PQnfields(result_) : 0;
  }
  std::string column_name(int column) const override {
    if (!executed_) streamed_ ? read_first() : void(execute());
    const char* name = result_ ? PQfname(result_, column) : nullptr;
    return name ? name : "";
  }
  int column_type(int column) const override;
  int64_t column_int(int column) const override {
    const char* text = cell(column);
    if (PQftype(result_, column) == kBoolOid) return *text == 't' ? 1 : 0;
    return std::strtoll(text, nullptr, 10);
  }
  double column_double(int column) const override { return std::strtod(cell(column), nullptr); }
  std::string column_text(int column) const override {
    if (!result_ || PQgetisnull(result_, row_, column)) return {};
    return std::string(PQgetvalue(result_, row_, column),
                       static_cast<size_t>(PQgetlength(result_, row_, column)));
  }

 private:
  // Runs the query with the bound values: kSqlOk, or the failure's code.
  int execute() const;
  // A streamed statement's step: sends the query at the first, then takes
  // its rows one result at a time.
  int step_streamed();
  // Sends the query with the bound values, by its name once prepared, without
  // waiting for the reply: kSqlOk, or the failure's code.
  int send_query() const;
  // Sends the query in single-row mode: kSqlOk, or the failure's code.
  int start_stream() const;
  // The stream's next result into result_ (at the end, the one of no rows
  // that still names the columns): kSqlRow, kSqlDone or the failure's code.
  int next_row() const;
  // Before the first step: starts the stream and holds its first row (or
  // end) for that step.
  void read_first() const;
  // Reads what is left of a streamed query's results, so that the
  // connection can run the next query.
  void end_stream() const;
  // From the second execution on, the statement is prepared on the server
  // (kSqlOk, or the failure's code); the values to send, by parameter.
  int name_when_reused() const;
  std::vector<const char*> values() const;
  void set(int index, std::string value) {
    if (index < 1 || index > count_) return;
    values_[index - 1] = std::move(value);
    bound_[index - 1] = 1;
  }
  const char* cell(int column) const {
    return result_ && !PQgetisnull(result_, row_, column) ? PQgetvalue(result_, row_, column) : "";
  }

  PostgresDatabase* db_;
  PGconn* conn_;
  std::string sql_;
  bool write_ = false;  // INSERT, UPDATE or DELETE: may be pipelined
  int count_ = 0;
  std::vector<std::string> values_;
  std::vector<uint8_t> bound_;
  // Prepared on the server from the second execution on: a statement run
  // once (a lookup, a schema query) costs no prepare and no deallocate.
  mutable std::string name_;
  mutable int executions_ = 0;
  mutable PGresult* result_ = nullptr;
  mutable bool executed_ = false;
  mutable int row_ = -1;
  bool streamed_ = false;           // stream_rows() was called
  mutable bool streaming_ = false;  // its query is sent and not all read
  // read_first() holds the first step's outcome (first_code_) for it.
  mutable bool first_ = false;
  mutable int first_code_ = kSqlOk;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string uri, std::string name, Mode mode)
      : Database(std::move(name), mode, Kind::kPostgres), uri_(std::move(uri)) {}
  ~PostgresDatabase() override { PQfinish(conn_); }

  Status connect();

  std::unique_ptr<StatementImpl> prepare(std::string_view sql) override {
    return std::make_unique<PostgresStatement>(this, conn_, sql);
  }
  void exec(const std::string& sql) override {
    if (const int rc = drain(); rc != kSqlOk) raise(rc);
    PGresult* result = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      note(result);
      PQclear(result);
      raise(last_code_);
    }
    PQclear(result);
  }
  bool in_transaction() override {
    if (pipelined_) return true;
    const PGTransactionStatusType status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
  }
  [[noreturn]] void raise(int code) override { throw DatabaseError(code, last_message_); }

  const char* begin_write() const override { return "BEGIN"; }
  const char* begin_read() const override {
    return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  }
  // Sessions are written by several processes at once, so there is no
  // commit order to keep; a session's events are ordered by their number.
  const char* event_order() const override { return "seq"; }
  const char* session_order() const override { return "created, code"; }
  // A number field is numeric, which keeps 10 and 10.0 apart (numeric keeps
  // the scale it was given); so is an integer field, which may hold any
  // 64-bit integer, signed or not (bigint stops at 2^63 - 1).
  std::string column_type(std::string_view type) const override {
    if (type == "int64") return "BIGINT";
    if (type == "integer") return "NUMERIC";
    if (type == "real") return "DOUBLE PRECISION";
    if (type == "boolean") return "BOOLEAN";
    if (type == "number") return "NUMERIC";
    return "TEXT";
  }
  const char* keyed_table_options() const override { return ""; }
  // Each session's events are read in order by the process that takes the
  // session over, so the log is keyed (SQLite's has no key, for speed).
  const char* event_key() const override { return "PRIMARY KEY (session, seq)"; }
  const char* columns_query() const override {
    return "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(quote_ident(?1)) "
           "AND attnum > 0 AND NOT attisdropped ORDER BY attnum";
  }
  const char* table_query() const override {
    return "SELECT 1 WHERE to_regclass(quote_ident(?1)) IS NOT NULL";
  }
  // PostgreSQL rounds numeric to places, not double precision; numeric
  // keeps the 2 places, so the cell reads back as a real.
  std::string round_to_cents(const std::string& expression) const override {
    return "ROUND(CAST(" + expression + " AS NUMERIC), 2)";
  }
  bool claim(const std::string& code) override {
    Statement lock(this,
                   "SELECT pg_try_advisory_lock(hashtextextended('livectl session ' || ?1, 0))");
    lock.bind(1, std::string_view(code));
    return lock.next() && lock.column_int(0) == 1;
  }
  void write_identity() override {
    exec("CREATE TABLE livectl_schema (application_id BIGINT NOT NULL, version BIGINT NOT NULL)");
    exec("INSERT INTO livectl_schema VALUES (" + std::to_string(kApplicationId) + ", " +
         std::to_string(kSchemaVersion) + ")");
  }

  Status error(int code) const override {
    switch (code & 0xff) {
      case kSqlBusy:
      case kSqlLocked:
        return Status::Error(path_ + " is locked by another process");
      case kSqlFull:
        return Status::Error("the disk holding " + path_ + " is full");
      case kSqlReadOnly:
        return Status::Error(path_ + " cannot be written (it is read-only)");
      case kSqlIoError:
        return Status::Error("lost the connection to " + path_ + ": " + last_message_);
      default:
        return Status::Error(path_ + ": " + last_message_);
    }
  }

  // Whether a write may be sent without waiting: inside a transaction.
  bool can_pipeline() { return pipelined_ || PQtransactionStatus(conn_) == PQTRANS_INTRANS; }
  // Before a write is sent without waiting; false if the connection refuses.
  bool enter_pipeline() {
    if (!pipelined_) {
      if (PQenterPipelineMode(conn_) != 1) return false;
      pipelined_ = true;
    }
    ++pending_;
    return true;
  }
  bool pipelined() const { return pipelined_; }
  // Reads the replies of every write sent without waiting, and leaves
  // pipeline mode: kSqlOk, or the first failure's code (also noted).
  int drain();
  // After a write was sent: reads the replies once many are waiting, so
  // that the server never blocks on a full socket while we write.
  int maybe_drain() { return pending_ >= kMaxPending ? drain() : kSqlOk; }

  // Keeps a failed result's code and message for error() and raise().
  void note(const PGresult* result) {
    last_code_ = code_of(conn_, result);
    last_message_ = message_of(conn_, result);
  }
  int last_code() const { return last_code_; }
  std::string next_statement_name() { return "livectl_" + std::to_string(++statements_); }

 private:
  void identify_and_prepare() override;

  static constexpr int kMaxPending = 1000;

  std::string uri_;
  PGconn* conn_ = nullptr;
  bool pipelined_ = false;
  int pending_ = 0;
  int last_code_ = kSqlOk;
  std::string last_message_;
  uint64_t statements_ = 0;
};

PostgresStatement::PostgresStatement(PostgresDatabase* db, PGconn* conn, std::string_view sql)
    : db_(db), conn_(conn) {
  sql_ = dollar_parameters(sql, &count_);  // count_ is declared after sql_
  for (const char* verb : {"INSERT", "UPDATE", "DELETE"}) {
    if (sql.substr(0, std::strlen(verb)) == verb) write_ = true;
  }
  values_.resize(static_cast<size_t>(count_));
  bound_.assign(static_cast<size_t>(count_), 0);
}

PostgresStatement::~PostgresStatement() {
  if (streaming_) end_stream();
  PQclear(result_);
  if (!name_.empty() && !db_->pipelined() && PQstatus(conn_) == CONNECTION_OK &&
      PQtransactionStatus(conn_) != PQTRANS_INERROR) {
    PQclear(PQexec(conn_, ("DEALLOCATE " + name_).c_str()));
  }
}

void PostgresStatement::bind(int index, double value) {
  // The shortest text that reads back as the same double. numeric keeps the
  // scale it was given, so a whole number must keep a decimal place to read
  // back as a real: "1e+20" and "1.7976931348623157e+308" would come back
  // as integers; their exact digits with ".0" do not.
  std::string text;
  if (std::isfinite(value) && std::floor(value) == value) {
    char buffer[400];  // DBL_MAX has 309 digits
    std::snprintf(buffer, sizeof(buffer), "%.1f", value);
    text = buffer;
  } else {
    text = Json(value).dump();
  }
  set(index, std::move(text));
}

std::vector<const char*> PostgresStatement::values() const {
  std::vector<const char*> values(static_cast<size_t>(count_));
  for (int i = 0; i < count_; ++i) values[i] = bound_[i] ? values_[i].c_str() : nullptr;
  return values;
}

int PostgresStatement::name_when_reused() const {
  if (!name_.empty() || executions_ < 1) return kSqlOk;
  std::string name = db_->next_statement_name();
  PGresult* prepared = PQprepare(conn_, name.c_str(), sql_.c_str(), count_, nullptr);
  const bool ok = PQresultStatus(prepared) == PGRES_COMMAND_OK;
  if (!ok) db_->note(prepared);
  PQclear(prepared);
  if (!ok) return db_->last_code();
  name_ = std::move(name);
  return kSqlOk;
}

int PostgresStatement::execute() const {
  if (const int rc = db_->drain(); rc != kSqlOk) return rc;
  const std::vector<const char*> values = this->values();
  if (const int rc = name_when_reused(); rc != kSqlOk) return rc;
  PQclear(result_);
  result_ =
      name_.empty()
          ? PQexecParams(conn_, sql_.c_str(), count_, nullptr, values.data(), nullptr, nullptr, 0)
          : PQexecPrepared(conn_, name_.c_str(), count_, values.data(), nullptr, nullptr, 0);
  ++executions_;
  executed_ = true;
  row_ = -1;
  const ExecStatusType status = PQresultStatus(result_);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    db_->note(result_);
    PQclear(result_);
    result_ = nullptr;
    return db_->last_code();
  }
  return kSqlOk;
}

int PostgresStatement::send() const {
  if (!db_->enter_pipeline()) {
    db_->note(nullptr);
    return db_->last_code();
  }
  // Prepared from the second execution on, as execute() does: the prepare
  // and the first run go down the pipe together.
  if (name_.empty() && executions_ >= 1) {
    std::string name = db_->next_statement_name();
    if (PQsendPrepare(conn_, name.c_str(), sql_.c_str(), count_, nullptr) != 1) {
      db_->note(nullptr);
      return db_->last_code();
    }
    name_ = std::move(name);
  }
  if (const int rc = send_query(); rc != kSqlOk) return rc;
  return db_->maybe_drain();
}

int PostgresStatement::send_query() const {
  const std::vector<const char*> values = this->values();
  const int sent = name_.empty() ? PQsendQueryParams(conn_, sql_.c_str(), count_, nullptr,
                                                     values.data(), nullptr, nullptr, 0)
                                 : PQsendQueryPrepared(conn_, name_.c_str(), count_, values.data(),
                                                       nullptr, nullptr, 0);
  ++executions_;
  if (sent != 1) {
    db_->note(nullptr);
    return db_->last_code();
  }
  return kSqlOk;
}

int PostgresStatement::start_stream() const {
  if (const int rc = db_->drain(); rc != kSqlOk) return rc;
  if (const int rc = name_when_reused(); rc != kSqlOk) return rc;
  if (const int rc = send_query(); rc != kSqlOk) return rc;
  executed_ = true;
  streaming_ = true;
  if (PQsetSingleRowMode(conn_) != 1) {
    end_stream();
    db_->note(nullptr);
    return db_->last_code();
  }
  return kSqlOk;
}

int PostgresStatement::next_row() const {
  PQclear(result_);
  result_ = nullptr;
  row_ = 0;
  if (!streaming_) return kSqlDone;
  PGresult* next = PQgetResult(conn_);
  const ExecStatusType status = PQresultStatus(next);
  if (status == PGRES_SINGLE_TUPLE) {
    result_ = next;
    return kSqlRow;
  }
  // The end, or a failure on the way.
  int code = kSqlDone;
  if (status == PGRES_TUPLES_OK) {
    result_ = next;
  } else {
    db_->note(next);
    code = db_->last_code();
    PQclear(next);
  }
  end_stream();
  return code;
}

void PostgresStatement::read_first() const {
  if (start_stream() != kSqlOk) return;  // the step runs it again and says why
  first_code_ = next_row();
  first_ = true;
}

int PostgresStatement::step_streamed() {
  if (!executed_) {
    if (const int rc = start_stream(); rc != kSqlOk) return rc;
  } else if (first_) {
    first_ = false;
    return first_code_;
  }
  return next_row();
}

void PostgresStatement::end_stream() const {
  while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
  streaming_ = false;
}

int PostgresStatement::step() {
  if (streamed_) return step_streamed();
  if (!executed_ && write_ && db_->can_pipeline()) {
    // Its reply is read later (drain); a write returns no rows.
    if (const int rc = send(); rc != kSqlOk) return rc;
    executed_ = true;
    PQclear(result_);
    result_ = nullptr;
    row_ = 0;
    return kSqlDone;
  }
  if (executed_ && !result_ && write_ && row_ == 0) return kSqlDone;  // sent, pipelined
  if (!executed_) {
    if (const int rc = db_->drain(); rc != kSqlOk) return rc;
    if (const int rc = execute(); rc != kSqlOk) {
      executed_ = false;
      return rc;
    }
  } else if (!result_) {
    // It failed when a column's name was asked for before the first step.
    executed_ = false;
    return db_->last_code();
  }
  if (++row_ < PQntuples(result_)) return kSqlRow;
  return kSqlDone;
}

int PostgresDatabase::drain() {
  if (!pipelined_) return kSqlOk;
  int code = kSqlOk;
  if (PQpipelineSync(conn_) != 1) {
    note(nullptr);
    code = last_code_;
  } else {
    for (;;) {
      PGresult* result = PQgetResult(conn_);
      if (!result) {
        // Between two queries' replies; a dead connection has nothing more.
        if (PQstatus(conn_) == CONNECTION_BAD) {
          if (code == kSqlOk) {
            note(nullptr);
            code = last_code_;
          }
          break;
        }
        continue;
      }
      const ExecStatusType status = PQresultStatus(result);
      if (status == PGRES_PIPELINE_SYNC) {
        PQclear(result);
        break;
      }
      // After a failure the server skips the rest (PGRES_PIPELINE_ABORTED)
      // until the sync: the first failure is the one to report.
      if (status == PGRES_FATAL_ERROR && code == kSqlOk) {
        note(result);
        code = last_code_;
      }
      PQclear(result);
    }
  }
  PQexitPipelineMode(conn_);
  pipelined_ = false;
  pending_ = 0;
  return code;
}

int PostgresStatement::column_type(int column) const {
  if (!result_ || PQgetisnull(result_, row_, column)) return kSqlNull;
  switch (PQftype(result_, column)) {
    case kBoolOid:
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return kSqlInteger;
    case kFloat4Oid:
    case kFloat8Oid:
      return kSqlFloat;
    case kNumericOid: {
      const std::string_view text = PQgetvalue(result_, row_, column);
      if (text.find_first_of(".eEN") != std::string_view::npos) return kSqlFloat;
      // Beyond 64 bits: the digits, as SQLite keeps them (a blob).
      const bool negative = text.starts_with('-');
      const size_t digits = text.size() - (negative ? 1 : 0);
      if (digits < 19) return kSqlInteger;
      if (digits > 19) return kSqlBlob;
      return text.substr(negative ? 1 : 0) <=
                     (negative ? "9223372036854775808" : "9223372036854775807")
                 ? kSqlInteger
                 : kSqlBlob;
    }
    default:
      return kSqlText;
  }
}

// "postgresql://user:secret@host/db" -> "postgresql://user@host/db", and a
// password=... parameter dropped: the name messages and logs show.
std::string without_password(const std::string& uri) {
  std::string name = uri;
  const size_t scheme = name.find("://");
  const size_t at = name.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme != std::string::npos && at != std::string::npos) {
    const size_t colon = name.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) name.erase(colon, at - colon);
  }
  for (size_t found; (found = name.find("password=")) != std::string::npos;) {
    size_t end = name.find('&', found);
    if (end == std::string::npos) {
      end = name.size();
      if (found > 0 && (name[found - 1] == '&' || name[found - 1] == '?')) --found;
    } else {
      ++end;
    }
    name.erase(found, end - found);
  }
  return name;
}

Status PostgresDatabase::connect() {
  conn_ = PQconnectdb(uri_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string reason = PQerrorMessage(conn_);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    return Status::Error("cannot connect to " + path_ + ": " + reason);
  }
  // "relation already exists, skipping" and the like are not for people.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return identify();
}

void PostgresDatabase::identify_and_prepare() {
  // A commit returns once the server has flushed it to its write-ahead log,
  // whatever the server's default: deliveries are released after it.
  exec("SET synchronous_commit = on");
  exec("SET application_name = 'livectl'");
  exec(mode_ == Mode::kWrite ? "BEGIN" : begin_read());
  try {
    if (mode_ == Mode::kWrite) {
      exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockSpace) + ", " +
           std::to_string(kSchemaLock) + ")");
    }
    Statement tables(
        this,
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')");
    tables.next();
    const bool empty = tables.column_int(0) == 0;
    bool ours = false;
    int64_t version = 0;
    if (!empty) {
      Statement has(this, table_query());
      has.bind(1, std::string_view("livectl_schema"));
      if (has.next()) {
        Statement identity(this, "SELECT application_id, version FROM livectl_schema");
        if (identity.next()) {
          ours = identity.column_int(0) == kApplicationId;
          version = identity.column_int(1);
        }
      }
    }
    check_identity(empty, ours, version);
    if (empty) {
      write_identity();
      exec(fixed_schema(*this));
    }
    exec("COMMIT");
  } catch (...) {
    PQclear(PQexec(conn_, "ROLLBACK"));
    throw;
  }
}

}  // namespace

Status open_postgres(const std::string& uri, Database::Mode mode, std::unique_ptr<Database>* out) {
  auto db = std::make_unique<PostgresDatabase>(uri, without_password(uri), mode);
  if (Status status = db->connect(); !status.ok()) return status;
  *out = std::move(db);
  return Status();
}

}  // namespace livectl::store
