// Doc::EncodeUpdate and the local transaction's update: gathers operations
// from the containers into DocOps for the codec.
#include "doc_collect.h"

#include <algorithm>

#include "doc_codec.h"
#include "doc_pending.h"
#include "doc_state.h"
#include "tandem.pb.h"
#include "utf8.h"

namespace tandem {

namespace {

void Put64(std::string* out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}

}  // namespace

uint32_t DocCollector::AddNode(uint32_t c) {
  auto it = by_node_.find(c);
  if (it != by_node_.end()) return it->second;
  const ContainerNode& n = doc_.node(c);
  ContainerKey k;
  k.kind = n.kind;
  k.type = n.type;
  if (n.kind == ContainerKey::kMapChild) {
    k.parent = AddNode(n.parent);
    k.key = n.key;
  } else if (n.kind == ContainerKey::kItem) {
    k.item = n.item;
  }
  const uint32_t i = Intern(std::move(k));
  by_node_.emplace(c, i);
  return i;
}

uint32_t DocCollector::AddForeign(const std::vector<ContainerKey>& table, uint32_t i) {
  ContainerKey k = table[i];
  if (k.kind == ContainerKey::kMapChild) k.parent = AddForeign(table, k.parent);
  return Intern(std::move(k));
}

uint32_t DocCollector::Intern(ContainerKey k) {
  // A name that says the same on every replica: the parent's (already in
  // the table) plus this entry's own part.
  std::string canon;
  if (k.kind == ContainerKey::kMapChild) {
    canon = canon_[k.parent] + "K";
    Put64(&canon, k.key.size());
    canon += k.key;
  } else if (k.kind == ContainerKey::kItem) {
    canon = "I";
    Put64(&canon, k.item.peer);
    Put64(&canon, k.item.counter);
  } else {
    canon = "R";
  }
  canon.push_back(static_cast<char>(k.type));
  auto it = by_canon_.find(canon);
  if (it != by_canon_.end()) return it->second;
  const uint32_t i = static_cast<uint32_t>(ops_.containers.size());
  ops_.containers.push_back(std::move(k));
  canon_.push_back(canon);
  by_canon_.emplace(std::move(canon), i);
  return i;
}

SequenceSection& DocCollector::Section(uint32_t table_index) {
  auto it = sections_.find(table_index);
  if (it != sections_.end()) return ops_.sequences[it->second];
  sections_.emplace(table_index, ops_.sequences.size());
  ops_.sequences.emplace_back();
  ops_.sequences.back().container = table_index;
  return ops_.sequences.back();
}

void DocCollector::AddRun(SequenceSection& sec, bool list, const SeqState& st, const Run& r,
                          std::string_view content, uint64_t skip, uint64_t end) {
  const PeerTable& peers = st.seq.peers();
  const PeerId pid = peers.id(r.peer);
  InsertOp op;
  op.id = OpId{pid, r.counter + skip};
  op.len = std::min<uint64_t>(r.end(), end) - op.id.counter;
  op.deleted = r.deleted();
  if (skip > 0) {
    op.left = OpId{pid, op.id.counter - 1};
  } else if (r.left_peer != kNoOrigin) {
    op.left = OpId{peers.id(r.left_peer - 1), r.left_counter};
  }
  if (r.right_peer != kNoOrigin) op.right = OpId{peers.id(r.right_peer - 1), r.right_counter};
  if (!op.deleted) {
    const size_t b0 = list ? skip : utf8::ByteOffsetOfCodePoint(content, skip);
    const size_t b1 = list ? skip + op.len
                           : b0 + utf8::ByteOffsetOfCodePoint(content.substr(b0), op.len);
    op.text_begin = sec.ops.text.size();
    sec.ops.text.append(content.substr(b0, b1 - b0));
    op.text_end = sec.ops.text.size();
    if (list) {
      for (uint64_t k = 0; k < op.len; ++k) {
        const std::optional<Value> v = st.values.Find(r.peer, op.id.counter + k);
        sec.values.push_back(v ? *v : Value::Null());
      }
    }
  } else if (list) {
    for (uint64_t k = 0; k < op.len; ++k) {
      const std::optional<Value> v = st.values.Find(r.peer, op.id.counter + k);
      if (v && v->is_container())
        sec.dead_containers.emplace_back(OpId{pid, op.id.counter + k}, v->container_type());
    }
  }
  // Snapshots merge rows that continue each other (document order).
  if (merge_runs_ && !sec.ops.inserts.empty()) {
    InsertOp& last = sec.ops.inserts.back();
    if (last.id.peer == op.id.peer && last.id.counter + last.len == op.id.counter &&
        last.deleted == op.deleted && op.left == OpId{pid, op.id.counter - 1} &&
        last.right == op.right && last.text_end == op.text_begin) {
      last.len += op.len;
      last.text_end = op.text_end;
      return;
    }
  }
  sec.ops.inserts.push_back(op);
}

void DocCollector::AddSequence(uint32_t c, const VersionVector& since) {
  const ContainerNode& n = doc_.node(c);
  const SeqState& st = *n.seq;
  const bool list = n.type == ContainerType::kList;
  const PeerTable& peers = st.seq.peers();
  SequenceSection* sec = nullptr;
  auto section = [&]() -> SequenceSection& {
    if (!sec) sec = &Section(AddNode(c));
    return *sec;
  };
  for (const RunLeaf* l = st.seq.tree().first_leaf(); l; l = l->next) {
    size_t off = 0;
    for (uint32_t i = 0; i < l->count; off += l->runs[i].bytes, ++i) {
      const Run& r = l->runs[i];
      const uint64_t known = since.get(peers.id(r.peer));
      if (r.end() <= known) continue;
      const uint64_t skip = known > r.counter ? known - r.counter : 0;
      AddRun(section(), list, st, r, std::string_view(l->text).substr(off, r.bytes), skip,
             UINT64_MAX);
    }
  }
  for (const DeleteRun& d : st.deletes.runs()) {
    const PeerId pid = peers.id(d.peer);
    const uint64_t known = since.get(pid);
    if (d.end() <= known) continue;
    const uint64_t skip = known > d.counter ? known - d.counter : 0;
    section().ops.deletes.push_back(DeleteOp{OpId{pid, d.counter + skip}, d.len - skip,
                                             OpId{peers.id(d.target_peer), d.target_at(skip)},
                                             d.backward});
  }
}

void DocCollector::AddSequenceRange(uint32_t c, uint64_t lo, uint64_t hi) {
  const ContainerNode& n = doc_.node(c);
  const SeqState& st = *n.seq;
  const bool list = n.type == ContainerType::kList;
  PeerIndex self;
  if (!st.seq.peers().Find(doc_.peer(), &self)) return;
  SequenceSection& sec = Section(AddNode(c));
  const RunTree& tree = st.seq.tree();
  for (uint64_t k = lo; k < hi;) {
    RunTree::Loc loc = tree.FindId(self, k);
    if (!loc.leaf) {
      k = std::max(k + 1, tree.index().NextItem(self, k));
      continue;
    }
    const Run& r = loc.run();
    AddRun(sec, list, st, r, loc.leaf->Content(loc.idx), loc.off, hi);
    k = std::min<uint64_t>(r.end(), hi);
  }
  const auto& log = st.deletes.runs();
  for (size_t i = log.size(); i > 0; --i) {
    const DeleteRun& d = log[i - 1];
    if (d.peer != self || d.end() <= lo) break;
    const uint64_t skip = d.counter < lo ? lo - d.counter : 0;
    sec.ops.deletes.push_back(DeleteOp{OpId{doc_.peer(), d.counter + skip}, d.len - skip,
                                       OpId{st.seq.peers().id(d.target_peer), d.target_at(skip)},
                                       d.backward});
  }
}

void DocCollector::AddMapSlot(uint32_t c, const std::string& key, const MapSlot& s) {
  MapOp m;
  m.id = s.id;
  m.container = AddNode(c);
  m.lamport = s.lamport;
  m.key = key;
  m.deleted = !s.present;
  if (s.present) m.value = s.value;
  ops_.map_ops.push_back(std::move(m));
}

void DocCollector::AddAll(const VersionVector& since) {
  for (uint32_t c = 0; c < doc_.container_count(); ++c) {
    const ContainerNode& n = doc_.node(c);
    if (n.seq) {
      AddSequence(c, since);
    } else if (n.map) {
      for (const auto& [key, s] : n.map->slots) {
        if (s.written && s.id.counter >= since.get(s.id.peer)) AddMapSlot(c, key, s);
      }
    } else if (n.counter) {
      for (const CounterEntry& e : n.counter->ops) {
        if (e.id.counter >= since.get(e.id.peer))
          ops_.counter_ops.push_back(CounterOp{e.id, AddNode(c), e.delta});
      }
    }
  }
  for (const auto& [peer, ranges] : doc_.noops_) {
    const uint64_t known = since.get(peer);
    for (auto it = ranges.lower_bound(0); it != ranges.end(); ++it) {
      if (it->second <= known) continue;
      const uint64_t lo = std::max(it->first, known);
      ops_.noops.push_back(NoopRange{OpId{peer, lo}, it->second - lo});
    }
  }
}

void DocCollector::AddLocalRange(uint64_t lo, uint64_t hi) {
  const PeerId self = doc_.peer();
  for (uint32_t c : doc_.touched_) {
    const ContainerNode& n = doc_.node(c);
    if (n.seq) {
      AddSequenceRange(c, lo, hi);
    } else if (n.counter) {
      const auto& v = n.counter->ops;
      for (size_t i = v.size(); i > 0 && v[i - 1].id.peer == self && v[i - 1].id.counter >= lo; --i)
        ops_.counter_ops.push_back(CounterOp{v[i - 1].id, AddNode(c), v[i - 1].delta});
    }
  }
  // Map writes: the keys the transaction wrote (a key written twice is one
  // winner; the earlier write is a no-op below).
  std::vector<std::pair<uint32_t, std::string>> keys = doc_.txn_map_keys_;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const auto& [c, key] : keys) {
    const auto& slots = doc_.node(c).map->slots;
    auto s = slots.find(key);
    if (s != slots.end() && s->second.written && s->second.id.peer == self &&
        s->second.id.counter >= lo && s->second.id.counter < hi) {
      AddMapSlot(c, key, s->second);
    }
  }
  auto it = doc_.noops_.find(self);
  if (it != doc_.noops_.end()) {
    auto r = it->second.upper_bound(lo);
    if (r != it->second.begin()) --r;
    for (; r != it->second.end() && r->first < hi; ++r) {
      const uint64_t a = std::max(r->first, lo), b = std::min(r->second, hi);
      if (a < b) ops_.noops.push_back(NoopRange{OpId{self, a}, b - a});
    }
  }
}

