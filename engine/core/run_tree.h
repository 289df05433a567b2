// RunTree: the items of a sequence, in document order, as runs in a B+tree.
//
// Leaves hold up to kLeafCap runs plus the UTF-8 content of their visible
// runs in one string; internal nodes hold, per child, the Metrics (items,
// code points, UTF-16 units, bytes) of its subtree. So finding the item at a
// position, in any unit, is one descent (O(log n)), and so is the position
// of a leaf (walk up, summing left siblings). Leaves are linked for scans.
//
// The tree also owns the IdIndex (id -> leaf) and keeps it right through
// every split: callers never see a stale leaf.
//
// Locations (Loc) are invalidated by any mutation except where a method says
// otherwise.
#pragma once

#include <algorithm>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "id_index.h"
#include "index_unit.h"
#include "metrics.h"
#include "run.h"
#include "status.h"

namespace tandem {

inline constexpr uint32_t kLeafCap = 32;
inline constexpr uint32_t kFanout = 16;

struct RunInternal;

struct RunLeaf {
  RunInternal* parent = nullptr;
  RunLeaf* prev = nullptr;
  RunLeaf* next = nullptr;
  uint32_t count = 0;
  // Runs are allocated to fit, up to kLeafCap: a document holds many small
  // sequences (a list of points per shape), and a full leaf for each would
  // cost 1.5 KiB.
  uint32_t cap = 0;
  Run* runs = nullptr;
  Metrics sum;  // of this leaf's runs
  std::string text;  // content of the visible runs, in order

  explicit RunLeaf(uint32_t capacity)
      : cap(std::max<uint32_t>(capacity, 1)), runs(cap == 1 ? OneRun() : AllocRuns(cap)) {}
  ~RunLeaf() { FreeRuns(); }
  RunLeaf(const RunLeaf&) = delete;
  RunLeaf& operator=(const RunLeaf&) = delete;
  // Makes room for `n` <= kLeafCap runs.
  void Reserve(uint32_t n) {
    if (n <= cap) return;
    const uint32_t c = std::min<uint32_t>(kLeafCap, std::max(n, cap * 2));
    Run* r = AllocRuns(c);
    std::copy(runs, runs + count, r);
    FreeRuns();
    runs = r;
    cap = c;
  }
  // Whether `runs` is the room inside the leaf (not a block of its own).
  bool runs_inline() const { return runs == reinterpret_cast<const Run*>(one_run_); }

  // Bytes of content before run `idx`.
  size_t TextOffset(uint32_t idx) const {
    size_t off = 0;
    for (uint32_t i = 0; i < idx; ++i) off += runs[i].bytes;
    return off;
  }
  std::string_view Content(uint32_t idx) const {
    return std::string_view(text).substr(TextOffset(idx), runs[idx].bytes);
  }
  // Room for `n` runs, not initialised: slots past `count` are written
  // before they are read, and filling them cost a leaf load as much again
  // as its runs (Run is an aggregate, so writing a slot creates it).
  static Run* AllocRuns(uint32_t n) { return static_cast<Run*>(::operator new(sizeof(Run) * n)); }

  Metrics Sum() const {
    Metrics m;
    for (uint32_t i = 0; i < count; ++i) m += Metrics::Of(runs[i]);
    return m;
  }

 private:
  Run* OneRun() { return reinterpret_cast<Run*>(one_run_); }
  void FreeRuns() {
    if (!runs_inline()) ::operator delete(runs);
  }
  // Room for a leaf of one run (capacity 1), not initialised, as AllocRuns:
  // most of a document's sequences are one run (a list pushed in one go),
  // and a block for it cost each one an allocation.
  alignas(Run) unsigned char one_run_[sizeof(Run)];
};

struct RunInternal {
  RunInternal* parent = nullptr;
  uint32_t count = 0;
  bool leaf_children = true;
  Metrics metrics[kFanout];
  void* children[kFanout] = {};
};

class RunTree {
 public:
  // Item `off` of run `idx` in `leaf`. idx == leaf->count means "after the
  // last run of this leaf" (then off is 0).
  struct Loc {
    RunLeaf* leaf = nullptr;
    uint32_t idx = 0;
    uint32_t off = 0;
    const Run& run() const { return leaf->runs[idx]; }
    bool at_leaf_end() const { return idx >= leaf->count; }
  };

  RunTree();
  ~RunTree();
  RunTree(const RunTree&) = delete;
  RunTree& operator=(const RunTree&) = delete;

  const Metrics& total() const { return total_; }
  RunLeaf* first_leaf() const { return first_; }
  const IdIndex& index() const { return index_; }

  // The visible item at code point `c` (c < total().chars).
  Loc FindChar(uint64_t c) const;
  // The item at CRDT position `i`, tombstones counted (i < total().items).
  Loc FindItem(uint64_t i) const;
  // The item with this id, or a Loc with leaf == nullptr.
  Loc FindId(PeerIndex peer, uint64_t counter) const;
  // Sums of all runs before the leaf / before the location.
  Metrics MetricsBefore(const RunLeaf* leaf) const;
  Metrics MetricsBefore(Loc loc) const;
  // The location of the first item at or after `loc` that is in a run, i.e.
  // skipping to the next leaf from a leaf end. leaf == nullptr at document end.
  Loc Normalize(Loc loc) const;
  // The start of the next run after the run at `loc`, normalised.
  Loc NextRun(Loc loc) const { return Normalize(Loc{loc.leaf, loc.idx + 1, 0}); }

