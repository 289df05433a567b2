// Text: a replicated text document built on the sequence CRDT.
//
// One Text is one replica of one document, edited by one local peer and
// merged with updates from any number of remote peers. All replicas that
// have seen the same operations hold the same text, the same version vector
// and encode the same snapshot bytes, whatever order the updates arrived in.
//
// Threading: a Text is not thread-safe; use it from one thread at a time.
// Errors: calls that take untrusted input or caller indices return a Status;
// an error always leaves the replica exactly as it was.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "index_unit.h"
#include "op_id.h"
#include "status.h"
#include "text_delta.h"
#include "version_vector.h"

namespace tandem {

class Sequence;
class DeleteLog;
class PendingOps;
struct UpdateOps;
namespace utf8 {
struct Counts;
}  // namespace utf8

// One committed change, delivered to the observer.
struct TextChange {
  TextDelta delta;  // in code points, against the text before the change
  bool local;       // made through this replica's own edit calls
};

// What ApplyUpdate did.
struct ApplyResult {
  uint64_t applied_ops = 0;  // operations (items) applied now, including earlier pending ones
  uint64_t pending_ops = 0;  // operations still waiting for dependencies afterwards
  uint64_t dropped_ops = 0;  // inserted items kept as tombstones: origins in the wrong order (hostile)
};

// Resource bounds for untrusted input. Defaults are generous for documents
// people write and still keep a hostile peer from exhausting memory.
struct TextLimits {
  uint64_t max_update_bytes = 64u << 20;
  uint64_t max_pending_ops = 1u << 20;  // rows (runs) waiting; pending_ops() counts items
};

class Text {
 public:
  // An empty replica edited locally as `peer`.
  explicit Text(PeerId peer, TextLimits limits = {});
  ~Text();
  Text(const Text&) = delete;
  Text& operator=(const Text&) = delete;

  PeerId peer() const { return peer_; }

  // ---- Reading
  // Length in the given unit. O(1).
  uint64_t length(IndexUnit unit = IndexUnit::kCodePoint) const;
  // The whole text as UTF-8. O(n).
  std::string ToString() const;
  // Converts a position between units. `index` may equal the length.
  // Error if it is out of range or falls inside a character (a UTF-8 byte
  // index inside a multi-byte sequence, a UTF-16 index between surrogates).
  Status ConvertIndex(uint64_t index, IndexUnit from, IndexUnit to, uint64_t* out) const;

  // ---- Local edits
  // Inserts UTF-8 `text` before position `index`. Error if the index is out of
  // range or `text` is not valid UTF-8. Outside a transaction the edit is a
  // transaction of its own.
  Status Insert(uint64_t index, std::string_view text, IndexUnit unit = IndexUnit::kCodePoint);
  // Deletes `count` units starting at `index`.
  Status Delete(uint64_t index, uint64_t count, IndexUnit unit = IndexUnit::kCodePoint);

  // Groups the following local edits into one update and one change event.
  // Transactions do not nest: Begin inside a transaction is an error.
  Status BeginTransaction();
  // Ends the transaction: delivers one TextChange to the observer and, if
  // `update` is not null, replaces *update with the encoded update holding
  // exactly this transaction's operations (empty if it made none).
  Status CommitTransaction(std::string* update = nullptr);
  bool in_transaction() const { return in_txn_; }

  // ---- Observing
  // Called after every committed local transaction and every ApplyUpdate that
  // changed the visible text, on the calling thread. Deltas are computed only
  // while an observer is set. Pass nullptr to remove it.
  void SetObserver(std::function<void(const TextChange&)> observer);

  // ---- Sync
  // Every operation this replica has applied (pending ones excluded).
  const VersionVector& version() const { return version_; }
  // The operations this replica has that `since` lacks, as update bytes.
  // Canonical: replicas holding the same operations return the same bytes.
  std::string EncodeUpdate(const VersionVector& since = {}) const;
  // Applies update bytes from any peer. Idempotent; operations whose
  // dependencies are missing wait (bounded by TextLimits) and apply when they
  // arrive. A malformed update is refused whole: error, nothing changed.
  // An insert whose origins are in the wrong order (right before left; no
  // honest peer sends that) loses its content when its origins are known,
  // on every replica alike (it stays as a tombstone, so its ids are used),
  // and is counted in ApplyResult::dropped_ops.
  // Not allowed inside a transaction.
  Status ApplyUpdate(std::string_view bytes, ApplyResult* result = nullptr);
  // Operations (items inserted or deleted) waiting for dependencies.
  uint64_t pending_ops() const;

  // ---- Snapshots
  // The full state (all ids, tombstones without their text, the delete log,
  // pending operations). Canonical, like EncodeUpdate.
  std::string EncodeSnapshot() const;
  // Builds a replica from snapshot bytes for local peer `peer`; the tree is
  // built directly, not by replaying operations. On error *out is untouched.
  static Status DecodeSnapshot(std::string_view bytes, PeerId peer, std::unique_ptr<Text>* out,
                               TextLimits limits = {});

  // Bytes of heap this replica holds (tree, index, logs, pending). O(n/leaf).
  uint64_t MemoryUsage() const;

  // Internal consistency check for tests: tree sums, index, run invariants.
  Status CheckInvariants() const;

 private:
  Status ApplyOps(UpdateOps&& ops, ApplyResult* result);
  void EmitChange(bool local);
  uint32_t SelfIndex();

  PeerId peer_;
  uint32_t self_index_ = UINT32_MAX;  // peer_ in the sequence's peer table, once interned
  TextLimits limits_;
  std::unique_ptr<Sequence> seq_;
  std::unique_ptr<DeleteLog> deletes_;
  std::unique_ptr<PendingOps> pending_;
  VersionVector version_;
  bool in_txn_ = false;
  uint64_t txn_start_counter_ = 0;
  std::function<void(const TextChange&)> observer_;
  TextDelta delta_;  // accumulates while an observer is set
};

// Checks a local insert of `text` before `index` (in `unit`) of `seq`: sets
// *at (the index in code points) and *counts. Error if the index is out of
// range or inside a character, or `text` is not valid UTF-8 or over 1 GiB.
// Shared by Text and TextRef so that both refuse the same inserts alike.
Status CheckTextInsert(const Sequence& seq, uint64_t index, std::string_view text, IndexUnit unit,
                       uint64_t* at, utf8::Counts* counts);

}  // namespace tandem
