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
// if dividing gives back the very same bits. The decimals travel
// bit-packed at the width the largest needs: as dense as deflate made the
// byte planes they travelled as before, so a snapshot stores them
// undeflated and a load does not inflate them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "status.h"
#include "value.h"

namespace tandem::wire {
class Values;
}  // namespace tandem::wire

namespace tandem {

class ValueColumnWriter {
 public:
  // Short decimals are written only if the thread rounds to nearest (the
  // default) now: a reader divides in that mode.
  explicit ValueColumnWriter(wire::Values* out);
  // `deleted`: a map write that deletes its key (the value is ignored).
  void Add(const Value& v, bool deleted);
  // Writes the decimals' bits: the column is complete only after this.
  void Finish();

 private:
  bool FindDecimal(double d, int32_t* n, int* exponent);

  wire::Values* out_;
  bool nearest_;
  std::vector<uint32_t> decimals_;  // zigzag-encoded, until Finish
  uint32_t decimal_bits_ = 0;       // every decimal OR-ed: their width
  // The exponent that fit last: values of one column usually share it.
  int last_exponent_ = 0;
  // Doubles in a row that fit no exponent: past a few dozen, the column
  // holds measured or computed doubles, and only every 64th is tried.
  uint32_t misses_ = 0;
  uint32_t skipped_ = 0;
};

// A value without a payload (null, a boolean, a new container, a map
// write's deletion) as its Values.kinds code, for a row that carries one
// value (MapWrite.kind): false for the values that need a payload.
bool BareValueKind(const Value& v, bool deleted, uint32_t* kind);
// The value of a bare kind; refuses kinds with a payload or unknown ones.
Status BareValueOfKind(uint32_t kind, Value* out, bool* deleted);
// A string (checked to be UTF-8) or bytes value of the wire's `content`.
Status ContentValue(bool string, const std::string& content, Value* out);

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
  // If the next `n` values are all plain doubles (raw or short decimals)
  // that the columns hold, appends them to *out and returns true; else
  // reads nothing and returns false (ReadList then reads them, or says
  // what is wrong).
  bool ReadDoubles(size_t n, std::vector<double>* out);
  // Every column used up exactly.
  Status Finish() const;
  // How many container values were read.
  size_t containers() const { return containers_; }

 private:
  // Decimal j, j < decimals_.
  int32_t Decimal(size_t j) const;

  const wire::Values& in_;
  const unsigned char* kinds_;
  size_t kinds_size_;
  int rounding_;  // the thread's rounding mode when the reader was made
  // The decimals_ decimals: `width_` bits each in the bits_size_ bytes at
  // `bits_`, or `width_` byte planes at `planes_`, or the old packed column
  // at `packed_`. A malformed column leaves decimals_ 0, and planes_error_
  // says why.
  enum class Layout { kPacked, kPlanes, kBits };
  Layout layout_ = Layout::kPacked;
  const unsigned char* bits_ = nullptr;
  size_t bits_size_ = 0;
  const unsigned char* planes_ = nullptr;
  const int32_t* packed_ = nullptr;
  size_t decimals_ = 0;
  int width_ = 0;
  const char* planes_error_ = nullptr;
  size_t k_ = 0;
  int i_ = 0, d_ = 0, s_ = 0;  // next int, double, string
  size_t m_ = 0;               // next decimal
  size_t containers_ = 0;
};

}  // namespace tandem
