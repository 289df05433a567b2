// random_text.h: deterministic randomness and Unicode helpers for the
// convergence simulation and the tests built on it: a portable PRNG, UTF-8
// encoding and strict decoding, index units, and random text mixing ASCII,
// 2-byte, 3-byte and astral characters.
#pragma once

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "core/index_unit.h"

namespace tandem::sim {

// ---------------------------------------------------------------- randomness

// xoshiro256** seeded by splitmix64: the same stream on every platform and
// standard library (std::uniform_int_distribution is implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) s = SplitMix(&seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n); 0 when n == 0. The modulo bias is irrelevant here.
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  // Uniform in [lo, hi].
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  bool PerMille(uint64_t p) { return Below(1000) < p; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t* x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

// ---------------------------------------------------------------- unicode

inline void AppendUtf8(std::string* out, char32_t c) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

inline std::string Utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) AppendUtf8(&out, c);
  return out;
}

// Strict decoder (no overlongs, no surrogates, nothing above U+10FFFF).
inline bool DecodeUtf8(std::string_view in, std::u32string* out) {
  out->clear();
  size_t i = 0;
  while (i < in.size()) {
    const auto b0 = static_cast<unsigned char>(in[i]);
    int n;
    char32_t c;
    char32_t min;
    if (b0 < 0x80) {
      out->push_back(b0);
      ++i;
      continue;
    } else if ((b0 & 0xE0) == 0xC0) {
      n = 1, c = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      n = 2, c = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      n = 3, c = b0 & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (in.size() - i < static_cast<size_t>(n) + 1) return false;
    for (int k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(in[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      c = (c << 6) | (b & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    out->push_back(c);
    i += n + 1;
  }
  return true;
}

inline uint64_t UnitWidth(char32_t c, IndexUnit unit) {
  switch (unit) {
    case IndexUnit::kCodePoint: return 1;
    case IndexUnit::kUtf16: return c >= 0x10000 ? 2 : 1;
    case IndexUnit::kUtf8: return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return 1;
}

// Position of code point `cp` of `s` in `unit`.
inline uint64_t UnitOffset(std::u32string_view s, uint64_t cp, IndexUnit unit) {
  if (unit == IndexUnit::kCodePoint) return cp;
  uint64_t n = 0;
  for (uint64_t i = 0; i < cp; ++i) n += UnitWidth(s[i], unit);
  return n;
}

inline uint64_t UnitLength(std::u32string_view s, IndexUnit unit) { return UnitOffset(s, s.size(), unit); }

inline const char* UnitName(IndexUnit unit) {
  switch (unit) {
    case IndexUnit::kCodePoint: return "cp";
    case IndexUnit::kUtf16: return "utf16";
    case IndexUnit::kUtf8: return "utf8";
  }
  return "?";
}

// A random Unicode scalar value: mostly ASCII, then 2-byte, 3-byte and astral
// characters, and now and then a boundary case (NUL, U+FFFF, U+10FFFF, ...).
inline char32_t RandomChar(Rng& rng) {
  const uint64_t r = rng.Below(1000);
  if (r < 480) return rng.PerMille(40) ? U'\n' : static_cast<char32_t>(rng.Range(0x20, 0x7E));
  if (r < 680) return static_cast<char32_t>(rng.Range(0x80, 0x7FF));
  if (r < 860) {
    uint64_t v = rng.Range(0x800, 0xFFFF - 0x800);  // skip the surrogate block
    if (v >= 0xD800) v += 0x800;
    return static_cast<char32_t>(v);
  }
  if (r < 990) return static_cast<char32_t>(rng.Range(0x10000, 0x10FFFF));
  static constexpr char32_t kEdges[] = {0x0,    0x7F,   0x80,    0x7FF,   0x800,   0xD7FF,
                                        0xE000, 0xFEFF, 0xFFFD,  0xFFFF,  0x10000, 0x10FFFF};
  return kEdges[rng.Below(std::size(kEdges))];
}

inline std::u32string RandomText(Rng& rng) {
  const uint64_t n = rng.PerMille(30) ? rng.Range(20, 200) : rng.Range(1, 8);
  std::u32string s;
  for (uint64_t i = 0; i < n; ++i) s.push_back(RandomChar(rng));
  return s;
}

}  // namespace tandem::sim
