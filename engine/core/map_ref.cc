// MapRef: reading a Map and writing it locally (last writer wins per key),
// and the Container casts every handle starts from.
#include "doc.h"
#include "doc_local_edit.h"
#include "doc_state.h"
#include "utf8.h"

namespace tandem {

using local_edit::CheckScalar;

ContainerType Container::type() const {
  return doc_->node(index_).type;
}
MapRef Container::AsMap() const {
  return MapRef(doc_, index_);
}
ListRef Container::AsList() const {
  return ListRef(doc_, index_);
}
TextRef Container::AsText() const {
  return TextRef(doc_, index_);
}
CounterRef Container::AsCounter() const {
  return CounterRef(doc_, index_);
}

std::optional<Value> MapRef::Get(std::string_view key) const {
  const MapState& m = *doc_->node(index_).map;
  auto it = m.slots.find(key);
  if (it == m.slots.end() || !it->second.present) return std::nullopt;
  return it->second.value;
}

std::optional<Container> MapRef::GetContainer(std::string_view key) const {
  const MapState& m = *doc_->node(index_).map;
  auto it = m.slots.find(key);
  if (it == m.slots.end() || !it->second.present || !it->second.value.is_container())
    return std::nullopt;
  const ContainerType t = it->second.value.container_type();
  return Container(doc_, doc_->ChildOf(index_, key, t));
}

std::vector<std::string> MapRef::Keys() const {
  std::vector<std::string> out;
  for (const auto& [k, s] : doc_->node(index_).map->slots)
    if (s.present) out.push_back(k);
  return out;
}

uint64_t MapRef::size() const {
  return doc_->node(index_).map->present;
}

namespace {

// Writes `key` of map `c` locally: value, or delete when `value` is null.
void LocalMapWrite(Doc* doc, uint32_t c, std::string_view key, const Value* value) {
  bool implicit;
  doc->BeginImplicit(&implicit);
  MapState& m = *doc->node(c).map;
  auto it = m.SlotOf(key);
  MapSlot& s = it->second;
  if (doc->observing()) {
    Doc::Accum& a = doc->accum(c);
    if (!a.old_values.count(key))
      a.old_values.emplace(std::string(key),
                           s.present ? std::optional<Value>(s.value) : std::nullopt);
  }
  LocalTxnRecord::Op* rec = nullptr;
  if (LocalTxnRecord* r = doc->txn_record()) {
    rec = &r->ops.emplace_back();
    rec->kind = LocalTxnRecord::Op::kMapWrite;
    rec->container = c;
    rec->key = std::string(key);
    if (s.present) rec->old_value = s.value;
    if (s.written) rec->old_id = s.id;
  }
  if (s.written) doc->AddNoop(s.id.peer, s.id.counter, 1);
  const uint64_t counter = doc->TakeCounters(1);
  s.id = OpId{doc->peer(), counter};
  if (rec) rec->id = s.id;
  s.lamport = doc->NextLamport();
  s.written = true;
  if (s.present) --m.present;
  s.present = value != nullptr;
  if (value) {
    s.value = *value;
    ++m.present;
  } else {
    s.value = Value::Null();
  }
  doc->Touch(c);
  doc->NoteMapWrite(c, it->first);
  doc->EndImplicit(implicit);
}

}  // namespace

Status MapRef::Set(std::string_view key, const Value& value) {
  if (!utf8::Validate(key, nullptr)) return Status::InvalidArgument("map key is not valid UTF-8");
  Status s = CheckScalar(value);
  if (!s.ok()) return s;
  LocalMapWrite(doc_, index_, key, &value);
  return Status::Ok();
}

Status MapRef::Delete(std::string_view key) {
  if (!Get(key)) return Status::Ok();  // nothing to delete: no operation
  LocalMapWrite(doc_, index_, key, nullptr);
  return Status::Ok();
}

Status MapRef::GetOrCreate(std::string_view key, ContainerType type, Container* out) {
  if (!utf8::Validate(key, nullptr)) return Status::InvalidArgument("map key is not valid UTF-8");
  std::optional<Value> cur = Get(key);
  if (!cur || !cur->is_container() || cur->container_type() != type) {
    if (doc_->node(index_).depth + 1 > doc_->limits().max_depth)
      return Status::LimitExceeded("containers nest deeper than max_depth");
    const Value v = Value::Container(type);
    LocalMapWrite(doc_, index_, key, &v);
  }
  *out = Container(doc_, doc_->ChildOf(index_, key, type));
  return Status::Ok();
}

}  // namespace tandem
