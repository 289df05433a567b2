// IdIndex: from an item id to the run-tree leaf that holds it.
//
// Remote operations name items by id (origins, delete targets); the index
// finds the leaf in O(log n), and the leaf is scanned for the run. Entries are
// ranges of counters per peer, so a peer typing forward into one leaf costs
// one entry however many characters it types.
//
// Each peer's entries are sorted and kept in buckets of at most kBucket, so
// that re-pointing a range after a leaf split (which may cut an entry in
// three) moves a bucket's worth of entries, not the whole index. Appending
// new counters, the common case, is amortised O(1).
//
// An index of one entry (a sequence one peer wrote in one stretch, as most
// of a document's small ones are: a shape's points) is kept inline, with no
// vector at all, until a second entry comes.
#pragma once

#include <cstddef>
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
  static constexpr size_t kBucket = 64;
  using Bucket = std::vector<Entry>;

  // The leaf holding item (peer, counter), or nullptr.
  RunLeaf* Find(PeerIndex peer, uint64_t counter) const;
  // The smallest item counter >= `counter` of `peer`, or UINT64_MAX.
  uint64_t NextItem(PeerIndex peer, uint64_t counter) const;
  // Points counters [start, start + len) of `peer` at `leaf`, replacing
  // whatever they pointed at before.
  void Set(PeerIndex peer, uint64_t start, uint64_t len, RunLeaf* leaf);
  // Replaces the whole index; `entries[p]` need not be sorted or merged.
  // Returns false if two entries of a peer overlap (the index is then
  // unusable: the caller drops it).
  bool Load(std::vector<std::vector<Entry>> entries);
  // Replaces the whole index with the ids of `n` runs, all in `leaf` (a
  // tree of one leaf). Returns false, as Load, if two runs share an id.
  bool LoadLeaf(const Run* runs, uint32_t n, RunLeaf* leaf);
  class Loader;
  void Clear() {
    peers_.clear();
    one_.leaf = nullptr;
  }
  uint64_t MemoryUsage() const;
  // All entries of `peer` in order (for checks).
  std::vector<Entry> Entries(PeerIndex peer) const;
  // Calls fn(start, end) for each entry of `peer`, in order.
  template <typename Fn>
  void ForEach(PeerIndex peer, Fn fn) const {
    if (one_.leaf) {
      if (peer == one_peer_) fn(one_.start, one_.end);
      return;
    }
    if (peer >= peers_.size()) return;
    for (const Bucket& b : peers_[peer])
      for (const Entry& e : b) fn(e.start, e.end);
  }
  size_t peer_count() const { return one_.leaf ? size_t{one_peer_} + 1 : peers_.size(); }

 private:
  // Moves the inline entry into peers_, before a second one comes.
  void Spill();

  // The first bucket whose last entry ends after `counter`, or buckets.size().
  static size_t BucketOf(const std::vector<Bucket>& buckets, uint64_t counter);

  // The whole index when one_.leaf is set (peers_ is then empty): a vector
  // per peer and per bucket cost a one-leaf sequence's load three
  // allocations for one entry.
  Entry one_{0, 0, nullptr};
  PeerIndex one_peer_ = 0;
  std::vector<std::vector<Bucket>> peers_;  // by peer index; buckets never empty
};

// Collects the entries of a whole index as a tree is loaded, in any order,
// then replaces the index with them (IdIndex::Load without the vectors).
// An entry that continues the peer's previous one in the same leaf extends
// it: in document order, a run and the next are often one typed stretch
// (cut by a deletion), and every entry merged here is one the sort skips.
class IdIndex::Loader {
 public:
  void Reserve(PeerIndex peer, size_t n) { Select(peer).entries.reserve(n); }
  void Add(PeerIndex peer, uint64_t start, uint64_t end, RunLeaf* leaf) {
    Pending& q = peer == peer_ ? *pending_ : Select(peer);
    if (!q.entries.empty()) {
      Entry& last = q.entries.back();
      if (last.end == start && last.leaf == leaf) {
        last.end = end;
        return;
      }
      q.sorted &= last.start <= start;
    }
    q.entries.push_back(Entry{start, end, leaf});
  }
  // Replaces `index` with the entries added. Returns false if two entries of
  // a peer overlap (the index is then unusable: the caller drops it).
  bool Finish(IdIndex* index);

 private:
  struct Pending {
    std::vector<Entry> entries;
    bool sorted = true;  // by start, as added
  };
  // Makes `peer` the one Add finds without a lookup: runs come in
  // stretches of one peer.
  Pending& Select(PeerIndex peer);
  std::vector<Pending> peers_;
  PeerIndex peer_ = UINT32_MAX;  // peers_[peer_] is *pending_
  Pending* pending_ = nullptr;
};

}  // namespace tandem
