// SnapshotRuns: a snapshot's insert rows (document order) as tree runs, for
// RunTree::Load. Shared by the Text and Doc snapshot decoders.
#pragma once

#include <algorithm>
#include <string_view>
#include <vector>

#include "run.h"
#include "update_ops.h"
#include "utf8.h"

namespace tandem {

// Appends the runs of `op` (content `text`) to *runs. Tree runs hold at most
// UINT32_MAX items (tombstones) or kMaxVisibleRunLen (visible runs), so a
// longer row becomes several, each continuing the previous one.
// `one_byte_items`: every item is one byte (ASCII text, list placeholders).
// `peer_of(id)` gives the tree's peer index of a peer id.
template <typename PeerOf>
void AppendSnapshotRuns(const InsertOp& op, std::string_view text, bool one_byte_items,
                        PeerOf peer_of, std::vector<Run>* runs) {
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
  const uint64_t cap = op.deleted ? UINT32_MAX : kMaxVisibleRunLen;
  for (uint64_t done = 0; done < op.len;) {
    Run piece = r;
    piece.counter = op.id.counter + done;
    piece.len = static_cast<uint32_t>(std::min<uint64_t>(op.len - done, cap));
    if (done > 0) {
      piece.left_peer = r.peer + 1;
      piece.left_counter = piece.counter - 1;
    }
    if (!op.deleted) {
      std::string_view pc =
          text.substr(0, one_byte_items ? piece.len : utf8::ByteOffsetOfCodePoint(text, piece.len));
      piece.bytes = static_cast<uint32_t>(pc.size());
      piece.utf16 = one_byte_items ? piece.len : static_cast<uint32_t>(utf8::Count(pc).utf16);
      text.remove_prefix(pc.size());
    }
    runs->push_back(piece);
    done += piece.len;
  }
}

}  // namespace tandem
