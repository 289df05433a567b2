// ListValues: a chunk of plain doubles is kept as doubles, and reads,
// grows, widens (when another kind joins it) and drops exactly like a
// chunk of Values.
#include "core/list_values.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

namespace tandem {
namespace {

std::vector<Value> Doubles(std::initializer_list<double> ds) {
  std::vector<Value> out;
  for (double d : ds) out.push_back(Value::Double(d));
  return out;
}

uint64_t Bits(const std::optional<Value>& v) {
  return std::bit_cast<uint64_t>(v->as_double());
}

TEST(ListValues, DoublesComeBackBitForBitAndTakeHalfTheMemory) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Value> in = Doubles({412.37, -0.0, nan, 1e300, 0.1});
  ListValues doubles, mixed;
  doubles.Put(0, 10, in);
  std::vector<Value> with_int = in;
  with_int.push_back(Value::Int(1));
  mixed.Put(0, 10, with_int);
  for (size_t i = 0; i < in.size(); ++i) {
    const std::optional<Value> v = doubles.Find(0, 10 + i);
    ASSERT_TRUE(v.has_value()) << i;
    ASSERT_EQ(v->kind(), Value::Kind::kDouble) << i;
    EXPECT_EQ(Bits(v), std::bit_cast<uint64_t>(in[i].as_double())) << i;
    EXPECT_EQ(Bits(mixed.Find(0, 10 + i)), Bits(v)) << i;
  }
  EXPECT_FALSE(doubles.Find(0, 9).has_value());
  EXPECT_FALSE(doubles.Find(0, 15).has_value());
  EXPECT_FALSE(doubles.Find(1, 10).has_value());
  EXPECT_EQ(mixed.Find(0, 15)->as_int(), 1);
  // 5 doubles at 8 bytes against 6 Values at 16.
  EXPECT_EQ(doubles.MemoryUsage() + 5 * 8 + 16, mixed.MemoryUsage());
}

TEST(ListValues, ADoubleChunkGrowsAndWidensWhenAnotherKindJoins) {
  ListValues v;
  EXPECT_FALSE(v.Put(3, 0, Doubles({1.5, 2.5})));
  EXPECT_TRUE(v.Put(3, 2, Doubles({3.5})));  // continues the chunk
  EXPECT_TRUE(v.Put(3, 3, {Value::String("a long string, on the heap")}));
  EXPECT_TRUE(v.Put(3, 4, Doubles({4.5})));
  v.ShrinkGrown();
  EXPECT_EQ(v.Find(3, 0)->as_double(), 1.5);
  EXPECT_EQ(v.Find(3, 2)->as_double(), 3.5);
  EXPECT_EQ(v.Find(3, 3)->as_string(), "a long string, on the heap");
  EXPECT_EQ(v.Find(3, 4)->as_double(), 4.5);
  EXPECT_FALSE(v.Find(3, 5).has_value());
}

TEST(ListValues, DroppedDoublesReadAsNullAndAnEmptyChunkGoes) {
  ListValues v;
  v.Put(0, 0, Doubles({1, 2, 3, 4}));
  v.Drop(0, 1, 2);
  EXPECT_EQ(v.Find(0, 0)->as_double(), 1);
  EXPECT_TRUE(v.Find(0, 1)->is_null());
  EXPECT_TRUE(v.Find(0, 2)->is_null());
  EXPECT_EQ(v.Find(0, 3)->as_double(), 4);
  v.Drop(0, 1, 2);  // a concurrent delete of the same items: nothing more
  // A chunk with dropped items is not continued (its live count differs):
  // a new chunk starts, and a widened one keeps the drops.
  EXPECT_FALSE(v.Put(0, 4, {Value::Bool(true)}));
  EXPECT_TRUE(v.Find(0, 4)->as_bool());
  v.Drop(0, 0, 4);
  EXPECT_FALSE(v.Find(0, 0).has_value());  // every item dropped: chunk gone
  EXPECT_TRUE(v.Find(0, 4)->as_bool());
}

TEST(ListValues, TheOnlyChunkAndTheOnesAfterItReadAlike) {
  // A list's only chunk is kept inline until a second comes, before or
  // after it: reads, growth, drops and ShrinkGrown must not tell.
  ListValues v;
  EXPECT_FALSE(v.Put(1, 10, Doubles({1, 2})));
  EXPECT_TRUE(v.Put(1, 12, Doubles({3})));  // grows the only chunk
  EXPECT_FALSE(v.Put(1, 0, Doubles({9})));  // before it: a second chunk
  v.PutDoubles(0, 5, {7, 8});               // another peer's
  v.ShrinkGrown();
  EXPECT_EQ(v.Find(1, 10)->as_double(), 1);
  EXPECT_EQ(v.Find(1, 12)->as_double(), 3);
  EXPECT_EQ(v.Find(1, 0)->as_double(), 9);
  EXPECT_EQ(v.Find(0, 6)->as_double(), 8);
  EXPECT_FALSE(v.Find(1, 13).has_value());
  EXPECT_FALSE(v.Find(1, 5).has_value());
  v.Drop(1, 0, 11);  // across two chunks
  EXPECT_FALSE(v.Find(1, 0).has_value());
  EXPECT_TRUE(v.Find(1, 10)->is_null());
  EXPECT_EQ(v.Find(1, 11)->as_double(), 2);

  ListValues w;
  w.PutDoubles(2, 4, {1, 2, 3});
  EXPECT_FALSE(w.Find(2, 3).has_value());
  EXPECT_FALSE(w.Find(1, 4).has_value());
  EXPECT_FALSE(w.Find(3, 4).has_value());
  w.Drop(1, 0, 100);  // another peer: nothing
  w.Drop(2, 0, 4);    // before it: nothing
  EXPECT_EQ(w.Find(2, 4)->as_double(), 1);
  w.Drop(2, 5, 1);
  EXPECT_TRUE(w.Find(2, 5)->is_null());
  EXPECT_FALSE(w.Put(2, 7, Doubles({4})));  // after a drop: not continued
  EXPECT_EQ(w.Find(2, 7)->as_double(), 4);
  w.Drop(2, 4, 3);  // the first chunk empties and goes
  EXPECT_FALSE(w.Find(2, 4).has_value());
  EXPECT_EQ(w.Find(2, 7)->as_double(), 4);
  ListValues x;
  x.Put(0, 0, {Value::Bool(true)});
  x.Drop(0, 0, 1);  // the only chunk empties: nothing left
  EXPECT_FALSE(x.Find(0, 0).has_value());
  EXPECT_FALSE(x.Put(0, 1, {Value::Bool(false)}));
  EXPECT_FALSE(x.Find(0, 1)->as_bool());
}

}  // namespace
}  // namespace tandem
