// Doc::ApplyUpdate: remote operations into the containers, in (peer,
// counter) order, each once its dependencies are there; the rest waits in
// DocPending.
#include <algorithm>

#include "doc.h"
#include "doc_codec.h"
#include "doc_pending.h"
#include "doc_state.h"
#include "utf8.h"

namespace tandem {

uint64_t Doc::pending_ops() const { return pending_->ops(); }

Doc::Resolution Doc::ResolveKey(const std::vector<ContainerKey>& table, uint32_t i, uint32_t* out,
                                OpId* wait) {
  const ContainerKey& k = table[i];
  switch (k.kind) {
    case ContainerKey::kRoot: *out = 0; return Resolution::kFound;
    case ContainerKey::kItem: {
      if (!version_.contains(k.item)) {
        *wait = k.item;
        return Resolution::kWait;
      }
      auto it = item_containers_.find(k.item);
      if (it == item_containers_.end() || nodes_[it->second]->type != k.type)
        return Resolution::kBad;
      *out = it->second;
      return Resolution::kFound;
    }
    case ContainerKey::kMapChild: {
      uint32_t parent;
      Resolution r = ResolveKey(table, k.parent, &parent, wait);
      if (r != Resolution::kFound) return r;
      if (nodes_[parent]->depth + 1 > limits_.max_depth) return Resolution::kBad;
      *out = ChildOf(parent, k.key, k.type);
      return Resolution::kFound;
    }
  }
  return Resolution::kBad;
}

Status Doc::ApplyUpdate(std::string_view bytes, std::string_view origin, ApplyResult* result) {
  if (in_txn_) return Status::InvalidArgument("cannot apply an update inside a transaction");
  if (bytes.size() > limits_.max_update_bytes)
    return Status::LimitExceeded("update larger than max_update_bytes");
  DocOps ops;
  Status s = DecodeDocOps(bytes, &ops);
  if (!s.ok()) return s;
  uint64_t rows = ops.map_ops.size() + ops.counter_ops.size() + ops.noops.size();
  for (const SequenceSection& sec : ops.sequences) rows += sec.ops.inserts.size() + sec.ops.deletes.size();
  if (pending_->size() + rows > limits_.max_pending_ops)
    return Status::LimitExceeded("update could exceed max_pending_ops");
  return ApplyOps(std::move(ops), origin, result);
}

namespace {
enum class Try { kApplied, kDuplicate, kWait };
}  // namespace

// One ApplyOps call: applies operations and parks what must wait.
class DocApplier {
 public:
  DocApplier(Doc* doc, ApplyResult* res) : d_(*doc), res_(*res) {}

  // Tries `op`; on kWait sets *wait.
  Try Run(PendingDocOp& op, OpId* wait) {
    const OpId id = op.id();
    const uint64_t next = d_.version_.get(id.peer);
    if (id.counter + op.len() <= next) return Try::kDuplicate;
    if (id.counter > next) {
      *wait = OpId{id.peer, id.counter - 1};
      return Try::kWait;
    }
    if (op.kind == PendingDocOp::kNoop) {
      d_.AddNoop(id.peer, next, id.counter + op.len() - next);
      d_.version_.set(id.peer, id.counter + op.len());
      return Try::kApplied;
    }
    uint32_t c = 0;
    switch (d_.ResolveKey(*op.table, op.container, &c, wait)) {
      case Doc::Resolution::kWait: return Try::kWait;
      case Doc::Resolution::kBad: {
        // Names a container no replica can have: refused, its ids used.
        const uint64_t end = id.counter + op.len();
        d_.AddNoop(id.peer, next, end - next);
        d_.version_.set(id.peer, end);
        res_.dropped_ops += end - next;
        return Try::kApplied;
      }
      case Doc::Resolution::kFound: break;
    }
    switch (op.kind) {
      case PendingDocOp::kInsert: return Insert(c, op, wait);
      case PendingDocOp::kDelete: return Delete(c, op, wait);
      case PendingDocOp::kMap: return MapWrite(c, op);
      case PendingDocOp::kCounter: return CounterAdd(c, op);
      default: return Try::kDuplicate;
    }
  }

