// OpId: the identity of one operation (one inserted item or one deleted item).
//
// A peer numbers its operations with consecutive counters starting at 0; a
// run of n inserted characters takes n consecutive counters. Peer ids must be
// unique per editing session (pick a random 64-bit id, as Yjs clients do):
// two sessions sharing a peer id would reuse counters.
#pragma once

#include <compare>
#include <cstdint>

namespace tandem {

using PeerId = uint64_t;

struct OpId {
  PeerId peer = 0;
  uint64_t counter = 0;
  friend auto operator<=>(const OpId&, const OpId&) = default;
};

// The largest counter an operation may use; keeps `counter + len` from
// overflowing anywhere in the engine.
inline constexpr uint64_t kMaxCounter = (uint64_t{1} << 62) - 1;

}  // namespace tandem
