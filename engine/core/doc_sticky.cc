// Sticky positions: a Text or List position anchored to an element id, and
// its index now. Their byte encoding needs the protobuf messages and lives in
// doc_json.cc with the other encoders.
#include "doc.h"
#include "doc_state.h"

namespace tandem {

Status Doc::StickyAt(Container c, uint64_t index, StickyPosition::Assoc assoc,
                     StickyPosition* out) const {
  const ContainerNode& n = *nodes_[c.index()];
  if (!n.seq) return Status::InvalidArgument("sticky positions live in a text or list");
  const Sequence& seq = n.seq->seq;
  const uint64_t len = seq.size().chars;
  if (index > len) return Status::InvalidArgument("index out of range");
  StickyPosition p;
  p.container = c;
  p.assoc = assoc;
  if (assoc == StickyPosition::kBefore) {
    if (index < len) p.item = seq.IdAt(seq.tree().FindChar(index));
  } else {
    if (index > 0) p.item = seq.IdAt(seq.tree().FindChar(index - 1));
  }
  *out = p;
  return Status::Ok();
}

Status Doc::ResolveSticky(const StickyPosition& pos, uint64_t* index) const {
  if (pos.container.doc() != this || pos.container.index() >= nodes_.size())
    return Status::InvalidArgument("position belongs to another document");
  const ContainerNode& n = *nodes_[pos.container.index()];
  if (!n.seq) return Status::InvalidArgument("sticky positions live in a text or list");
  const Sequence& seq = n.seq->seq;
  if (!pos.item) {
    *index = pos.assoc == StickyPosition::kBefore ? seq.size().chars : 0;
    return Status::Ok();
  }
  RunTree::Loc loc = seq.Find(*pos.item);
  if (!loc.leaf) return Status::InvalidArgument("position's element is not in this sequence (yet)");
  uint64_t before = seq.CharsBefore(loc);
  // An element still there: before it, or after it. A deleted one: where it
  // was (the visible elements before it), whichever the association.
  if (pos.assoc == StickyPosition::kAfter && !loc.run().deleted()) ++before;
  *index = before;
  return Status::Ok();
}

}  // namespace tandem
