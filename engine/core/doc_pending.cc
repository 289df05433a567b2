#include "doc_pending.h"

#include "utf8.h"

namespace tandem {

OpId PendingDocOp::id() const {
  switch (kind) {
    case kInsert: return ins.id;
    case kDelete: return del.id;
    case kMap: return map.id;
    case kCounter: return counter.id;
    case kNoop: return noop.id;
  }
  return {};
}

uint64_t PendingDocOp::len() const {
  switch (kind) {
    case kInsert: return ins.len;
    case kDelete: return del.len;
    case kNoop: return noop.len;
    default: return 1;
  }
}

void PendingDocOp::TrimFront(uint64_t skip) {
  if (skip == 0) return;
  switch (kind) {
    case kInsert:
      if (!ins.deleted) {
        if (list) {
          // A list (one placeholder byte and one value per item).
          values.erase(values.begin(), values.begin() + static_cast<ptrdiff_t>(skip));
          text.erase(0, skip);
        } else {
          text.erase(0, utf8::ByteOffsetOfCodePoint(text, skip));
        }
        ins.text_begin = 0;
        ins.text_end = text.size();
      }
      ins.left = OpId{ins.id.peer, ins.id.counter + skip - 1};
      ins.id.counter += skip;
      ins.len -= skip;
      break;
    case kDelete:
      del.target.counter = del.backward ? del.target.counter - skip : del.target.counter + skip;
      del.id.counter += skip;
      del.len -= skip;
      break;
    case kNoop:
      noop.id.counter += skip;
      noop.len -= skip;
      break;
    default: break;  // single operations are never partly known
  }
}

void DocPending::Add(PendingDocOp op, OpId waiting_for) {
  if (!keys_.insert(Key{op.id(), op.len(), op.kind}).second) return;
  ops_ += op.len();
  waiting_.emplace(waiting_for, std::move(op));
}

void DocPending::TakeReady(PeerId peer, uint64_t next, std::vector<PendingDocOp>* out) {
  auto it = waiting_.lower_bound(OpId{peer, 0});
  while (it != waiting_.end() && it->first.peer == peer && it->first.counter < next) {
    keys_.erase(Key{it->second.id(), it->second.len(), it->second.kind});
    ops_ -= it->second.len();
    out->push_back(std::move(it->second));
    it = waiting_.erase(it);
  }
}

uint64_t DocPending::MemoryUsage() const {
  uint64_t n = 0;
  for (const auto& [k, op] : waiting_)
    n += sizeof(PendingDocOp) + 64 + op.text.capacity() + op.values.capacity() * sizeof(Value);
  return n + keys_.size() * 64;
}

}  // namespace tandem