 private:
  Try Insert(uint32_t c, PendingDocOp& pop, OpId* wait) {
    InsertOp op = pop.ins;
    SeqState& st = *d_.nodes_[c]->seq;
    const bool list = d_.nodes_[c]->type == ContainerType::kList;
    const PeerId p = op.id.peer;
    const uint64_t next = d_.version_.get(p);
    if (op.left && !d_.version_.contains(*op.left)) {
      *wait = *op.left;
      return Try::kWait;
    }
    if (op.right && !d_.version_.contains(*op.right)) {
      *wait = *op.right;
      return Try::kWait;
    }
    std::string_view content(pop.text);
    content = content.substr(op.text_begin, op.text_end - op.text_begin);
    size_t value_pos = list ? op.text_begin : 0;  // a list's text offsets are value indices
    {
      InsertOp rest = op;
      if (op.id.counter < next) rest.left = OpId{p, next - 1};
      if (!st.seq.OriginsInOrder(rest)) {
        res_.dropped_ops += op.id.counter + op.len - next;
        op.deleted = true;
        op.right.reset();
        content = {};
      }
    }
    if (op.id.counter < next) {
      const uint64_t skip = next - op.id.counter;
      if (!op.deleted) {
        const size_t b = list ? skip : utf8::ByteOffsetOfCodePoint(content, skip);
        content.remove_prefix(b);
        value_pos += skip;
      }
      op.left = OpId{p, next - 1};
      op.id.counter = next;
      op.len -= skip;
    }
    const bool want = d_.observing();
    while (op.len > 0) {
      InsertOp piece = op;
      piece.len = std::min<uint64_t>(op.len, op.deleted ? UINT32_MAX : kMaxVisibleRunLen);
      std::string_view piece_text;
      uint32_t utf16 = 0;
      if (!op.deleted) {
        piece_text = content.substr(0, list ? piece.len : utf8::ByteOffsetOfCodePoint(content, piece.len));
        utf16 = list ? static_cast<uint32_t>(piece.len)
                     : static_cast<uint32_t>(utf8::Count(piece_text).utf16);
        content.remove_prefix(piece_text.size());
      }
      const uint64_t at = st.seq.Integrate(piece, piece_text, utf16, want);
      const PeerIndex pi = st.seq.peers().Intern(p);
      if (list && !op.deleted) {
        std::vector<Value> vals;
        vals.reserve(piece.len);
        for (uint64_t k = 0; k < piece.len; ++k) {
          Value v = std::move(pop.values[value_pos + k]);
          if (v.is_container()) {
            if (d_.nodes_[c]->depth + 1 > d_.limits_.max_depth) {
              v = Value::Null();  // too deep: the same on every replica
            } else {
              d_.NewItemContainer(c, OpId{p, piece.id.counter + k}, v.container_type());
            }
          }
          vals.push_back(std::move(v));
        }
        if (st.values.Put(pi, piece.id.counter, std::move(vals))) d_.NoteGrown(c);
        value_pos += piece.len;
      }
      if (list && op.deleted) {
        // Containers made by elements deleted before they reached us.
        const OpId lo{p, piece.id.counter}, hi{p, piece.id.counter + piece.len};
        for (const auto& [id, type] : pop.dead_containers) {
          if (id < lo || !(id < hi) || d_.item_containers_.count(id)) continue;
          if (d_.nodes_[c]->depth + 1 > d_.limits_.max_depth) continue;
          d_.NewItemContainer(c, id, type);
          std::vector<Value> one;
          one.push_back(Value::Container(type));
          st.values.Put(pi, id.counter, std::move(one));
        }
      }
      if (want && !op.deleted) d_.accum(c).delta.Insert(at, piece_text, piece.len);
      op.left = OpId{p, piece.id.counter + piece.len - 1};
      op.id.counter += piece.len;
      op.len -= piece.len;
      res_.applied_ops += piece.len;
    }
    d_.version_.set(p, op.id.counter);
    return Try::kApplied;
  }

