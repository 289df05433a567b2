#include "value_column.h"

#include <algorithm>
#include <bit>
#include <cfenv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <string>
#include <type_traits>

#include "tandem.pb.h"

#include "utf8.h"

namespace tandem {

namespace {

enum ValueKind : uint32_t {
  kNull = 0,
  kFalse = 1,
  kTrue = 2,
  kInt = 3,
  kDouble = 4,
  kString = 5,
  kBytes = 6,
  kContainerBase = 7,  // + ContainerType
  kDeleted = 12,
  kDecimalBase = 13,  // + exponent: decimals[next] / 10^exponent
};

constexpr int kMaxExponent = 8;
constexpr double kPow10[kMaxExponent + 1] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};

// n / 10^e gives back exactly `d` (bit for bit: -0.0 and NaN never fit).
// n is 32-bit, so it converts to double exactly and the only rounding is
// the division's.
bool FitsDecimal(double d, int e, int32_t* n) {
  const double scaled = d * kPow10[e];
  if (!(scaled >= -2147483648.0 && scaled <= 2147483647.0)) return false;
  const int32_t m = static_cast<int32_t>(std::nearbyint(scaled));
  if (std::bit_cast<uint64_t>(static_cast<double>(m) / kPow10[e]) != std::bit_cast<uint64_t>(d))
    return false;
  *n = m;
  return true;
}

// A decimal is checked by the writer and read back by `n / 10^e`: both
// must round the same way, to nearest, IEEE's default. A writer in another
// mode writes raw doubles; a reader in another mode switches to nearest
// while it divides.
bool RoundsToNearest() {
  return std::fegetround() == FE_TONEAREST;
}

// Rounds to nearest while it lives; `mode` is the thread's mode, read once
// per reader rather than per value.
class NearestRounding {
 public:
  explicit NearestRounding(int mode) : mode_(mode) {
    if (mode_ != FE_TONEAREST) std::fesetround(FE_TONEAREST);
  }
  ~NearestRounding() {
    if (mode_ != FE_TONEAREST) std::fesetround(mode_);
  }
  NearestRounding(const NearestRounding&) = delete;
  NearestRounding& operator=(const NearestRounding&) = delete;

 private:
  int mode_;
};

uint32_t Zigzag(int32_t n) {
  return (static_cast<uint32_t>(n) << 1) ^ static_cast<uint32_t>(n >> 31);
}
int32_t Unzigzag(uint32_t z) {
  return static_cast<int32_t>((z >> 1) ^ (0u - (z & 1)));
}

// Decimal j of `width` planes of `n` bytes each at `planes`. Inlined with a
// constant width, a loop over j vectorises.
inline int32_t JoinPlanes(const unsigned char* planes, size_t n, size_t j, int width) {
  uint32_t z = 0;
  for (int k = 0; k < width; ++k) z |= uint32_t{planes[static_cast<size_t>(k) * n + j]} << (8 * k);
  return Unzigzag(z);
}

// An 8-byte word whose first byte is its lowest (both ways).
inline uint64_t FromLittleEndian(uint64_t w) {
  if constexpr (std::endian::native == std::endian::big) return __builtin_bswap64(w);
  return w;
}

// Decimal j of `width` bits each in the `size` bytes at `data` (j is below
// the column's count, so its bits are inside). One unaligned 8-byte load
// where 8 bytes remain, else byte by byte.
inline int32_t ReadBits(const unsigned char* data, size_t size, size_t j, int width) {
  const uint64_t at = uint64_t{j} * static_cast<uint64_t>(width);
  const size_t byte = static_cast<size_t>(at / 8);
  uint64_t w = 0;
  if (size - byte >= 8) {
    std::memcpy(&w, data + byte, 8);
  } else {
    for (size_t k = 0; byte + k < size; ++k) w |= uint64_t{data[byte + k]} << (8 * k);
  }
  w = FromLittleEndian(w);
  const uint64_t mask = (uint64_t{1} << width) - 1;
  return Unzigzag(static_cast<uint32_t>((w >> (at % 8)) & mask));
}

// Doubles as Values, for vector::insert: it sizes the vector once and
// makes each Value in place.
struct DoubleValues {
  using iterator_category = std::random_access_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = Value;
  const double* p;
  Value operator*() const { return Value::Double(*p); }
  DoubleValues& operator++() {
    ++p;
    return *this;
  }
  DoubleValues& operator--() {
    --p;
    return *this;
  }
  DoubleValues& operator+=(std::ptrdiff_t n) {
    p += n;
    return *this;
  }
  difference_type operator-(const DoubleValues& o) const { return p - o.p; }
  bool operator==(const DoubleValues& o) const { return p == o.p; }
};

// The end of the run of kinds equal to kinds[k] in [k, end), eight at a
// time: a list of coordinates is one run of a hundred or more.
size_t RunEnd(const unsigned char* kinds, size_t k, size_t end) {
  const unsigned char kind = kinds[k];
  const uint64_t same = kind * 0x0101010101010101ull;
  while (end - k >= 8) {
    uint64_t w;
    std::memcpy(&w, kinds + k, 8);
    if (const uint64_t diff = w ^ same) {
      const int first = std::endian::native == std::endian::little ? std::countr_zero(diff)
                                                                   : std::countl_zero(diff);
      return k + static_cast<size_t>(first) / 8;
    }
    k += 8;
  }
  while (k < end && kinds[k] == kind) ++k;
  return k;
}

}  // namespace

