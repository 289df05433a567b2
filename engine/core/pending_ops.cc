#include "pending_ops.h"

namespace tandem {

void PendingOps::Add(PendingOp op, OpId waiting_for) {
  if (!keys_.emplace(op.id(), op.len(), op.is_insert).second) return;
  ops_ += op.len();
  waiting_.emplace(waiting_for, std::move(op));
}

void PendingOps::TakeReady(PeerId peer, uint64_t next, std::vector<PendingOp>* out) {
  auto it = waiting_.lower_bound(OpId{peer, 0});
  while (it != waiting_.end() && it->first.peer == peer && it->first.counter < next) {
    keys_.erase(Key{it->second.id(), it->second.len(), it->second.is_insert});
    ops_ -= it->second.len();
    out->push_back(std::move(it->second));
    it = waiting_.erase(it);
  }
}

void PendingOps::Collect(UpdateOps* out) const {
  for (const auto& [_, op] : waiting_) {
    if (op.is_insert) {
      InsertOp ins = op.ins;
      ins.text_begin = out->text.size();
      out->text.append(op.text);
      ins.text_end = out->text.size();
      out->inserts.push_back(ins);
    } else {
      out->deletes.push_back(op.del);
    }
  }
}

uint64_t PendingOps::MemoryUsage() const {
  uint64_t total = 0;
  for (const auto& [_, op] : waiting_) total += sizeof(PendingOp) + 64 + op.text.capacity();
  return total + keys_.size() * 64;
}

}  // namespace tandem
