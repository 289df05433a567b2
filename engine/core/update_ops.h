// UpdateOps: the decoded form of an update — what the codec produces from
// bytes after validation and what the replica applies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "op_id.h"

namespace tandem {

// Items [id.counter, id.counter + len) of id.peer inserted between `left`
// and `right` (nullopt = document start / end). A deleted insert carries no
// text (its content was dropped by the sender).
struct InsertOp {
  OpId id;
  uint64_t len = 0;
  bool deleted = false;
  std::optional<OpId> left;
  std::optional<OpId> right;
  uint64_t text_begin = 0;  // byte range of the content in UpdateOps::text
  uint64_t text_end = 0;
};

// Delete operations [id.counter, id.counter + len) of id.peer, deleting the
// items of `target.peer` from target.counter forward (or backward, one
// counter down per operation: a run of backspaces).
struct DeleteOp {
  OpId id;
  uint64_t len = 0;
  OpId target;
  bool backward = false;
  // The lowest and highest target counter.
  uint64_t target_low() const { return backward ? target.counter - (len - 1) : target.counter; }
  uint64_t target_high() const { return backward ? target.counter : target.counter + (len - 1); }
};

struct UpdateOps {
  std::vector<InsertOp> inserts;
  std::vector<DeleteOp> deletes;
  std::string text;    // UTF-8 content of the non-deleted inserts
  bool ascii = false;  // `text` is pure ASCII (code points are bytes): a decoding shortcut
  bool empty() const { return inserts.empty() && deletes.empty(); }
};

}  // namespace tandem
