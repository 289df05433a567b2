// Value columns: every value comes back bit for bit; short decimals travel
// as integers, bit-packed (older writers' byte planes and packed column
// still read).
#include "core/value_column.h"

#include <bit>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tandem.pb.h"

namespace tandem {
namespace {

constexpr uint32_t kDoubleKind = 4, kDecimalBase = 13;

// Writes `in` into one column, reads it back as a list.
std::vector<Value> RoundTrip(const std::vector<Value>& in, wire::Values* column) {
  ValueColumnWriter w(column);
  for (const Value& v : in) w.Add(v, false);
  w.Finish();
  // Through the wire too: the column must survive serialization.
  wire::Values parsed;
  EXPECT_TRUE(parsed.ParseFromString(column->SerializeAsString()));
  ValueReader r(parsed);
  EXPECT_EQ(r.size(), in.size());
  std::vector<Value> out;
  EXPECT_TRUE(r.ReadList(in.size(), &out).ok());
  EXPECT_TRUE(r.Finish().ok());
  return out;
}

uint64_t Bits(const Value& v) {
  return std::bit_cast<uint64_t>(v.as_double());
}

void ExpectSameBits(const std::vector<Value>& a, const std::vector<Value>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].kind(), b[i].kind()) << i;
    if (a[i].kind() == Value::Kind::kDouble) {
      ASSERT_EQ(Bits(a[i]), Bits(b[i])) << i << ": " << a[i].as_double();
    } else {
      ASSERT_EQ(a[i], b[i]) << i;
    }
  }
}

// The bit-packed column's size for n decimals of `width` bits.
size_t BitsSize(size_t n, size_t width) {
  return 2 + (n * width + 7) / 8;
}

TEST(ValueColumn, ShortDecimalsTravelAsIntegers) {
  std::vector<Value> in;
  for (double d : {412.37, -3.5, 0.01, 7.0, 1e8, 0.12345678, 99999.99, -0.5})
    in.push_back(Value::Double(d));
  wire::Values column;
  ExpectSameBits(in, RoundTrip(in, &column));
  ASSERT_EQ(column.kinds().size(), in.size());
  for (unsigned char k : column.kinds()) {
    EXPECT_GE(k, kDecimalBase);
    EXPECT_LE(k, kDecimalBase + 8);
  }
  EXPECT_EQ(column.doubles_size(), 0);
  EXPECT_EQ(column.decimals_size(), 0);          // the old packed column
  EXPECT_TRUE(column.decimal_planes().empty());  // the old planes
  // 1e8 and 0.12345678 need 28 bits (zigzag 2 * 10^8 < 2^28): every
  // decimal takes 28 bits after the width and padding bytes, instead of 64.
  ASSERT_EQ(column.decimal_bits().size(), BitsSize(in.size(), 28));
  EXPECT_EQ(column.decimal_bits()[0], 28);
  EXPECT_EQ(column.decimal_bits()[1], 0);  // 8 * 28 bits fill 28 bytes
  EXPECT_LT(column.ByteSizeLong(), in.size() * 6);
}

// The writer takes as many bits as the largest decimal needs, zigzag first
// so that small negative numbers stay small; the padding byte says how many
// bits of the last byte are unused.
TEST(ValueColumn, DecimalBitsTakeTheWidthTheirLargestNeeds) {
  struct Case {
    std::vector<double> values;
    int width;
  };
  const std::vector<Case> cases = {
      {{0.0, 0.0, 0.0}, 1},                               // all zero: still one bit
      {{0.5, -0.5, 6.3, -6.4}, 7},                        // zigzag <= 127
      {{0.5, 6.5, 327.67, -327.68}, 16},                  // zigzag < 2^16
      {{412.37, 655.35, 0.0, 1.25, 0.01}, 17},            // zigzag < 2^17
      {{412.37, 999.99, -999.99}, 18},                    // whiteboard coordinates
      {{2147483647.0, -2147483648.0, -21474836.48}, 32},  // INT32_MAX, INT32_MIN
  };
  for (const Case& c : cases) {
    std::vector<Value> in;
    for (double d : c.values) in.push_back(Value::Double(d));
    wire::Values column;
    ExpectSameBits(in, RoundTrip(in, &column));
    for (unsigned char k : column.kinds()) EXPECT_GE(k, kDecimalBase) << c.width;
    const std::string& bits = column.decimal_bits();
    ASSERT_EQ(bits.size(), BitsSize(in.size(), c.width)) << c.width;
    EXPECT_EQ(bits[0], c.width);
    EXPECT_EQ(static_cast<size_t>(bits[1]), (bits.size() - 2) * 8 - in.size() * c.width) << c.width;
    // Read one by one too (the general path).
    ValueReader r(column);
    for (const Value& want : in) {
      Value got;
      ASSERT_TRUE(r.Next(&got, nullptr).ok());
      EXPECT_EQ(Bits(got), Bits(want));
    }
    EXPECT_TRUE(r.Finish().ok());
  }
}

