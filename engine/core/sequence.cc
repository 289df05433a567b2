#include "sequence.h"

#include <algorithm>

namespace tandem {

RunTree::Loc Sequence::Find(const OpId& id) const {
  PeerIndex p;
  if (!peers_.Find(id.peer, &p)) return RunTree::Loc{};
  return tree_.FindId(p, id.counter);
}

uint64_t Sequence::ItemsInLeafBefore(RunTree::Loc loc) {
  uint64_t n = loc.off;
  for (uint32_t i = 0; i < loc.idx; ++i) n += loc.leaf->runs[i].len;
  return n;
}

Run Sequence::MakeRun(const InsertOp& op, uint32_t bytes, uint32_t utf16) {
  Run r;
  r.peer = peers_.Intern(op.id.peer);
  r.counter = op.id.counter;
  r.len = static_cast<uint32_t>(op.len);
  r.bytes = op.deleted ? 0 : bytes;
  r.utf16 = op.deleted ? 0 : utf16;
  if (op.left) {
    r.left_peer = peers_.Intern(op.left->peer) + 1;
    r.left_counter = op.left->counter;
  }
  if (op.right) {
    r.right_peer = peers_.Intern(op.right->peer) + 1;
    r.right_counter = op.right->counter;
  }
  return r;
}

void Sequence::InsertLocal(uint64_t index, PeerIndex peer, uint64_t counter, std::string_view text,
                           const utf8::Counts& counts) {
  if (counts.code_points <= kMaxVisibleRunLen) {
    InsertLocalRun(index, peer, counter, text, counts);
    return;
  }
  std::string_view rest = text;
  for (uint64_t done = 0; done < counts.code_points;) {
    const uint64_t n = std::min<uint64_t>(kMaxVisibleRunLen, counts.code_points - done);
    std::string_view piece = rest.substr(0, utf8::ByteOffsetOfCodePoint(rest, n));
    rest.remove_prefix(piece.size());
    InsertLocalRun(index + done, peer, counter + done, piece, utf8::Count(piece));
    done += n;
  }
}

void Sequence::InsertLocalRun(uint64_t index, PeerIndex peer, uint64_t counter,
                              std::string_view text, const utf8::Counts& counts) {
  Run run;
  run.peer = peer;
  run.counter = counter;
  run.len = static_cast<uint32_t>(counts.code_points);
  run.bytes = static_cast<uint32_t>(text.size());
  run.utf16 = static_cast<uint32_t>(counts.utf16);
  // Left origin: the visible item before the cursor; right origin: whatever
  // item (tombstones included) follows it.
  RunTree::Loc at{tree_.first_leaf(), 0, 0};
  if (index > 0) {
    RunTree::Loc left = tree_.FindChar(index - 1);
    run.left_peer = left.run().peer + 1;
    run.left_counter = left.run().counter + left.off;
    at = left;
    if (++at.off == left.run().len) at = RunTree::Loc{left.leaf, left.idx + 1, 0};
  }
  RunTree::Loc next = tree_.Normalize(at);
  if (next.leaf) {
    run.right_peer = next.run().peer + 1;
    run.right_counter = next.run().counter + next.off;
  }
  tree_.Insert(at, run, text);
}

const std::vector<Sequence::IdRange>& Sequence::DeleteLocal(uint64_t index, uint64_t count) {
  deleted_.clear();
  while (count > 0) {
    RunTree::Loc loc = tree_.FindChar(index);
    const Run& r = loc.run();
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(count, r.len - loc.off));
    deleted_.push_back(IdRange{r.peer, r.counter + loc.off, n});
    tree_.MarkDeleted(loc, n);
    count -= n;
  }
  return deleted_;
}

bool Sequence::OriginsInOrder(const InsertOp& op) const {
  if (!op.left || !op.right) return true;
  if (*op.left == *op.right) return false;
  RunTree::Loc l = Find(*op.left), r = Find(*op.right);
  if (!l.leaf || !r.leaf) return true;
  if (l.leaf == r.leaf) return l.idx < r.idx || (l.idx == r.idx && l.off < r.off);  // no walk up
  return ItemPos(l) < ItemPos(r);
}

