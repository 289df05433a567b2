// UTF-32 helpers for tests that check the engine against a std::u32string
// model of the text.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::testing_model {

// The UTF-8 encoding of one scalar value.
inline std::string ToUtf8(char32_t c) {
  const auto cp = static_cast<uint32_t>(c);
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

inline std::string ToUtf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) out += ToUtf8(c);
  return out;
}

}  // namespace tandem::testing_model