ValueColumnWriter::ValueColumnWriter(wire::Values* out) : out_(out), nearest_(RoundsToNearest()) {}

bool ValueColumnWriter::FindDecimal(double d, int32_t* n, int* exponent) {
  if (!nearest_) return false;
  if (FitsDecimal(d, last_exponent_, n)) {
    misses_ = 0;
    *exponent = last_exponent_;
    return true;
  }
  constexpr uint32_t kGiveUpAfter = 32, kRetryEvery = 64;
  if (misses_ >= kGiveUpAfter && ++skipped_ % kRetryEvery != 0) return false;
  for (int e = 0; e <= kMaxExponent; ++e) {
    if (e != last_exponent_ && FitsDecimal(d, e, n)) {
      last_exponent_ = e;
      misses_ = 0;
      *exponent = e;
      return true;
    }
  }
  ++misses_;
  return false;
}

void ValueColumnWriter::Add(const Value& v, bool deleted) {
  auto kind = [this](uint32_t k) { out_->mutable_kinds()->push_back(static_cast<char>(k)); };
  if (deleted) return kind(kDeleted);
  switch (v.kind()) {
    case Value::Kind::kNull: return kind(kNull);
    case Value::Kind::kBool: return kind(v.as_bool() ? kTrue : kFalse);
    case Value::Kind::kInt:
      kind(kInt);
      out_->add_ints(v.as_int());
      return;
    case Value::Kind::kDouble: {
      int32_t n;
      int e;
      if (FindDecimal(v.as_double(), &n, &e)) {
        kind(kDecimalBase + static_cast<uint32_t>(e));
        decimals_.push_back(Zigzag(n));
        decimal_bits_ |= decimals_.back();
      } else {
        kind(kDouble);
        out_->add_doubles(v.as_double());
      }
      return;
    }
    case Value::Kind::kString:
    case Value::Kind::kBytes:
      kind(v.kind() == Value::Kind::kString ? kString : kBytes);
      out_->add_strings(std::string(v.as_string()));
      return;
    case Value::Kind::kContainer:
      return kind(kContainerBase + static_cast<uint32_t>(v.container_type()));
  }
}

void ValueColumnWriter::Finish() {
  if (decimals_.empty()) return;
  const size_t n = decimals_.size();
  const uint32_t width = std::max(1u, static_cast<uint32_t>(std::bit_width(decimal_bits_)));
  const uint64_t bits = uint64_t{width} * n;
  const size_t bytes = static_cast<size_t>((bits + 7) / 8);
  std::string* out = out_->mutable_decimal_bits();
  // Eight spare bytes: each decimal is OR-ed in with one 8-byte store.
  out->assign(2 + bytes + 8, '\0');
  (*out)[0] = static_cast<char>(width);
  (*out)[1] = static_cast<char>(bytes * 8 - bits);
  char* data = out->data() + 2;
  uint64_t at = 0;
  for (uint32_t z : decimals_) {
    uint64_t w;
    std::memcpy(&w, data + at / 8, 8);
    w = FromLittleEndian(FromLittleEndian(w) | uint64_t{z} << (at % 8));
    std::memcpy(data + at / 8, &w, 8);
    at += width;
  }
  out->resize(2 + bytes);
  decimals_.clear();
  decimal_bits_ = 0;
}

