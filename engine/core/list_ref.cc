// ListRef: reading a List's values and editing them locally. The sequence
// operations are shared with TextRef (doc_local_edit.h); what is the List's
// own is its values beside the sequence and the containers its items make.
#include "doc.h"
#include "doc_local_edit.h"
#include "doc_state.h"
#include "utf8.h"

namespace tandem {

using local_edit::CheckScalar;
using local_edit::LocalSeqDelete;
using local_edit::LocalSeqInsert;
using local_edit::Seq;

uint64_t ListRef::size() const {
  return Seq(doc_, index_).seq.size().chars;
}

std::optional<Value> ListRef::Get(uint64_t index) const {
  const SeqState& s = Seq(doc_, index_);
  if (index >= s.seq.size().chars) return std::nullopt;
  RunTree::Loc loc = s.seq.tree().FindChar(index);
  const std::optional<Value> v = s.values.Find(loc.run().peer, loc.run().counter + loc.off);
  return v ? *v : Value::Null();
}

std::optional<Container> ListRef::GetContainer(uint64_t index) const {
  const SeqState& s = Seq(doc_, index_);
  if (index >= s.seq.size().chars) return std::nullopt;
  RunTree::Loc loc = s.seq.tree().FindChar(index);
  const std::optional<Value> v = s.values.Find(loc.run().peer, loc.run().counter + loc.off);
  if (!v || !v->is_container()) return std::nullopt;
  return doc_->ItemContainer(s.seq.IdAt(loc));
}

std::vector<Value> ListRef::ToVector() const {
  const SeqState& s = Seq(doc_, index_);
  std::vector<Value> out;
  out.reserve(s.seq.size().chars);
  for (const RunLeaf* l = s.seq.tree().first_leaf(); l; l = l->next) {
    for (uint32_t i = 0; i < l->count; ++i) {
      const Run& r = l->runs[i];
      if (r.deleted()) continue;
      for (uint32_t k = 0; k < r.len; ++k) {
        const std::optional<Value> v = s.values.Find(r.peer, r.counter + k);
        out.push_back(v ? *v : Value::Null());
      }
    }
  }
  return out;
}

Status ListRef::Insert(uint64_t index, std::span<const Value> values) {
  if (index > size()) return Status::InvalidArgument("list index out of range");
  for (const Value& v : values) {
    Status s = CheckScalar(v);
    if (!s.ok()) return s;
  }
  if (values.empty()) return Status::Ok();
  bool implicit;
  doc_->BeginImplicit(&implicit);
  const std::string text(values.size(), kListItemPlaceholder);
  const uint64_t counter =
      LocalSeqInsert(doc_, index_, index, text, utf8::Counts{values.size(), values.size()});
  SeqState& s = Seq(doc_, index_);
  if (s.values.Put(s.seq.peers().Intern(doc_->peer()), counter,
                   std::vector<Value>(values.begin(), values.end())))
    doc_->NoteGrown(index_);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

Status ListRef::InsertContainer(uint64_t index, ContainerType type, Container* out) {
  if (index > size()) return Status::InvalidArgument("list index out of range");
  if (doc_->node(index_).depth + 1 > doc_->limits().max_depth)
    return Status::LimitExceeded("containers nest deeper than max_depth");
  bool implicit;
  doc_->BeginImplicit(&implicit);
  const std::string text(1, kListItemPlaceholder);
  const uint64_t counter = LocalSeqInsert(doc_, index_, index, text, utf8::Counts{1, 1});
  SeqState& s = Seq(doc_, index_);
  std::vector<Value> v;
  v.push_back(Value::Container(type));
  if (s.values.Put(s.seq.peers().Intern(doc_->peer()), counter, std::move(v)))
    doc_->NoteGrown(index_);
  const uint32_t c = doc_->NewItemContainer(index_, OpId{doc_->peer(), counter}, type);
  doc_->EndImplicit(implicit);
  *out = Container(doc_, c);
  return Status::Ok();
}

Status ListRef::Delete(uint64_t index, uint64_t count) {
  const uint64_t n = size();
  if (index > n || count > n - index) return Status::InvalidArgument("list range out of range");
  if (count == 0) return Status::Ok();
  bool implicit;
  doc_->BeginImplicit(&implicit);
  LocalSeqDelete(doc_, index_, index, count);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

}  // namespace tandem
