// Doc::EncodeSnapshot / Doc::DecodeSnapshot: the whole document <->
// a Snapshot envelope around a DocSnapshotBody. Decoding validates and builds
// each sequence's tree directly (RunTree::Load); it does not replay.
#include <algorithm>
#include <optional>

#include "tandem.pb.h"

#include "doc.h"
#include "doc_codec.h"
#include "doc_collect.h"
#include "doc_pending.h"
#include "doc_state.h"
#include "format.h"
#include "snapshot_envelope.h"
#include "snapshot_runs.h"
#include "utf8.h"

namespace tandem {

std::string Doc::EncodeSnapshot() const {
  wire::DocSnapshotBody body;
  DocCollector state(*this, /*merge_runs=*/true);
  state.AddAll(VersionVector{});
  EncodeDocMessage(state.Take(), InsertOrder::kAsGiven, body.mutable_state());
  if (!pending_->empty()) {
    DocCollector pending(*this, /*merge_runs=*/false);
    pending.AddPending();
    EncodeDocMessage(pending.Take(), InsertOrder::kById, body.mutable_pending());
  }
  // The list decimals, bit-packed, are as dense as deflate would make them:
  // they go into the envelope undeflated (docs/format.md), and a load
  // spends a fifth of the time inflating (a whiteboard: 1.5 ms, not 8).
  std::string stored;
  wire::Values& values = *body.mutable_state()->mutable_list_values();
  if (!values.decimal_bits().empty()) {
    wire::DocSnapshotBody tail;
    tail.mutable_state()->mutable_list_values()->set_allocated_decimal_bits(
        values.release_decimal_bits());
    tail.SerializeToString(&stored);
  }
  if (values.ByteSizeLong() == 0) body.mutable_state()->clear_list_values();
  std::string bytes;
  body.SerializeToString(&bytes);
  return WrapSnapshot(bytes, format::kDocSnapshotVersion, std::move(stored));
}

// Builds a Doc from a decoded state.
class DocSnapshotLoader {
 public:
  DocSnapshotLoader(Doc* doc, DocOps* ops) : d_(*doc), ops_(*ops) {}

  Status Load() {
    Status s = Versions();
    if (!s.ok()) return s;
    const size_t nc = ops_.containers.size();
    node_of_.assign(nc, UINT32_MAX);
    // About one node per table entry is made below: grown once, not log n
    // times (a whiteboard's 20,000 small containers).
    d_.nodes_.reserve(d_.nodes_.size() + nc);
    d_.touched_mark_.reserve(d_.nodes_.size() + nc);
    // Containers named by map keys and the root resolve at once; those made
    // by list elements appear as their lists load. Load sections whose
    // container is known until none is left.
    std::vector<size_t> todo(ops_.sequences.size());
    for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
    while (!todo.empty()) {
      std::vector<size_t> later;
      for (size_t i : todo) {
        uint32_t c = UINT32_MAX;
        s = Resolve(ops_.sequences[i].container, &c);
        if (!s.ok()) return s;
        if (c == UINT32_MAX) {
          later.push_back(i);
          continue;
        }
        s = LoadSequence(c, ops_.sequences[i]);
        if (!s.ok()) return s;
      }
      if (later.size() == todo.size())
        return Status::Corrupt("snapshot names a container no list element made");
      todo = std::move(later);
    }
    s = LoadMapWrites();
    if (!s.ok()) return s;
    for (const CounterOp& op : ops_.counter_ops) {
      uint32_t c = UINT32_MAX;
      s = Resolve(op.container, &c);
      if (!s.ok()) return s;
      if (c == UINT32_MAX)
        return Status::Corrupt("snapshot names a container no list element made");
      CounterState& st = *d_.nodes_[c]->counter;
      st.ops.push_back(CounterEntry{op.id, op.delta});
      st.value = WrapAdd(st.value, op.delta);
    }
    for (const NoopRange& n : ops_.noops) d_.AddNoop(n.id.peer, n.id.counter, n.len);
    d_.version_ = version_;
    return Status::Ok();
  }

