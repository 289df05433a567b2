#include "doc_codec.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "tandem.pb.h"

#include "column_helpers.h"
#include "columns.h"
#include "container_columns.h"
#include "format.h"
#include "list_sections.h"
#include "map_write_rows.h"
#include "stack_arena.h"
#include "update_codec.h"
#include "utf8.h"
#include "value_column.h"

namespace tandem {

namespace {

using column::AddDelta;
using column::CounterDeltas;
using column::CounterReader;
using column::PutRuns;
using column::RunReader;

// Sort key of a container name: parents are prefixes of their children.
std::string NameKey(const std::vector<ContainerKey>& table, uint32_t i, int depth = 0) {
  const ContainerKey& k = table[i];
  std::string out;
  auto put64 = [&out](uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
  };
  switch (k.kind) {
    case ContainerKey::kRoot: out.push_back('\0'); break;
    case ContainerKey::kItem:
      out.push_back('\2');
      put64(k.item.peer);
      put64(k.item.counter);
      out.push_back(static_cast<char>(k.type));
      break;
    case ContainerKey::kMapChild:
      // Parents come first in valid tables; depth guards a malformed one.
      out = depth < 256 && k.parent < i ? NameKey(table, k.parent, depth + 1) : std::string();
      out.push_back('\1');
      put64(k.key.size());
      out += k.key;
      out.push_back(static_cast<char>(k.type));
      break;
  }
  return out;
}

}  // namespace

void EncodeContainerTable(const std::vector<ContainerKey>& table, const PeerList& peers,
                          google::protobuf::RepeatedPtrField<wire::ContainerRef>* out) {
  for (const ContainerKey& k : table) {
    wire::ContainerRef* ref = out->Add();
    ref->set_kind(k.kind);
    ref->set_type(static_cast<uint32_t>(k.type));
    if (k.kind == ContainerKey::kMapChild) {
      ref->set_parent(k.parent);
      ref->set_key(k.key);
    } else if (k.kind == ContainerKey::kItem) {
      ref->set_item_peer(peers.Index(k.item.peer));
      ref->set_item_counter(k.item.counter);
    }
  }
}

Status DecodeContainerTable(const google::protobuf::RepeatedPtrField<wire::ContainerRef>& in,
                            std::span<const PeerId> peers, std::vector<ContainerKey>* out) {
  // Parents before children, so no cycle can be written down.
  const size_t nc = static_cast<size_t>(in.size());
  out->resize(nc);
  for (size_t i = 0; i < nc; ++i) {
    const wire::ContainerRef& ref = in.Get(static_cast<int>(i));
    ContainerKey& k = (*out)[i];
    if (!IsContainerType(ref.type())) return Status::Corrupt("unknown container type");
    k.type = static_cast<ContainerType>(ref.type());
    switch (ref.kind()) {
      case ContainerKey::kRoot:
        if (k.type != ContainerType::kMap) return Status::Corrupt("the root container is a map");
        k.kind = ContainerKey::kRoot;
        break;
      case ContainerKey::kMapChild:
        if (ref.parent() >= i) return Status::Corrupt("container refers to a later parent");
        if ((*out)[ref.parent()].type != ContainerType::kMap)
          return Status::Corrupt("container's parent is not a map");
        if (!utf8::Validate(ref.key(), nullptr)) return Status::Corrupt("map key is not UTF-8");
        k.kind = ContainerKey::kMapChild;
        k.parent = ref.parent();
        k.key = ref.key();
        break;
      case ContainerKey::kItem:
        if (ref.item_peer() >= peers.size() || ref.item_counter() > kMaxCounter)
          return Status::Corrupt("container item id out of range");
        k.kind = ContainerKey::kItem;
        k.item = OpId{peers[ref.item_peer()], ref.item_counter()};
        break;
      default: return Status::Corrupt("unknown container kind");
    }
  }
  return Status::Ok();
}

void EncodeDocMessage(DocOps ops, InsertOrder order, wire::DocUpdate* msg) {
  msg->set_format_version(format::kDocUpdateVersion);

  // Canonical container table.
  const size_t nc = ops.containers.size();
  std::vector<std::string> keys(nc);
  for (uint32_t i = 0; i < nc; ++i) keys[i] = NameKey(ops.containers, i);
  std::vector<uint32_t> perm(nc);
  std::iota(perm.begin(), perm.end(), 0u);
  std::sort(perm.begin(), perm.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  std::vector<uint32_t> where(nc);
  for (uint32_t i = 0; i < nc; ++i) where[perm[i]] = i;

  // Peers.
  PeerList peers;
  for (const SequenceSection& s : ops.sequences) peers.AddAll(s.ops);
  for (const MapOp& m : ops.map_ops) peers.Add(m.id.peer);
  for (const CounterOp& c : ops.counter_ops) peers.Add(c.id.peer);
  for (const NoopRange& n : ops.noops) peers.Add(n.id.peer);
  for (const ContainerKey& k : ops.containers)
    if (k.kind == ContainerKey::kItem) peers.Add(k.item.peer);
  peers.Seal();
  for (PeerId id : peers.ids()) msg->add_peers(id);

  std::vector<ContainerKey> sorted(nc);
  for (uint32_t i = 0; i < nc; ++i) {
    sorted[i] = ops.containers[perm[i]];
    if (sorted[i].kind == ContainerKey::kMapChild) sorted[i].parent = where[sorted[i].parent];
  }
  // Keys: the message's table with the container columns, else MapOps' own.
  std::vector<std::string_view> key_table;
  std::vector<std::string> map_keys;
  const bool columns = UseContainerColumns(nc);
  const bool map_rows = UseMapWriteRows(ops.map_ops.size(), columns);
  if (columns) {
    key_table = EncodeKeyTable(sorted, ops.map_ops, msg);
    EncodeContainerColumns(sorted, peers, key_table, msg->mutable_container_columns());
  } else {
    // The root map alone is implied by no table.
    if (!(nc == 1 && sorted[0].kind == ContainerKey::kRoot))
      EncodeContainerTable(sorted, peers, msg->mutable_containers());
    if (!map_rows)
      for (const MapOp& m : ops.map_ops) map_keys.push_back(m.key);
    std::sort(map_keys.begin(), map_keys.end());
    map_keys.erase(std::unique(map_keys.begin(), map_keys.end()), map_keys.end());
    key_table.assign(map_keys.begin(), map_keys.end());
  }

  // Sequences.
  std::optional<ValueColumnWriter> list_values;  // made by the first list value
  for (SequenceSection& s : ops.sequences) s.container = where[s.container];
  std::sort(
      ops.sequences.begin(), ops.sequences.end(),
      [](const SequenceSection& a, const SequenceSection& b) { return a.container < b.container; });
  auto is_list = [&](const SequenceSection& s) {
    return ops.containers[perm[s.container]].type == ContainerType::kList;
  };
  const bool list_sections = UseListSections(static_cast<size_t>(
      std::count_if(ops.sequences.begin(), ops.sequences.end(), is_list)));
  std::vector<SequenceSection*> lists;  // when list_sections
  for (SequenceSection& s : ops.sequences) {
    const bool list = is_list(s);
    if (order == InsertOrder::kById) {
      if (list) {
        // Sort rows with their values first (a list's placeholder text
        // offsets are value indices), so that Canonicalize keeps the order.
        std::vector<size_t> idx(s.ops.inserts.size());
        std::iota(idx.begin(), idx.end(), size_t{0});
        std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
          const InsertOp& x = s.ops.inserts[a];
          const InsertOp& y = s.ops.inserts[b];
          return std::tuple(x.id, x.len, x.deleted, x.left, x.right) <
                 std::tuple(y.id, y.len, y.deleted, y.left, y.right);
        });
        std::vector<InsertOp> rows;
        std::vector<Value> values;
        rows.reserve(idx.size());
        values.reserve(s.values.size());
        for (size_t i : idx) {
          InsertOp op = s.ops.inserts[i];
          const uint64_t b = values.size();
          for (uint64_t v = op.text_begin; v < op.text_end; ++v)
            values.push_back(std::move(s.values[v]));
          op.text_begin = b;
          op.text_end = values.size();
          rows.push_back(op);
        }
        s.ops.inserts = std::move(rows);
        s.values = std::move(values);
        s.ops.text.assign(s.values.size(), kListItemPlaceholder);
      }
      Canonicalize(&s.ops);
    } else {
      UpdateOps dels;
      dels.deletes = std::move(s.ops.deletes);
      Canonicalize(&dels);
      s.ops.deletes = std::move(dels.deletes);
    }
    if (list && list_sections) {
      lists.push_back(&s);
      continue;
    }
    wire::SequenceOps* out = msg->add_sequences();
    out->set_container(s.container);
    if (!s.ops.inserts.empty()) {
      if (!list) {
        EncodeRunColumns(s.ops.inserts, s.ops.text, peers, out->mutable_inserts());
      } else {
        EncodeListRunColumns(s.ops.inserts, peers, out->mutable_inserts());
        for (const InsertOp& op : s.ops.inserts) {
          if (op.deleted) continue;
          if (!list_values) list_values.emplace(msg->mutable_list_values());
          for (uint64_t v = op.text_begin; v < op.text_end; ++v)
            list_values->Add(s.values[v], false);
        }
      }
    }
    if (!s.ops.deletes.empty()) EncodeDeleteColumns(s.ops.deletes, peers, out->mutable_deletes());
    std::sort(s.dead_containers.begin(), s.dead_containers.end());
    std::vector<uint32_t> dead_peers;
    CounterDeltas dead_counters;
    for (const auto& [id, type] : s.dead_containers) {
      dead_peers.push_back(peers.Index(id.peer));
      out->add_dead_container_counter(dead_counters.Next(id.peer, id.counter));
      out->add_dead_container_type(static_cast<uint32_t>(type));
    }
    PutRuns(dead_peers, out->mutable_dead_container_peer_runs());
  }

