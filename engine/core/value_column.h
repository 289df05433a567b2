// Value columns: how the values of list elements and map writes travel
// (wire::Values, docs/format.md).
//
// A kind per value, one byte each, and the payloads in typed columns. A
// double that is a short decimal — a coordinate like 412.37, a price, a
// size — is written as a 32-bit integer and a power of ten (kinds 13..21:
// value = decimals[next] / 10^(kind - 13)), the idea of ALP (Afroozeh, Kuffó and Boncz,
// SIGMOD 2024): a whiteboard's point takes 3 bytes instead of 8, and its
// snapshot is smaller before and after deflate, and loads faster.
// The division is IEEE-exact-rounded, and the writer keeps a decimal only
// if dividing gives back the very same bits.
#pragma once

#include <cstdint>
#include <vector>

#include "status.h"
#include "value.h"

namespace tandem::wire {
class Values;
}  // namespace tandem::wire

namespace tandem {

class ValueColumnWriter {
 public:
  explicit ValueColumnWriter(wire::Values* out) : out_(out) {}
  // `deleted`: a map write that deletes its key (the value is ignored).
  void Add(const Value& v, bool deleted);

 private:
  bool FindDecimal(double d, int32_t* n, int* exponent);

  wire::Values* out_;
  // The exponent that fit last: values of one column usually share it.
  int last_exponent_ = 0;
  // Doubles in a row that fit no exponent: past a few dozen, the column
  // holds measured or computed doubles, and only every 64th is tried.
  uint32_t misses_ = 0;
  uint32_t skipped_ = 0;
};

// Reads values one by one, checking each column as it goes.
class ValueReader {
 public:
  explicit ValueReader(const wire::Values& in);
  // How many values the column holds.
  size_t size() const { return kinds_size_; }
  // The next value; *deleted is set for a deleted marker (allowed only if
  // `deleted` is not null).
  Status Next(Value* out, bool* deleted);
  // Appends the next `n` values (no deleted markers) to *out.
  Status ReadList(size_t n, std::vector<Value>* out);
  // Every column used up exactly.
  Status Finish() const;

 private:
  const wire::Values& in_;
  const unsigned char* kinds_;
  size_t kinds_size_;
  size_t k_ = 0;
  int i_ = 0, d_ = 0, s_ = 0, m_ = 0;  // next int, double, string, decimal
};

}  // namespace tandem