 private:
  // Calls fn(id, len) for every operation's id range.
  template <typename Fn>
  void ForEachRange(Fn&& fn) const {
    for (const SequenceSection& sec : ops_.sequences) {
      for (const InsertOp& op : sec.ops.inserts) fn(op.id, op.len);
      for (const DeleteOp& op : sec.ops.deletes) fn(op.id, op.len);
    }
    for (const MapOp& m : ops_.map_ops) fn(m.id, uint64_t{1});
    for (const CounterOp& c : ops_.counter_ops) fn(c.id, uint64_t{1});
    for (const NoopRange& n : ops_.noops) fn(n.id, n.len);
  }

  // Each peer's operations must cover [0, next) exactly once: that is what
  // makes the implied version vector true. With few peers and ids not far
  // beyond the operations' count (every real document), a bitmap of each
  // peer's ids shows it in two linear passes: no two ranges may share an id,
  // and the lengths must add up to the largest end. Otherwise (hostile
  // lengths, many peers, an empty range) the ranges are sorted.
  Status Versions() {
    struct PeerIds {
      PeerId peer;
      uint64_t sum = 0, end = 0, offset = 0;
    };
    constexpr size_t kMaxPeers = 64;
    std::vector<PeerIds> peers;
    size_t last = 0, count = 0;
    bool plain = true;
    ForEachRange([&](const OpId& id, uint64_t len) {
      if (!plain) return;
      ++count;
      if (peers.empty() || peers[last].peer != id.peer) {
        last = 0;
        while (last < peers.size() && peers[last].peer != id.peer) ++last;
        if (last == peers.size()) {
          if (peers.size() == kMaxPeers) return void(plain = false);
          peers.push_back(PeerIds{id.peer});
        }
      }
      PeerIds& p = peers[last];
      // Counters are below 2^62 and lengths 2^32 (checked when decoded):
      // these sums cannot wrap before `plain` turns false.
      if (len == 0 || id.counter > kMaxCounter || len > kMaxCounter) return void(plain = false);
      p.sum += len;
      p.end = std::max(p.end, id.counter + len);
      if (p.sum > kMaxCounter) plain = false;
    });
    // The bitmap takes at most 8 bytes per operation (or 512 KiB).
    const uint64_t max_bits = std::max<uint64_t>(uint64_t{1} << 22, 64 * uint64_t{count});
    uint64_t bits = 0;
    for (PeerIds& p : peers) {
      if (!plain) break;
      if (p.sum != p.end)
        return Status::Corrupt("snapshot operations of a peer are not contiguous");
      p.offset = bits;
      bits += p.end;  // each end <= 2^62: no wrap before the check below
      if (bits > max_bits) plain = false;
    }
    if (!plain) return VersionsBySort();
    std::vector<uint64_t> seen((bits + 63) / 64, 0);
    bool overlap = false;
    last = 0;
    ForEachRange([&](const OpId& id, uint64_t len) {
      if (peers[last].peer != id.peer) {
        last = 0;
        while (peers[last].peer != id.peer) ++last;
      }
      uint64_t b = peers[last].offset + id.counter;
      const uint64_t e = b + len;
      while (b < e) {
        const uint64_t word = b / 64, lo = b % 64;
        const uint64_t n = std::min<uint64_t>(64 - lo, e - b);
        const uint64_t mask = (n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1)) << lo;
        overlap |= (seen[word] & mask) != 0;
        seen[word] |= mask;
        b += n;
      }
    });
    // No overlap and the lengths add up to the end: every id is covered.
    if (overlap) return Status::Corrupt("snapshot operations of a peer are not contiguous");
    std::sort(peers.begin(), peers.end(),
              [](const PeerIds& a, const PeerIds& b) { return a.peer < b.peer; });
    for (const PeerIds& p : peers) version_.set(p.peer, p.end);
    return Status::Ok();
  }

  Status VersionsBySort() {
    std::vector<std::pair<OpId, uint64_t>> ranges;
    ForEachRange([&](const OpId& id, uint64_t len) { ranges.emplace_back(id, len); });
    std::sort(ranges.begin(), ranges.end());
    PeerId peer = 0;
    uint64_t next = 0;
    for (size_t i = 0; i < ranges.size(); ++i) {
      const auto& [id, len] = ranges[i];
      if (i == 0 || id.peer != peer) {
        if (i > 0) version_.set(peer, next);
        peer = id.peer;
        next = 0;
      }
      if (id.counter != next)
        return Status::Corrupt("snapshot operations of a peer are not contiguous");
      next = id.counter + len;
    }
    if (!ranges.empty()) version_.set(peer, next);
    return Status::Ok();
  }