// Every width and count, so the last decimals (read byte by byte near the
// end of the column) and every bit offset are covered, in both read paths.
TEST(ValueColumn, EveryWidthAndCountComesBack) {
  std::mt19937 rng(7);
  for (int width = 1; width <= 32; ++width) {
    for (size_t n : {1, 2, 3, 7, 8, 9, 17, 64, 65}) {
      std::vector<Value> in;
      for (size_t j = 0; j < n; ++j) {
        // zigzag(v) < 2^width, the largest first so the width is exact.
        const uint64_t top = (uint64_t{1} << width) - 1;
        const uint32_t z = static_cast<uint32_t>(j == 0 ? top : rng() & top);
        const int32_t v = static_cast<int32_t>((z >> 1) ^ (0u - (z & 1)));
        in.push_back(Value::Double(static_cast<double>(v) / 100));
      }
      wire::Values column;
      ExpectSameBits(in, RoundTrip(in, &column));
      ASSERT_EQ(column.decimal_bits().size(), BitsSize(n, static_cast<size_t>(width)))
          << width << " " << n;
      ValueReader r(column);
      for (const Value& want : in) {
        Value got;
        ASSERT_TRUE(r.Next(&got, nullptr).ok());
        ASSERT_EQ(Bits(got), Bits(want)) << width << " " << n;
      }
      EXPECT_TRUE(r.Finish().ok());
    }
  }
}

// The kinds of 412.37, -0.05 and 7 as short decimals (exponents 2, 2, 0),
// for columns laid out by hand.
wire::Values ThreeDecimalKinds() {
  wire::Values column;
  column.mutable_kinds()->append({static_cast<char>(kDecimalBase + 2),
                                  static_cast<char>(kDecimalBase + 2),
                                  static_cast<char>(kDecimalBase)});
  return column;
}
const std::vector<Value> kThreeDecimals = {Value::Double(412.37), Value::Double(-0.05),
                                           Value::Double(7)};

// Read as a list and one by one, `column` gives `want` bit for bit.
void ExpectReadsAs(const wire::Values& column, const std::vector<Value>& want) {
  ValueReader list(column);
  std::vector<Value> out;
  ASSERT_TRUE(list.ReadList(want.size(), &out).ok());
  EXPECT_TRUE(list.Finish().ok());
  ExpectSameBits(want, out);
  ValueReader one(column);
  for (const Value& w : want) {
    Value v;
    ASSERT_TRUE(one.Next(&v, nullptr).ok());
    EXPECT_EQ(Bits(v), Bits(w));
  }
  EXPECT_TRUE(one.Finish().ok());
}

// Columns written before the bits existed keep their decimals in byte
// planes (`decimal_planes`) or, older still, the packed `decimals` field:
// both still read.
TEST(ValueColumn, DecimalPlanesOfOlderWritersStillRead) {
  wire::Values column = ThreeDecimalKinds();
  // zigzag 82474 (412.37), 9 (-0.05), 14 (7) in three planes of 3 bytes.
  const uint32_t z[3] = {82474, 9, 14};
  std::string planes(1, '\x03');
  for (int k = 0; k < 3; ++k)
    for (uint32_t v : z) planes.push_back(static_cast<char>(v >> (8 * k)));
  column.set_decimal_planes(planes);
  ExpectReadsAs(column, kThreeDecimals);
}

