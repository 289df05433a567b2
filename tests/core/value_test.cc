// Value: strings and bytes of up to 8 bytes live inside the 16-byte Value,
// longer ones on the heap; both behave the same through copies, moves and
// comparisons.
#include "core/value.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(Value, ShortAndLongStringsKeepTheirContent) {
  for (size_t n : {0, 1, 7, 8, 9, 15, 16, 100}) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
    const Value v = Value::String(s);
    EXPECT_EQ(v.kind(), Value::Kind::kString);
    EXPECT_EQ(v.as_string(), s) << n;
    // Only a string past the inline room costs heap bytes.
    EXPECT_EQ(v.HeapBytes() == 0, n <= 8) << n;

    Value copy = v;
    EXPECT_EQ(copy, v);
    EXPECT_EQ(copy.as_string(), s);
    Value moved = std::move(copy);
    EXPECT_EQ(moved.as_string(), s);
    EXPECT_TRUE(copy.is_null());  // NOLINT(bugprone-use-after-move): moved-from is null
    Value assigned = Value::Int(3);
    assigned = v;
    EXPECT_EQ(assigned.as_string(), s);
    assigned = Value::Double(1.5);  // replaces the string, frees a heap one
    EXPECT_EQ(assigned.as_double(), 1.5);
    EXPECT_TRUE(assigned.as_string().empty());
  }
}

TEST(Value, BytesWithZerosAndKindsAreCompared) {
  const std::string raw("\0\1\2", 3);
  const Value b = Value::Bytes(raw);
  EXPECT_EQ(b.as_string(), raw);
  EXPECT_EQ(b, Value::Bytes(raw));
  EXPECT_NE(b, Value::String(raw));  // same content, other kind
  EXPECT_NE(Value::String("abc"), Value::String("abd"));
  EXPECT_NE(Value::String("abcdefgh"), Value::String("abcdefghi"));  // inline vs heap
  EXPECT_EQ(Value::String(""), Value::String(""));
  EXPECT_NE(Value::String(""), Value::Null());
}

// Values move around in vectors (a list's items): short strings move with
// their Value and stay right.
TEST(Value, StringsSurviveVectorGrowth) {
  std::vector<Value> v;
  for (int i = 0; i < 1000; ++i) v.push_back(Value::String(std::to_string(i * 7919)));
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(v[i].as_string(), std::to_string(i * 7919));
  std::vector<Value> copy = v;
  v.clear();
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(copy[i].as_string(), std::to_string(i * 7919));
}

}  // namespace
}  // namespace tandem
