// Doc's core: the container table, transactions and their bookkeeping,
// memory use and the invariant check. Everything else a Doc does has its own
// file, named for it: events (doc_events.cc), paths (doc_path.cc), sticky
// positions (doc_sticky.cc), local edits through the handles (map_ref.cc,
// list_ref.cc, text_ref.cc, counter_ref.cc, doc_local_edit.cc), remote
// operations (doc_apply.cc), encoding (doc_collect.cc), snapshots
// (doc_snapshot.cc), JSON and sticky encoding (doc_json.cc).
#include "doc.h"

#include <algorithm>

#include "doc_pending.h"
#include "doc_state.h"

namespace tandem {

Doc::Doc(PeerId peer, DocLimits limits)
    : peer_(peer), limits_(limits), pending_(std::make_unique<DocPending>()) {
  AddNode(ContainerType::kMap, 0);  // the root
}

Doc::~Doc() = default;

uint32_t Doc::AddNode(ContainerType type, uint32_t parent) {
  std::unique_ptr<ContainerNode> n;
  switch (type) {
    case ContainerType::kMap: {
      auto m = std::make_unique<ContainerNodeOf<MapState>>();
      m->map = &m->state;
      n = std::move(m);
      break;
    }
    case ContainerType::kList:
    case ContainerType::kText: {
      auto q = std::make_unique<ContainerNodeOf<SeqState>>();
      q->seq = &q->state;
      n = std::move(q);
      break;
    }
    case ContainerType::kCounter: {
      auto k = std::make_unique<ContainerNodeOf<CounterState>>();
      k->counter = &k->state;
      n = std::move(k);
      break;
    }
  }
  n->type = type;
  n->parent = parent;
  nodes_.push_back(std::move(n));
  touched_mark_.push_back(false);
  return static_cast<uint32_t>(nodes_.size() - 1);
}

uint32_t Doc::depth(uint32_t c) const {
  return nodes_[c]->depth;
}

uint32_t Doc::ChildOf(uint32_t map, std::string_view key, ContainerType type) {
  MapState& m = *nodes_[map]->map;
  auto it = m.SlotOf(key);
  // Map nodes stay put while AddNode grows nodes_: `slot` stays valid.
  uint32_t& slot = it->second.child[static_cast<size_t>(type) - 1];
  if (slot == 0) {
    const uint32_t c = AddNode(type, map);
    ContainerNode& n = *nodes_[c];
    n.kind = ContainerKey::kMapChild;
    n.key.assign(key);
    n.depth = nodes_[map]->depth + 1;
    slot = c + 1;
    return c;
  }
  return slot - 1;
}

uint32_t Doc::NewItemContainer(uint32_t list, OpId item, ContainerType type) {
  const uint32_t c = AddNode(type, list);
  ContainerNode& n = *nodes_[c];
  n.kind = ContainerKey::kItem;
  n.item = item;
  n.depth = nodes_[list]->depth + 1;
  item_containers_.emplace(item, c);
  return c;
}

// ---- Transactions

Status Doc::BeginTransaction(std::string_view origin) {
  if (in_txn_) return Status::InvalidArgument("a transaction is already open");
  in_txn_ = true;
  txn_start_counter_ = version_.get(peer_);
  txn_origin_ = std::string(origin);
  txn_record_.ops.clear();
  return Status::Ok();
}

Status Doc::CommitTransaction(std::string* update) {
  if (!in_txn_) return Status::InvalidArgument("no transaction is open");
  in_txn_ = false;
  const uint64_t end = version_.get(peer_);
  std::string bytes;
  if (end > txn_start_counter_ && (update || update_listener_)) {
    bytes = EncodeLocalRange(txn_start_counter_, end);
  }
  for (uint32_t c : touched_) touched_mark_[c] = false;
  touched_.clear();
  txn_map_keys_.clear();
  ShrinkGrownLists();
  if (update) *update = bytes;
  if (!recorders_.empty() && !txn_record_.ops.empty()) {
    // Moved out first: a recorder may start the next transaction.
    LocalTxnRecord rec = std::move(txn_record_);
    txn_record_ = LocalTxnRecord();
    rec.origin = txn_origin_;
    auto recorders = recorders_;
    for (const auto& r : recorders) r.second(rec);
  }
  if (!bytes.empty() && update_listener_) update_listener_(bytes);
  EmitEvents(/*local=*/true, txn_origin_);
  return Status::Ok();
}

Status Doc::CheckWritable() const {
  return Status::Ok();
}

Status Doc::BeginImplicit(bool* implicit) {
  *implicit = !in_txn_;
  if (*implicit) return BeginTransaction();
  return Status::Ok();
}

void Doc::EndImplicit(bool implicit) {
  if (implicit) CommitTransaction(nullptr);
}

uint64_t Doc::TakeCounters(uint64_t n) {
  const uint64_t c = version_.get(peer_);
  version_.set(peer_, c + n);
  return c;
}

void Doc::Touch(uint32_t c) {
  if (!touched_mark_[c]) {
    touched_mark_[c] = true;
    touched_.push_back(c);
  }
}

void Doc::NoteGrown(uint32_t list) {
  if (grown_lists_.empty() || grown_lists_.back() != list) grown_lists_.push_back(list);
}

void Doc::ShrinkGrownLists() {
  for (uint32_t c : grown_lists_) nodes_[c]->seq->values.ShrinkGrown();
  grown_lists_.clear();
}

void Doc::AddNoop(PeerId peer, uint64_t counter, uint64_t len) {
  if (len == 0) return;
  auto& ranges = noops_[peer];
  uint64_t lo = counter, hi = counter + len;
  auto it = ranges.upper_bound(lo);
  if (it != ranges.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= lo) {
      lo = prev->first;
      hi = std::max(hi, prev->second);
      it = ranges.erase(prev);
    }
  }
  while (it != ranges.end() && it->first <= hi) {
    hi = std::max(hi, it->second);
    it = ranges.erase(it);
  }
  ranges.emplace(lo, hi);
}