  if (!lists.empty()) {
    const bool any_value = std::any_of(lists.begin(), lists.end(), [](const SequenceSection* l) {
      return std::any_of(l->ops.inserts.begin(), l->ops.inserts.end(),
                         [](const InsertOp& op) { return !op.deleted; });
    });
    if (any_value && !list_values) list_values.emplace(msg->mutable_list_values());
    EncodeListSections(lists, peers, list_values ? &*list_values : nullptr, msg->mutable_lists());
  }
  if (list_values) list_values->Finish();

  // Map writes.
  std::sort(ops.map_ops.begin(), ops.map_ops.end(),
            [](const MapOp& a, const MapOp& b) { return a.id < b.id; });
  if (map_rows) {
    EncodeMapWriteRows(ops.map_ops, where, peers, msg->mutable_map_writes());
  } else if (!ops.map_ops.empty()) {
    wire::MapOps* out = msg->mutable_map_ops();
    if (!columns)
      for (const std::string& k : map_keys) out->add_keys(k);
    std::vector<uint32_t> containers, row_peers;
    CounterDeltas counters;
    uint64_t last_lamport = 0;
    ValueColumnWriter values(out->mutable_values());
    for (const MapOp& m : ops.map_ops) {
      containers.push_back(where[m.container]);
      row_peers.push_back(peers.Index(m.id.peer));
      out->add_key(KeyIndex(key_table, m.key));
      out->add_counter(counters.Next(m.id.peer, m.id.counter));
      out->add_lamport(static_cast<int64_t>(m.lamport - last_lamport));
      last_lamport = m.lamport;
      values.Add(m.value, m.deleted);
    }
    values.Finish();
    PutRuns(containers, out->mutable_container_runs());
    PutRuns(row_peers, out->mutable_peer_runs());
  }

