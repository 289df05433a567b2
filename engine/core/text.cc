#include "text.h"

#include <algorithm>

#include "delete_log.h"
#include "pending_ops.h"
#include "sequence.h"
#include "update_codec.h"
#include "utf8.h"

namespace tandem {

Text::Text(PeerId peer, TextLimits limits)
    : peer_(peer),
      limits_(limits),
      seq_(std::make_unique<Sequence>()),
      deletes_(std::make_unique<DeleteLog>()),
      pending_(std::make_unique<PendingOps>()) {}

Text::~Text() = default;

uint64_t Text::length(IndexUnit unit) const {
  return seq_->tree().CharsToUnit(unit, seq_->size().chars);
}

std::string Text::ToString() const {
  std::string out;
  out.reserve(seq_->size().bytes);
  for (const RunLeaf* l = seq_->tree().first_leaf(); l; l = l->next) out += l->text;
  return out;
}

Status Text::ConvertIndex(uint64_t index, IndexUnit from, IndexUnit to, uint64_t* out) const {
  uint64_t chars;
  if (!seq_->tree().UnitToChars(from, index, &chars)) {
    return Status::InvalidArgument("index " + std::to_string(index) +
                                   " is out of range or inside a character");
  }
  *out = seq_->tree().CharsToUnit(to, chars);
  return Status::Ok();
}

uint64_t Text::pending_ops() const {
  return pending_->ops();
}

void Text::SetObserver(std::function<void(const TextChange&)> observer) {
  observer_ = std::move(observer);
  delta_.Clear();
}

void Text::EmitChange(bool local) {
  if (!observer_) return;
  if (delta_.empty()) return;
  TextChange change{std::move(delta_), local};
  delta_.Clear();
  observer_(change);
}

// ---- Local edits

uint32_t Text::SelfIndex() {
  if (self_index_ == UINT32_MAX) self_index_ = seq_->peers().Intern(peer_);
  return self_index_;
}

Status Text::BeginTransaction() {
  if (in_txn_) return Status::InvalidArgument("a transaction is already open");
  in_txn_ = true;
  txn_start_counter_ = version_.get(peer_);
  return Status::Ok();
}

Status Text::CommitTransaction(std::string* update) {
  if (!in_txn_) return Status::InvalidArgument("no transaction is open");
  in_txn_ = false;
  const uint64_t end = version_.get(peer_);
  if (update) {
    update->clear();
    if (end > txn_start_counter_) {
      // The transaction's operations are exactly our counters [start, end):
      // inserts are found through the id index, deletes at the log's tail.
      UpdateOps ops;
      PeerIndex self;
      const bool known = seq_->peers().Find(peer_, &self);
      const RunTree& tree = seq_->tree();
      for (uint64_t c = txn_start_counter_; known && c < end;) {
        RunTree::Loc loc = tree.FindId(self, c);
        if (!loc.leaf) {
          c = std::max(c + 1, tree.index().NextItem(self, c));
          continue;
        }
        const Run& r = loc.run();
        InsertOp op;
        op.id = OpId{peer_, c};
        op.len = std::min<uint64_t>(r.end(), end) - c;
        op.deleted = r.deleted();
        if (loc.off > 0) {
          op.left = OpId{peer_, c - 1};
        } else if (r.left_peer != kNoOrigin) {
          op.left = OpId{seq_->peers().id(r.left_peer - 1), r.left_counter};
        }
        if (r.right_peer != kNoOrigin)
          op.right = OpId{seq_->peers().id(r.right_peer - 1), r.right_counter};
        if (!op.deleted) {
          std::string_view content = loc.leaf->Content(loc.idx);
          size_t b0 = utf8::ByteOffsetOfCodePoint(content, loc.off);
          size_t b1 = b0 + utf8::ByteOffsetOfCodePoint(content.substr(b0), op.len);
          op.text_begin = ops.text.size();
          ops.text.append(content.substr(b0, b1 - b0));
          op.text_end = ops.text.size();
        }
        ops.inserts.push_back(op);
        c += op.len;
      }
      const auto& log = deletes_->runs();
      for (size_t i = log.size(); known && i > 0; --i) {
        const DeleteRun& d = log[i - 1];
        if (d.peer != self || d.end() <= txn_start_counter_) break;
        const uint64_t skip = d.counter < txn_start_counter_ ? txn_start_counter_ - d.counter : 0;
        DeleteOp op;
        op.id = OpId{peer_, d.counter + skip};
        op.len = d.len - skip;
        op.target = OpId{seq_->peers().id(d.target_peer), d.target_at(skip)};
        op.backward = d.backward;
        ops.deletes.push_back(op);
      }
      *update = EncodeUpdateOps(std::move(ops));
    }
  }
  EmitChange(/*local=*/true);
  return Status::Ok();
}

Status CheckTextInsert(const Sequence& seq, uint64_t index, std::string_view text, IndexUnit unit,
                       uint64_t* at, utf8::Counts* counts) {
  if (!seq.tree().UnitToChars(unit, index, at)) {
    return Status::InvalidArgument("insert index " + std::to_string(index) +
                                   " is out of range or inside a character");
  }
  if (!utf8::Validate(text, counts))
    return Status::InvalidArgument("inserted text is not valid UTF-8");
  if (text.size() > (uint64_t{1} << 30))
    return Status::InvalidArgument("inserted text is over 1 GiB");
  return Status::Ok();
}

Status Text::Insert(uint64_t index, std::string_view text, IndexUnit unit) {
  uint64_t at;
  utf8::Counts counts;
  Status s = CheckTextInsert(*seq_, index, text, unit, &at, &counts);
  if (!s.ok()) return s;
  if (counts.code_points == 0) return Status::Ok();
  const uint64_t counter = version_.get(peer_);
  if (counter + counts.code_points > kMaxCounter)
    return Status::LimitExceeded("peer counter space exhausted");
  const bool implicit = !in_txn_;
  if (implicit) BeginTransaction();
  seq_->InsertLocal(at, SelfIndex(), counter, text, counts);
  version_.set(peer_, counter + counts.code_points);
  if (observer_) delta_.Insert(at, text, counts.code_points);
  if (implicit) CommitTransaction(nullptr);
  return Status::Ok();
}

Status Text::Delete(uint64_t index, uint64_t count, IndexUnit unit) {
  uint64_t from, to;
  if (!seq_->tree().UnitToChars(unit, index, &from) ||
      count > length(unit) - std::min(index, length(unit)) ||
      !seq_->tree().UnitToChars(unit, index + count, &to)) {
    return Status::InvalidArgument("delete range [" + std::to_string(index) + ", +" +
                                   std::to_string(count) +
                                   ") is out of range or splits a character");
  }
  if (to == from) return Status::Ok();
  const bool implicit = !in_txn_;
  if (implicit) BeginTransaction();
  const PeerIndex self = SelfIndex();
  uint64_t counter = version_.get(peer_);
  for (const Sequence::IdRange& d : seq_->DeleteLocal(from, to - from)) {
    deletes_->Append(self, counter, d.len, d.peer, d.counter, false);
    counter += d.len;
  }
  version_.set(peer_, counter);
  if (observer_) delta_.Delete(from, to - from);
  if (implicit) CommitTransaction(nullptr);
  return Status::Ok();
}

// ---- Sync

std::string Text::EncodeUpdate(const VersionVector& since) const {
  UpdateOps ops;
  const PeerTable& peers = seq_->peers();
  for (const RunLeaf* l = seq_->tree().first_leaf(); l; l = l->next) {
    size_t text_off = 0;
    for (uint32_t i = 0; i < l->count; text_off += l->runs[i].bytes, ++i) {
      const Run& r = l->runs[i];
      const PeerId pid = peers.id(r.peer);
      const uint64_t known = since.get(pid);
      if (r.end() <= known) continue;
      const uint64_t skip = known > r.counter ? known - r.counter : 0;
      InsertOp op;
      op.id = OpId{pid, r.counter + skip};
      op.len = r.len - skip;
      op.deleted = r.deleted();
      if (skip > 0) {
        op.left = OpId{pid, op.id.counter - 1};
      } else if (r.left_peer != kNoOrigin) {
        op.left = OpId{peers.id(r.left_peer - 1), r.left_counter};
      }
      if (r.right_peer != kNoOrigin) op.right = OpId{peers.id(r.right_peer - 1), r.right_counter};
      if (!op.deleted) {
        std::string_view content = std::string_view(l->text).substr(text_off, r.bytes);
        const size_t b0 = skip ? utf8::ByteOffsetOfCodePoint(content, skip) : 0;
        op.text_begin = ops.text.size();
        ops.text.append(content.substr(b0));
        op.text_end = ops.text.size();
      }
      ops.inserts.push_back(op);
    }
  }
  for (const DeleteRun& d : deletes_->runs()) {
    const PeerId pid = peers.id(d.peer);
    const uint64_t known = since.get(pid);
    if (d.end() <= known) continue;
    const uint64_t skip = known > d.counter ? known - d.counter : 0;
    ops.deletes.push_back(DeleteOp{OpId{pid, d.counter + skip}, d.len - skip,
                                   OpId{peers.id(d.target_peer), d.target_at(skip)}, d.backward});
  }
  return EncodeUpdateOps(std::move(ops));
}

Status Text::ApplyUpdate(std::string_view bytes, ApplyResult* result) {
  if (in_txn_) return Status::InvalidArgument("cannot apply an update inside a transaction");
  if (bytes.size() > limits_.max_update_bytes)
    return Status::LimitExceeded("update larger than max_update_bytes");
  UpdateOps ops;
  Status s = DecodeUpdateOps(bytes, &ops);
  if (!s.ok()) return s;
  if (pending_->size() + ops.inserts.size() + ops.deletes.size() > limits_.max_pending_ops) {
    return Status::LimitExceeded("update could exceed max_pending_ops");
  }
  return ApplyOps(std::move(ops), result);
}

namespace {

// Outcome of trying one operation against the replica's state.
enum class Try { kApplied, kDuplicate, kWait };

}  // namespace

Status Text::ApplyOps(UpdateOps&& ops, ApplyResult* result) {
  ApplyResult res;
  const bool want_index = static_cast<bool>(observer_);
  std::vector<PendingOp> work;
  std::vector<Sequence::CharRange> deleted;

  // Tries `op`; on kWait sets *waiting to the id it needs.
  auto try_insert = [&](InsertOp op, std::string_view content, OpId* waiting) -> Try {
    const PeerId p = op.id.peer;
    const uint64_t next = version_.get(p);
    if (op.id.counter + op.len <= next) return Try::kDuplicate;
    if (op.id.counter > next) {
      *waiting = OpId{p, op.id.counter - 1};
      return Try::kWait;
    }
    if (op.left && !version_.contains(*op.left)) {
      *waiting = *op.left;
      return Try::kWait;
    }
    if (op.right && !version_.contains(*op.right)) {
      *waiting = *op.right;
      return Try::kWait;
    }
    // Origins in the wrong order (right before left) come from no honest
    // peer. Such an insert's content is dropped, on every replica the same
    // way whenever its origins are there: it goes in as a tombstone after its
    // left origin, so its ids are used (the peer's later operations apply,
    // snapshots stay contiguous, a second delivery is a no-op) and the text
    // does not change.
    {
      InsertOp rest = op;
      if (op.id.counter < next) rest.left = OpId{p, next - 1};
      if (!seq_->OriginsInOrder(rest)) {
        res.dropped_ops += op.id.counter + op.len - next;
        op.deleted = true;
        op.right.reset();
        content = {};
      }
    }
    if (op.id.counter < next) {  // partly known: keep the new tail
      const uint64_t skip = next - op.id.counter;
      if (!op.deleted) content.remove_prefix(utf8::ByteOffsetOfCodePoint(content, skip));
      op.left = OpId{p, next - 1};
      op.id.counter = next;
      op.len -= skip;
    }
    // Runs in the tree hold at most UINT32_MAX items: integrate in pieces.
    while (op.len > 0) {
      InsertOp piece = op;
      piece.len = std::min<uint64_t>(op.len, op.deleted ? UINT32_MAX : kMaxVisibleRunLen);
      std::string_view piece_text;
      uint32_t utf16 = 0;
      if (!op.deleted) {
        piece_text = content.substr(0, utf8::ByteOffsetOfCodePoint(content, piece.len));
        utf16 = static_cast<uint32_t>(utf8::Count(piece_text).utf16);
        content.remove_prefix(piece_text.size());
      }
      const uint64_t at = seq_->Integrate(piece, piece_text, utf16, want_index);
      if (want_index && !op.deleted) delta_.Insert(at, piece_text, piece.len);
      op.left = OpId{p, piece.id.counter + piece.len - 1};
      op.id.counter += piece.len;
      op.len -= piece.len;
      res.applied_ops += piece.len;
    }
    version_.set(p, op.id.counter);
    return Try::kApplied;
  };

  auto try_delete = [&](DeleteOp op, OpId* waiting) -> Try {
    const PeerId p = op.id.peer;
    const uint64_t next = version_.get(p);
    if (op.id.counter + op.len <= next) return Try::kDuplicate;
    if (op.id.counter > next) {
      *waiting = OpId{p, op.id.counter - 1};
      return Try::kWait;
    }
    if (op.id.counter < next) {
      const uint64_t skip = next - op.id.counter;
      op.target.counter = op.backward ? op.target.counter - skip : op.target.counter + skip;
      op.id.counter = next;
      op.len -= skip;
    }
    // Targets of the deleting peer at or past its own counter are its own
    // delete ops (no items): they need not, and cannot, be waited for.
    uint64_t need = op.target_high();
    if (op.target.peer == p && need >= op.id.counter) need = op.id.counter - 1;
    const OpId high{op.target.peer, need};
    if (!version_.contains(high)) {
      *waiting = high;
      return Try::kWait;
    }
    deleted.clear();
    seq_->DeleteRange(op.target.peer, op.target_low(), op.len, want_index, &deleted);
    if (want_index) {
      for (const Sequence::CharRange& d : deleted) delta_.Delete(d.index, d.len);
    }
    const PeerIndex self = seq_->peers().Intern(p);
    const PeerIndex tp = seq_->peers().Intern(op.target.peer);
    for (uint64_t done = 0; done < op.len;) {
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(op.len - done, UINT32_MAX));
      const uint64_t t = op.backward ? op.target.counter - done : op.target.counter + done;
      deletes_->Append(self, op.id.counter + done, n, tp, t, op.backward);
      done += n;
    }
    version_.set(p, op.id.counter + op.len);
    res.applied_ops += op.len;
    return Try::kApplied;
  };

