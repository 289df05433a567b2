// PendingOps: received operations whose dependencies have not arrived yet.
//
// Each waits for one id (the first missing dependency found: its peer's
// previous counter, an origin, or a delete target). When the replica's
// version vector passes that id the operation is taken out and tried again;
// it may then wait for another id. Nothing is ever dropped: operations stay
// here until they apply, and go into snapshots.
#pragma once

#include <cstdint>
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
  // Every pending operation, appended to `out` (text copied into out->text).
  void Collect(UpdateOps* out) const;
  uint64_t MemoryUsage() const;

 private:
  using Key = std::tuple<OpId, uint64_t, bool>;  // id, len, is_insert
  std::multimap<OpId, PendingOp> waiting_;
  std::set<Key> keys_;
  uint64_t ops_ = 0;
};

}  // namespace tandem