  Try Delete(uint32_t c, PendingDocOp& pop, OpId* wait) {
    DeleteOp op = pop.del;
    SeqState& st = *d_.nodes_[c]->seq;
    const PeerId p = op.id.peer;
    const uint64_t next = d_.version_.get(p);
    if (op.id.counter < next) {
      const uint64_t skip = next - op.id.counter;
      op.target.counter = op.backward ? op.target.counter - skip : op.target.counter + skip;
      op.id.counter = next;
      op.len -= skip;
    }
    uint64_t need = op.target_high();
    if (op.target.peer == p && need >= op.id.counter) need = op.id.counter - 1;
    const OpId high{op.target.peer, need};
    if (!d_.version_.contains(high)) {
      *wait = high;
      return Try::kWait;
    }
    const bool want = d_.observing();
    deleted_.clear();
    // Which ids became deleted, for a list's values: walk the range again
    // only for lists (cheap: the ids were just found).
    st.seq.DeleteRange(op.target.peer, op.target_low(), op.len, want, &deleted_);
    if (d_.nodes_[c]->type == ContainerType::kList) {
      PeerIndex tp;
      if (st.seq.peers().Find(op.target.peer, &tp)) st.values.Drop(tp, op.target_low(), op.len);
    }
    if (want) {
      for (const Sequence::CharRange& r : deleted_) d_.accum(c).delta.Delete(r.index, r.len);
    }
    const PeerIndex self = st.seq.peers().Intern(p);
    const PeerIndex tp = st.seq.peers().Intern(op.target.peer);
    for (uint64_t done = 0; done < op.len;) {
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(op.len - done, UINT32_MAX));
      const uint64_t t = op.backward ? op.target.counter - done : op.target.counter + done;
      st.deletes.Append(self, op.id.counter + done, n, tp, t, op.backward);
      done += n;
    }
    d_.version_.set(p, op.id.counter + op.len);
    res_.applied_ops += op.len;
    return Try::kApplied;
  }

  Try MapWrite(uint32_t c, PendingDocOp& pop) {
    MapOp& m = pop.map;
    MapState& st = *d_.nodes_[c]->map;
    d_.lamport_ = std::max(d_.lamport_, m.lamport);
    MapSlot& s = st.SlotOf(m.key)->second;
    if (!s.LosesTo(m.lamport, m.id)) {
      d_.AddNoop(m.id.peer, m.id.counter, 1);  // an older write: nobody will read it
    } else {
      if (d_.observing()) {
        Doc::Accum& a = d_.accum(c);
        if (!a.old_values.count(m.key))
          a.old_values.emplace(m.key, s.present ? std::optional<Value>(s.value) : std::nullopt);
      }
      if (s.written) d_.AddNoop(s.id.peer, s.id.counter, 1);
      if (s.present) --st.present;
      s.id = m.id;
      s.lamport = m.lamport;
      s.written = true;
      s.present = !m.deleted;
      s.value = m.deleted ? Value::Null() : std::move(m.value);
      if (s.present && s.value.is_container() && d_.nodes_[c]->depth + 1 > d_.limits_.max_depth)
        s.value = Value::Null();  // too deep: the same on every replica
      if (s.present) ++st.present;
    }
    d_.version_.set(m.id.peer, m.id.counter + 1);
    res_.applied_ops += 1;
    return Try::kApplied;
  }

  Try CounterAdd(uint32_t c, PendingDocOp& pop) {
    CounterState& st = *d_.nodes_[c]->counter;
    st.ops.push_back(CounterEntry{pop.counter.id, pop.counter.delta});
    st.value = WrapAdd(st.value, pop.counter.delta);
    if (d_.observing()) {
      Doc::Accum& a = d_.accum(c);
      a.counter_delta = WrapAdd(a.counter_delta, pop.counter.delta);
    }
    d_.version_.set(pop.counter.id.peer, pop.counter.id.counter + 1);
    res_.applied_ops += 1;
    return Try::kApplied;
  }

  Doc& d_;
  ApplyResult& res_;
  std::vector<Sequence::CharRange> deleted_;
};