ValueReader::ValueReader(const wire::Values& in)
    : in_(in),
      kinds_(reinterpret_cast<const unsigned char*>(in.kinds().data())),
      kinds_size_(in.kinds().size()),
      rounding_(std::fegetround()) {
  const std::string& planes = in.decimal_planes();
  const std::string& bits = in.decimal_bits();
  const int layouts = !planes.empty() + !bits.empty() + (in.decimals_size() > 0);
  if (layouts > 1) {
    planes_error_ = "decimals given in two layouts";
  } else if (!bits.empty()) {
    const size_t width = bits.size() >= 2 ? static_cast<unsigned char>(bits[0]) : 0;
    const size_t pad = bits.size() >= 2 ? static_cast<unsigned char>(bits[1]) : 0;
    const size_t data = bits.size() - std::min<size_t>(bits.size(), 2);
    const uint64_t used = uint64_t{data} * 8 - std::min<uint64_t>(pad, uint64_t{data} * 8);
    if (width < 1 || width > 32 || pad > 7 || (data == 0 && pad != 0) || used % width != 0) {
      planes_error_ = "decimal bits have a bad width or padding";
    } else if (data > 0 && (static_cast<unsigned char>(bits.back()) >> (8 - pad)) != 0) {
      planes_error_ = "decimal bits have padding that is not zero";  // one encoding per column
    } else {
      bits_ = reinterpret_cast<const unsigned char*>(bits.data()) + 2;
      bits_size_ = data;
      width_ = static_cast<int>(width);
      layout_ = Layout::kBits;
      decimals_ = static_cast<size_t>(used / width);
    }
  } else if (!planes.empty()) {
    const int width = static_cast<unsigned char>(planes[0]);
    if (width < 1 || width > 4 || (planes.size() - 1) % static_cast<size_t>(width) != 0) {
      planes_error_ = "decimal planes have a bad width";
    } else {
      planes_ = reinterpret_cast<const unsigned char*>(planes.data()) + 1;
      width_ = width;
      layout_ = Layout::kPlanes;
      decimals_ = (planes.size() - 1) / static_cast<size_t>(width);
    }
  } else {
    packed_ = in.decimals().data();
    decimals_ = static_cast<size_t>(in.decimals_size());
  }
}

int32_t ValueReader::Decimal(size_t j) const {
  switch (layout_) {
    case Layout::kBits: return ReadBits(bits_, bits_size_, j, width_);
    case Layout::kPlanes: return JoinPlanes(planes_, decimals_, j, width_);
    case Layout::kPacked: break;
  }
  return packed_[j];
}

bool BareValueKind(const Value& v, bool deleted, uint32_t* kind) {
  if (deleted) {
    *kind = kDeleted;
    return true;
  }
  switch (v.kind()) {
    case Value::Kind::kNull: *kind = kNull; return true;
    case Value::Kind::kBool: *kind = v.as_bool() ? kTrue : kFalse; return true;
    case Value::Kind::kContainer:
      *kind = kContainerBase + static_cast<uint32_t>(v.container_type());
      return true;
    default: return false;
  }
}

Status BareValueOfKind(uint32_t kind, Value* out, bool* deleted) {
  *deleted = false;
  switch (kind) {
    case kNull: *out = Value::Null(); return Status::Ok();
    case kFalse: *out = Value::Bool(false); return Status::Ok();
    case kTrue: *out = Value::Bool(true); return Status::Ok();
    case kDeleted:
      *deleted = true;
      *out = Value::Null();
      return Status::Ok();
    default:
      if (kind > kContainerBase && kind < kDeleted && IsContainerType(kind - kContainerBase)) {
        *out = Value::Container(static_cast<ContainerType>(kind - kContainerBase));
        return Status::Ok();
      }
      return Status::Corrupt("map write kind " + std::to_string(kind) + " is not a bare value");
  }
}

