// DocPending: operations of a Doc whose dependencies have not arrived.
//
// Like PendingOps for a lone Text, across every container kind: each
// operation waits for one id (its peer's previous counter, an origin, a
// delete target, or the list element that makes its container); when the
// version vector passes that id it is retried. Nothing is dropped.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "doc_ops.h"

namespace tandem {

struct PendingDocOp {
  enum Kind : uint8_t { kInsert, kDelete, kMap, kCounter, kNoop };
  Kind kind = kNoop;
  // The container table of the update it came in (shared by its ops).
  std::shared_ptr<const std::vector<ContainerKey>> table;
  uint32_t container = 0;
  InsertOp ins;               // text_begin/end index `text` (List: `values`)
  std::string text;
  std::vector<Value> values;  // List insert: one per visible item
  bool list = false;          // an insert into a List
  std::vector<std::pair<OpId, ContainerType>> dead_containers;  // deleted List insert
  DeleteOp del;
  MapOp map;
  CounterOp counter;
  NoopRange noop;

  OpId id() const;
  uint64_t len() const;
  // Drops the first `skip` operations (known by now).
  void TrimFront(uint64_t skip);
};

class DocPending {
 public:
  void Add(PendingDocOp op, OpId waiting_for);
  void TakeReady(PeerId peer, uint64_t next, std::vector<PendingDocOp>* out);
  uint64_t size() const { return waiting_.size(); }
  uint64_t ops() const { return ops_; }
  bool empty() const { return waiting_.empty(); }
  // Drops what is known by now (next_of(peer) = version vector entry) and
  // moves what is partly known, trimmed, into `retry`. O(size()).
  template <typename NextOf>
  void Prune(NextOf next_of, std::vector<PendingDocOp>* retry);
  const std::multimap<OpId, PendingDocOp>& all() const { return waiting_; }
  uint64_t MemoryUsage() const;

 private:
  using Key = std::tuple<OpId, uint64_t, uint8_t>;
  std::multimap<OpId, PendingDocOp> waiting_;
  std::set<Key> keys_;
  uint64_t ops_ = 0;
};

template <typename NextOf>
void DocPending::Prune(NextOf next_of, std::vector<PendingDocOp>* retry) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    PendingDocOp& op = it->second;
    const uint64_t next = next_of(op.id().peer);
    if (op.id().counter >= next) {
      ++it;
      continue;
    }
    keys_.erase(Key{op.id(), op.len(), op.kind});
    ops_ -= op.len();
    const uint64_t skip = std::min(next - op.id().counter, op.len());
    if (skip < op.len()) {
      op.TrimFront(skip);
      retry->push_back(std::move(op));
    }
    it = waiting_.erase(it);
  }
}

}  // namespace tandem