  // Table entry -> node (UINT32_MAX: an element's container not made yet).
  Status Resolve(uint32_t i, uint32_t* out) {
    if (node_of_[i] != UINT32_MAX) {
      *out = node_of_[i];
      return Status::Ok();
    }
    const ContainerKey& k = ops_.containers[i];
    uint32_t c = UINT32_MAX;
    if (k.kind == ContainerKey::kRoot) {
      c = 0;
    } else if (k.kind == ContainerKey::kMapChild) {
      uint32_t parent;
      Status s = Resolve(k.parent, &parent);
      if (!s.ok()) return s;
      if (parent != UINT32_MAX) {
        if (d_.nodes_[parent]->depth + 1 > d_.limits_.max_depth)
          return Status::Corrupt("snapshot nests containers deeper than max_depth");
        c = d_.ChildOf(parent, k.key, k.type);
      }
    } else {
      auto it = d_.item_containers_.find(k.item);
      if (it != d_.item_containers_.end()) {
        if (d_.nodes_[it->second]->type != k.type)
          return Status::Corrupt("snapshot container type differs from its element's value");
        c = it->second;
      }
    }
    node_of_[i] = c;
    *out = c;
    return Status::Ok();
  }

  // Map writes come by id, which in a large map is random key order: one
  // search per write from the root of, say, 10,000 shape ids, a chain of
  // cache misses. So the writes are grouped by map (a counting sort, which
  // keeps each map's writes in id order) and a large map's are put in key
  // order: its slots are then found by walking forward from the previous
  // one (keys made by children are already there), one pass over the map.
  // The key order is sorted on an 8-byte prefix in a compact array: sorting
  // the writes themselves would reach into them at random.
  Status LoadMapWrites() {
    const size_t n = ops_.map_ops.size();
    if (n == 0) return Status::Ok();
    std::vector<uint32_t> node(n);
    for (size_t i = 0; i < n; ++i) {
      Status s = Resolve(ops_.map_ops[i].container, &node[i]);
      if (!s.ok()) return s;
      if (node[i] == UINT32_MAX)
        return Status::Corrupt("snapshot names a container no list element made");
    }
    // After resolving: that can make nodes (a map's child named first here).
    std::vector<uint32_t> start(d_.nodes_.size() + 1, 0);
    for (uint32_t c : node) ++start[c + 1];
    for (size_t c = 1; c < start.size(); ++c) start[c] += start[c - 1];
    std::vector<uint32_t> order(n);
    {
      std::vector<uint32_t> next(start.begin(), start.end() - 1);
      for (uint32_t i = 0; i < n; ++i) order[next[node[i]]++] = i;
    }
    constexpr size_t kSmallMap = 16;  // searched per write, in cache
    struct Keyed {
      uint64_t prefix;  // the key's first 8 bytes, big-endian: byte order
      uint32_t row;
    };
    std::vector<Keyed> keyed;
    for (size_t c = 0; c + 1 < start.size(); ++c) {
      const uint32_t b = start[c], e = start[c + 1];
      if (e == b) continue;
      MapState& st = *d_.nodes_[c]->map;
      const bool walk = e - b > kSmallMap;
      if (walk) {
        keyed.clear();
        for (uint32_t k = b; k < e; ++k) {
          const std::string& key = ops_.map_ops[order[k]].key;
          uint64_t p = 0;
          for (size_t j = 0; j < 8; ++j)
            p = (p << 8) | (j < key.size() ? static_cast<unsigned char>(key[j]) : 0);
          keyed.push_back(Keyed{p, order[k]});
        }
        std::sort(keyed.begin(), keyed.end(), [&](const Keyed& x, const Keyed& y) {
          if (x.prefix != y.prefix) return x.prefix < y.prefix;
          return ops_.map_ops[x.row].key < ops_.map_ops[y.row].key;
        });
        for (uint32_t k = b; k < e; ++k) order[k] = keyed[k - b].row;
      }
      auto it = st.slots.begin();
      for (uint32_t k = b; k < e; ++k) {
        MapOp& m = ops_.map_ops[order[k]];
        if (walk) {
          while (it != st.slots.end() && it->first < m.key) ++it;
          if (it == st.slots.end() || it->first != m.key)
            it = st.slots.emplace_hint(it, m.key, MapSlot{});
        } else {
          it = st.SlotOf(m.key);
        }
        MapSlot& slot = it->second;
        if (slot.written) return Status::Corrupt("snapshot holds two writes of one map key");
        slot.id = m.id;
        slot.lamport = m.lamport;
        slot.written = true;
        slot.present = !m.deleted;
        if (slot.present) {
          if (m.value.is_container() && d_.nodes_[c]->depth + 1 > d_.limits_.max_depth)
            return Status::Corrupt("snapshot nests containers deeper than max_depth");
          slot.value = std::move(m.value);
          ++st.present;
        }
        d_.lamport_ = std::max(d_.lamport_, m.lamport);
      }
    }
    return Status::Ok();
  }