// ---- Memory

uint64_t Doc::MemoryUsage() const {
  uint64_t n = sizeof(Doc) + pending_->MemoryUsage() + version_.entries().capacity() * 16 +
               item_containers_.size() * 40 + nodes_.capacity() * sizeof(void*);
  for (const auto& [p, ranges] : noops_) n += 48 + ranges.size() * 48;
  for (const auto& node : nodes_) {
    n += sizeof(ContainerNode) + node->key.capacity();
    if (node->seq) {
      n += sizeof(SeqState) + node->seq->seq.tree().MemoryUsage() +
           node->seq->seq.peers().MemoryUsage() + node->seq->deletes.MemoryUsage() +
           node->seq->values.MemoryUsage();
    } else if (node->map) {
      n += sizeof(MapState);
      for (const auto& [k, s] : node->map->slots)
        n += 48 + k.capacity() + sizeof(MapSlot) + s.value.HeapBytes();
    } else if (node->counter) {
      n += sizeof(CounterState) + node->counter->ops.capacity() * sizeof(CounterEntry);
    }
  }
  return n;
}

// ---- Invariants (tests)

Status Doc::CheckInvariants() const {
  for (uint32_t c = 0; c < nodes_.size(); ++c) {
    const ContainerNode& n = *nodes_[c];
    if (c > 0 && (n.parent >= nodes_.size() || n.depth != nodes_[n.parent]->depth + 1))
      return Status::Corrupt("container " + std::to_string(c) + " has a bad parent or depth");
    if (n.seq) {
      Status s = n.seq->seq.tree().Check();
      if (!s.ok()) return s.Prefixed("container " + std::to_string(c) + ": ");
      const PeerTable& peers = n.seq->seq.peers();
      for (const RunLeaf* l = n.seq->seq.tree().first_leaf(); l; l = l->next) {
        for (uint32_t i = 0; i < l->count; ++i) {
          if (l->runs[i].end() > version_.get(peers.id(l->runs[i].peer)))
            return Status::Corrupt("item beyond the version vector");
        }
      }
      for (const DeleteRun& d : n.seq->deletes.runs()) {
        if (d.end() > version_.get(peers.id(d.peer)))
          return Status::Corrupt("delete beyond the version vector");
      }
    } else if (n.map) {
      uint64_t present = 0;
      for (const auto& [key, slot] : n.map->slots) {
        if (slot.present) ++present;
        if (slot.written && !version_.contains(slot.id))
          return Status::Corrupt("map write beyond the version vector");
        if (slot.present && !slot.written) return Status::Corrupt("map value without a write");
      }
      if (present != n.map->present) return Status::Corrupt("map key count is off");
    } else if (n.counter) {
      int64_t sum = 0;
      for (const CounterEntry& e : n.counter->ops) {
        sum = WrapAdd(sum, e.delta);
        if (!version_.contains(e.id))
          return Status::Corrupt("counter add beyond the version vector");
      }
      if (sum != n.counter->value)
        return Status::Corrupt("counter value is not the sum of its adds");
    }
  }
  for (const auto& [item, c] : item_containers_) {
    if (c >= nodes_.size() || nodes_[c]->kind != ContainerKey::kItem || !(nodes_[c]->item == item))
      return Status::Corrupt("item container index is off");
  }
  return Status::Ok();
}

}  // namespace tandem
