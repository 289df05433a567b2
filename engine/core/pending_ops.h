// PendingOps: received operations whose dependencies have not arrived yet.
//
// Each waits for one id (the first missing dependency found: its peer's
// previous counter, an origin, or a delete target). When the replica's
// version vector passes that id the operation is taken out and tried again;
// it may then wait for another id. Nothing is ever dropped: operations stay
// here until they apply, and go into snapshots.
#pragma once

#include <cstdint>
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "update_ops.h"

namespace tandem {

struct PendingOp {
  bool is_insert = true;
  InsertOp ins;  // text_begin/text_end index into `text`
  DeleteOp del;
  std::string text;  // the insert's content
  OpId id() const { return is_insert ? ins.id : del.id; }
  uint64_t len() const { return is_insert ? ins.len : del.len; }
};

class PendingOps {
 public:
  // Adds `op`, to be retried once `waiting_for` is known. An identical
  // operation already pending is not added twice.
  void Add(PendingOp op, OpId waiting_for);
  // Moves into `out` every operation waiting for an id of `peer` below `next`.
  void TakeReady(PeerId peer, uint64_t next, std::vector<PendingOp>* out);
  // Rows (operation runs) pending; the unit of TextLimits::max_pending_ops.
  uint64_t size() const { return waiting_.size(); }
  // Operations (items) pending, whatever the rows they came in.
  uint64_t ops() const { return ops_; }
  bool empty() const { return waiting_.empty(); }
  // Drops what the replica has meanwhile received under the same ids
  // (`next_of(peer)` is its version vector) and moves what it has in part,
  // trimmed to the rest, into `retry` (its dependencies may be there now),
  // so the pending set depends only on the operations seen, not on their
  // order. O(size()).
  template <typename NextOf>
  void Prune(NextOf next_of, std::vector<PendingOp>* retry);
  // Every pending operation, appended to `out` (text copied into out->text).
  void Collect(UpdateOps* out) const;
  uint64_t MemoryUsage() const;

 private:
  using Key = std::tuple<OpId, uint64_t, bool>;  // id, len, is_insert
  // Trims the first `skip` operations off `op` (they are known).
  static void TrimFront(PendingOp* op, uint64_t skip);
  std::multimap<OpId, PendingOp> waiting_;
  std::set<Key> keys_;
  uint64_t ops_ = 0;
};

template <typename NextOf>
void PendingOps::Prune(NextOf next_of, std::vector<PendingOp>* retry) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    PendingOp& op = it->second;
    const uint64_t next = next_of(op.id().peer);
    if (op.id().counter >= next) {
      ++it;
      continue;
    }
    keys_.erase(Key{op.id(), op.len(), op.is_insert});
    ops_ -= op.len();
    const uint64_t skip = std::min(next - op.id().counter, op.len());
    if (skip < op.len()) {
      TrimFront(&op, skip);
      retry->push_back(std::move(op));
    }
    it = waiting_.erase(it);
  }
}

}  // namespace tandem
