#include "utf8.h"

namespace tandem::utf8 {

bool Validate(std::string_view s, Counts* counts) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  uint64_t cps = 0, astral = 0;
  while (p < end) {
    // Fast path: ASCII 32 bytes at a time (a document's text is mostly
    // ASCII), then eight.
    while (end - p >= 32) {
      uint64_t w[4];
      __builtin_memcpy(w, p, 32);
      if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull) break;
      p += 32;
      cps += 32;
    }
    while (end - p >= 8) {
      uint64_t word;
      __builtin_memcpy(&word, p, 8);
      if (word & 0x8080808080808080ull) break;
      p += 8;
      cps += 8;
    }
    if (p >= end) break;
    unsigned char b = *p;
    if (b < 0x80) {
      ++p;
      ++cps;
      continue;
    }
    uint32_t cp;
    int n;
    if (b >= 0xC2 && b <= 0xDF) {
      n = 2;
      cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      n = 3;
      cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      n = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (end - p < n) return false;
    for (int i = 1; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not scalar values.
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    if (n == 4) ++astral;
    ++cps;
    p += n;
  }
  if (counts) *counts = Counts{cps, cps + astral};
  return true;
}

Counts Count(std::string_view s) {
  uint64_t cps = 0, astral = 0;
  for (unsigned char b : s) {
    if ((b & 0xC0) != 0x80) ++cps;
    if (b >= 0xF0) ++astral;
  }
  return Counts{cps, cps + astral};
}

size_t ByteOffsetOfCodePoint(std::string_view s, uint64_t n) {
  size_t i = 0;
  while (n > 0 && i < s.size()) {
    i += SequenceLength(static_cast<unsigned char>(s[i]));
    --n;
  }
  return i;
}

bool CodePointOfUtf16(std::string_view s, uint64_t units, uint64_t* code_point) {
  uint64_t cp = 0;
  size_t i = 0;
  while (units > 0) {
    if (i >= s.size()) return false;
    int n = SequenceLength(static_cast<unsigned char>(s[i]));
    uint64_t w = n == 4 ? 2 : 1;
    if (units < w) return false;
    units -= w;
    i += n;
    ++cp;
  }
  *code_point = cp;
  return true;
}

bool CodePointOfByte(std::string_view s, uint64_t bytes, uint64_t* code_point) {
  if (bytes > s.size()) return false;
  if (bytes < s.size() && (static_cast<unsigned char>(s[bytes]) & 0xC0) == 0x80) return false;
  uint64_t cp = 0;
  for (size_t i = 0; i < bytes; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++cp;
  }
  *code_point = cp;
  return true;
}

}  // namespace tandem::utf8