uint64_t Sequence::Integrate(const InsertOp& op, std::string_view content, uint32_t utf16,
                             bool want_index) {
  Run run = MakeRun(op, static_cast<uint32_t>(content.size()), utf16);

  // Where the scan starts: right after the left origin.
  RunTree::Loc start{tree_.first_leaf(), 0, 0};
  RunTree::Loc left;
  if (op.left) {
    left = Find(*op.left);
    if (left.leaf) {
      start = left;
      if (++start.off == left.run().len) start = RunTree::Loc{left.leaf, left.idx + 1, 0};
    }
  }
  RunTree::Loc cur = tree_.Normalize(start);
  RunTree::Loc dest = start;
  // No concurrent items between the origins (the common case): insert.
  bool direct = !cur.leaf || (op.right && IdAt(cur) == *op.right);
  if (!direct) {
    const int64_t left_pos = left.leaf ? static_cast<int64_t>(ItemPos(left)) : -1;
    const uint64_t total = tree_.total().items;
    // CRDT positions of an item's origins. An origin that names no item
    // (never the case for valid histories) counts as document start / end,
    // deterministically on every replica.
    auto pos_of = [&](uint32_t origin_peer, uint64_t counter, int64_t none) -> int64_t {
      if (origin_peer == kNoOrigin) return none;
      RunTree::Loc l = tree_.FindId(origin_peer - 1, counter);
      return l.leaf ? static_cast<int64_t>(ItemPos(l)) : none;
    };
    uint64_t right_pos = total;
    if (op.right) {
      RunTree::Loc r = Find(*op.right);
      if (r.leaf) right_pos = ItemPos(r);
    }
    uint64_t i = static_cast<uint64_t>(left_pos + 1);
    bool scanning = false;
    RunLeaf* last_leaf = start.leaf;
    while (true) {
      if (!scanning) dest = cur.leaf ? cur : RunTree::Loc{last_leaf, last_leaf->count, 0};
      if (!cur.leaf || i == right_pos) break;
      const Run& other = cur.run();
      const int64_t oleft = cur.off > 0 ? static_cast<int64_t>(i) - 1
                                        : pos_of(other.left_peer, other.left_counter, -1);
      const uint64_t oright = static_cast<uint64_t>(
          pos_of(other.right_peer, other.right_counter, static_cast<int64_t>(total)));
      if (oleft < left_pos) break;
      if (oleft == left_pos) {
        if (oright < right_pos) {
          scanning = true;
        } else if (oright == right_pos) {
          if (op.id.peer < peers_.id(other.peer)) break;
          scanning = false;
        } else {
          scanning = false;
        }
      }
      // The rest of this run lies inside `other`'s subtree: skip it, but stop
      // at the right origin if it is in there.
      const uint64_t rest = other.len - cur.off;
      if (right_pos > i && right_pos < i + rest) {
        if (!scanning)
          dest = RunTree::Loc{cur.leaf, cur.idx, cur.off + static_cast<uint32_t>(right_pos - i)};
        break;
      }
      i += rest;
      last_leaf = cur.leaf;
      cur = tree_.NextRun(cur);
    }
  }
  RunTree::Loc at = tree_.Insert(dest, run, content);
  return want_index && !op.deleted ? tree_.MetricsBefore(at).chars : 0;
}

void Sequence::DeleteRange(PeerId peer_id, uint64_t low, uint64_t len, bool want_index,
                           std::vector<CharRange>* deleted) {
  PeerIndex peer;
  if (!peers_.Find(peer_id, &peer)) return;
  const uint64_t end = low + len;
  uint64_t c = low;
  while (c < end) {
    RunTree::Loc loc = tree_.FindId(peer, c);
    if (!loc.leaf) {
      // Not an item (a delete's own counter): jump to the next item id.
      c = std::max(c + 1, tree_.index().NextItem(peer, c));
      continue;
    }
    const Run& r = loc.run();
    uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(end - c, r.len - loc.off));
    if (!r.deleted()) {
      uint64_t index = want_index ? tree_.MetricsBefore(loc).chars : 0;
      tree_.MarkDeleted(loc, n);
      deleted->push_back(CharRange{index, n});
    }
    c += n;
  }
}

}  // namespace tandem