TEST(ValueColumn, PackedDecimalsOfOlderWritersStillRead) {
  wire::Values column = ThreeDecimalKinds();
  column.add_decimals(41237);
  column.add_decimals(-5);
  column.add_decimals(7);
  ExpectReadsAs(column, kThreeDecimals);
}

// Malformed decimal columns are refused by every way of reading, with the
// reason.
TEST(ValueColumn, MalformedDecimalColumnsAreRefused) {
  std::vector<Value> in = {Value::Double(412.37), Value::Double(1.5)};
  wire::Values good;
  ExpectSameBits(in, RoundTrip(in, &good));
  ASSERT_EQ(good.decimal_bits()[0], 17);  // 34 bits in 5 bytes, 6 unused
  ASSERT_EQ(good.decimal_bits()[1], 6);
  auto refused = [&](const wire::Values& column, const std::string& why) {
    ValueReader list(column);
    std::vector<Value> out;
    Status s = list.ReadList(in.size(), &out);
    if (s.ok()) s = list.Finish();
    EXPECT_FALSE(s.ok()) << why;
    ValueReader one(column);
    Value v;
    s = one.Next(&v, nullptr);
    if (s.ok()) s = one.Next(&v, nullptr);
    if (s.ok()) s = one.Finish();
    EXPECT_FALSE(s.ok()) << why;
  };
  for (int width : {0, 33, 255, 5}) {  // 5: 34 used bits do not split in 5s
    wire::Values bad = good;
    (*bad.mutable_decimal_bits())[0] = static_cast<char>(width);
    refused(bad, "width " + std::to_string(width));
  }
  for (int pad : {8, 200, 7}) {  // 7: 33 used bits do not split in 17s
    wire::Values bad = good;
    (*bad.mutable_decimal_bits())[1] = static_cast<char>(pad);
    refused(bad, "padding " + std::to_string(pad));
  }
  {
    wire::Values bad = good;
    bad.mutable_decimal_bits()->back() |= static_cast<char>(0x80);  // an unused bit set
    refused(bad, "padding not zero");
  }
  {
    wire::Values bad = good;
    bad.mutable_decimal_bits()->resize(1);  // no padding byte
    refused(bad, "one byte");
  }
  {
    wire::Values bad = good;
    bad.set_decimal_bits(std::string("\x11\x00", 2) + std::string(3, '\0') +
                         std::string("\x00", 1));  // 17 bits x 2 = 34 > 32: one decimal
    (*bad.mutable_decimal_bits())[1] = static_cast<char>(32 - 17);
    refused(bad, "too short");
  }
  {
    wire::Values bad = good;
    bad.set_decimal_bits(std::string("\x11\x01", 2) + std::string(7, '\0'));  // 55 bits: 3 decimals
    (*bad.mutable_decimal_bits())[1] = static_cast<char>(56 - 51);
    refused(bad, "too long");
  }
  {
    wire::Values bad = good;
    bad.add_decimals(1);
    bad.add_decimals(2);
    refused(bad, "both bits and packed");
  }
  {
    wire::Values bad = good;
    bad.set_decimal_planes(std::string("\x01\x01\x02", 3));
    refused(bad, "both bits and planes");
  }
  // The planes of older writers are checked as before.
  wire::Values planes;
  planes.mutable_kinds()->assign(good.kinds());
  planes.set_decimal_planes(std::string("\x03", 1) + std::string(6, '\0'));
  {
    ValueReader ok(planes);
    std::vector<Value> out;
    EXPECT_TRUE(ok.ReadList(2, &out).ok());
    EXPECT_TRUE(ok.Finish().ok());
  }
  for (int width : {0, 5, 2, 255}) {  // 2: 6 bytes split in 2s, but then 3 decimals
    wire::Values bad = planes;
    (*bad.mutable_decimal_planes())[0] = static_cast<char>(width);
    if (width == 2) bad.mutable_decimal_planes()->push_back(0);
    refused(bad, "planes width " + std::to_string(width));
  }
}