  // The runs carry the outcome of the deletes, so no delete may target an
  // item that a run holds visible (a replica that replays the operations,
  // from EncodeUpdate, would delete it: another document).
  static Status CheckDeletesMatchRuns(const UpdateOps& ops) {
    if (ops.deletes.empty()) return Status::Ok();
    std::vector<std::pair<OpId, uint64_t>> visible;  // rows are disjoint (Versions)
    for (const InsertOp& op : ops.inserts)
      if (!op.deleted) visible.emplace_back(op.id, op.len);
    std::sort(visible.begin(), visible.end());
    for (const DeleteOp& d : ops.deletes) {
      const OpId lo{d.target.peer, d.target_low()};
      const uint64_t hi = d.target_high();
      auto it = std::upper_bound(visible.begin(), visible.end(), std::pair(lo, UINT64_MAX));
      if (it != visible.begin()) {
        const auto& [id, len] = *std::prev(it);
        if (id.peer == lo.peer && lo.counter - id.counter < len)
          return Status::Corrupt("snapshot deletes an item it holds visible");
      }
      if (it != visible.end() && it->first.peer == lo.peer && it->first.counter <= hi)
        return Status::Corrupt("snapshot deletes an item it holds visible");
    }
    return Status::Ok();
  }

  Status LoadSequence(uint32_t c, SequenceSection& sec) {
    ContainerNode& n = *d_.nodes_[c];
    if (n.seq->seq.size().items > 0 || !n.seq->deletes.runs().empty())
      return Status::Corrupt("snapshot holds two sections for one container");
    const bool list = n.type == ContainerType::kList;
    Status s = CheckDeletesMatchRuns(sec.ops);
    if (!s.ok()) return s;
    Sequence& seq = n.seq->seq;
    PeerTable& table = seq.peers();
    auto local = [&table](PeerId id) { return table.Intern(id); };
    const UpdateOps& ops = sec.ops;
    // Rows are in document order and their visible content takes the text
    // in row order exactly (DecodeRunColumns checked): it is the content.
    // (An error below leaves the tree half loaded: the document is dropped.)
    RunTree::Loader loader(&seq.tree(), ops.text, ops.inserts.size());
    for (const InsertOp& op : ops.inserts) {
      ForEachSnapshotRun(
          op, std::string_view(ops.text).substr(op.text_begin, op.text_end - op.text_begin),
          ops.ascii || list, local, [&loader](const Run& r) { loader.Add(r); });
      if (list && !op.deleted && !sec.doubles.empty()) {
        // Plain doubles (scalars: no container to make). A list pushed in
        // one go is one row: take the whole vector.
        std::vector<double> ds;
        if (op.text_begin == 0 && op.len == sec.doubles.size()) {
          ds = std::move(sec.doubles);
        } else {
          ds.assign(sec.doubles.begin() + static_cast<ptrdiff_t>(op.text_begin),
                    sec.doubles.begin() + static_cast<ptrdiff_t>(op.text_begin + op.len));
        }
        n.seq->values.PutDoubles(local(op.id.peer), op.id.counter, std::move(ds));
      } else if (list && !op.deleted) {
        // The row's values: row `op` holds values [text_begin, text_end).
        // A list pushed in one go is one row: take the whole vector.
        std::vector<Value> vals;
        if (op.text_begin == 0 && op.len == sec.values.size()) {
          vals = std::move(sec.values);
        } else {
          auto first = sec.values.begin() + static_cast<ptrdiff_t>(op.text_begin);
          vals.assign(std::make_move_iterator(first),
                      std::make_move_iterator(first + static_cast<ptrdiff_t>(op.len)));
        }
        for (uint64_t k = 0; k < op.len && !sec.scalars_only; ++k) {
          const Value& v = vals[k];
          if (v.is_container()) {
            if (n.depth + 1 > d_.limits_.max_depth)
              return Status::Corrupt("snapshot nests containers deeper than max_depth");
            const OpId id{op.id.peer, op.id.counter + k};
            if (d_.item_containers_.count(id))
              return Status::Corrupt("snapshot repeats an element id");
            d_.NewItemContainer(c, id, v.container_type());
          }
        }
        n.seq->values.Put(local(op.id.peer), op.id.counter, std::move(vals));
      }
    }
    for (const auto& [id, type] : sec.dead_containers) {
      if (n.depth + 1 > d_.limits_.max_depth)
        return Status::Corrupt("snapshot nests containers deeper than max_depth");
      if (d_.item_containers_.count(id)) return Status::Corrupt("snapshot repeats an element id");
      d_.NewItemContainer(c, id, type);
      std::vector<Value> one;
      one.push_back(Value::Container(type));
      n.seq->values.Put(local(id.peer), id.counter, std::move(one));
    }
    if (!loader.Finish()) return Status::Corrupt("snapshot runs share an id");
    n.seq->deletes.Reserve(ops.deletes.size());
    for (const DeleteOp& op : ops.deletes) {
      const PeerIndex self = local(op.id.peer), target = local(op.target.peer);
      for (uint64_t done = 0; done < op.len;) {
        const uint32_t k = static_cast<uint32_t>(std::min<uint64_t>(op.len - done, UINT32_MAX));
        n.seq->deletes.Append(self, op.id.counter + done, k, target,
                              op.backward ? op.target.counter - done : op.target.counter + done,
                              op.backward);
        done += k;
      }
    }
    return Status::Ok();
  }