Status Doc::ApplyOps(DocOps&& ops, std::string_view origin, ApplyResult* result) {
  ApplyResult res;
  DocApplier applier(this, &res);
  auto table = std::make_shared<const std::vector<ContainerKey>>(std::move(ops.containers));

  // Every operation as a self-contained PendingDocOp, in (peer, counter) order.
  std::vector<PendingDocOp> all;
  for (SequenceSection& sec : ops.sequences) {
    const bool list = (*table)[sec.container].type == ContainerType::kList;
    for (const InsertOp& in : sec.ops.inserts) {
      PendingDocOp op;
      op.kind = PendingDocOp::kInsert;
      op.table = table;
      op.container = sec.container;
      op.list = list;
      op.ins = in;
      if (!in.deleted) {
        op.text.assign(sec.ops.text, in.text_begin, in.text_end - in.text_begin);
        if (list) {
          op.values.reserve(in.text_end - in.text_begin);
          for (uint64_t v = in.text_begin; v < in.text_end; ++v)
            op.values.push_back(std::move(sec.values[v]));
        }
      } else if (list) {
        const auto& dead = sec.dead_containers;  // sorted by id
        auto it = std::lower_bound(dead.begin(), dead.end(), in.id,
                                   [](const auto& dc, const OpId& id) { return dc.first < id; });
        for (; it != dead.end() && it->first.peer == in.id.peer &&
               it->first.counter - in.id.counter < in.len;
             ++it) {
          op.dead_containers.push_back(*it);
        }
      }
      op.ins.text_begin = 0;
      op.ins.text_end = op.text.size();
      all.push_back(std::move(op));
    }
    for (const DeleteOp& del : sec.ops.deletes) {
      PendingDocOp op;
      op.kind = PendingDocOp::kDelete;
      op.table = table;
      op.container = sec.container;
      op.del = del;
      all.push_back(std::move(op));
    }
  }
  for (MapOp& m : ops.map_ops) {
    PendingDocOp op;
    op.kind = PendingDocOp::kMap;
    op.table = table;
    op.container = m.container;
    op.map = std::move(m);
    all.push_back(std::move(op));
  }
  for (const CounterOp& cop : ops.counter_ops) {
    PendingDocOp op;
    op.kind = PendingDocOp::kCounter;
    op.table = table;
    op.container = cop.container;
    op.counter = cop;
    all.push_back(std::move(op));
  }
  for (const NoopRange& n : ops.noops) {
    PendingDocOp op;
    op.kind = PendingDocOp::kNoop;
    op.table = table;
    op.noop = n;
    all.push_back(std::move(op));
  }
  std::sort(all.begin(), all.end(), [](const PendingDocOp& a, const PendingDocOp& b) {
    return std::tuple(a.id(), a.len(), a.kind) < std::tuple(b.id(), b.len(), b.kind);
  });

  std::vector<PendingDocOp> work;
  auto run = [&](PendingDocOp& op) {
    OpId wait;
    Try t = applier.Run(op, &wait);
    if (t == Try::kApplied) {
      const PeerId p = op.id().peer;
      pending_->TakeReady(p, version_.get(p), &work);
    } else if (t == Try::kWait) {
      pending_->Add(std::move(op), wait);
    }
  };
  for (PendingDocOp& op : all) {
    run(op);
    while (!work.empty()) {
      PendingDocOp w = std::move(work.back());
      work.pop_back();
      run(w);
    }
  }
  while (!pending_->empty()) {
    pending_->Prune([this](PeerId p) { return version_.get(p); }, &work);
    if (work.empty()) break;
    const uint64_t before = res.applied_ops + res.dropped_ops;
    while (!work.empty()) {
      PendingDocOp w = std::move(work.back());
      work.pop_back();
      run(w);
    }
    if (res.applied_ops + res.dropped_ops == before) break;
  }
  res.pending_ops = pending_->ops();
  ShrinkGrownLists();
  if (result) *result = res;
  EmitEvents(/*local=*/false, origin);
  return Status::Ok();
}

}  // namespace tandem