  // Counter adds.
  if (!ops.counter_ops.empty()) {
    std::sort(ops.counter_ops.begin(), ops.counter_ops.end(),
              [](const CounterOp& a, const CounterOp& b) { return a.id < b.id; });
    wire::CounterOps* out = msg->mutable_counter_ops();
    std::vector<uint32_t> containers, row_peers;
    CounterDeltas counters;
    for (const CounterOp& c : ops.counter_ops) {
      containers.push_back(where[c.container]);
      row_peers.push_back(peers.Index(c.id.peer));
      out->add_counter(counters.Next(c.id.peer, c.id.counter));
      out->add_delta(c.delta);
    }
    PutRuns(containers, out->mutable_container_runs());
    PutRuns(row_peers, out->mutable_peer_runs());
  }

  // No-ops, merged where they touch.
  if (!ops.noops.empty()) {
    std::sort(ops.noops.begin(), ops.noops.end(),
              [](const NoopRange& a, const NoopRange& b) { return a.id < b.id; });
    std::vector<NoopRange> merged;
    for (const NoopRange& n : ops.noops) {
      if (!merged.empty() && merged.back().id.peer == n.id.peer &&
          merged.back().id.counter + merged.back().len >= n.id.counter) {
        NoopRange& m = merged.back();
        m.len = std::max(m.id.counter + m.len, n.id.counter + n.len) - m.id.counter;
      } else {
        merged.push_back(n);
      }
    }
    wire::IdRanges* out = msg->mutable_noops();
    std::vector<uint32_t> row_peers;
    CounterDeltas counters;
    for (const NoopRange& n : merged) {
      row_peers.push_back(peers.Index(n.id.peer));
      out->add_counter(counters.Next(n.id.peer, n.id.counter));
      out->add_len(n.len);
    }
    PutRuns(row_peers, out->mutable_peer_runs());
  }
}

