// Run: consecutive items of one peer stored as one record.
//
// Items are the elements of a sequence (characters of a Text). A run holds
// `len` items with ids (peer, counter) .. (peer, counter + len - 1). Only the
// first item's origins are stored: every later item's left origin is the item
// before it and all share the run's right origin. Deleted runs keep their ids
// and origins (tombstones) but their content is dropped.
#pragma once

#include <cstdint>

namespace tandem {

// Peers are stored as small indices into the sequence's peer table; origins
// use index + 1 so that 0 can mean "document start / end".
using PeerIndex = uint32_t;
inline constexpr uint32_t kNoOrigin = 0;

// Visible runs are cut at this many items: splitting a run or converting a
// position inside it scans its UTF-8 content, and this bounds that scan.
// (Tombstones have no content and merge up to UINT32_MAX items.)
inline constexpr uint32_t kMaxVisibleRunLen = 1024;

struct Run {
  uint64_t counter = 0;        // first item's counter
  uint64_t left_counter = 0;   // left origin's counter (if left_peer != kNoOrigin)
  uint64_t right_counter = 0;  // right origin's counter (if right_peer != kNoOrigin)
  PeerIndex peer = 0;
  uint32_t left_peer = kNoOrigin;   // peer index + 1, or kNoOrigin = document start
  uint32_t right_peer = kNoOrigin;  // peer index + 1, or kNoOrigin = document end
  uint32_t len = 0;
  uint32_t bytes = 0;  // UTF-8 bytes of the content; 0 means deleted
  uint32_t utf16 = 0;  // UTF-16 units of the content; 0 when deleted

  bool deleted() const { return bytes == 0; }
  uint64_t end() const { return counter + len; }
  bool contains(PeerIndex p, uint64_t c) const { return p == peer && c >= counter && c < end(); }
  bool same_right(const Run& o) const {
    return right_peer == o.right_peer &&
           (right_peer == kNoOrigin || right_counter == o.right_counter);
  }
  // True when `next`, placed right after this run, continues it: its first
  // item's left origin is our last item, ids are consecutive, the right
  // origin is shared and both are deleted or both visible.
  bool continued_by(const Run& next) const {
    return next.peer == peer && next.counter == end() && next.left_peer == peer + 1 &&
           next.left_counter == end() - 1 && same_right(next) && deleted() == next.deleted() &&
           uint64_t{len} + next.len <= (deleted() ? UINT32_MAX : kMaxVisibleRunLen);
  }
};

}  // namespace tandem
