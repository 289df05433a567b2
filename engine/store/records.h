// Plain records the store returns. Values, owned by the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::store {

// One row of a document's update log (or of its client outbox).
struct LogEntry {
  uint64_t seq = 0;   // per-document sequence number, starts at 1, never reused
  std::string data;   // the update bytes exactly as appended
};

// One stored snapshot: the latest one, or a named version.
struct SnapshotRecord {
  int64_t id = 0;          // unique in the file; a version's id
  uint64_t upto_seq = 0;   // covers every log row with seq <= upto_seq
  std::string data;        // the snapshot bytes exactly as the merge function made them
  std::optional<std::string> label;  // set for a named version
  int64_t created_ms = 0;
};

// Everything needed to load a document: latest snapshot + log tail after it.
struct DocRecord {
  std::string name;
  int64_t doc_id = 0;
  std::optional<SnapshotRecord> snapshot;
  std::vector<LogEntry> log;  // seq > snapshot->upto_seq (or all rows), ascending
};

// A named version, without its bytes.
struct VersionInfo {
  int64_t id = 0;
  std::string label;
  int64_t created_ms = 0;
  uint64_t upto_seq = 0;
  uint64_t bytes = 0;
};

// Size accounting and state of one document (the `inspect` row).
struct DocInfo {
  std::string name;
  int64_t doc_id = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;      // last append, compaction or version
  uint64_t last_seq = 0;       // highest sequence number assigned so far
  uint64_t log_rows = 0;       // rows in the log tail
  uint64_t log_bytes = 0;      // payload bytes in the log tail
  uint64_t snapshot_seq = 0;   // upto_seq of the latest snapshot (0 = none)
  uint64_t snapshot_bytes = 0; // payload bytes of all stored snapshots (incl. versions)
  uint64_t versions = 0;       // named versions retained
  uint64_t outbox_rows = 0;    // un-acked local updates (client offline cache)
  uint64_t outbox_bytes = 0;
  uint64_t total_bytes() const { return log_bytes + snapshot_bytes + outbox_bytes; }
};

// The whole file, for `tandem inspect DB`.
struct StoreInfo {
  std::string path;
  int schema_version = 0;
  uint64_t file_bytes = 0;       // page_count * page_size of the main file
  uint64_t free_bytes = 0;       // freelist pages * page_size
  std::vector<DocInfo> docs;     // sorted by name
};

}  // namespace tandem::store
