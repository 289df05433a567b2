// IdIndex: id -> leaf lookups must match a plain per-counter model through
// appends, re-pointing of ranges (what leaf splits do), bucket splits and
// bulk loads of unsorted entries.
#include "core/id_index.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/run_tree.h"

namespace tandem {
namespace {

// Distinct leaf addresses to point at; the index never dereferences them.
class Leaves {
 public:
  explicit Leaves(size_t n) {
    for (size_t i = 0; i < n; ++i) leaves_.push_back(std::make_unique<RunLeaf>(1));
  }
  RunLeaf* operator[](size_t i) const { return leaves_[i].get(); }
  size_t size() const { return leaves_.size(); }

 private:
  std::vector<std::unique_ptr<RunLeaf>> leaves_;
};

// Model: for each peer, counter -> leaf (absent = no item).
using Model = std::vector<std::map<uint64_t, RunLeaf*>>;

void ModelSet(Model* m, PeerIndex p, uint64_t start, uint64_t len, RunLeaf* leaf) {
  if (p >= m->size()) m->resize(p + 1);
  for (uint64_t c = start; c < start + len; ++c) (*m)[p][c] = leaf;
}

// Checks Find and NextItem for every counter up to `limit` (and a few past
// it), and that Entries() is sorted, disjoint and covers exactly the model.
void ExpectMatches(const IdIndex& idx, const Model& m, PeerIndex peers, uint64_t limit) {
  for (PeerIndex p = 0; p < peers; ++p) {
    const std::map<uint64_t, RunLeaf*> empty;
    const auto& mp = p < m.size() ? m[p] : empty;
    for (uint64_t c = 0; c <= limit + 2; ++c) {
      auto it = mp.find(c);
      ASSERT_EQ(idx.Find(p, c), it == mp.end() ? nullptr : it->second)
          << "peer " << p << " counter " << c;
      auto next = mp.lower_bound(c);
      ASSERT_EQ(idx.NextItem(p, c), next == mp.end() ? UINT64_MAX : next->first)
          << "peer " << p << " counter " << c;
    }
    ASSERT_EQ(idx.Find(p, UINT64_MAX - 1), nullptr);
    ASSERT_EQ(idx.NextItem(p, UINT64_MAX - 1), UINT64_MAX);
    uint64_t covered = 0, prev_end = 0;
    bool first = true;
    for (const IdIndex::Entry& e : idx.Entries(p)) {
      ASSERT_LT(e.start, e.end) << "empty entry, peer " << p;
      if (!first) {
        ASSERT_LE(prev_end, e.start) << "entries overlap or are unsorted, peer " << p;
      }
      first = false;
      prev_end = e.end;
      for (uint64_t c = e.start; c < e.end; ++c) {
        auto it = mp.find(c);
        ASSERT_TRUE(it != mp.end() && it->second == e.leaf) << "peer " << p << " counter " << c;
      }
      covered += e.end - e.start;
    }
    ASSERT_EQ(covered, mp.size()) << "peer " << p;
  }
}

TEST(IdIndex, EmptyFindsNothing) {
  IdIndex idx;
  EXPECT_EQ(idx.Find(0, 0), nullptr);
  EXPECT_EQ(idx.Find(5, 100), nullptr);
  EXPECT_EQ(idx.NextItem(0, 0), UINT64_MAX);
  EXPECT_EQ(idx.NextItem(3, 7), UINT64_MAX);
  EXPECT_TRUE(idx.Entries(0).empty());
  Leaves leaves(1);
  idx.Set(2, 10, 5, leaves[0]);  // peers 0 and 1 exist now, without entries
  EXPECT_EQ(idx.Find(0, 0), nullptr);
  EXPECT_EQ(idx.NextItem(1, 0), UINT64_MAX);
  EXPECT_EQ(idx.Find(2, 9), nullptr);
  EXPECT_EQ(idx.Find(2, 10), leaves[0]);
  EXPECT_EQ(idx.Find(2, 14), leaves[0]);
  EXPECT_EQ(idx.Find(2, 15), nullptr);
  EXPECT_EQ(idx.NextItem(2, 0), 10u);
  EXPECT_EQ(idx.NextItem(2, 12), 12u);
  EXPECT_EQ(idx.NextItem(2, 15), UINT64_MAX);
  idx.Clear();
  EXPECT_EQ(idx.Find(2, 10), nullptr);
}

TEST(IdIndex, AppendsMergeIntoOneEntry) {
  Leaves leaves(2);
  IdIndex idx;
  for (uint64_t c = 0; c < 1000; ++c) idx.Set(0, c, 1, leaves[0]);
  ASSERT_EQ(idx.Entries(0).size(), 1u);
  EXPECT_EQ(idx.Entries(0)[0].start, 0u);
  EXPECT_EQ(idx.Entries(0)[0].end, 1000u);
  idx.Set(0, 1000, 10, leaves[1]);  // another leaf: a new entry
  idx.Set(0, 1015, 5, leaves[1]);   // a gap (delete ops' counters): another
  EXPECT_EQ(idx.Entries(0).size(), 3u);
  EXPECT_EQ(idx.NextItem(0, 1010), 1015u);
  EXPECT_EQ(idx.Find(0, 1012), nullptr);
}

TEST(IdIndex, RepointingCutsAnEntryInThree) {
  Leaves leaves(3);
  IdIndex idx;
  Model m;
  idx.Set(0, 0, 100, leaves[0]);
  ModelSet(&m, 0, 0, 100, leaves[0]);
  idx.Set(0, 40, 20, leaves[1]);
  ModelSet(&m, 0, 40, 20, leaves[1]);
  EXPECT_EQ(idx.Entries(0).size(), 3u);
  ExpectMatches(idx, m, 1, 110);
  // Pointing the middle back merges the three again.
  idx.Set(0, 40, 20, leaves[0]);
  ModelSet(&m, 0, 40, 20, leaves[0]);
  EXPECT_EQ(idx.Entries(0).size(), 1u);
  ExpectMatches(idx, m, 1, 110);
  // A range over a gap and past the end.
  idx.Set(0, 150, 10, leaves[2]);
  ModelSet(&m, 0, 150, 10, leaves[2]);
  idx.Set(0, 90, 80, leaves[1]);
  ModelSet(&m, 0, 90, 80, leaves[1]);
  ExpectMatches(idx, m, 1, 200);
}

TEST(IdIndex, BucketSplitsKeepLookupsRight) {
  // Alternating leaves so that no two entries merge: thousands of entries,
  // far more than kBucket, for two peers.
  Leaves leaves(2);
  IdIndex idx;
  Model m;
  const uint64_t n = IdIndex::kBucket * 40;
  for (uint64_t c = 0; c < n; ++c) {
    for (PeerIndex p = 0; p < 2; ++p) {
      // Peer 1 leaves gaps of one counter every third item.
      const uint64_t counter = p == 0 ? c : c + c / 3;
      idx.Set(p, counter, 1, leaves[(c + p) % 2]);
      ModelSet(&m, p, counter, 1, leaves[(c + p) % 2]);
    }
  }
  EXPECT_EQ(idx.Entries(0).size(), n);
  ExpectMatches(idx, m, 2, n + n / 3);
  // Inserting in the middle of a full bucket: re-point single counters so
  // that entries are cut, forcing bucket halving.
  for (uint64_t c = 5; c < n; c += 7) {
    idx.Set(0, c, 1, leaves[(c + 1) % 2]);
    ModelSet(&m, 0, c, 1, leaves[(c + 1) % 2]);
  }
  ExpectMatches(idx, m, 2, n + n / 3);
}

TEST(IdIndex, RandomRangeRepointingMatchesModel) {
  std::mt19937_64 rng(31337);
  Leaves leaves(6);
  for (int round = 0; round < 6; ++round) {
    IdIndex idx;
    Model m;
    const PeerIndex peers = 3;
    uint64_t next[peers] = {0, 0, 0};
    const uint64_t limit = 3000;
    for (int op = 0; op < 3000; ++op) {
      const PeerIndex p = static_cast<PeerIndex>(rng() % peers);
      RunLeaf* leaf = leaves[rng() % leaves.size()];
      const uint64_t kind = rng() % 10;
      if (kind < 4 && next[p] < limit - 40) {
        // New counters (sometimes after a gap), as typing and deletes make.
        next[p] += rng() % 3 == 0 ? rng() % 4 : 0;
        const uint64_t len = 1 + rng() % 20;
        idx.Set(p, next[p], len, leaf);
        ModelSet(&m, p, next[p], len, leaf);
        next[p] += len;
      } else if (next[p] > 0) {
        // Re-point a range that starts at an existing item (a leaf split),
        // sometimes long enough to span buckets and gaps.
        const uint64_t start = rng() % next[p];
        const uint64_t len = 1 + (kind == 9 ? rng() % 600 : rng() % 30);
        idx.Set(p, start, len, leaf);
        ModelSet(&m, p, start, len, leaf);
        next[p] = std::max(next[p], start + len);
      }
      if (op % 500 == 499) ExpectMatches(idx, m, peers, limit + 600);
    }
    ExpectMatches(idx, m, peers, limit + 600);
  }
}

TEST(IdIndex, LoadUnsortedEntries) {
  std::mt19937_64 rng(8);
  Leaves leaves(4);
  for (uint64_t count : {0u, 1u, 2u, 47u, 48u, 49u, 64u, 65u, 1000u}) {
    std::vector<std::vector<IdIndex::Entry>> entries(3);
    Model m(3);
    for (PeerIndex p = 0; p < 3; ++p) {
      uint64_t c = p * 5;  // peers start at different counters
      for (uint64_t i = 0; i < count; ++i) {
        c += rng() % 3;  // sometimes touching, sometimes a gap
        const uint64_t len = 1 + rng() % 5;
        // Touching entries with the same leaf must come out merged.
        RunLeaf* leaf = leaves[rng() % 2 == 0 ? 0 : 1 + rng() % 3];
        entries[p].push_back(IdIndex::Entry{c, c + len, leaf});
        ModelSet(&m, p, c, len, leaf);
        c += len;
      }
      std::shuffle(entries[p].begin(), entries[p].end(), rng);
    }
    IdIndex idx;
    idx.Set(1, 0, 100000, leaves[3]);  // replaced by the load
    idx.Load(entries);
    ExpectMatches(idx, m, 3, count * 8 + 20);
    for (PeerIndex p = 0; p < 3; ++p) {
      const auto e = idx.Entries(p);
      for (size_t i = 1; i < e.size(); ++i) {
        EXPECT_FALSE(e[i - 1].end == e[i].start && e[i - 1].leaf == e[i].leaf)
            << "unmerged touching entries after Load, count " << count << " peer " << p;
      }
    }
    // Edits after a load work like edits after Sets.
    for (int k = 0; k < 200 && count > 0; ++k) {
      const PeerIndex p = static_cast<PeerIndex>(rng() % 3);
      const uint64_t start = rng() % (count * 8 + 10);
      const uint64_t len = 1 + rng() % 40;
      RunLeaf* leaf = leaves[rng() % 4];
      idx.Set(p, start, len, leaf);
      ModelSet(&m, p, start, len, leaf);
    }
    ExpectMatches(idx, m, 3, count * 8 + 60);
  }
}

// Load sorts each peer's entries (a radix sort past a few dozen entries):
// every input order, small and large counter ranges, gaps wide enough to
// need several radix passes, must come out as the model.
TEST(IdIndex, LoadSortsAnyOrder) {
  std::mt19937_64 rng(21);
  Leaves leaves(3);
  enum Order { kRandom, kSorted, kReversed, kSawtooth };
  for (Order order : {kRandom, kSorted, kReversed, kSawtooth}) {
    for (uint64_t count : {1u, 5u, 127u, 128u, 129u, 3000u}) {
      for (uint64_t max_gap : {uint64_t{0}, uint64_t{3}, uint64_t{1} << 40}) {
        std::vector<IdIndex::Entry> v;
        Model m(1);
        uint64_t c = max_gap > 3 ? (uint64_t{1} << 61) - count * max_gap : 7;
        for (uint64_t i = 0; i < count; ++i) {
          if (max_gap) c += rng() % (max_gap + 1);
          const uint64_t len = 1 + rng() % 4;
          RunLeaf* leaf = leaves[rng() % 3];
          v.push_back(IdIndex::Entry{c, c + len, leaf});
          if (max_gap <= 3) ModelSet(&m, 0, c, len, leaf);
          c += len;
        }
        if (order == kRandom) std::shuffle(v.begin(), v.end(), rng);
        if (order == kReversed) std::reverse(v.begin(), v.end());
        if (order == kSawtooth) {  // ascending stretches, as document order gives
          for (size_t i = 0; i < v.size(); i += 7)
            std::reverse(v.begin() + i, v.begin() + std::min(v.size(), i + 7));
        }
        const std::vector<IdIndex::Entry> input = v;
        IdIndex idx;
        ASSERT_TRUE(idx.Load({v})) << "order " << order << " count " << count;
        if (max_gap <= 3) {
          ExpectMatches(idx, m, 1, c + 2);
        } else {
          // Counters near 2^61 with wide gaps: check entries against the input.
          std::vector<IdIndex::Entry> want = input;
          std::sort(want.begin(), want.end(),
                    [](const auto& a, const auto& b) { return a.start < b.start; });
          for (const IdIndex::Entry& e : want) {
            EXPECT_EQ(idx.Find(0, e.start), e.leaf);
            EXPECT_EQ(idx.Find(0, e.end - 1), e.leaf);
          }
          const auto got = idx.Entries(0);
          for (size_t i = 1; i < got.size(); ++i) EXPECT_LE(got[i - 1].end, got[i].start);
        }
      }
    }
  }
}

// Overlapping entries (a hostile snapshot repeating an id) are refused
// whatever their order and whichever sort path they take.
TEST(IdIndex, LoadRefusesOverlap) {
  std::mt19937_64 rng(22);
  Leaves leaves(2);
  for (uint64_t count : {2u, 60u, 500u}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<IdIndex::Entry> v;
      uint64_t c = 0;
      for (uint64_t i = 0; i < count; ++i) {
        const uint64_t len = 1 + rng() % 4;
        v.push_back(IdIndex::Entry{c, c + len, leaves[rng() % 2]});
        c += len + rng() % 2;
      }
      // Make one entry reach into another: an id held twice.
      const size_t i = rng() % (count - 1);
      v[i].end = v[i + 1].start + 1;
      std::shuffle(v.begin(), v.end(), rng);
      IdIndex idx;
      EXPECT_FALSE(idx.Load({v})) << "count " << count << " trial " << trial;
      // Two entries starting at one counter.
      std::vector<IdIndex::Entry> w = {{5, 6, leaves[0]}, {5, 6, leaves[0]}};
      for (uint64_t k = 0; k < count; ++k) w.push_back({10 + k, 11 + k, leaves[1]});
      std::shuffle(w.begin(), w.end(), rng);
      EXPECT_FALSE(idx.Load({w})) << "count " << count;
    }
  }
}

TEST(IdIndex, MemoryFollowsEntries) {
  Leaves leaves(2);
  IdIndex idx;
  idx.Set(0, 0, 1000000, leaves[0]);
  const uint64_t one = idx.MemoryUsage();
  EXPECT_LT(one, 1024u);  // a million counters typed forward: one entry
  for (uint64_t c = 0; c < 10000; ++c) idx.Set(1, c, 1, leaves[c % 2]);
  EXPECT_GT(idx.MemoryUsage(), one + 10000 * sizeof(IdIndex::Entry) / 2);
  EXPECT_LT(idx.MemoryUsage(), one + 10000 * sizeof(IdIndex::Entry) * 3);
}

TEST(IdIndex, OneEntryAndTheSecondThatSpillsItMatchModel) {
  // An index of one entry is kept inline; every way of adding a second
  // one (another peer, another leaf, an overlap, a gap) must read the same
  // as the model, and so must a one-leaf load of one or more ranges.
  Leaves leaves(3);
  struct Second {
    PeerIndex peer;
    uint64_t start, len;
    size_t leaf;
  };
  const Second seconds[] = {{0, 10, 5, 0}, {0, 10, 5, 1}, {0, 12, 5, 1}, {0, 3, 4, 1},
                            {0, 0, 10, 2}, {0, 0, 30, 0}, {2, 0, 4, 0}, {0, 20, 2, 0}};
  for (const Second& sec : seconds) {
    SCOPED_TRACE(::testing::Message() << sec.peer << " " << sec.start << " " << sec.len);
    IdIndex idx;
    Model m;
    idx.Set(0, 0, 10, leaves[0]);
    ModelSet(&m, 0, 0, 10, leaves[0]);
    EXPECT_EQ(idx.peer_count(), 1u);
    ASSERT_NO_FATAL_FAILURE(ExpectMatches(idx, m, 3, 40));
    idx.Set(sec.peer, sec.start, sec.len, leaves[sec.leaf]);
    ModelSet(&m, sec.peer, sec.start, sec.len, leaves[sec.leaf]);
    EXPECT_EQ(idx.peer_count(), std::max<size_t>(1, sec.peer + 1));
    ASSERT_NO_FATAL_FAILURE(ExpectMatches(idx, m, 3, 40));
  }
  for (uint32_t n : {0u, 1u, 2u, 3u}) {
    SCOPED_TRACE(n);
    std::vector<tandem::Run> runs(n);
    for (uint32_t i = 0; i < n; ++i) {
      runs[i].peer = 1;
      runs[i].counter = 10 * i;
      runs[i].len = i == 0 ? 10 : 3;  // touching the first (merged), then a gap
    }
    IdIndex idx;
    Model m;
    ASSERT_TRUE(idx.LoadLeaf(runs.data(), n, leaves[0]));
    for (const tandem::Run& r : runs) ModelSet(&m, 1, r.counter, r.len, leaves[0]);
    ASSERT_NO_FATAL_FAILURE(ExpectMatches(idx, m, 3, 40));
    idx.Set(1, 30, 5, leaves[1]);
    ModelSet(&m, 1, 30, 5, leaves[1]);
    ASSERT_NO_FATAL_FAILURE(ExpectMatches(idx, m, 3, 40));
  }
}

}  // namespace
}  // namespace tandem