Status ContentValue(bool string, const std::string& content, Value* out) {
  if (content.size() > UINT32_MAX) return Status::Corrupt("value over 4 GiB");
  if (string && !utf8::Validate(content, nullptr))
    return Status::Corrupt("string value is not valid UTF-8");
  *out = string ? Value::String(content) : Value::Bytes(content);
  return Status::Ok();
}

Status ValueReader::Next(Value* out, bool* deleted) {
  if (k_ >= kinds_size_) return Status::Corrupt("value column too short");
  const uint32_t kind = kinds_[k_++];
  if (deleted) *deleted = false;
  switch (kind) {
    case kNull: *out = Value::Null(); return Status::Ok();
    case kFalse: *out = Value::Bool(false); return Status::Ok();
    case kTrue: *out = Value::Bool(true); return Status::Ok();
    case kInt:
      if (i_ >= in_.ints_size()) return Status::Corrupt("int value column too short");
      *out = Value::Int(in_.ints(i_++));
      return Status::Ok();
    case kDouble:
      if (d_ >= in_.doubles_size()) return Status::Corrupt("double value column too short");
      *out = Value::Double(in_.doubles(d_++));
      return Status::Ok();
    case kString:
    case kBytes:
      if (s_ >= in_.strings_size()) return Status::Corrupt("string value column too short");
      return ContentValue(kind == kString, in_.strings(s_++), out);
    case kDeleted:
      if (!deleted) return Status::Corrupt("deleted marker outside a map write");
      *deleted = true;
      *out = Value::Null();
      return Status::Ok();
    default:
      if (kind >= kDecimalBase && kind <= kDecimalBase + kMaxExponent) {
        if (planes_error_) return Status::Corrupt(planes_error_);
        if (m_ >= decimals_) return Status::Corrupt("decimal value column too short");
        NearestRounding nearest(rounding_);
        *out = Value::Double(static_cast<double>(Decimal(m_++)) / kPow10[kind - kDecimalBase]);
        return Status::Ok();
      }
      if (kind > kContainerBase && IsContainerType(kind - kContainerBase)) {
        ++containers_;
        *out = Value::Container(static_cast<ContainerType>(kind - kContainerBase));
        return Status::Ok();
      }
      return Status::Corrupt("unknown value kind " + std::to_string(kind));
  }
}

