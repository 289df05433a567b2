// Sequence: the replicated sequence CRDT (FugueMax) behind Text and List.
//
// Items are ordered by left/right origins. A local insert records the item
// it went after (left origin) and the item that followed it (right origin,
// tombstones included). A remote insert starts right after its left origin
// and, when other items were inserted there concurrently, scans them with
// the FugueMax rule (docs/architecture.md explains it and why it converges):
//
//   for each item o after the left origin, up to the right origin:
//     o.left before ours                      -> stop: insert here
//     o.left == ours and o.right == ours      -> the lower peer id goes first
//     o.left == ours and o.right before ours  -> maybe after o: keep scanning
//     o.left == ours and o.right after ours   -> after o (settled)
//     o.left after ours                       -> o is inside a sibling: skip
//
// which never interleaves two runs typed concurrently at one place.
//
// The sequence knows nothing of version vectors or pending operations: the
// caller (Text) only hands it operations whose origins and targets it has.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "peer_table.h"
#include "run_tree.h"
#include "update_ops.h"
#include "utf8.h"

namespace tandem {

class Sequence {
 public:
  const Metrics& size() const { return tree_.total(); }
  PeerTable& peers() { return peers_; }
  const PeerTable& peers() const { return peers_; }
  RunTree& tree() { return tree_; }
  const RunTree& tree() const { return tree_; }

  // Inserts `text` (valid UTF-8 with `counts`) at visible code point `index`
  // (<= size().chars) as items (peer, counter...). A long text goes in as
  // runs of at most kMaxVisibleRunLen, each after the previous one (to peers
  // it is the same as one run).
  void InsertLocal(uint64_t index, PeerIndex peer, uint64_t counter, std::string_view text,
                   const utf8::Counts& counts);
  // A stretch of consecutive item ids.
  struct IdRange {
    PeerIndex peer;
    uint64_t counter;
    uint32_t len;
  };
  // Deletes `count` visible code points at `index` (index + count <=
  // size().chars). Returns the ids deleted, in order; the vector is reused
  // by the next call.
  const std::vector<IdRange>& DeleteLocal(uint64_t index, uint64_t count);

  // Integrates a remote insert (len <= UINT32_MAX) whose origins this
  // sequence has (an origin that names no item counts as document start /
  // end: every replica decides that the same way). Returns the visible code
  // point index of the new content when `want_index`, else 0.
  uint64_t Integrate(const InsertOp& op, std::string_view content, uint32_t utf16, bool want_index);
  // A stretch of deleted visible code points.
  struct CharRange {
    uint64_t index;  // 0 unless asked for
    uint64_t len;
  };
  // Deletes the items with counters [low, low + len) of `peer` (ids that are
  // not items or already deleted are skipped); appends to *deleted each newly
  // deleted stretch, with its visible index if `want_index`.
  void DeleteRange(PeerId peer, uint64_t low, uint64_t len, bool want_index,
                   std::vector<CharRange>* deleted);

  // False when both origins are items here and the right one does not come
  // after the left one: no honest peer can produce such an insert.
  bool OriginsInOrder(const InsertOp& op) const;

  // The item with this id (leaf == nullptr if there is none).
  RunTree::Loc Find(const OpId& id) const;
  // Visible code points before a location.
  uint64_t CharsBefore(RunTree::Loc loc) const { return tree_.MetricsBefore(loc).chars; }

  // The item's id at a location.
  OpId IdAt(RunTree::Loc loc) const {
    return OpId{peers_.id(loc.run().peer), loc.run().counter + loc.off};
  }

 private:
  uint64_t ItemPos(RunTree::Loc loc) const {
    return tree_.MetricsBefore(loc.leaf).items + ItemsInLeafBefore(loc);
  }
  static uint64_t ItemsInLeafBefore(RunTree::Loc loc);
  Run MakeRun(const InsertOp& op, uint32_t bytes, uint32_t utf16);
  void InsertLocalRun(uint64_t index, PeerIndex peer, uint64_t counter, std::string_view text,
                      const utf8::Counts& counts);

  PeerTable peers_;
  RunTree tree_;
  std::vector<IdRange> deleted_;  // DeleteLocal's result, reused
};

}  // namespace tandem