  Doc& d_;
  DocOps& ops_;
  std::vector<uint32_t> node_of_;
  VersionVector version_;
};

// Decodes a snapshot's state and pending operations, checking every column.
// The inflated body and the parsed message are freed on return, before the
// document is built: the megabytes they held are reused for its nodes
// rather than fresh pages (a page fault costs microseconds on a VM).
static Status DecodeSnapshotOps(std::string_view bytes, DocOps* state,
                                std::optional<DocOps>* pending) {
  SnapshotBody unwrapped;
  Status s = UnwrapSnapshot(bytes, format::kDocSnapshotVersion, &unwrapped);
  if (!s.ok()) return s;
  // An arena: a document's body holds thousands of small messages and
  // repeated fields (a few per container); one arena frees them at once.
  google::protobuf::Arena arena(
      SnapshotArenaOptions(unwrapped.bytes().size() + unwrapped.stored().size()));
  wire::DocSnapshotBody& msg =
      *google::protobuf::Arena::CreateMessage<wire::DocSnapshotBody>(&arena);
  if (!ParseSnapshotBody(unwrapped, &msg))
    return Status::Corrupt("snapshot body is not a valid protobuf message");
  s = DecodeDocMessage(msg.state(), state, /*list_doubles=*/true);
  if (!s.ok()) return s.Prefixed("snapshot state: ");
  if (msg.has_pending()) {
    s = DecodeDocMessage(msg.pending(), &pending->emplace());
    if (!s.ok()) return Status::Corrupt("snapshot pending operations: " + s.message());
  }
  return Status::Ok();
}

Status Doc::DecodeSnapshot(std::string_view bytes, PeerId peer, std::unique_ptr<Doc>* out,
                           DocLimits limits) {
  DocOps state;
  std::optional<DocOps> pending;
  Status s = DecodeSnapshotOps(bytes, &state, &pending);
  if (!s.ok()) return s;
  auto doc = std::make_unique<Doc>(peer, limits);
  DocSnapshotLoader loader(doc.get(), &state);
  s = loader.Load();
  if (!s.ok()) return s;
  if (pending) {
    uint64_t rows = pending->map_ops.size() + pending->counter_ops.size() + pending->noops.size();
    for (const auto& sec : pending->sequences)
      rows += sec.ops.inserts.size() + sec.ops.deletes.size();
    if (rows > limits.max_pending_ops)
      return Status::LimitExceeded("snapshot holds more pending operations than max_pending_ops");
    doc->ApplyOps(std::move(*pending), "snapshot", nullptr);
  }
  *out = std::move(doc);
  return Status::Ok();
}

}  // namespace tandem
