// The local edits the handles share (doc_local_edit.h), and
// Doc::InsertAfterItem, the UndoManager's way back into a sequence, which
// records its insert the same way as LocalSeqInsert.
#include "doc_local_edit.h"

#include <algorithm>

namespace tandem {

namespace {

void RecordInsert(Doc* doc, uint32_t c, uint64_t counter, uint64_t n) {
  if (LocalTxnRecord* r = doc->txn_record()) {
    LocalTxnRecord::Op& op = r->ops.emplace_back();
    op.kind = LocalTxnRecord::Op::kSeqInsert;
    op.container = c;
    op.items.push_back({OpId{doc->peer(), counter}, n});
  }
}

// The content of visible code points [from, from + n) of a Text.
std::string TextSlice(const Sequence& seq, uint64_t from, uint64_t n) {
  std::string out;
  RunTree::Loc loc = seq.tree().FindChar(from);
  while (n > 0 && loc.leaf) {
    const Run& r = loc.run();
    if (!r.deleted()) {
      const std::string_view content = loc.leaf->Content(loc.idx);
      const uint64_t take = std::min<uint64_t>(n, r.len - loc.off);
      const size_t b = utf8::ByteOffsetOfCodePoint(content, loc.off);
      const size_t e = utf8::ByteOffsetOfCodePoint(content, loc.off + take);
      out.append(content.substr(b, e - b));
      n -= take;
    }
    loc = seq.tree().NextRun(loc);
  }
  return out;
}

}  // namespace

namespace local_edit {

Status CheckScalar(const Value& v) {
  if (v.is_container())
    return Status::InvalidArgument("a container value is made with GetOrCreate/InsertContainer");
  if (v.kind() == Value::Kind::kString && !utf8::Validate(v.as_string(), nullptr))
    return Status::InvalidArgument("string value is not valid UTF-8");
  return Status::Ok();
}

uint64_t LocalSeqInsert(Doc* doc, uint32_t c, uint64_t at, std::string_view text,
                        const utf8::Counts& counts) {
  SeqState& s = Seq(doc, c);
  const PeerIndex self = s.seq.peers().Intern(doc->peer());
  const uint64_t counter = doc->TakeCounters(counts.code_points);
  s.seq.InsertLocal(at, self, counter, text, counts);
  if (doc->observing()) doc->accum(c).delta.Insert(at, text, counts.code_points);
  RecordInsert(doc, c, counter, counts.code_points);
  doc->Touch(c);
  return counter;
}

void LocalSeqDelete(Doc* doc, uint32_t c, uint64_t from, uint64_t n) {
  SeqState& s = Seq(doc, c);
  const PeerIndex self = s.seq.peers().Intern(doc->peer());
  const bool list = doc->node(c).type == ContainerType::kList;
  LocalTxnRecord::Op* rec = nullptr;
  if (LocalTxnRecord* r = doc->txn_record()) {
    rec = &r->ops.emplace_back();
    rec->kind = LocalTxnRecord::Op::kSeqDelete;
    rec->container = c;
    // Taken now: deleting drops a Text's content.
    if (!list) rec->text = TextSlice(s.seq, from, n);
  }
  for (const Sequence::IdRange& d : s.seq.DeleteLocal(from, n)) {
    if (rec) {
      const PeerId p = s.seq.peers().id(d.peer);
      rec->items.push_back({OpId{p, d.counter}, d.len});
      // Before Drop, which forgets the values of deleted items.
      for (uint64_t k = 0; list && k < d.len; ++k) {
        const std::optional<Value> v = s.values.Find(d.peer, d.counter + k);
        rec->values.push_back(v ? *v : Value::Null());
      }
    }
    const uint64_t counter = doc->TakeCounters(d.len);
    s.deletes.Append(self, counter, d.len, d.peer, d.counter, false);
    if (list) s.values.Drop(d.peer, d.counter, d.len);
  }
  if (doc->observing()) doc->accum(c).delta.Delete(from, n);
  doc->Touch(c);
}

}  // namespace local_edit

uint64_t Doc::InsertAfterItem(uint32_t c, std::optional<OpId> after, std::string_view text,
                              std::span<const Value> values) {
  bool implicit;
  BeginImplicit(&implicit);
  SeqState& s = *nodes_[c]->seq;
  const bool list = nodes_[c]->type == ContainerType::kList;
  std::string placeholders;
  if (list) {
    placeholders.assign(values.size(), kListItemPlaceholder);
    text = placeholders;
  }
  const uint64_t n = list ? values.size() : utf8::Count(text).code_points;
  const uint64_t first = TakeCounters(n);
  const PeerIndex self = s.seq.peers().Intern(peer_);
  InsertOp op;
  op.left = after;
  std::string_view rest = text;
  for (uint64_t done = 0; done < n;) {
    const uint64_t len = std::min<uint64_t>(kMaxVisibleRunLen, n - done);
    const std::string_view piece =
        rest.substr(0, list ? len : utf8::ByteOffsetOfCodePoint(rest, len));
    rest.remove_prefix(piece.size());
    // The right origin is the item that follows the left one now, tombstones
    // included, as for an insert at an index: so the new items go exactly
    // there, and every replica puts them there too.
    RunTree::Loc next{s.seq.tree().first_leaf(), 0, 0};
    if (op.left) {
      const RunTree::Loc l = s.seq.Find(*op.left);
      next = l;
      if (++next.off == l.run().len) next = RunTree::Loc{l.leaf, l.idx + 1, 0};
    }
    next = s.seq.tree().Normalize(next);
    op.right.reset();
    if (next.leaf) op.right = s.seq.IdAt(next);
    op.id = OpId{peer_, first + done};
    op.len = len;
    const uint32_t utf16 = static_cast<uint32_t>(list ? len : utf8::Count(piece).utf16);
    const uint64_t at = s.seq.Integrate(op, piece, utf16, observing());
    if (observing()) accum(c).delta.Insert(at, piece, len);
    op.left = OpId{peer_, first + done + len - 1};
    done += len;
  }
  if (list) {
    std::vector<Value> vals;
    vals.reserve(n);
    for (uint64_t k = 0; k < n; ++k) {
      Value v = values[k];
      if (v.is_container()) {
        if (nodes_[c]->depth + 1 > limits_.max_depth) {
          v = Value::Null();
        } else {
          NewItemContainer(c, OpId{peer_, first + k}, v.container_type());
        }
      }
      vals.push_back(std::move(v));
    }
    if (s.values.Put(self, first, std::move(vals))) NoteGrown(c);
  }
  if (n > 0) {
    RecordInsert(this, c, first, n);
    Touch(c);
  }
  EndImplicit(implicit);
  return first;
}

}  // namespace tandem
