// IdIndex: from an item id to the run-tree leaf that holds it.
//
// Remote operations name items by id (origins, delete targets); the index
// finds the leaf in O(log n), and the leaf is scanned for the run. Entries are
// ranges of counters per peer, so a peer typing forward into one leaf costs
// one entry however many characters it types.
//
// Entries live in one sorted vector per peer. Appending (new counters, the
// common case) is amortised O(1); re-pointing a range after a leaf split is a
// binary search plus, when a range must be cut, a vector insert.
#pragma once

#include <cstdint>
#include <vector>

#include "run.h"

namespace tandem {

struct RunLeaf;

class IdIndex {
 public:
  struct Entry {
    uint64_t start;
    uint64_t end;  // exclusive
    RunLeaf* leaf;
  };

  // The leaf holding item (peer, counter), or nullptr.
  RunLeaf* Find(PeerIndex peer, uint64_t counter) const;
  // The smallest item counter >= `counter` of `peer`, or UINT64_MAX.
  uint64_t NextItem(PeerIndex peer, uint64_t counter) const;
  // Points counters [start, start + len) of `peer` at `leaf`, replacing
  // whatever they pointed at before.
  void Set(PeerIndex peer, uint64_t start, uint64_t len, RunLeaf* leaf);
  // Replaces the whole index; `entries[p]` need not be sorted or merged.
  void Load(std::vector<std::vector<Entry>> entries);
  void Clear() { peers_.clear(); }
  uint64_t MemoryUsage() const;
  const std::vector<std::vector<Entry>>& peers() const { return peers_; }

 private:
  std::vector<std::vector<Entry>> peers_;  // by peer index
};

}  // namespace tandem
