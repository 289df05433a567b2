// Metrics: the sums a run-tree node keeps for each child so that positions in
// any unit are found in O(log n).
#pragma once

#include <cstdint>

#include "run.h"

namespace tandem {

struct Metrics {
  uint64_t items = 0;  // all items, tombstones included (CRDT order positions)
  uint64_t chars = 0;  // visible code points
  uint64_t utf16 = 0;  // visible UTF-16 units
  uint64_t bytes = 0;  // visible UTF-8 bytes

  static Metrics Of(const Run& r) {
    return r.deleted() ? Metrics{r.len, 0, 0, 0} : Metrics{r.len, r.len, r.utf16, r.bytes};
  }
  Metrics& operator+=(const Metrics& o) {
    items += o.items;
    chars += o.chars;
    utf16 += o.utf16;
    bytes += o.bytes;
    return *this;
  }
  // Unsigned wrap-around makes a "negative" delta work with +=.
  Metrics& operator-=(const Metrics& o) {
    items -= o.items;
    chars -= o.chars;
    utf16 -= o.utf16;
    bytes -= o.bytes;
    return *this;
  }
  friend Metrics operator-(Metrics a, const Metrics& b) { return a -= b; }
  friend bool operator==(const Metrics&, const Metrics&) = default;
};

}  // namespace tandem