// Numbers, what a list mostly holds (points, coordinates), skip the general
// path: a whiteboard snapshot has a million of them.
Status ValueReader::ReadList(size_t n, std::vector<Value>* out) {
  out->reserve(out->size() + n);
  const int64_t* ints = in_.ints().data();
  const double* doubles = in_.doubles().data();
  const size_t nints = static_cast<size_t>(in_.ints_size());
  const size_t ndoubles = static_cast<size_t>(in_.doubles_size());
  const size_t end = std::min(kinds_size_, k_ + n);
  size_t done = 0;
  while (k_ < end) {
    const uint32_t kind = kinds_[k_];
    const uint32_t e = kind - kDecimalBase;
    size_t i = static_cast<size_t>(i_), d = static_cast<size_t>(d_);
    if (e <= kMaxExponent) {
      // A run of one exponent: what a list of coordinates is.
      const double scale = kPow10[e];
      const size_t m0 = m_;
      size_t k = RunEnd(kinds_, k_, end);
      k = std::min(k, k_ + (decimals_ - m0));
      if (k == k_) break;  // the general path reports what is wrong
      const size_t count = k - k_;
      NearestRounding nearest(rounding_);
      // The width is known for the whole run: one loop per width, which
      // joins the planes and divides a block at a time (vectorised) before
      // the values are made, in one insert (a push per value would store
      // the vector's end after each, as a Value's byte stores may alias it).
      auto read = [&](auto decimal) {
        constexpr size_t kBlock = 64;
        double block[kBlock];
        for (size_t j0 = 0; j0 < count; j0 += kBlock) {
          const size_t b = std::min(kBlock, count - j0);
          for (size_t j = 0; j < b; ++j)
            block[j] = static_cast<double>(decimal(m0 + j0 + j)) / scale;
          out->insert(out->end(), DoubleValues{block}, DoubleValues{block + b});
        }
      };
      auto planes = [&](auto width) {
        read([&](size_t j) { return JoinPlanes(planes_, decimals_, j, width); });
      };
      switch (layout_) {
        case Layout::kBits:
          read([&](size_t j) { return ReadBits(bits_, bits_size_, j, width_); });
          break;
        case Layout::kPlanes:
          switch (width_) {
            case 1: planes(std::integral_constant<int, 1>{}); break;
            case 2: planes(std::integral_constant<int, 2>{}); break;
            case 3: planes(std::integral_constant<int, 3>{}); break;
            default: planes(std::integral_constant<int, 4>{}); break;
          }
          break;
        case Layout::kPacked: read([&](size_t j) { return packed_[j]; }); break;
      }
      done += count;
      m_ = m0 + count;
      k_ = k;
    } else if (kind == kDouble && d < ndoubles) {
      out->push_back(Value::Double(doubles[d]));
      d_ = static_cast<int>(d + 1);
      ++k_;
      ++done;
    } else if (kind == kInt && i < nints) {
      out->push_back(Value::Int(ints[i]));
      i_ = static_cast<int>(i + 1);
      ++k_;
      ++done;
    } else {
      break;
    }
  }
  for (; done < n; ++done) {
    Status s = Next(&out->emplace_back(), nullptr);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

bool ValueReader::ReadDoubles(size_t n, std::vector<double>* out) {
  if (n > kinds_size_ - k_) return false;
  // Every kind first, so that nothing is read unless all of it is.
  const size_t end = k_ + n;
  size_t decimals = 0, raw = 0;
  for (size_t k = k_; k < end;) {
    const uint32_t kind = kinds_[k];
    const size_t e = RunEnd(kinds_, k, end);
    if (kind == kDouble) {
      raw += e - k;
    } else if (kind >= kDecimalBase && kind <= kDecimalBase + kMaxExponent) {
      decimals += e - k;
    } else {
      return false;
    }
    k = e;
  }
  if (decimals > decimals_ - m_ || raw > static_cast<size_t>(in_.doubles_size() - d_)) return false;
  const size_t base = out->size();
  out->resize(base + n);
  double* dst = out->data() + base;
  const double* doubles = in_.doubles().data();
  NearestRounding nearest(rounding_);
  for (size_t k = k_; k < end;) {
    const uint32_t kind = kinds_[k];
    const size_t e = RunEnd(kinds_, k, end);
    const size_t count = e - k;
    if (kind == kDouble) {
      std::copy(doubles + d_, doubles + d_ + count, dst);
      d_ += static_cast<int>(count);
    } else {
      const double scale = kPow10[kind - kDecimalBase];
      size_t j = 0;
      if (layout_ == Layout::kBits && bits_size_ >= 8) {
        // One 8-byte load per decimal while 8 bytes remain (all but the
        // last few), in a loop of known length.
        const uint64_t w = static_cast<uint64_t>(width_);
        const uint64_t mask = (uint64_t{1} << w) - 1;
        const uint64_t first = m_ * w, last = (bits_size_ - 8) * 8 + 7;  // last start bit
        const size_t fast = first > last ? 0 : std::min<size_t>(count, (last - first) / w + 1);
        for (; j < fast; ++j) {
          const uint64_t at = first + j * w;
          uint64_t word;
          std::memcpy(&word, bits_ + at / 8, 8);
          const auto z = static_cast<uint32_t>((FromLittleEndian(word) >> (at % 8)) & mask);
          dst[j] = static_cast<double>(Unzigzag(z)) / scale;
        }
      }
      for (; j < count; ++j) dst[j] = static_cast<double>(Decimal(m_ + j)) / scale;
      m_ += count;
    }
    dst += count;
    k = e;
  }
  k_ = end;
  return true;
}

Status ValueReader::Finish() const {
  if (planes_error_) return Status::Corrupt(planes_error_);
  if (k_ != kinds_size_ || i_ != in_.ints_size() || d_ != in_.doubles_size() ||
      s_ != in_.strings_size() || m_ != decimals_) {
    return Status::Corrupt("value columns longer than their rows");
  }
  return Status::Ok();
}

}  // namespace tandem
