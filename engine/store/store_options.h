// StoreOptions: how a LogStore commits, compacts and retains history.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.h"
#include "store/store_status.h"

namespace tandem::store {

// What a commit promises. See docs/persistence.md ("Durability").
enum class SyncMode {
  // PRAGMA synchronous=FULL: the WAL is fsync'ed before every commit returns.
  // An acked update survives process kill, OS crash and power loss.
  kFull,
  // PRAGMA synchronous=NORMAL: commits are written to the WAL but fsync'ed
  // only at checkpoints. An acked update survives a process kill (kill -9),
  // but an OS crash or power loss may roll back the most recent commits
  // (everything since the last checkpoint). The file is never corrupted.
  kNormal,
};

// Builds the new snapshot of document `doc` from its current snapshot
// (`snapshot` is null when the document has none) and the log rows after it,
// in sequence order. Fills *out and returns Ok, or returns an error and the
// store keeps the log as it is. Called on the compactor thread or on the
// thread that called LogStore::Compact, possibly concurrently for different
// documents: it must be thread-safe and must not call back into the store.
using MergeFn = std::function<StoreStatus(std::string_view doc, const std::string* snapshot,
                                          const std::vector<LogEntry>& log, std::string* out)>;

// Which named versions survive. The document's latest snapshot is never
// removed (loading needs it); unlabeled older snapshots are removed as soon as
// a newer snapshot is written.
struct RetentionPolicy {
  uint32_t max_versions = 0;    // keep the newest N named versions per document; 0 = all
  int64_t max_age_ms = 0;       // drop named versions older than this; 0 = forever
};

struct StoreOptions {
  SyncMode sync = SyncMode::kFull;

  // Group commit: at most this many queued writes go into one transaction.
  uint32_t max_batch = 1024;

  // Group commit spacing: a transaction starts no sooner than this after the
  // previous one started, unless max_batch writes are already waiting. Under
  // a steady stream of writes each commit (and its fsync) then carries more
  // of them, for a delay of at most this much; a write that finds the store
  // idle for longer commits at once. 0: as soon as the previous commit ends.
  uint32_t min_commit_interval_us = 0;

  // Nice steps added to the store's own threads (group commit and
  // compaction; Linux, best effort). A server in the same process then gets
  // the CPU for its network thread first when the machine is short of it:
  // persistence waits a little, fan-out does not. 0 = same as the caller.
  int background_nice = 0;

  // Automatic compaction, run on a background compactor thread when a
  // document's log since its snapshot reaches either threshold. Needs
  // `merge`; with no merge function the log is only compacted by
  // LogStore::Compact calls (which also need it) — never silently.
  MergeFn merge;
  uint64_t compact_after_rows = 2000;
  uint64_t compact_after_bytes = 4u << 20;

  RetentionPolicy retention;

  // Clock for created/updated times and retention, in ms since the epoch.
  // Defaults to the system clock; tests inject their own.
  std::function<int64_t()> now_ms;

  // Refuse to create a new file (open existing stores only).
  bool create_if_missing = true;

  // How long a connection waits for a lock held by another process (an
  // external `sqlite3` shell, a backup tool) before the batch fails kBusy.
  int busy_timeout_ms = 10000;
};

}  // namespace tandem::store
