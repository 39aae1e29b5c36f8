#pragma once
// The thread that makes batches durable while the event loop goes on:
// given a batch of captured writes (ending in COMMIT), it executes them on
// the connection, rolls back if one fails, and says so. It never touches a
// Session, only the connection and the captured values. Internal to
// store/.
//
// The connection belongs to the writer from start() until wait() returns;
// the caller uses it only outside that span.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "engine/status.h"
#include "store/statement.h"

namespace livectl::store {

class Database;

// Executes `writes` (a batch ending in COMMIT) on `db`, on the calling
// thread: ok, or the failure in one sentence after the batch was rolled
// back. What the writer's thread does with each batch.
Status run_batch(Database& db, CapturedWrites& writes);

class BatchWriter {
 public:
  // `done` is called on the writer's thread each time a batch ends (its
  // outcome is then ready for wait()); it must be quick and thread-safe
  // (serve wakes its event loop with it).
  BatchWriter(Database& db, std::function<void()> done);
  // Waits for a running batch, then stops the thread.
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Starts executing `writes`, which become the writer's until wait().
  // REQUIRES: no batch running (running() false).
  void start(CapturedWrites&& writes);
  // A batch was started and wait() has not been called for it.
  bool running() const { return running_; }
  // Whether the running batch has ended; never blocks.
  bool finished();
  // Waits for the running batch to end and gives its outcome: ok, or the
  // failure in one sentence (the batch was rolled back). Afterwards the
  // connection is the caller's again, and `*writes` holds the executed
  // batch (emptied, its memory kept for the next one).
  Status wait(CapturedWrites* writes);
  // How long the thread took to execute the batch wait() last gave.
  std::chrono::steady_clock::duration took() const { return took_; }

 private:
  void loop();

  Database& db_;
  std::function<void()> done_;
  std::mutex mutex_;
  std::condition_variable wake_;
  CapturedWrites writes_;
  bool running_ = false;  // the caller's view: started, not yet waited for
  bool queued_ = false;   // a batch waits for the thread
  bool ended_ = false;    // the thread finished it
  bool stop_ = false;
  Status outcome_;
  std::chrono::steady_clock::duration took_{};
  std::thread thread_;
};

}  // namespace livectl::store
