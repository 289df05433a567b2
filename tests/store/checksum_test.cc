#include "store/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tandem::store {
namespace {

TEST(ChecksumTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32c("", 0), 0u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
}

TEST(ChecksumTest, HardwareAndPortableAgreeAndExtend) {
  std::mt19937 rng(7);
  for (size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4099u}) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    uint32_t whole = Crc32c(s.data(), s.size());
    EXPECT_EQ(whole, Crc32cPortable(s.data(), s.size())) << n;
    size_t half = n / 2;
    EXPECT_EQ(Crc32c(s.data() + half, n - half, Crc32c(s.data(), half)), whole) << n;
  }
}

TEST(ChecksumTest, RowChecksumBindsDocAndSeq) {
  uint32_t base = RowChecksum(1, 2, "data");
  EXPECT_NE(base, RowChecksum(2, 2, "data"));
  EXPECT_NE(base, RowChecksum(1, 3, "data"));
  EXPECT_NE(base, RowChecksum(1, 2, "datb"));
  EXPECT_EQ(base, RowChecksum(1, 2, "data"));
}

}  // namespace
}  // namespace tandem::store
