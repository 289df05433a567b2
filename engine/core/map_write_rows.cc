#include "map_write_rows.h"

#include "tandem.pb.h"

#include "column_helpers.h"
#include "utf8.h"
#include "value_column.h"

namespace tandem {

void EncodeMapWriteRows(const std::vector<MapOp>& ops, std::span<const uint32_t> where,
                        const PeerList& peers,
                        google::protobuf::RepeatedPtrField<wire::MapWrite>* out) {
  for (const MapOp& m : ops) {
    wire::MapWrite* row = out->Add();
    row->set_container(where[m.container]);
    row->set_key(m.key);
    row->set_peer(peers.Index(m.id.peer));
    row->set_counter(m.id.counter);
    // Both are below 2^62 (kMaxCounter), so the difference fits.
    row->set_lamport(static_cast<int64_t>(m.lamport) - static_cast<int64_t>(m.id.counter + 1));
    uint32_t kind;
    if (BareValueKind(m.value, m.deleted, &kind)) {
      row->set_kind(kind);
      continue;
    }
    switch (m.value.kind()) {
      case Value::Kind::kInt: row->set_int_value(m.value.as_int()); break;
      case Value::Kind::kDouble: row->set_double_value(m.value.as_double()); break;
      case Value::Kind::kString: row->set_string_value(std::string(m.value.as_string())); break;
      case Value::Kind::kBytes: row->set_bytes_value(std::string(m.value.as_string())); break;
      default: break;  // bare kinds are above
    }
  }
}

Status DecodeMapWriteRows(const google::protobuf::RepeatedPtrField<wire::MapWrite>& in,
                          std::span<const ContainerKey> containers,
                          std::span<const PeerId> peers, std::vector<MapOp>* out) {
  out->resize(static_cast<size_t>(in.size()));
  for (int i = 0; i < in.size(); ++i) {
    const wire::MapWrite& row = in.Get(i);
    MapOp& m = (*out)[static_cast<size_t>(i)];
    if (row.container() >= containers.size()) return Status::Corrupt("container index out of range");
    if (containers[row.container()].type != ContainerType::kMap)
      return Status::Corrupt("operation on a container of the wrong type");
    m.container = row.container();
    if (row.peer() >= peers.size()) return Status::Corrupt("peer index out of range");
    if (row.counter() > kMaxCounter) return Status::Corrupt("map write counter out of range");
    m.id = OpId{peers[row.peer()], row.counter()};
    if (!column::AddDelta(row.counter() + 1, row.lamport(), &m.lamport))
      return Status::Corrupt("map write lamport time out of range");
    if (!utf8::Validate(row.key(), nullptr)) return Status::Corrupt("map key is not UTF-8");
    if (row.key().size() > UINT32_MAX) return Status::Corrupt("map key over 4 GiB");
    m.key = row.key();
    m.deleted = false;
    switch (row.value_case()) {
      case wire::MapWrite::kKind: {
        Status s = BareValueOfKind(row.kind(), &m.value, &m.deleted);
        if (!s.ok()) return s;
        break;
      }
      case wire::MapWrite::kIntValue: m.value = Value::Int(row.int_value()); break;
      case wire::MapWrite::kDoubleValue: m.value = Value::Double(row.double_value()); break;
      case wire::MapWrite::kStringValue: {
        Status s = ContentValue(true, row.string_value(), &m.value);
        if (!s.ok()) return s;
        break;
      }
      case wire::MapWrite::kBytesValue: {
        Status s = ContentValue(false, row.bytes_value(), &m.value);
        if (!s.ok()) return s;
        break;
      }
      case wire::MapWrite::VALUE_NOT_SET: return Status::Corrupt("map write without a value");
    }
  }
  return Status::Ok();
}

}  // namespace tandem
