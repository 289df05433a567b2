// Compactor: folds a document's log tail into a new snapshot.
//
// Internal to engine/store. One compaction:
//   1. reads the latest snapshot + log tail on a reader connection (no lock
//      held; appends to every document, this one included, continue);
//   2. calls the caller's MergeFn (CPU work, outside any transaction);
//   3. submits one InstallSnapshot write that, in a single transaction,
//      inserts the snapshot (covering seq <= the last merged row), deletes
//      the covered log rows and the older unlabeled snapshots, and applies
//      the retention policy. If another snapshot was installed or the
//      document deleted meanwhile, the install is refused (kAborted) and
//      nothing changes; CompactOne then retries from step 1.
// Rows appended during the merge have higher seqs and stay in the log.
//
// Automatic compactions run on the compactor's own thread; CompactOne also
// runs on any caller's thread. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/records.h"
#include "store/store_options.h"
#include "store/write_op.h"

namespace tandem::store {

struct CompactionStats {
  uint64_t completed = 0;   // snapshots installed (automatic and explicit)
  uint64_t failed = 0;      // compactions that ended in an error
  std::string last_error;   // message of the latest failure, "" if none
};

class Compactor {
 public:
  using ReadFn = std::function<StoreStatus(std::string_view doc, DocRecord* out)>;
  // Submits the op and waits until it is committed; returns its status.
  using InstallFn = std::function<StoreStatus(WriteOp op, WriteResult* result)>;

  // Starts the background thread. `merge` may be empty: then every
  // compaction fails with kInvalidArgument.
  // `nice`: StoreOptions::background_nice, applied to the compactor thread.
  Compactor(MergeFn merge, ReadFn read, InstallFn install, int nice = 0);
  // Stop()s.
  ~Compactor();

  // Queues documents for background compaction (duplicates are merged).
  void Schedule(std::vector<std::string> docs);
  // Drops queued documents, waits for the running compaction, joins.
  void Stop();
  // Blocks until the queue is empty and no background compaction runs.
  void WaitIdle();

  // Compacts `doc` now on the calling thread. With a label the new snapshot
  // is a named version (made even if the log tail is empty). Without one, an
  // empty tail is a no-op (*snapshot_id = 0). kNotFound for a missing doc.
  StoreStatus CompactOne(std::string_view doc, const std::optional<std::string>& label,
                         int64_t* snapshot_id);

  CompactionStats stats() const;

 private:
  void Run();
  StoreStatus Attempt(std::string_view doc, const std::optional<std::string>& label,
                      int64_t* snapshot_id);

  MergeFn merge_;
  ReadFn read_;
  InstallFn install_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // work arrived or stopping
  std::condition_variable idle_cv_;  // queue drained and nothing running
  std::deque<std::string> queue_;    // guarded by mu_
  std::set<std::string> queued_;     // guarded by mu_
  bool running_ = false;             // guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  CompactionStats stats_;            // guarded by mu_
  std::thread thread_;
};

}  // namespace tandem::store
