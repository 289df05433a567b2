// ListValues: the values of a List's items, kept beside the sequence tree
// (whose items are placeholders) in chunks of consecutive ids, so a run of
// pushed values costs one chunk, not one node each. A chunk of plain doubles
// (a list of coordinates, what a whiteboard holds by the million) keeps
// them as 8-byte doubles rather than 16-byte Values: half the memory, and
// half the fresh pages a document's load touches.
//
// A list of one chunk (pushed in one go, as most of a document's small lists
// are) keeps it inline, with no map node, until a second chunk comes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
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
  // The same for plain doubles, as a new chunk (a snapshot's load: each
  // row starts where no other chunk of its peer ends).
  void PutDoubles(PeerIndex peer, uint64_t counter, std::vector<double> values);
  void ShrinkGrown();
  // The value of an item (a copy), or nullopt if it has none (no item);
  // a deleted item's is null, unless it held a container, which it keeps.
  std::optional<Value> Find(PeerIndex peer, uint64_t counter) const;
  // Drops the values of deleted items [counter, counter + len), except
  // container values. Items dropped before are skipped (two peers may
  // delete one item).
  void Drop(PeerIndex peer, uint64_t counter, uint64_t len);
  uint64_t MemoryUsage() const;

 private:
  struct Chunk {
    std::vector<Value> values;    // or, for a chunk of plain doubles, empty,
    std::vector<double> doubles;  // and these (never both non-empty)
    std::vector<bool> gone;       // dropped items (empty until the first Drop)
    uint64_t live = 0;
    size_t size() const { return doubles.empty() ? values.size() : doubles.size(); }
    // Turns a chunk of doubles into one of Values (a non-double joins it).
    void Widen();
    // Drops items [lo, hi) of the chunk, which starts at `start`.
    void Drop(uint64_t start, uint64_t lo, uint64_t hi);
    uint64_t MemoryUsage() const;
  };
  using Key = std::pair<PeerIndex, uint64_t>;
  // Appends `values` (all doubles if `doubles`) to chunk `c`, starting at
  // `k`, if they continue it; returns whether they did.
  bool Extend(const Key& k, Chunk& c, PeerIndex peer, uint64_t counter,
              std::vector<Value>& values, bool doubles);
  static Chunk MakeChunk(std::vector<Value> values, bool doubles);
  // Moves the inline chunk into chunks_, before a second one comes.
  void Spill();

  // The only chunk, while there is just one (chunks_ is then empty): a map
  // node for it cost each small list's load an allocation.
  std::optional<std::pair<Key, Chunk>> sole_;
  std::map<Key, Chunk> chunks_;
  std::vector<Key> grown_;  // chunks grown since the last ShrinkGrown
};

}  // namespace tandem
