// IndexUnit: how a caller counts positions in text.
//
// The engine stores Unicode scalar values; editors count UTF-16 code units
// (JavaScript, Qt, Windows) or UTF-8 bytes (GTK, Rust, most C). Every text
// call takes the unit the caller uses and converts in O(log n).
#pragma once

namespace tandem {

enum class IndexUnit {
  kCodePoint,  // Unicode scalar values
  kUtf16,      // UTF-16 code units (an astral character counts 2)
  kUtf8,       // UTF-8 bytes
};

}  // namespace tandem
