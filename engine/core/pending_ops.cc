#include "pending_ops.h"

#include "utf8.h"

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

void PendingOps::TrimFront(PendingOp* op, uint64_t skip) {
  if (op->is_insert) {
    InsertOp& ins = op->ins;
    if (!ins.deleted) {
      std::string_view content(op->text.data() + ins.text_begin, ins.text_end - ins.text_begin);
      ins.text_begin += utf8::ByteOffsetOfCodePoint(content, skip);
    }
    ins.left = OpId{ins.id.peer, ins.id.counter + skip - 1};
    ins.id.counter += skip;
    ins.len -= skip;
  } else {
    DeleteOp& del = op->del;
    del.target.counter = del.backward ? del.target.counter - skip : del.target.counter + skip;
    del.id.counter += skip;
    del.len -= skip;
  }
}

void PendingOps::Collect(UpdateOps* out) const {
  for (const auto& [_, op] : waiting_) {
    if (op.is_insert) {
      InsertOp ins = op.ins;
      ins.text_begin = out->text.size();
      out->text.append(op.text, op.ins.text_begin, op.ins.text_end - op.ins.text_begin);
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