TEST(ValueColumn, DoublesThatAreNoShortDecimalStayRaw) {
  const double nan_payload = std::bit_cast<double>(uint64_t{0x7ff8000000001234});
  std::vector<Value> in;
  for (double d :
       {-0.0, std::numeric_limits<double>::quiet_NaN(), nan_payload,
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(),
        std::numeric_limits<double>::lowest(), 0.1 + 0.2, 1e-300, 9007199254740992.0, 2147483648.0,
        -2147483649.0, 21474836.48, 3.141592653589793, 1.0 / 3.0})
    in.push_back(Value::Double(d));
  wire::Values column;
  ExpectSameBits(in, RoundTrip(in, &column));
  // -0.0 and NaN never fit a decimal: their bits would change.
  EXPECT_EQ(static_cast<unsigned char>(column.kinds()[0]), kDoubleKind);
  EXPECT_EQ(static_cast<unsigned char>(column.kinds()[1]), kDoubleKind);
  EXPECT_EQ(static_cast<unsigned char>(column.kinds()[2]), kDoubleKind);
}

TEST(ValueColumn, RandomBitPatternsAndDecimalsComeBackExactly) {
  std::mt19937_64 rng(7);
  std::vector<Value> in;
  for (int i = 0; i < 20000; ++i) {
    switch (rng() % 4) {
      case 0: in.push_back(Value::Double(std::bit_cast<double>(rng()))); break;
      case 1:
        in.push_back(Value::Double(std::uniform_real_distribution<double>(-1e6, 1e6)(rng)));
        break;
      case 2: {  // n / 10^e for e up to 10: some fit, some do not
        const int64_t n = static_cast<int64_t>(rng() % 2000000001) - 1000000000;
        in.push_back(
            Value::Double(static_cast<double>(n) / std::pow(10.0, static_cast<int>(rng() % 11))));
        break;
      }
      default:
        in.push_back(Value::Double(static_cast<double>(static_cast<int64_t>(rng() >> 11))));
        break;
    }
  }
  wire::Values column;
  ExpectSameBits(in, RoundTrip(in, &column));
}

TEST(ValueColumn, EveryKindComesBack) {
  std::vector<Value> in = {Value::Null(),
                           Value::Bool(true),
                           Value::Bool(false),
                           Value::Int(-5),
                           Value::Double(2.5),
                           Value::String("héllo"),
                           Value::Bytes("\0\1"),
                           Value::Container(ContainerType::kMap),
                           Value::Container(ContainerType::kText),
                           Value::Int(INT64_MIN),
                           Value::Double(1e300)};
  wire::Values column;
  ExpectSameBits(in, RoundTrip(in, &column));

  // A deleted marker is read only where one is allowed (map writes).
  wire::Values deleted;
  ValueColumnWriter w(&deleted);
  w.Add(Value::Int(1), true);
  w.Finish();
  ValueReader r(deleted);
  Value v;
  bool gone = false;
  ASSERT_TRUE(r.Next(&v, &gone).ok());
  EXPECT_TRUE(gone);
  ValueReader list(deleted);
  std::vector<Value> out;
  EXPECT_FALSE(list.ReadList(1, &out).ok());
}

// The writer checks n / 10^e in the thread's rounding mode and the reader
// divides: both must round to nearest. A writer in another mode keeps raw
// doubles; a reader in another mode still reads every decimal exactly.
TEST(ValueColumn, DecimalsDoNotDependOnTheRoundingMode) {
  std::vector<Value> in;
  for (int i = 0; i < 1000; ++i)
    in.push_back(Value::Double(static_cast<double>(i * 7919 % 100000) / 100));
  wire::Values nearest;
  ExpectSameBits(in, RoundTrip(in, &nearest));
  ASSERT_FALSE(nearest.decimal_bits().empty());
  for (int mode : {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO}) {
    ASSERT_EQ(std::fesetround(mode), 0);
    wire::Values other;
    const std::vector<Value> back = RoundTrip(in, &other);
    // Read the nearest-mode column in this mode, too.
    ValueReader r(nearest);
    std::vector<Value> read;
    const bool read_ok = r.ReadList(in.size(), &read).ok();
    Value one;
    ValueReader single(nearest);
    const bool one_ok = single.Next(&one, nullptr).ok();
    const int mode_after = std::fegetround();
    std::fesetround(FE_TONEAREST);
    EXPECT_EQ(mode_after, mode) << "the reader gives the caller's mode back";
    EXPECT_TRUE(other.decimal_bits().empty()) << mode;
    EXPECT_EQ(other.doubles_size(), static_cast<int>(in.size())) << mode;
    ExpectSameBits(in, back);
    ASSERT_TRUE(read_ok);
    ExpectSameBits(in, read);
    ASSERT_TRUE(one_ok);
    EXPECT_EQ(Bits(one), Bits(in[0]));
  }
}

