// ListValues: the values of a List's items, kept beside the sequence tree
// (whose items are placeholders) in chunks of consecutive ids, so a run of
// pushed values costs one chunk, not one node each.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "run.h"
#include "value.h"

namespace tandem {

class ListValues {
 public:
  // Values of items [counter, counter + values.size()) of `peer`. Returns
  // true when it grew an existing chunk (call ShrinkGrown once a batch of
  // puts is done: growth leaves up to half of a chunk's capacity unused).
  bool Put(PeerIndex peer, uint64_t counter, std::vector<Value> values);
  void ShrinkGrown();
  // The value of an item, or nullptr if it has none (no item, or deleted;
  // a deleted item that held a container keeps that value).
  const Value* Find(PeerIndex peer, uint64_t counter) const;
  // Drops the values of deleted items [counter, counter + len), except
  // container values. Items dropped before are skipped (two peers may
  // delete one item).
  void Drop(PeerIndex peer, uint64_t counter, uint64_t len);
  uint64_t MemoryUsage() const;

 private:
  struct Chunk {
    std::vector<Value> values;
    std::vector<bool> gone;  // dropped items (empty until the first Drop)
    uint64_t live = 0;
  };
  using Key = std::pair<PeerIndex, uint64_t>;
  std::map<Key, Chunk> chunks_;
  std::vector<Key> grown_;  // chunks grown since the last ShrinkGrown
};

}  // namespace tandem
