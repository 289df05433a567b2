// TextRef: reading a Text and editing it locally, in any index unit. Its
// sequence operations are shared with ListRef (doc_local_edit.h) and its
// insert check with the lone Text (CheckTextInsert), so that a Text inside a
// Doc takes exactly the edits a lone one does.
#include <algorithm>

#include "doc.h"
#include "doc_local_edit.h"
#include "doc_state.h"
#include "utf8.h"

namespace tandem {

using local_edit::LocalSeqDelete;
using local_edit::LocalSeqInsert;
using local_edit::Seq;

uint64_t TextRef::length(IndexUnit unit) const {
  const SeqState& s = Seq(doc_, index_);
  return s.seq.tree().CharsToUnit(unit, s.seq.size().chars);
}

std::string TextRef::ToString() const {
  const SeqState& s = Seq(doc_, index_);
  std::string out;
  out.reserve(s.seq.size().bytes);
  for (const RunLeaf* l = s.seq.tree().first_leaf(); l; l = l->next) out += l->text;
  return out;
}

Status TextRef::ConvertIndex(uint64_t index, IndexUnit from, IndexUnit to, uint64_t* out) const {
  const SeqState& s = Seq(doc_, index_);
  uint64_t chars;
  if (!s.seq.tree().UnitToChars(from, index, &chars))
    return Status::InvalidArgument("index out of range or inside a character");
  *out = s.seq.tree().CharsToUnit(to, chars);
  return Status::Ok();
}

Status TextRef::Insert(uint64_t index, std::string_view text, IndexUnit unit) {
  uint64_t at;
  utf8::Counts counts;
  Status s = CheckTextInsert(Seq(doc_, index_).seq, index, text, unit, &at, &counts);
  if (!s.ok()) return s;
  if (counts.code_points == 0) return Status::Ok();
  bool implicit;
  doc_->BeginImplicit(&implicit);
  LocalSeqInsert(doc_, index_, at, text, counts);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

Status TextRef::Delete(uint64_t index, uint64_t count, IndexUnit unit) {
  const SeqState& s = Seq(doc_, index_);
  const uint64_t len = length(unit);
  uint64_t from, to;
  if (!s.seq.tree().UnitToChars(unit, index, &from) || count > len - std::min(index, len) ||
      !s.seq.tree().UnitToChars(unit, index + count, &to)) {
    return Status::InvalidArgument("delete range [" + std::to_string(index) + ", +" +
                                   std::to_string(count) +
                                   ") is out of range or splits a character");
  }
  if (to == from) return Status::Ok();
  bool implicit;
  doc_->BeginImplicit(&implicit);
  LocalSeqDelete(doc_, index_, from, to - from);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

}  // namespace tandem
