// WriteOp: one write queued for the store thread.
//
// Internal to engine/store. LogStore turns public calls into WriteOps; the
// CommitQueue groups them into transactions; LogWriter executes them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "store/store_status.h"

namespace tandem::store {

// What a committed WriteOp produced.
struct WriteResult {
  uint64_t seq = 0;          // kAppend: the sequence number assigned
  int64_t snapshot_id = 0;   // kInstallSnapshot: the new snapshot's id
  uint64_t removed = 0;      // kRemoveOutbox / kApplyRetention: rows removed
};

struct WriteOp {
  enum class Kind : uint8_t {
    kAppend,           // doc, data, outbox
    kInstallSnapshot,  // doc, doc_id, base_seq, seq (= upto_seq), data, label
    kDeleteDoc,        // doc
    kRemoveOutbox,     // doc, seq (remove rows with seq <= this)
    kDeleteVersion,    // doc, id
    kApplyRetention,   // doc (empty = every document)
    kBarrier,          // nothing; completes when everything before it has
  };
  Kind kind = Kind::kBarrier;
  std::string doc;
  std::string data;
  bool outbox = false;
  uint64_t seq = 0;
  uint64_t base_seq = 0;
  int64_t doc_id = 0;
  int64_t id = 0;
  std::optional<std::string> label;
  // Called exactly once on the store thread after the transaction holding
  // this op committed (status Ok) or failed (the error; nothing of the op
  // was written). May be empty.
  std::function<void(const StoreStatus&, const WriteResult&)> done;
  // For kAppend, instead of `done` (saves a wrapper per update): called the
  // same way with the assigned seq (0 on error).
  std::function<void(const StoreStatus&, uint64_t)> append_done;
};

}  // namespace tandem::store
