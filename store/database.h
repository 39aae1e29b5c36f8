#pragma once
// One open livectl database: an SQLite file or a PostgreSQL database. The
// connection, the check that the database is ours and of a schema this build
// reads, the lock that keeps a second writer out, the SQL that differs
// between the two, and the translation of failures into one sentence for a
// person. Internal to store/.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/status.h"
#include "store/statement.h"

namespace livectl::store {

class Database {
 public:
  enum class Mode {
    kWrite,  // creates the database (the file, or the tables) if missing; one writer at a time
    kRead,   // must exist; never writes; may run beside a writer
  };
  enum class Kind { kSqlite, kPostgres };

  // True for "postgresql://..." and "postgres://..." (libpq's connection
  // URIs); anything else names an SQLite file.
  static bool is_postgres(std::string_view target);

  // Opens `target`: an SQLite file's path or a PostgreSQL URI. Errors
  // (exact texts, see docs/storage.md), NAME being the path or the URI
  // without its password:
  //   "NAME is not a livectl database"
  //   "NAME was written by a newer livectl (schema N; this livectl reads schema M)"
  //   "NAME is locked by another process"
  //   "the disk holding NAME is full"
  //   "NAME does not exist" (an SQLite file, kRead only)
  //   "cannot connect to NAME: REASON" (PostgreSQL)
  // On success `*out` owns the connection.
  static Status open(const std::string& target, Mode mode, std::unique_ptr<Database>* out);
  virtual ~Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The database as messages name it: the file's path, or the URI without
  // its password.
  const std::string& path() const { return path_; }
  Mode mode() const { return mode_; }
  Kind kind() const { return kind_; }

  virtual std::unique_ptr<StatementImpl> prepare(std::string_view sql) = 0;
  // Runs SQL without results (one or more statements); throws DatabaseError.
  virtual void exec(const std::string& sql) = 0;
  // Whether a transaction is open on the connection.
  virtual bool in_transaction() = 0;
  // Throws DatabaseError for `code` with the connection's last message.
  [[noreturn]] virtual void raise(int code) = 0;

  // ---- What differs between the two ----
  // Opens a write transaction that holds the write lock from its start.
  virtual const char* begin_write() const = 0;
  // Opens a transaction whose reads see one snapshot.
  virtual const char* begin_read() const = 0;
  // Orders one session's events, and the sessions, oldest first.
  virtual const char* event_order() const = 0;
  virtual const char* session_order() const = 0;
  // The declared type of a column: "int64" and "real" (the fixed tables'),
  // or a field's type: "integer", "number", "string" or "boolean".
  virtual std::string column_type(std::string_view type) const = 0;
  // What follows a keyed table's closing parenthesis ("WITHOUT ROWID" in
  // SQLite), and the event log's key as a table constraint ("" = none).
  virtual const char* keyed_table_options() const = 0;
  virtual const char* event_key() const = 0;
  // The queries for a table's column names and for whether a table exists
  // (both take the table's name as ?1).
  virtual const char* columns_query() const = 0;
  virtual const char* table_query() const = 0;
  // `expression` (a number) rounded to 2 decimal places, as a real.
  virtual std::string round_to_cents(const std::string& expression) const = 0;
  // Writes a new database's identity and schema version. REQUIRES: inside a
  // write transaction.
  virtual void write_identity() = 0;
  // Makes this connection the one that writes session `code`: true when it
  // is (or already was), false when another connection is. SQLite: always
  // true (the file has one writer). PostgreSQL: a session-level advisory
  // lock, which the server drops by itself when the connection goes.
  // Throws DatabaseError.
  virtual bool claim(const std::string& code) = 0;

  // While `writes` is set, Statements on this connection take their writes
  // down in it instead of executing them (a batch for a writer thread,
  // CapturedWrites); null, the default: they execute at once.
  void capture(CapturedWrites* writes) { capture_ = writes; }
  CapturedWrites* captured_writes() const { return capture_; }

  // One sentence for a result code met on this database.
  virtual Status error(int code) const = 0;
  Status error(const DatabaseError& e) const;

 protected:
  Database(std::string path, Mode mode, Kind kind)
      : path_(std::move(path)), mode_(mode), kind_(kind) {}
  // Runs identify_and_prepare(), turning what it throws into a Status.
  Status identify();
  // After connecting: checks the identity (check_identity), creates the
  // schema in an empty database, sets the connection up. Throws
  // DatabaseError or std::runtime_error.
  virtual void identify_and_prepare() = 0;
  // Refuses a database that is not ours (`ours` false and not `empty`), one
  // of another schema `version`, and an empty one in kRead. Throws
  // std::runtime_error with the sentence.
  void check_identity(bool empty, bool ours, int64_t version) const;

  std::string path_;
  Mode mode_;
  Kind kind_;

 private:
  CapturedWrites* capture_ = nullptr;
};

// Opens an SQLite file (store/sqlite_database.cpp) or a PostgreSQL database
// (store/postgres_database.cpp); Database::open picks one.
Status open_sqlite(const std::string& path, Database::Mode mode, std::unique_ptr<Database>* out);
Status open_postgres(const std::string& uri, Database::Mode mode, std::unique_ptr<Database>* out);

// The fixed tables' DDL with its column types put in by `db` (schema.cpp).
std::string fixed_schema(const Database& db);

}  // namespace livectl::store