  // Position conversions between code points and another unit. UnitToChars
  // fails when `v` is past the end or inside a character.
  bool UnitToChars(IndexUnit unit, uint64_t v, uint64_t* chars) const;
  uint64_t CharsToUnit(IndexUnit unit, uint64_t chars) const;

  // Inserts `run` (its bytes/utf16 must describe `content`; content is empty
  // for a deleted run) before the item at `at` (splitting that run if `at`
  // is inside it). A run that continues its predecessor is merged into it.
  // Returns the location of the first inserted item.
  Loc Insert(Loc at, const Run& run, std::string_view content);
  // Marks `n` items from `at` as deleted; they must lie in one run
  // (n <= len - off). Their content is dropped. Already-deleted items stay
  // as they are. Returns false (and changes nothing) if they were deleted.
  bool MarkDeleted(Loc at, uint32_t n);
  // Replaces the whole tree by `runs` (document order) with `text` the
  // concatenated content of the visible ones; builds the index too.
  // Returns false if two runs share an id (the tree is then unusable).
  bool Load(const std::vector<Run>& runs, std::string_view text);
  class Loader;

  uint64_t MemoryUsage() const;
  // Verifies sums, links, parent pointers and the index.
  Status Check() const;

 private:
  // An edit of a leaf's text: erase `erase` bytes at `pos`, then insert
  // `insert` there.
  struct TextEdit {
    size_t pos = 0;
    size_t erase = 0;
    std::string_view insert;
  };
  // Replaces `remove` runs at `idx` of `leaf` by `n` new runs and applies
  // `edit` to the leaf's text. Splits the leaf when it overflows. Returns the
  // location of new run `focus`.
  Loc Splice(RunLeaf* leaf, uint32_t idx, uint32_t remove, const Run* repl, uint32_t n,
             const TextEdit& edit, uint32_t focus);
  void AddMetrics(RunLeaf* leaf, const Metrics& delta);
  void SetLeafMetrics(RunLeaf* leaf, const Metrics& m);
  void InsertChild(RunInternal* parent, void* after, void* child, const Metrics& m,
                   bool leaf_child);
  void SplitRunAt(RunLeaf* leaf, uint32_t idx, uint32_t off);
  void TryMergeAround(RunLeaf* leaf, uint32_t idx);
  void FreeAll();
  // The hint remembers the sums before one leaf (the last one searched), so
  // that edits near the previous one, typing above all, skip the descent.
  // Any change of sums in another leaf drops it.
  void DropHintUnless(const RunLeaf* leaf) const {
    if (leaf != hint_leaf_) hint_leaf_ = nullptr;
  }

  friend class Loader;

  // The first leaf, which lives in the tree itself: a tree's first leaf
  // stays first (splits add leaves after it, and only FreeAll removes
  // any), and a document holds thousands of one-leaf sequences, for which
  // a separate block cost an allocation and a free apiece.
  RunLeaf head_{1};
  mutable const RunLeaf* hint_leaf_ = nullptr;
  mutable Metrics hint_before_;
  void* root_ = &head_;
  bool root_is_leaf_ = true;
  RunLeaf* first_ = &head_;
  Metrics total_;
  IdIndex index_;
  uint64_t leaves_ = 1;
  uint64_t internals_ = 0;
};

// Load for runs that come one at a time, in document order, as a snapshot's
// rows are read: each goes straight into its leaf, with no vector of them
// in between. The tree is emptied at construction; it is whole once Finish
// returns true, and until then (or after an abandoned load) it may only be
// destroyed.
class RunTree::Loader {
 public:
  // `text`: the content of the visible runs to come, concatenated, which
  // must outlive the loader. `runs_hint`: how many runs will come; it sizes
  // the last leaf, and a wrong hint costs room, not correctness.
  Loader(RunTree* tree, std::string_view text, size_t runs_hint);
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Adds a run; its bytes/utf16 must describe its part of the text.
  void Add(const Run& r) {
    Slot() = r;
    Commit();
  }
  // Add in two steps, for a caller that builds the run in place: the slot
  // of the next run, to be filled and then committed.
  Run& Slot() {
    if (leaf_->count == room_) NextLeaf();
    return leaf_->runs[leaf_->count];
  }
  // (A leaf's sums and index entries are taken when it is full, in one
  // loop over its runs.)
  void Commit() { ++leaf_->count; }
  // Sizes a peer's share of the index (a hint, like runs_hint).
  void ReservePeer(PeerIndex peer, size_t runs) { index_.Reserve(peer, runs); }
  // Builds the internal nodes and the index. Returns false if two runs share
  // an id, or if the runs' bytes do not add up to the text (callers check
  // that first; this only keeps a mistake from reading past it). The tree
  // is then unusable.
  bool Finish();

 private:
  // Leaves are filled to ~7/8 so that the first edits rarely split them.
  static constexpr uint32_t kFill = kLeafCap - kLeafCap / 8;

  void NextLeaf();
  void OpenLeaf();
  // Sums the current leaf's runs and gives it its text.
  Metrics SealLeaf();
  // Adds the sealed current leaf to the closed ones and to the index.
  void KeepLeaf(const Metrics& sum);

  RunTree* tree_;
  std::string_view text_;
  size_t text_pos_ = 0;
  size_t left_;  // runs still expected (runs_hint less those added)
  RunLeaf* leaf_ = nullptr;
  RunLeaf* head_;  // the tree's own leaf, to be the first one opened
  uint32_t room_ = 0;  // runs leaf_ takes: its capacity, at most kFill
  bool text_ok_ = true;
  std::vector<void*> level_;  // the closed leaves, then each level up
  std::vector<Metrics> sums_;
  IdIndex::Loader index_;
};

}  // namespace tandem