std::string EncodeDocOps(DocOps ops) {
  StackArena a;
  auto* msg = google::protobuf::Arena::CreateMessage<wire::DocUpdate>(&a.arena);
  EncodeDocMessage(std::move(ops), InsertOrder::kById, msg);
  std::string out;
  msg->SerializeToString(&out);
  return out;
}

Status DecodeDocMessage(const wire::DocUpdate& msg, DocOps* out, bool list_doubles) {
  if (msg.format_version() != format::kDocUpdateVersion) {
    return Status::Unsupported("document update format version " +
                               std::to_string(msg.format_version()));
  }
  std::vector<PeerId> peers(msg.peers().begin(), msg.peers().end());
  Status s = CheckPeerTable(std::span<const PeerId>(peers));
  if (!s.ok()) return s;

  // Keys and the container table in columns, or (as writers wrote them
  // before) a ContainerRef per container and MapOps' own key table.
  std::vector<std::string_view> key_table;
  s = DecodeKeyTable(msg, &key_table);
  if (!s.ok()) return s;
  const bool message_keys = msg.key_len_size() > 0;
  if (msg.has_container_columns()) {
    if (msg.containers_size() > 0) return Status::Corrupt("container table given in two layouts");
    s = DecodeContainerColumns(msg.container_columns(), peers, key_table, &out->containers);
  } else if (msg.containers_size() == 0) {
    out->containers.assign(1, ContainerKey{});  // no table: the root map alone
  } else {
    s = DecodeContainerTable(msg.containers(), peers, &out->containers);
  }
  if (!s.ok()) return s;
  const size_t nc = out->containers.size();
  auto check_container = [&](uint32_t c, bool want_seq, ContainerType want) -> Status {
    if (c >= nc) return Status::Corrupt("container index out of range");
    const ContainerType t = out->containers[c].type;
    const bool ok = want_seq ? (t == ContainerType::kList || t == ContainerType::kText) : t == want;
    if (!ok) return Status::Corrupt("operation on a container of the wrong type");
    return Status::Ok();
  };

  // Sequences. List values come in one column for the message, or (as
  // writers wrote them before) one per list section. List sections come in
  // shared columns (`lists`), or each in a SequenceOps of its own.
  out->sequences.resize(static_cast<size_t>(msg.sequences_size()));
  const bool shared_values = msg.has_list_values();
  const bool list_sections = msg.has_lists();
  ValueReader list_values(msg.list_values());
  size_t list_values_left = list_values.size();
  for (int i = 0; i < msg.sequences_size(); ++i) {
    const wire::SequenceOps& in = msg.sequences(i);
    SequenceSection& sec = out->sequences[static_cast<size_t>(i)];
    s = check_container(in.container(), true, ContainerType::kList);
    if (!s.ok()) return s;
    sec.container = in.container();
    const bool list = out->containers[sec.container].type == ContainerType::kList;
    if (list) {
      if (list_sections) return Status::Corrupt("list sections given in two layouts");
      // The placeholder text is implied: one byte per visible item, which
      // must match the values column (bounded by the message size).
      if (shared_values && in.has_values())
        return Status::Corrupt("list values given both per list and for the message");
      const uint64_t available =
          shared_values ? list_values_left : static_cast<uint64_t>(in.values().kinds().size());
      uint64_t visible = 0;
      for (uint64_t ld : in.inserts().len_deleted()) {
        if (!(ld & 1)) visible += ld >> 1;
        if (visible > available) return Status::Corrupt("list inserts and values differ in length");
      }
      if (!shared_values && visible != available)
        return Status::Corrupt("list inserts and values differ in length");
      // As a List section of the shared columns reads its rows.
      s = DecodeListRunColumns(in.inserts(), visible, peers, &sec.ops.inserts);
      if (!s.ok()) return s;
      sec.ops.text.assign(visible, kListItemPlaceholder);
      sec.ops.ascii = true;
      if (shared_values) {
        s = TakeListValues(&list_values, visible, list_doubles, &sec);
        if (!s.ok()) return s;
        list_values_left -= visible;
      } else {
        ValueReader values(in.values());
        s = values.ReadList(visible, &sec.values);
        if (!s.ok()) return s;
        s = values.Finish();
        if (!s.ok()) return s;
        sec.scalars_only = values.containers() == 0;
      }
    } else {
      if (in.values().kinds().size() > 0) return Status::Corrupt("text inserts carry values");
      s = DecodeRunColumns(in.inserts(), peers, &sec.ops);
      if (!s.ok()) return s;
    }
    s = DecodeDeleteColumns(in.deletes(), peers, &sec.ops);
    if (!s.ok()) return s;
    const size_t nd = static_cast<size_t>(in.dead_container_counter_size());
    if (nd > 0) {
      if (!list) return Status::Corrupt("text inserts carry containers");
      if (static_cast<size_t>(in.dead_container_type_size()) != nd)
        return Status::Corrupt("dead container columns differ in length");
      RunReader dp(in.dead_container_peer_runs());
      s = dp.Check(nd, peers.size());
      if (!s.ok()) return s;
      CounterReader counters;
      s = ReadDeadContainers(&dp, &counters, in.dead_container_counter(),
                             in.dead_container_type(), 0, nd, peers, &sec);
      if (!s.ok()) return s;
    }
  }

  if (list_sections) {
    // Their values are in the shared column (without one, none is left).
    s = DecodeListSections(msg.lists(), out->containers, peers, &list_values, &list_values_left,
                           list_doubles, &out->sequences);
    if (!s.ok()) return s;
  }

  if (shared_values) {
    s = list_values.Finish();  // no value beyond the lists' items
    if (!s.ok()) return s.Prefixed("list values: ");
  }

  // Map writes, as rows or (in larger messages) in columns.
  if (msg.map_writes_size() > 0) {
    if (msg.has_map_ops()) return Status::Corrupt("map writes given in two layouts");
    s = DecodeMapWriteRows(msg.map_writes(), out->containers, peers, &out->map_ops);
    if (!s.ok()) return s;
  }
  if (msg.has_map_ops()) {
    const wire::MapOps& in = msg.map_ops();
    const size_t n = static_cast<size_t>(in.key_size());
    if (static_cast<size_t>(in.counter_size()) != n ||
        static_cast<size_t>(in.lamport_size()) != n ||
        static_cast<size_t>(in.values().kinds().size()) != n) {
      return Status::Corrupt("map columns differ in length");
    }
    if (message_keys && in.keys_size() > 0)
      return Status::Corrupt("map keys given in two layouts");
    for (const std::string& k : in.keys())
      if (!utf8::Validate(k, nullptr)) return Status::Corrupt("map key is not UTF-8");
    const size_t keys = message_keys ? key_table.size() : static_cast<size_t>(in.keys_size());
    RunReader cont(in.container_runs()), rp(in.peer_runs());
    s = cont.Check(n, nc);
    if (!s.ok()) return s;
    s = rp.Check(n, peers.size());
    if (!s.ok()) return s;
    ValueReader values(in.values());
    CounterReader counters;
    uint64_t lamport = 0;
    out->map_ops.resize(n);
    for (size_t i = 0; i < n; ++i) {
      MapOp& m = out->map_ops[i];
      m.container = cont.Next();
      s = check_container(m.container, false, ContainerType::kMap);
      if (!s.ok()) return s;
      const uint32_t p = rp.Next();
      if (!counters.Next(p, in.counter(static_cast<int>(i)), &m.id.counter))
        return Status::Corrupt("map write counter out of range");
      m.id.peer = peers[p];
      if (!AddDelta(lamport, in.lamport(static_cast<int>(i)), &lamport))
        return Status::Corrupt("map write lamport time out of range");
      m.lamport = lamport;
      const uint32_t key = in.key(static_cast<int>(i));
      if (key >= keys) return Status::Corrupt("map key index out of range");
      if (message_keys) {
        m.key = key_table[key];
      } else {
        m.key = in.keys(static_cast<int>(key));
      }
      s = values.Next(&m.value, &m.deleted);
      if (!s.ok()) return s;
    }
    s = values.Finish();
    if (!s.ok()) return s;
  }

  // Counter adds.
  if (msg.has_counter_ops()) {
    const wire::CounterOps& in = msg.counter_ops();
    const size_t n = static_cast<size_t>(in.counter_size());
    if (static_cast<size_t>(in.delta_size()) != n)
      return Status::Corrupt("counter columns differ in length");
    RunReader cont(in.container_runs()), rp(in.peer_runs());
    s = cont.Check(n, nc);
    if (!s.ok()) return s;
    s = rp.Check(n, peers.size());
    if (!s.ok()) return s;
    CounterReader counters;
    out->counter_ops.resize(n);
    for (size_t i = 0; i < n; ++i) {
      CounterOp& c = out->counter_ops[i];
      c.container = cont.Next();
      s = check_container(c.container, false, ContainerType::kCounter);
      if (!s.ok()) return s;
      const uint32_t p = rp.Next();
      if (!counters.Next(p, in.counter(static_cast<int>(i)), &c.id.counter))
        return Status::Corrupt("counter add id out of range");
      c.id.peer = peers[p];
      c.delta = in.delta(static_cast<int>(i));
    }
  }

  // No-ops.
  if (msg.has_noops()) {
    const wire::IdRanges& in = msg.noops();
    const size_t n = static_cast<size_t>(in.counter_size());
    if (static_cast<size_t>(in.len_size()) != n)
      return Status::Corrupt("no-op columns differ in length");
    RunReader rp(in.peer_runs());
    s = rp.Check(n, peers.size());
    if (!s.ok()) return s;
    CounterReader counters;
    out->noops.resize(n);
    for (size_t i = 0; i < n; ++i) {
      NoopRange& r = out->noops[i];
      const uint32_t p = rp.Next();
      if (!counters.Next(p, in.counter(static_cast<int>(i)), &r.id.counter))
        return Status::Corrupt("no-op id out of range");
      r.id.peer = peers[p];
      r.len = in.len(static_cast<int>(i));
      if (r.len == 0 || r.len > kMaxCounter + 1 - r.id.counter)
        return Status::Corrupt("no-op range out of range");
    }
  }
  return Status::Ok();
}

Status DecodeDocOps(std::string_view bytes, DocOps* out) {
  StackArena a;
  auto* msg = google::protobuf::Arena::CreateMessage<wire::DocUpdate>(&a.arena);
  if (bytes.size() > INT32_MAX ||
      !msg->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return Status::Corrupt("update is not a valid protobuf message");
  return DecodeDocMessage(*msg, out);
}

}  // namespace tandem
