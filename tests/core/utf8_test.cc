// UTF-8 helpers: validation must accept exactly the encodings of Unicode
// scalar values (what the engine stores) and the offset helpers must refuse
// positions inside a character.
#include "core/utf8.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tandem::utf8 {
namespace {

// Shortest-form encoding of any value up to 0x1FFFFF (surrogates included:
// tests use it to build invalid input too).
std::string Encode(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

std::string Bytes(std::initializer_list<unsigned> bytes) {
  std::string s;
  for (unsigned b : bytes) s += static_cast<char>(b);
  return s;
}

bool Valid(std::string_view s) {
  Counts c;
  return Validate(s, &c);
}

// An independent (slow, obviously correct) validator: decodes each sequence
// by its structure and re-encodes it; valid iff the shortest form matches
// and the value is a scalar value.
bool ReferenceValid(std::string_view s, Counts* counts) {
  Counts c;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    int n;
    uint32_t cp;
    if (b < 0x80) {
      n = 1, cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      n = 2, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 3, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 4, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (int k = 1; k < n; ++k) {
      const auto cb = static_cast<unsigned char>(s[i + k]);
      if ((cb & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cb & 0x3F);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (Encode(cp) != s.substr(i, n)) return false;  // overlong
    ++c.code_points;
    c.utf16 += cp >= 0x10000 ? 2 : 1;
    i += n;
  }
  *counts = c;
  return true;
}

TEST(Utf8Validate, AcceptsEveryScalarValue) {
  std::string all;
  uint64_t scalars = 0, astral = 0;
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const std::string e = Encode(cp);
    Counts c;
    ASSERT_TRUE(Validate(e, &c)) << "U+" << std::hex << cp;
    ASSERT_EQ(c.code_points, 1u) << "U+" << std::hex << cp;
    ASSERT_EQ(c.utf16, cp >= 0x10000 ? 2u : 1u) << "U+" << std::hex << cp;
    all += e;
    ++scalars;
    astral += cp >= 0x10000;
  }
  // All of them in one string: exercises the 8-byte ASCII fast path's exits.
  Counts c;
  ASSERT_TRUE(Validate(all, &c));
  EXPECT_EQ(c.code_points, scalars);
  EXPECT_EQ(c.utf16, scalars + astral);
  const Counts counted = Count(all);
  EXPECT_EQ(counted.code_points, scalars);
  EXPECT_EQ(counted.utf16, scalars + astral);
}

TEST(Utf8Validate, EmptyIsValid) {
  Counts c{7, 7};
  ASSERT_TRUE(Validate("", &c));
  EXPECT_EQ(c.code_points, 0u);
  EXPECT_EQ(c.utf16, 0u);
  EXPECT_TRUE(Validate("", nullptr));
  EXPECT_TRUE(Validate("abc", nullptr));
}

TEST(Utf8Validate, BoundaryValues) {
  for (uint32_t cp : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFEu,
                      0xFFFFu, 0x10000u, 0x1F600u, 0x10FFFFu}) {
    EXPECT_TRUE(Valid(Encode(cp))) << "U+" << std::hex << cp;
  }
  EXPECT_TRUE(Valid(std::string(1, '\0')));
  EXPECT_TRUE(Valid(Bytes({0xF4, 0x8F, 0xBF, 0xBF})));  // U+10FFFF
}

TEST(Utf8Validate, RejectsOverlongs) {
  EXPECT_FALSE(Valid(Bytes({0xC0, 0x80})));              // U+0000 in two bytes
  EXPECT_FALSE(Valid(Bytes({0xC0, 0xAF})));              // '/' in two bytes
  EXPECT_FALSE(Valid(Bytes({0xC1, 0xBF})));              // U+007F in two bytes
  EXPECT_FALSE(Valid(Bytes({0xE0, 0x80, 0x80})));        // U+0000 in three
  EXPECT_FALSE(Valid(Bytes({0xE0, 0x80, 0xAF})));        // '/' in three
  EXPECT_FALSE(Valid(Bytes({0xE0, 0x9F, 0xBF})));        // U+07FF in three
  EXPECT_FALSE(Valid(Bytes({0xF0, 0x80, 0x80, 0x80})));  // U+0000 in four
  EXPECT_FALSE(Valid(Bytes({0xF0, 0x80, 0x80, 0xAF})));  // '/' in four
  EXPECT_FALSE(Valid(Bytes({0xF0, 0x8F, 0xBF, 0xBF})));  // U+FFFF in four
  // The smallest non-overlong forms next to them are fine.
  EXPECT_TRUE(Valid(Bytes({0xC2, 0x80})));
  EXPECT_TRUE(Valid(Bytes({0xE0, 0xA0, 0x80})));
  EXPECT_TRUE(Valid(Bytes({0xF0, 0x90, 0x80, 0x80})));
  // Every two-byte overlong.
  for (uint32_t cp = 0; cp < 0x80; ++cp) {
    EXPECT_FALSE(Valid(Bytes({0xC0 | (cp >> 6), 0x80 | (cp & 0x3F)}))) << cp;
  }
}

TEST(Utf8Validate, RejectsSurrogates) {
  EXPECT_FALSE(Valid(Bytes({0xED, 0xA0, 0x80})));  // U+D800
  EXPECT_FALSE(Valid(Bytes({0xED, 0xBF, 0xBF})));  // U+DFFF
  EXPECT_TRUE(Valid(Bytes({0xED, 0x9F, 0xBF})));   // U+D7FF
  for (uint32_t cp = 0xD800; cp <= 0xDFFF; ++cp) {
    ASSERT_FALSE(Valid(Encode(cp))) << "U+" << std::hex << cp;
    ASSERT_FALSE(Valid("abcdefgh" + Encode(cp) + "xyz")) << "U+" << std::hex << cp;
  }
  // CESU-8 style pair for U+1F600 (two encoded surrogates).
  EXPECT_FALSE(Valid(Bytes({0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80})));
}

TEST(Utf8Validate, RejectsBeyondMaxCodePoint) {
  EXPECT_FALSE(Valid(Bytes({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  EXPECT_FALSE(Valid(Bytes({0xF4, 0xBF, 0xBF, 0xBF})));
  EXPECT_FALSE(Valid(Bytes({0xF5, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(Valid(Bytes({0xF7, 0xBF, 0xBF, 0xBF})));        // U+1FFFFF
  EXPECT_FALSE(Valid(Bytes({0xF8, 0x88, 0x80, 0x80, 0x80})));  // five-byte form
  EXPECT_FALSE(Valid(Bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(Valid(Bytes({0xFE})));
  EXPECT_FALSE(Valid(Bytes({0xFF})));
}

TEST(Utf8Validate, RejectsTruncatedSequences) {
  const std::string full[] = {Encode(0xE9), Encode(0x20AC), Encode(0x1F600)};
  for (const std::string& f : full) {
    for (size_t n = 1; n < f.size(); ++n) {
      const std::string cut = f.substr(0, n);
      EXPECT_FALSE(Valid(cut)) << f.size() << " cut to " << n;
      EXPECT_FALSE(Valid("abc" + cut)) << "at the end, " << n;
      EXPECT_FALSE(Valid(cut + "abc")) << "followed by ASCII, " << n;
      EXPECT_FALSE(Valid("abcdefghij" + cut + "klmnopqrstu")) << "inside ASCII, " << n;
      EXPECT_FALSE(Valid(cut + f)) << "followed by a lead byte, " << n;
    }
  }
}

TEST(Utf8Validate, RejectsStrayContinuationBytes) {
  for (unsigned b = 0x80; b <= 0xBF; ++b) {
    EXPECT_FALSE(Valid(Bytes({b}))) << b;
    EXPECT_FALSE(Valid("abcdefgh" + Bytes({b}))) << b;
  }
  EXPECT_FALSE(Valid(Encode(0xE9) + Bytes({0xA9})));     // one too many
  EXPECT_FALSE(Valid(Encode(0x1F600) + Bytes({0x80})));  // one too many
  EXPECT_FALSE(Valid(Bytes({0xC2, 0x80, 0x80})));
}

TEST(Utf8Validate, AgreesWithReferenceOnRandomBytes) {
  std::mt19937_64 rng(1234);
  // Bytes biased toward the interesting ones: lead bytes, continuation bytes,
  // the boundary leads E0/ED/F0/F4, and ASCII runs for the fast path.
  const unsigned pool[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                           0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                           0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
  int valid = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    std::string s;
    const int len = static_cast<int>(rng() % 12);
    for (int i = 0; i < len; ++i) {
      const uint64_t r = rng();
      if (r % 4 == 0) {
        s += std::string(r % 11, 'a');
      } else {
        s += static_cast<char>(pool[(r >> 8) % std::size(pool)]);
      }
    }
    Counts want, got;
    const bool ref = ReferenceValid(s, &want);
    ASSERT_EQ(Validate(s, &got), ref) << testing::PrintToString(s);
    if (ref) {
      ++valid;
      ASSERT_EQ(got.code_points, want.code_points);
      ASSERT_EQ(got.utf16, want.utf16);
      const Counts c = Count(s);
      ASSERT_EQ(c.code_points, want.code_points);
      ASSERT_EQ(c.utf16, want.utf16);
    }
  }
  EXPECT_GT(valid, 1000);  // the generator does reach valid strings
}

// "aé€😀b": 1 + 2 + 3 + 4 + 1 bytes, 5 code points, 6 UTF-16 units.
const std::string kMixed = "a" + Encode(0xE9) + Encode(0x20AC) + Encode(0x1F600) + "b";

TEST(Utf8Count, CountsCodePointsAndUtf16) {
  EXPECT_EQ(Count("").code_points, 0u);
  EXPECT_EQ(Count("").utf16, 0u);
  EXPECT_EQ(Count("hello").code_points, 5u);
  EXPECT_EQ(Count("hello").utf16, 5u);
  const Counts c = Count(kMixed);
  EXPECT_EQ(c.code_points, 5u);
  EXPECT_EQ(c.utf16, 6u);
  const std::string emoji = Encode(0x1F600) + Encode(0x10FFFF) + Encode(0x10000);
  EXPECT_EQ(Count(emoji).code_points, 3u);
  EXPECT_EQ(Count(emoji).utf16, 6u);
}

TEST(Utf8ByteOffset, OfEveryCodePoint) {
  const size_t want[] = {0, 1, 3, 6, 10, 11};
  for (uint64_t n = 0; n <= 5; ++n) EXPECT_EQ(ByteOffsetOfCodePoint(kMixed, n), want[n]) << n;
  EXPECT_EQ(ByteOffsetOfCodePoint("", 0), 0u);
  EXPECT_EQ(ByteOffsetOfCodePoint("abc", 2), 2u);
  const std::string astral = Encode(0x1F600) + Encode(0x1F601);
  EXPECT_EQ(ByteOffsetOfCodePoint(astral, 1), 4u);
  EXPECT_EQ(ByteOffsetOfCodePoint(astral, 2), 8u);
}

TEST(Utf8SequenceLength, ByLeadByte) {
  EXPECT_EQ(SequenceLength(0x00), 1);
  EXPECT_EQ(SequenceLength(0x7F), 1);
  EXPECT_EQ(SequenceLength(0xC2), 2);
  EXPECT_EQ(SequenceLength(0xDF), 2);
  EXPECT_EQ(SequenceLength(0xE0), 3);
  EXPECT_EQ(SequenceLength(0xEF), 3);
  EXPECT_EQ(SequenceLength(0xF0), 4);
  EXPECT_EQ(SequenceLength(0xF4), 4);
}

TEST(Utf8CodePointOfUtf16, MapsUnitsAndRefusesSurrogateMiddle) {
  // Units of kMixed: a(0) é(1) €(2) 😀(3,4) b(5); end 6.
  struct Case {
    uint64_t units;
    bool ok;
    uint64_t cp;
  };
  const Case cases[] = {{0, true, 0}, {1, true, 1}, {2, true, 2},  {3, true, 3},   {4, false, 0},
                        {5, true, 4}, {6, true, 5}, {7, false, 0}, {100, false, 0}};
  for (const Case& c : cases) {
    uint64_t cp = 999;
    EXPECT_EQ(CodePointOfUtf16(kMixed, c.units, &cp), c.ok) << c.units;
    if (c.ok) {
      EXPECT_EQ(cp, c.cp) << c.units;
    }
  }
  uint64_t cp = 999;
  EXPECT_TRUE(CodePointOfUtf16("", 0, &cp));
  EXPECT_EQ(cp, 0u);
  EXPECT_FALSE(CodePointOfUtf16("", 1, &cp));
  const std::string pairs = Encode(0x1F600) + Encode(0x10FFFF) + Encode(0x10000);
  for (uint64_t u = 0; u <= 6; ++u) {
    const bool ok = CodePointOfUtf16(pairs, u, &cp);
    EXPECT_EQ(ok, u % 2 == 0) << u;
    if (ok) {
      EXPECT_EQ(cp, u / 2) << u;
    }
  }
}

TEST(Utf8CodePointOfByte, MapsBytesAndRefusesSequenceMiddle) {
  // Bytes of kMixed: a(0) é(1,2) €(3..5) 😀(6..9) b(10); end 11.
  const bool starts[] = {true, true,  false, true,  false, false,
                         true, false, false, false, true,  true};
  const uint64_t cps[] = {0, 1, 0, 2, 0, 0, 3, 0, 0, 0, 4, 5};
  for (uint64_t b = 0; b <= 11; ++b) {
    uint64_t cp = 999;
    EXPECT_EQ(CodePointOfByte(kMixed, b, &cp), starts[b]) << b;
    if (starts[b]) {
      EXPECT_EQ(cp, cps[b]) << b;
    }
  }
  uint64_t cp;
  EXPECT_FALSE(CodePointOfByte(kMixed, 12, &cp));
  EXPECT_FALSE(CodePointOfByte(kMixed, UINT64_MAX, &cp));
  EXPECT_TRUE(CodePointOfByte("", 0, &cp));
  EXPECT_EQ(cp, 0u);
  EXPECT_FALSE(CodePointOfByte("", 1, &cp));
}

TEST(Utf8Offsets, AgreeOnRandomText) {
  // Round trips between the three units on random multi-byte text.
  std::mt19937_64 rng(99);
  const uint32_t alphabet[] = {'a', 'z', 0xE9, 0x3B1, 0x20AC, 0x4E2D, 0xFFFD, 0x1F600, 0x10FFFF};
  for (int iter = 0; iter < 200; ++iter) {
    std::string s;
    std::vector<uint32_t> cps;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      cps.push_back(alphabet[rng() % std::size(alphabet)]);
      s += Encode(cps.back());
    }
    uint64_t bytes = 0, units = 0;
    for (size_t i = 0; i <= cps.size(); ++i) {
      ASSERT_EQ(ByteOffsetOfCodePoint(s, i), bytes);
      uint64_t cp = 0;
      ASSERT_TRUE(CodePointOfByte(s, bytes, &cp));
      ASSERT_EQ(cp, i);
      ASSERT_TRUE(CodePointOfUtf16(s, units, &cp));
      ASSERT_EQ(cp, i);
      if (i == cps.size()) break;
      const uint64_t w = Encode(cps[i]).size();
      for (uint64_t k = 1; k < w; ++k) ASSERT_FALSE(CodePointOfByte(s, bytes + k, &cp));
      if (cps[i] >= 0x10000) {
        ASSERT_FALSE(CodePointOfUtf16(s, units + 1, &cp));
      }
      bytes += w;
      units += cps[i] >= 0x10000 ? 2 : 1;
    }
  }
}

}  // namespace
}  // namespace tandem::utf8