  // Runs one operation; on success, wakes what waited for its peer.
  auto run = [&](PendingOp& op) {
    OpId waiting;
    Try t = op.is_insert ? try_insert(op.ins,
                                      std::string_view(op.text).substr(
                                          op.ins.text_begin, op.ins.text_end - op.ins.text_begin),
                                      &waiting)
                         : try_delete(op.del, &waiting);
    if (t == Try::kApplied) {
      const PeerId p = op.id().peer;
      pending_->TakeReady(p, version_.get(p), &work);
    } else if (t == Try::kWait) {
      pending_->Add(std::move(op), waiting);
    }
  };

  // Operations of one peer interleave inserts and deletes in counter order;
  // walking both (sorted) lists together applies them without pending.
  size_t i = 0, j = 0;
  while (i < ops.inserts.size() || j < ops.deletes.size()) {
    PendingOp op;
    if (j >= ops.deletes.size() ||
        (i < ops.inserts.size() && ops.inserts[i].id < ops.deletes[j].id)) {
      op.is_insert = true;
      op.ins = ops.inserts[i++];
      // Content is copied only if the op has to wait; otherwise referenced.
      OpId waiting;
      std::string_view content(ops.text.data() + op.ins.text_begin,
                               op.ins.text_end - op.ins.text_begin);
      Try t = try_insert(op.ins, content, &waiting);
      if (t == Try::kApplied) {
        pending_->TakeReady(op.ins.id.peer, version_.get(op.ins.id.peer), &work);
      } else if (t == Try::kWait) {
        op.text.assign(content);
        op.ins.text_begin = 0;
        op.ins.text_end = op.text.size();
        pending_->Add(std::move(op), waiting);
      }
    } else {
      op.is_insert = false;
      op.del = ops.deletes[j++];
      run(op);
    }
    while (!work.empty()) {
      PendingOp w = std::move(work.back());
      work.pop_back();
      run(w);
    }
  }
  // Pending operations that other deliveries made partly or wholly known:
  // drop or trim them, and retry the rest, until nothing changes.
  // (Also after an update that applied nothing: a row it added may repeat,
  // untrimmed, one that was trimmed before.)
  while (!pending_->empty()) {
    pending_->Prune([this](PeerId p) { return version_.get(p); }, &work);
    if (work.empty()) break;
    const uint64_t before = res.applied_ops;
    while (!work.empty()) {
      PendingOp w = std::move(work.back());
      work.pop_back();
      run(w);
    }
    if (res.applied_ops == before) break;
  }
  res.pending_ops = pending_->ops();
  if (result) *result = res;
  EmitChange(/*local=*/false);
  return Status::Ok();
}

uint64_t Text::MemoryUsage() const {
  return sizeof(Text) + sizeof(Sequence) + seq_->tree().MemoryUsage() +
         seq_->peers().MemoryUsage() + deletes_->MemoryUsage() + pending_->MemoryUsage() +
         version_.entries().capacity() * 16;
}

Status Text::CheckInvariants() const {
  Status s = seq_->tree().Check();
  if (!s.ok()) return s;
  // Every item and delete op of a peer lies below its version vector entry.
  const PeerTable& peers = seq_->peers();
  for (const RunLeaf* l = seq_->tree().first_leaf(); l; l = l->next) {
    for (uint32_t i = 0; i < l->count; ++i) {
      if (l->runs[i].end() > version_.get(peers.id(l->runs[i].peer))) {
        return Status::Corrupt("item beyond the version vector");
      }
    }
  }
  for (const DeleteRun& d : deletes_->runs()) {
    if (d.end() > version_.get(peers.id(d.peer)))
      return Status::Corrupt("delete beyond the version vector");
  }
  return Status::Ok();
}

}  // namespace tandem
