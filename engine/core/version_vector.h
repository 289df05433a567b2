// VersionVector: for each peer, the next counter it has not yet seen.
//
// A replica whose vector maps P to n has applied every operation of P with
// counter < n (operations of one peer are applied in counter order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "op_id.h"

namespace tandem {

class VersionVector {
 public:
  struct Entry {
    PeerId peer;
    uint64_t next;
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  // Next unseen counter of `peer` (0 if the peer is unknown).
  uint64_t get(PeerId peer) const;
  // Sets the entry; next == 0 removes it.
  void set(PeerId peer, uint64_t next);
  // True when every operation of `id.peer` up to and including id.counter is known.
  bool contains(OpId id) const { return id.counter < get(id.peer); }
  // True when this vector has seen everything `other` has.
  bool includes(const VersionVector& other) const;
  // Entries sorted by peer id.
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  // "{peer:next, ...}" with peers in hex, for logs and test failures.
  std::string ToString() const;

  friend bool operator==(const VersionVector&, const VersionVector&) = default;

 private:
  std::vector<Entry> entries_;  // sorted by peer; few peers per document
};

}  // namespace tandem
