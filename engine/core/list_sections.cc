#include "list_sections.h"

#include <algorithm>

#include "tandem.pb.h"

#include "value_column.h"

namespace tandem {

using column::CounterDeltas;
using column::CounterReader;
using column::PutRuns;
using column::RunReader;

void EncodeListSections(const std::vector<SequenceSection*>& lists, const PeerList& peers,
                        ValueColumnWriter* values, wire::ListSections* out) {
  std::vector<InsertOp> inserts;
  std::vector<DeleteOp> deletes;
  std::vector<uint32_t> dead_peers;
  CounterDeltas dead_counters;
  uint32_t last = 0;
  // Row counts fit 32 bits: a section of 2^32 rows is far past any
  // message a peer accepts (DocLimits).
  for (SequenceSection* s : lists) {
    out->add_container_delta(s->container - last);
    last = s->container;
    out->add_insert_rows(static_cast<uint32_t>(s->ops.inserts.size()));
    out->add_delete_rows(static_cast<uint32_t>(s->ops.deletes.size()));
    out->add_dead_rows(static_cast<uint32_t>(s->dead_containers.size()));
    for (const InsertOp& op : s->ops.inserts) {
      inserts.push_back(op);
      if (op.deleted) continue;
      for (uint64_t v = op.text_begin; v < op.text_end; ++v) values->Add(s->values[v], false);
    }
    deletes.insert(deletes.end(), s->ops.deletes.begin(), s->ops.deletes.end());
    std::sort(s->dead_containers.begin(), s->dead_containers.end());
    for (const auto& [id, type] : s->dead_containers) {
      dead_peers.push_back(peers.Index(id.peer));
      out->add_dead_container_counter(dead_counters.Next(id.peer, id.counter));
      out->add_dead_container_type(static_cast<uint32_t>(type));
    }
  }
  if (deletes.empty()) out->clear_delete_rows();
  if (dead_peers.empty()) out->clear_dead_rows();
  if (!inserts.empty()) EncodeListRunColumns(inserts, peers, out->mutable_inserts());
  if (!deletes.empty()) EncodeDeleteColumns(deletes, peers, out->mutable_deletes());
  PutRuns(dead_peers, out->mutable_dead_container_peer_runs());
}

Status DecodeListSections(const wire::ListSections& in, const std::vector<ContainerKey>& table,
                          std::span<const PeerId> peers, ValueReader* values, size_t* values_left,
                          bool doubles, std::vector<SequenceSection>* out) {
  const size_t n = static_cast<size_t>(in.container_delta_size());
  const wire::RunColumns& ins = in.inserts();
  const size_t rows = static_cast<size_t>(ins.counter_size());
  const size_t dels = static_cast<size_t>(in.deletes().counter_size());
  const size_t dead = static_cast<size_t>(in.dead_container_counter_size());
  const bool has_deletes = in.delete_rows_size() > 0, has_dead = in.dead_rows_size() > 0;
  if (static_cast<size_t>(in.insert_rows_size()) != n ||
      (has_deletes && static_cast<size_t>(in.delete_rows_size()) != n) ||
      (has_dead && static_cast<size_t>(in.dead_rows_size()) != n)) {
    return Status::Corrupt("list section columns differ in length");
  }
  if (static_cast<size_t>(ins.len_deleted_size()) != rows)
    return Status::Corrupt("insert columns differ in length");
  if (static_cast<size_t>(in.dead_container_type_size()) != dead)
    return Status::Corrupt("dead container columns differ in length");

  // Containers, row counts and visible items first: the counts bound every
  // allocation below (n is bounded by the message size).
  std::vector<uint64_t> visible(n, 0);
  uint64_t row = 0, del_rows = 0, dead_rows = 0, items = 0, container = 0;
  for (size_t s = 0; s < n; ++s) {
    const uint32_t delta = in.container_delta(static_cast<int>(s));
    if (s > 0 && delta == 0) return Status::Corrupt("list sections are not in container order");
    container += delta;
    if (container >= table.size()) return Status::Corrupt("container index out of range");
    if (table[container].type != ContainerType::kList)
      return Status::Corrupt("operation on a container of the wrong type");
    const uint64_t k = in.insert_rows(static_cast<int>(s));
    if (k > rows - row) return Status::Corrupt("list sections do not add up to their rows");
    const uint64_t left = *values_left - items;
    for (uint64_t i = row; i < row + k; ++i) {
      const uint64_t ld = ins.len_deleted(static_cast<int>(i));
      if (ld & 1) continue;
      if ((ld >> 1) > left - visible[s])
        return Status::Corrupt("list inserts and values differ in length");
      visible[s] += ld >> 1;
    }
    items += visible[s];
    row += k;
    if (has_deletes) del_rows += in.delete_rows(static_cast<int>(s));
    if (has_dead) dead_rows += in.dead_rows(static_cast<int>(s));
  }
  if (row != rows || del_rows != dels || dead_rows != dead)
    return Status::Corrupt("list sections do not add up to their rows");

  std::vector<InsertOp> inserts;
  Status st = DecodeListRunColumns(ins, items, peers, &inserts);
  if (!st.ok()) return st;
  UpdateOps deletes;
  st = DecodeDeleteColumns(in.deletes(), peers, &deletes);
  if (!st.ok()) return st;
  RunReader dead_peers(in.dead_container_peer_runs());
  st = dead_peers.Check(dead, peers.size());
  if (!st.ok()) return st;
  CounterReader dead_counters;

  out->reserve(out->size() + n);
  size_t r = 0, d = 0, x = 0;
  uint64_t first_item = 0;
  container = 0;
  for (size_t s = 0; s < n; ++s) {
    container += in.container_delta(static_cast<int>(s));
    SequenceSection& sec = out->emplace_back();
    sec.container = static_cast<uint32_t>(container);
    const size_t k = in.insert_rows(static_cast<int>(s));
    sec.ops.inserts.assign(inserts.begin() + static_cast<ptrdiff_t>(r),
                           inserts.begin() + static_cast<ptrdiff_t>(r + k));
    r += k;
    // Item ranges count from the section's first visible item, as a
    // section read on its own has them.
    for (InsertOp& op : sec.ops.inserts) {
      op.text_begin = op.deleted ? 0 : op.text_begin - first_item;
      op.text_end = op.deleted ? 0 : op.text_end - first_item;
    }
    first_item += visible[s];
    sec.ops.text.assign(visible[s], kListItemPlaceholder);
    sec.ops.ascii = true;
    st = TakeListValues(values, visible[s], doubles, &sec);
    if (!st.ok()) return st;
    *values_left -= visible[s];
    if (has_deletes) {
      const size_t kd = in.delete_rows(static_cast<int>(s));
      sec.ops.deletes.assign(deletes.deletes.begin() + static_cast<ptrdiff_t>(d),
                             deletes.deletes.begin() + static_cast<ptrdiff_t>(d + kd));
      d += kd;
    }
    if (has_dead) {
      const size_t kx = in.dead_rows(static_cast<int>(s));
      st = ReadDeadContainers(&dead_peers, &dead_counters, in.dead_container_counter(),
                              in.dead_container_type(), x, x + kx, peers, &sec);
      if (!st.ok()) return st;
      x += kx;
    }
  }
  return Status::Ok();
}

Status TakeListValues(ValueReader* values, uint64_t visible, bool doubles, SequenceSection* sec) {
  const size_t containers = values->containers();
  if (!doubles || !values->ReadDoubles(visible, &sec->doubles)) {
    Status s = values->ReadList(visible, &sec->values);
    if (!s.ok()) return s;
  }
  sec->scalars_only = values->containers() == containers;
  return Status::Ok();
}

Status ReadDeadContainers(RunReader* peer_runs, CounterReader* counters,
                          const google::protobuf::RepeatedField<int64_t>& counter,
                          const google::protobuf::RepeatedField<uint32_t>& type, size_t begin,
                          size_t end, std::span<const PeerId> peers, SequenceSection* sec) {
  if (begin == end) return Status::Ok();
  std::vector<std::pair<OpId, uint64_t>> dead_rows;  // deleted insert rows, by id
  for (const InsertOp& op : sec->ops.inserts)
    if (op.deleted) dead_rows.emplace_back(op.id, op.len);
  std::sort(dead_rows.begin(), dead_rows.end());
  for (size_t d = begin; d < end; ++d) {
    const uint32_t p = peer_runs->Next();
    OpId id{peers[p], 0};
    if (!counters->Next(p, counter.Get(static_cast<int>(d)), &id.counter))
      return Status::Corrupt("dead container id out of range");
    const uint32_t t = type.Get(static_cast<int>(d));
    if (!IsContainerType(t)) return Status::Corrupt("unknown container type");
    if (!sec->dead_containers.empty() && !(sec->dead_containers.back().first < id))
      return Status::Corrupt("dead containers are not sorted");
    // Each must lie in a deleted insert row of this section.
    auto it = std::upper_bound(dead_rows.begin(), dead_rows.end(), std::pair(id, UINT64_MAX));
    if (it == dead_rows.begin() || std::prev(it)->first.peer != id.peer ||
        id.counter - std::prev(it)->first.counter >= std::prev(it)->second) {
      return Status::Corrupt("dead container outside the deleted inserts");
    }
    sec->dead_containers.emplace_back(id, static_cast<ContainerType>(t));
  }
  return Status::Ok();
}

}  // namespace tandem