TEST(ValueColumn, DecimalsResumeAfterARunOfRawDoubles) {
  // The writer stops searching after a run of doubles that fit nothing;
  // it tries again now and then, so a column that turns decimal again is
  // written compactly again.
  std::mt19937_64 rng(11);
  std::vector<Value> in;
  for (int i = 0; i < 1000; ++i)
    in.push_back(Value::Double(std::uniform_real_distribution<double>(0, 1)(rng)));
  for (int i = 0; i < 1000; ++i)
    in.push_back(Value::Double(static_cast<double>(rng() % 100000) / 100));
  wire::Values column;
  ExpectSameBits(in, RoundTrip(in, &column));
  int decimals = 0;
  for (size_t i = 1000; i < in.size(); ++i)
    decimals += static_cast<unsigned char>(column.kinds()[i]) >= kDecimalBase;
  EXPECT_GT(decimals, 900);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// ReadDoubles: plain doubles (raw or decimal, any layout) come out as
// doubles, bit for bit; any other kind among them and nothing is read.
TEST(ValueColumn, ReadDoublesTakesPlainDoublesOrNothing) {
  std::vector<Value> in;
  for (int i = 0; i < 300; ++i) {
    const double d = i % 7 == 0 ? 1.0 / (i + 3) : static_cast<double>(i * 7919 % 100000) / 100;
    in.push_back(Value::Double(i % 50 == 49 ? d * 10 : d));
  }
  wire::Values column;
  ExpectSameBits(in, RoundTrip(in, &column));
  ASSERT_GT(column.doubles_size(), 0);  // some raw doubles among the decimals
  ValueReader r(column);
  std::vector<double> out;
  ASSERT_TRUE(r.ReadDoubles(100, &out));
  ASSERT_TRUE(r.ReadDoubles(200, &out));
  EXPECT_TRUE(r.Finish().ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i)
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i]), Bits(in[i])) << i;

  // A null among them: nothing read, and ReadList still reads it all.
  std::vector<Value> mixed(in.begin(), in.begin() + 20);
  mixed.push_back(Value::Null());
  wire::Values m;
  ExpectSameBits(mixed, RoundTrip(mixed, &m));
  ValueReader rm(m);
  std::vector<double> none;
  EXPECT_FALSE(rm.ReadDoubles(mixed.size(), &none));
  EXPECT_FALSE(rm.ReadDoubles(mixed.size() + 1, &none));  // past the column
  EXPECT_TRUE(none.empty());
  std::vector<Value> all;
  ASSERT_TRUE(rm.ReadList(mixed.size(), &all).ok());
  EXPECT_TRUE(rm.Finish().ok());
  ExpectSameBits(mixed, all);

  // Older layouts read the same; too few decimals for the kinds: nothing.
  wire::Values planes;
  planes.mutable_kinds()->assign(std::string(3, static_cast<char>(kDecimalBase + 2)));
  planes.set_decimal_planes(std::string("\x01\x02\x04\x06", 4));  // zigzag 2, 4, 6
  ValueReader rp(planes);
  std::vector<double> p;
  ASSERT_TRUE(rp.ReadDoubles(3, &p));
  EXPECT_EQ(p, (std::vector<double>{0.01, 0.02, 0.03}));
  planes.mutable_decimal_planes()->pop_back();
  ValueReader short_planes(planes);
  EXPECT_FALSE(short_planes.ReadDoubles(3, &p));
}

}  // namespace
}  // namespace tandem
