// Column helpers shared by the encoders of schema/tandem.proto's columnar
// messages: run-length pairs and delta-encoded counters.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <google/protobuf/repeated_field.h>

#include "op_id.h"
#include "status.h"

namespace tandem::column {

using google::protobuf::RepeatedField;


// Writes `values` as (value, count) pairs.
inline void PutRuns(const std::vector<uint32_t>& values, RepeatedField<uint32_t>* out) {
  for (size_t i = 0; i < values.size();) {
    size_t j = i;
    while (j < values.size() && values[j] == values[i]) ++j;
    out->Add(values[i]);
    out->Add(static_cast<uint32_t>(j - i));
    i = j;
  }
}

// Reads (value, count) pairs row by row, without expanding them.
class RunReader {
 public:
  explicit RunReader(const RepeatedField<uint32_t>& in) : in_(in) {}
  // The pairs must cover exactly `n` rows, with every value below `limit`.
  Status Check(size_t n, size_t limit) const {
    if (in_.size() % 2) return Status::Corrupt("run-length column has an odd length");
    uint64_t rows = 0;
    for (int i = 0; i < in_.size(); i += 2) {
      if (in_[i] >= limit) return Status::Corrupt("peer index out of range");
      if (in_[i + 1] == 0) return Status::Corrupt("run-length pair of zero rows");
      rows += in_[i + 1];
    }
    if (rows != n) return Status::Corrupt("run-length column does not match the rows");
    return Status::Ok();
  }
  // The next row's value (after Check).
  uint32_t Next() {
    if (left_ == 0) {
      value_ = in_[pair_];
      left_ = in_[pair_ + 1];
      pair_ += 2;
    }
    --left_;
    return value_;
  }

 private:
  const RepeatedField<uint32_t>& in_;
  int pair_ = 0;
  uint32_t left_ = 0;
  uint32_t value_ = 0;
};

// base + delta, if the result is a valid counter. Bases are counters or
// ends (at most kMaxCounter + 1), so the sum is exact in 64 signed bits
// unless it overflows them, and then it is out of range anyway.
inline bool AddDelta(uint64_t base, int64_t delta, uint64_t* out) {
  int64_t sum;
  if (base > uint64_t{INT64_MAX} || __builtin_add_overflow(static_cast<int64_t>(base), delta, &sum))
    return false;
  *out = static_cast<uint64_t>(sum);
  return *out <= kMaxCounter;  // a negative sum wraps above it
}

// Counter column writer: delta from the previous row, 0 base at a new peer.
struct CounterDeltas {
  PeerId last_peer = 0;
  uint64_t last = 0;
  bool first = true;
  int64_t Next(PeerId peer, uint64_t counter) {
    const uint64_t base = (!first && peer == last_peer) ? last : 0;
    first = false;
    last_peer = peer;
    last = counter;
    return static_cast<int64_t>(counter - base);
  }
};

// Reader counterpart of CounterDeltas (peers as indices into the message's
// table).
struct CounterReader {
  uint32_t last_peer = UINT32_MAX;
  uint64_t last = 0;
  bool Next(uint32_t peer, int64_t delta, uint64_t* out) {
    const uint64_t base = peer == last_peer ? last : 0;
    if (!AddDelta(base, delta, out)) return false;
    last_peer = peer;
    last = *out;
    return true;
  }
};

// Each peer's previous end counter, zeroed: on the stack for the few peers
// of most messages (a snapshot reads thousands of small sections, and a heap
// block apiece showed in its load time), on the heap past that.
class PrevEnds {
 public:
  explicit PrevEnds(size_t peers) {
    if (peers > kInline) {
      heap_ = std::make_unique<uint64_t[]>(peers);
      ends_ = heap_.get();
    } else {
      std::fill(inline_, inline_ + peers, 0);
    }
  }
  PrevEnds(const PrevEnds&) = delete;
  PrevEnds& operator=(const PrevEnds&) = delete;
  uint64_t& operator[](size_t peer) { return ends_[peer]; }

 private:
  static constexpr size_t kInline = 8;
  uint64_t inline_[kInline];
  std::unique_ptr<uint64_t[]> heap_;
  uint64_t* ends_ = inline_;
};

}  // namespace tandem::column
