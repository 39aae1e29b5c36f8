#pragma once
// What the server needs from storage: the Store its sessions record into, a
// commit at the end of every event-loop turn that applied events (group
// commit), and the rebuilding of sessions a failed commit left ahead of
// storage. The CLI implements it over its SQL store, committing on the loop
// while commits are quick and on a writer thread while the loop goes on
// after one was slow (start_commit); MemoryDurability keeps nothing.
#include <memory>
#include <string>
#include <vector>

#include "engine/session.h"
#include "engine/status.h"
#include "engine/store.h"

namespace livectl::server {

class Durability {
 public:
  virtual ~Durability() = default;
  // Where sessions record their events. Outlives the sessions.
  virtual Store& store() = 0;
  // Makes every event recorded so far durable; frames and pages that show
  // them may then be released. On failure returns the error and fills
  // `lost` with the codes of the sessions whose unflushed events were rolled
  // back in storage: their Session objects must be rebuilt with reload().
  virtual Status commit(std::vector<std::string>* lost) = 0;
  // Commits off the event loop. start_commit() starts making everything
  // recorded so far durable and returns at once: `*started` true when a
  // commit now runs beside the loop; false when there was nothing to
  // commit or this storage commits on the caller's thread (then the
  // status and `lost` are commit()'s). While one runs, no other may start,
  // and events recorded meanwhile belong to the next. commit_finished()
  // says without blocking whether it ended (the storage wakes the loop
  // when it does); finish_commit() waits for the end and gives the outcome
  // as commit() does. On failure, `lost` names the sessions of that
  // commit and of every event recorded after it: all were rolled back.
  virtual Status start_commit(bool* started, std::vector<std::string>* lost) {
    *started = false;
    return commit(lost);
  }
  virtual bool commit_finished() { return true; }
  virtual Status finish_commit(std::vector<std::string>* /*lost*/) { return Status(); }
  // Session `code` of `games` (its app sequence) as storage holds it,
  // recording into store().
  virtual Status reload(const std::string& code, const std::vector<const Game*>& games,
                        std::unique_ptr<Session>* out) = 0;
  // The payloads each participant of `session` received on the page they
  // are on, as storage holds them, oldest first, the last `limit` at most
  // ((*out)[id_in_session - 1]), for pages that reconnect. By default
  // none: a storage that keeps no events has nothing to give.
  virtual Status page_deliveries(const Session& session, size_t /*limit*/,
                                 std::vector<std::vector<PageDelivery>>* out) {
    out->assign(session.participant_count(), {});
    return Status();
  }
};

// Keeps events in memory only: nothing survives the process, commits never fail.
class MemoryDurability final : public Durability {
 public:
  Store& store() override { return store_; }
  Status commit(std::vector<std::string>*) override { return store_.flush(); }
  Status reload(const std::string& code, const std::vector<const Game*>&,
                std::unique_ptr<Session>*) override {
    return Status::Error("session " + code + " is kept in memory only and cannot be reloaded");
  }

 private:
  MemoryStore store_{/*keep_log=*/false};
};

}  // namespace livectl::server
