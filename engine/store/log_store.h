// LogStore: the bytes-level document store over one SQLite file.
//
// Knows nothing of the CRDT. Per document (by name) it keeps an append-only
// log of opaque update bytes, the latest snapshot (opaque bytes + the log
// position it covers), named versions (retained snapshots with a label and
// time) and, for clients, an outbox of un-acked local updates. Every payload
// row carries a CRC-32C. docs/persistence.md describes the file.
//
// Writes go through one store thread that group-commits: everything queued
// while the previous batch was being fsync'ed goes into the next single
// transaction, and every op's callback fires only after its transaction is
// durable (per StoreOptions::sync). Reads run on the calling thread on
// pooled read connections and see the last committed state (WAL).
//
// Threading: every method is safe to call concurrently from any thread,
// except Close()/the destructor, which must not race with other calls.
// Callbacks run on the store thread; they must be short and must not call
// the synchronous methods (those return kInvalidArgument there).
// Errors: a call that returns an error never calls its callback; a callback
// is called exactly once otherwise.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/compactor.h"
#include "store/records.h"
#include "store/store_options.h"
#include "store/store_status.h"

namespace tandem::store {

class CommitQueue;
class ReaderPool;
class SqliteDb;

class LogStore {
 public:
  // Called once on the store thread: Ok with the row's sequence number after
  // the commit is durable, or the error (the update was not stored).
  using AppendCallback = std::function<void(const StoreStatus& status, uint64_t seq)>;
  using DoneCallback = std::function<void(const StoreStatus& status)>;

  // Opens (or creates, per options) the store file at `path`, migrating an
  // older schema forward. Takes an exclusive lock on `path + "-lock"` so only
  // one process (and one LogStore) uses the file. Errors: kUnsupported for a
  // file from a newer build or not a Tandem store (file untouched); kBusy if
  // another LogStore holds the lock; kCorrupt if SQLite cannot read the
  // header; kIoError otherwise. On error *out is untouched.
  static StoreStatus Open(const std::string& path, StoreOptions options,
                          std::unique_ptr<LogStore>* out);
  // Close()s.
  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  // Stops automatic compaction (a running one finishes), commits every
  // queued write (their callbacks fire), joins the threads and closes the
  // file. Later calls fail with kClosed. Idempotent.
  void Close();

  // ---- Appends (asynchronous, group-committed)
  struct AppendRequest {
    std::string doc;      // created on first append; must not be empty
    std::string update;   // opaque bytes, stored exactly
    AppendCallback done;  // may be empty
    bool outbox = false;  // also keep it in the outbox until AckUpTo (clients)
  };
  // Queues one update for `doc`. Sequence numbers of one document follow
  // the order of Append calls made from one thread.
  StoreStatus Append(std::string doc, std::string update, AppendCallback done,
                     bool outbox = false);
  // Queues several updates at once; they go into one transaction unless the
  // batch exceeds StoreOptions::max_batch.
  StoreStatus AppendBatch(std::vector<AppendRequest> requests);
  // Append and wait until durable. *seq (optional) receives the seq.
  StoreStatus AppendSync(std::string doc, std::string update, uint64_t* seq = nullptr,
                         bool outbox = false);
  // Waits until every write queued before this call is committed.
  StoreStatus Flush();

  // ---- Loading
  // The latest snapshot and the log tail after it, checksums verified.
  // kNotFound if the document does not exist (never an empty record in
  // place of an error); kCorrupt naming the document and row.
  StoreStatus ReadDoc(std::string_view doc, DocRecord* out);

  // ---- Documents
  StoreStatus ListDocs(std::vector<std::string>* out);
  StoreStatus GetDocInfo(std::string_view doc, DocInfo* out);
  // Every document with sizes, versions and last change (`tandem inspect`).
  StoreStatus Inspect(StoreInfo* out);
  // Removes the document with its log, snapshots, versions and outbox, and
  // waits until durable. kNotFound if absent.
  StoreStatus DeleteDoc(std::string_view doc);

  // ---- Compaction and history (need StoreOptions::merge)
  // Folds the log tail into a new snapshot now (see compactor.h). Ok and a
  // no-op when the tail is empty.
  StoreStatus Compact(std::string_view doc);
  // Saves the current state as a named version; *id (optional) is its id.
  StoreStatus CreateVersion(std::string_view doc, std::string label, int64_t* id = nullptr);
  // Named versions, oldest first.
  StoreStatus ListVersions(std::string_view doc, std::vector<VersionInfo>* out);
  // A version's snapshot bytes (decode them to load the document as of it).
  StoreStatus ReadVersion(std::string_view doc, int64_t id, SnapshotRecord* out);
  // Forgets a named version (the latest snapshot only loses its label).
  StoreStatus DeleteVersion(std::string_view doc, int64_t id);
  // Applies the retention policy to every document now (it is also applied
  // to a document whenever it is compacted). *removed: versions dropped.
  StoreStatus ApplyRetention(uint64_t* removed = nullptr);
  // Blocks until the automatic compactions triggered by every write whose
  // callback has already fired have finished.
  void WaitForCompactions();
  CompactionStats compaction_stats() const;

  // ---- Offline cache (clients)
  // Local updates appended with outbox = true stay listed here, in seq
  // order, until acknowledged; the seq is the client's resend sequence.
  StoreStatus ListUnacked(std::string_view doc, std::vector<LogEntry>* out);
  // Documents that have un-acked updates (to resend after reconnect).
  StoreStatus ListDocsWithUnacked(std::vector<std::string>* out);
  // Removes outbox rows with seq <= `seq` once the server acked them, and
  // waits until durable. *removed (optional): rows removed.
  StoreStatus AckUpTo(std::string_view doc, uint64_t seq, uint64_t* removed = nullptr);

  const std::string& path() const { return path_; }
  // Group-commit counters (for benchmarks and tests).
  uint64_t batches_committed() const;
  uint64_t writes_committed() const;

 private:
  LogStore(std::string path, StoreOptions options, int lock_fd);
  StoreStatus Start(std::unique_ptr<SqliteDb> writer);
  // Submits and waits; refuses on the store thread.
  StoreStatus SubmitSync(WriteOp op, WriteResult* result);
  StoreStatus CheckOpen(std::string_view doc) const;

  const std::string path_;
  const StoreOptions options_;
  int lock_fd_;
  std::unique_ptr<ReaderPool> readers_;
  std::unique_ptr<CommitQueue> queue_;
  std::unique_ptr<Compactor> compactor_;
  std::atomic<bool> closed_{false};
};

}  // namespace tandem::store
