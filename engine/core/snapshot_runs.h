// SnapshotRuns: a snapshot's insert rows (document order) as tree runs, for
// RunTree::Loader. Shared by the Text and Doc snapshot decoders.
#pragma once

#include <algorithm>
#include <string_view>

#include "run.h"
#include "update_ops.h"
#include "utf8.h"

namespace tandem {

// Calls add(const Run&) for the runs of a row of `len` items (deleted or
// not, content `text`) whose first run is `first` (peer, counter and origins
// set). Tree runs hold at most UINT32_MAX items (tombstones) or
// kMaxVisibleRunLen (visible runs), so a longer row becomes several, each
// continuing the previous one.
// `one_byte_items`: every item is one byte (ASCII text, list placeholders).
template <typename Add>
void ForEachRowRun(const Run& first, uint64_t len, bool deleted, std::string_view text,
                   bool one_byte_items, Add&& add) {
  const uint64_t cap = deleted ? UINT32_MAX : kMaxVisibleRunLen;
  if (len <= cap && (deleted || one_byte_items)) {  // the common case: one run, no scan
    Run r = first;
    r.len = static_cast<uint32_t>(len);
    if (!deleted) r.bytes = r.utf16 = r.len;
    add(r);
    return;
  }
  for (uint64_t done = 0; done < len;) {
    Run piece = first;
    piece.counter = first.counter + done;
    piece.len = static_cast<uint32_t>(std::min<uint64_t>(len - done, cap));
    if (done > 0) {
      piece.left_peer = first.peer + 1;
      piece.left_counter = piece.counter - 1;
    }
    if (!deleted) {
      std::string_view pc =
          text.substr(0, one_byte_items ? piece.len : utf8::ByteOffsetOfCodePoint(text, piece.len));
      piece.bytes = static_cast<uint32_t>(pc.size());
      piece.utf16 = one_byte_items ? piece.len : static_cast<uint32_t>(utf8::Count(pc).utf16);
      text.remove_prefix(pc.size());
    }
    add(piece);
    done += piece.len;
  }
}

// ForEachRowRun for a decoded InsertOp (content `text`); `peer_of(id)` gives
// the tree's peer index of a peer id.
template <typename PeerOf, typename Add>
void ForEachSnapshotRun(const InsertOp& op, std::string_view text, bool one_byte_items,
                        PeerOf&& peer_of, Add&& add) {
  Run r;
  r.peer = peer_of(op.id.peer);
  r.counter = op.id.counter;
  if (op.left) {
    r.left_peer = peer_of(op.left->peer) + 1;
    r.left_counter = op.left->counter;
  }
  if (op.right) {
    r.right_peer = peer_of(op.right->peer) + 1;
    r.right_counter = op.right->counter;
  }
  ForEachRowRun(r, op.len, op.deleted, text, one_byte_items, add);
}

}  // namespace tandem