void DocCollector::AddPending() {
  for (const auto& [wait, op] : doc_.pending_->all()) {
    switch (op.kind) {
      case PendingDocOp::kInsert: {
        SequenceSection& sec = Section(AddForeign(*op.table, op.container));
        InsertOp in = op.ins;
        if (!in.deleted) {
          in.text_begin = sec.ops.text.size();
          sec.ops.text += op.text;
          in.text_end = sec.ops.text.size();
          for (const Value& v : op.values) sec.values.push_back(v);
        }
        for (const auto& dc : op.dead_containers) sec.dead_containers.push_back(dc);
        sec.ops.inserts.push_back(in);
        break;
      }
      case PendingDocOp::kDelete:
        Section(AddForeign(*op.table, op.container)).ops.deletes.push_back(op.del);
        break;
      case PendingDocOp::kMap: {
        MapOp m = op.map;
        m.container = AddForeign(*op.table, op.container);
        ops_.map_ops.push_back(std::move(m));
        break;
      }
      case PendingDocOp::kCounter: {
        CounterOp cop = op.counter;
        cop.container = AddForeign(*op.table, op.container);
        ops_.counter_ops.push_back(cop);
        break;
      }
      case PendingDocOp::kNoop: ops_.noops.push_back(op.noop); break;
    }
  }
}

std::string Doc::EncodeUpdate(const VersionVector& since) const {
  DocCollector col(*this, /*merge_runs=*/false);
  col.AddAll(since);
  return EncodeDocOps(col.Take());
}

std::string Doc::EncodeLocalRange(uint64_t lo, uint64_t hi) const {
  DocCollector col(*this, /*merge_runs=*/false);
  col.AddLocalRange(lo, hi);
  return EncodeDocOps(col.Take());
}

}  // namespace tandem
