#include "store/batch_writer.h"

#include "store/database.h"

namespace livectl::store {

Status run_batch(Database& db, CapturedWrites& writes) {
  const int rc = writes.run();
  if (rc == kSqlOk) return Status();
  Status outcome = db.error(rc);
  // Twice: on PostgreSQL the first attempt may only end the pipeline that
  // held the failure.
  for (int attempt = 0; attempt < 2 && db.in_transaction(); ++attempt) {
    try {
      db.exec("ROLLBACK");
    } catch (const DatabaseError&) {
      // A broken connection has no transaction left to roll back.
    }
  }
  return outcome;
}

BatchWriter::BatchWriter(Database& db, std::function<void()> done)
    : db_(db), done_(std::move(done)), thread_([this] { loop(); }) {}

BatchWriter::~BatchWriter() {
  {
    std::unique_lock lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void BatchWriter::start(CapturedWrites&& writes) {
  {
    std::unique_lock lock(mutex_);
    writes_ = std::move(writes);
    queued_ = true;
    ended_ = false;
  }
  running_ = true;
  wake_.notify_all();
}

bool BatchWriter::finished() {
  std::unique_lock lock(mutex_);
  return ended_;
}

Status BatchWriter::wait(CapturedWrites* writes) {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return ended_; });
  ended_ = false;
  running_ = false;
  writes_.clear();
  *writes = std::move(writes_);
  writes_ = CapturedWrites();
  return std::move(outcome_);
}

void BatchWriter::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return queued_ || stop_; });
    if (!queued_) return;  // stopped with nothing to do
    queued_ = false;
    // The batch is this thread's alone until it is marked ended.
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    Status outcome = run_batch(db_, writes_);
    const auto took = std::chrono::steady_clock::now() - started;
    lock.lock();
    outcome_ = std::move(outcome);
    took_ = took;
    ended_ = true;
    // Under the lock: whoever waits sees the end only after the callback
    // returned, so it may destroy what the callback uses.
    if (done_) done_();
    wake_.notify_all();
  }
}

}  // namespace livectl::store
