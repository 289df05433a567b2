// UTF-8 helpers for the text engine: validation, counting and offsets in the
// three index units editors use. Text inside the engine is always valid UTF-8
// of Unicode scalar values (no surrogates, no overlongs, nothing past U+10FFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::utf8 {

struct Counts {
  uint64_t code_points = 0;
  uint64_t utf16 = 0;  // code points + one more for each astral character
};

// True and fills *counts when `s` is valid UTF-8 of scalar values.
bool Validate(std::string_view s, Counts* counts);

// Counts of valid UTF-8 (no validation).
Counts Count(std::string_view s);

// Byte offset of code point `n` in valid UTF-8 `s` (n <= code points of s).
size_t ByteOffsetOfCodePoint(std::string_view s, uint64_t n);

// Length in bytes of the sequence that starts with lead byte `b`.
inline int SequenceLength(unsigned char b) {
  return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

// Within valid UTF-8 `s`: the code point index reached after `units` UTF-16
// units. Returns false if `units` falls between the two halves of a
// surrogate pair or past the end.
bool CodePointOfUtf16(std::string_view s, uint64_t units, uint64_t* code_point);
// Within valid UTF-8 `s`: the code point index at byte offset `bytes`.
// Returns false if `bytes` falls inside a sequence or past the end.
bool CodePointOfByte(std::string_view s, uint64_t bytes, uint64_t* code_point);

}  // namespace tandem::utf8
