// RunTree: runs merge and split as the edits say, leaves and internal nodes
// split under many runs, a loaded tree is as good as a built one, and every
// position lookup agrees with a plain model of the items.
//
// Most tests drive the tree through Sequence (real origins, as Text does);
// the Load tests drive RunTree directly.
#include "core/run_tree.h"

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "utf32_model.h"

#include "core/sequence.h"
#include "core/text.h"
#include "core/utf8.h"

namespace tandem {
namespace {

using testing_model::ToUtf8;


uint64_t RunCount(const RunTree& t) {
  uint64_t n = 0;
  for (const RunLeaf* l = t.first_leaf(); l; l = l->next) n += l->count;
  return n;
}
uint64_t LeafCount(const RunTree& t) {
  uint64_t n = 0;
  for (const RunLeaf* l = t.first_leaf(); l; l = l->next) ++n;
  return n;
}
// Levels above the leaves.
int Depth(const RunTree& t) {
  int d = 0;
  for (const RunInternal* p = t.first_leaf()->parent; p; p = p->parent) ++d;
  return d;
}
std::string Content(const RunTree& t) {
  std::string s;
  for (const RunLeaf* l = t.first_leaf(); l; l = l->next) s += l->text;
  return s;
}

// A sequence edited locally by one peer, with a model of its visible text.
struct Doc {
  Sequence seq;
  PeerIndex peer = seq.peers().Intern(1);
  uint64_t counter = 0;
  std::u32string model;

  void Insert(uint64_t index, const std::u32string& s) {
    const std::string bytes = ToUtf8(s);
    utf8::Counts counts;
    ASSERT_TRUE(utf8::Validate(bytes, &counts));
    seq.InsertLocal(index, peer, counter, bytes, counts);
    counter += s.size();
    model.insert(index, s);
  }
  void Delete(uint64_t index, uint64_t n) {
    uint64_t ids = 0;
    for (const Sequence::IdRange& r : seq.DeleteLocal(index, n)) ids += r.len;
    EXPECT_EQ(ids, n);
    counter += n;  // delete ops take counters too
    model.erase(index, n);
  }
  const RunTree& tree() const { return seq.tree(); }
};

uint64_t UnitOf(char32_t c, IndexUnit unit) {
  if (unit == IndexUnit::kUtf16) return c >= 0x10000 ? 2 : 1;
  if (unit == IndexUnit::kUtf8) return ToUtf8(c).size();
  return 1;
}

// FindChar, MetricsBefore, UnitToChars and CharsToUnit against the model.
void ExpectPositionsMatch(const RunTree& t, const std::u32string& model) {
  ASSERT_EQ(t.total().chars, model.size());
  Metrics before;
  for (uint64_t c = 0; c < model.size(); ++c) {
    const RunTree::Loc loc = t.FindChar(c);
    ASSERT_NE(loc.leaf, nullptr);
    ASSERT_LT(loc.idx, loc.leaf->count) << c;
    ASSERT_FALSE(loc.run().deleted()) << c;
    ASSERT_LT(loc.off, loc.run().len) << c;
    const std::string_view content = loc.leaf->Content(loc.idx);
    const size_t b = utf8::ByteOffsetOfCodePoint(content, loc.off);
    ASSERT_EQ(content.substr(b, ToUtf8(model[c]).size()), ToUtf8(model[c])) << "char " << c;
    const Metrics m = t.MetricsBefore(loc);
    ASSERT_EQ(m.chars, before.chars) << c;
    ASSERT_EQ(m.utf16, before.utf16) << c;
    ASSERT_EQ(m.bytes, before.bytes) << c;
    before.chars += 1;
    before.utf16 += UnitOf(model[c], IndexUnit::kUtf16);
    before.bytes += UnitOf(model[c], IndexUnit::kUtf8);
  }
  ASSERT_EQ(t.total().utf16, before.utf16);
  ASSERT_EQ(t.total().bytes, before.bytes);
  for (IndexUnit unit : {IndexUnit::kCodePoint, IndexUnit::kUtf16, IndexUnit::kUtf8}) {
    uint64_t v = 0;
    for (uint64_t c = 0; c <= model.size(); ++c) {
      uint64_t chars = 999999;
      ASSERT_TRUE(t.UnitToChars(unit, v, &chars))
          << "unit " << static_cast<int>(unit) << " v " << v;
      ASSERT_EQ(chars, c) << "unit " << static_cast<int>(unit) << " v " << v;
      ASSERT_EQ(t.CharsToUnit(unit, c), v) << "unit " << static_cast<int>(unit) << " c " << c;
      if (c == model.size()) break;
      const uint64_t w = UnitOf(model[c], unit);
      for (uint64_t k = 1; k < w; ++k) {
        ASSERT_FALSE(t.UnitToChars(unit, v + k, &chars))
            << "unit " << static_cast<int>(unit) << " v " << v + k;
      }
      v += w;
    }
    uint64_t chars;
    ASSERT_FALSE(t.UnitToChars(unit, v + 1, &chars));
  }
}

// ---------------------------------------------------------------- runs

TEST(RunTreeRuns, TypingForwardIsOneRun) {
  Doc d;
  const std::u32string typed = U"Hello, wörld! 😀 中文 ";
  for (int rep = 0; rep < 50; ++rep) {
    for (char32_t c : typed)
      ASSERT_NO_FATAL_FAILURE(d.Insert(d.model.size(), std::u32string(1, c)));
  }
  EXPECT_EQ(d.tree().first_leaf()->count, 1u);
  EXPECT_EQ(d.tree().first_leaf()->next, nullptr);
  EXPECT_EQ(d.tree().first_leaf()->runs[0].len, d.model.size());
  EXPECT_EQ(Content(d.tree()), ToUtf8(d.model));
  EXPECT_EQ(d.tree().index().Entries(d.peer).size(), 1u);
  EXPECT_TRUE(d.tree().Check().ok());

  // Through Text: the snapshot of a typed document is the text plus a
  // constant, not a record per character.
  Text t(1);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(t.Insert(t.length(), "x").ok());
  EXPECT_LT(t.EncodeSnapshot().size(), 5000u + 64);
}

TEST(RunTreeRuns, InsertInsideARunSplitsItInThree) {
  Doc d;
  ASSERT_NO_FATAL_FAILURE(d.Insert(0, U"abcdéf"));
  ASSERT_EQ(d.tree().first_leaf()->count, 1u);
  ASSERT_NO_FATAL_FAILURE(d.Insert(3, U"X😀"));
  const RunLeaf* l = d.tree().first_leaf();
  ASSERT_EQ(l->count, 3u);
  EXPECT_EQ(l->Content(0), "abc");
  EXPECT_EQ(l->Content(1), ToUtf8(U"X😀"));
  EXPECT_EQ(l->Content(2), ToUtf8(U"déf"));
  // Head keeps the ids 0..2, the tail 3..5 with its left origin at 2; the
  // new run (6, 7) sits between 2 and 3.
  EXPECT_EQ(l->runs[0].counter, 0u);
  EXPECT_EQ(l->runs[0].len, 3u);
  EXPECT_EQ(l->runs[2].counter, 3u);
  EXPECT_EQ(l->runs[2].len, 3u);
  EXPECT_EQ(l->runs[2].left_peer, d.peer + 1);
  EXPECT_EQ(l->runs[2].left_counter, 2u);
  EXPECT_EQ(l->runs[2].bytes, 4u);
  EXPECT_EQ(l->runs[1].counter, 6u);
  EXPECT_EQ(l->runs[1].len, 2u);
  EXPECT_EQ(l->runs[1].utf16, 3u);
  EXPECT_EQ(l->runs[1].left_peer, d.peer + 1);
  EXPECT_EQ(l->runs[1].left_counter, 2u);
  EXPECT_EQ(l->runs[1].right_peer, d.peer + 1);
  EXPECT_EQ(l->runs[1].right_counter, 3u);
  // Typing on after the inserted text extends the middle run.
  ASSERT_NO_FATAL_FAILURE(d.Insert(5, U"yz"));
  EXPECT_EQ(d.tree().first_leaf()->count, 3u);
  EXPECT_EQ(d.tree().first_leaf()->runs[1].len, 4u);
  EXPECT_EQ(Content(d.tree()), ToUtf8(d.model));
  EXPECT_TRUE(d.tree().Check().ok());
  ExpectPositionsMatch(d.tree(), d.model);
}

TEST(RunTreeRuns, DeletesSplitRunsAndTombstonesMerge) {
  Doc d;
  ASSERT_NO_FATAL_FAILURE(d.Insert(0, U"abcdéfgh"));
  ASSERT_NO_FATAL_FAILURE(d.Delete(2, 1));  // c
  const RunLeaf* l = d.tree().first_leaf();
  ASSERT_EQ(l->count, 3u);
  EXPECT_TRUE(l->runs[1].deleted());
  EXPECT_EQ(l->runs[1].len, 1u);
  EXPECT_EQ(l->text, ToUtf8(U"abdéfgh"));
  ASSERT_NO_FATAL_FAILURE(d.Delete(2, 1));  // d: joins the c tombstone
  ASSERT_EQ(l->count, 3u);
  EXPECT_EQ(l->runs[1].len, 2u);
  ASSERT_NO_FATAL_FAILURE(d.Delete(1, 1));  // b: joins from the other side
  ASSERT_EQ(l->count, 3u);
  EXPECT_EQ(l->runs[1].len, 3u);
  EXPECT_EQ(l->runs[1].counter, 1u);
  ASSERT_NO_FATAL_FAILURE(d.Delete(2, 2));  // f, g: a second tombstone
  ASSERT_EQ(l->count, 5u);
  EXPECT_TRUE(d.tree().Check().ok());
  ASSERT_NO_FATAL_FAILURE(d.Delete(1, 1));  // é: the two tombstones become one
  ASSERT_EQ(l->count, 3u);
  EXPECT_EQ(l->runs[1].len, 6u);
  ASSERT_NO_FATAL_FAILURE(d.Delete(0, 2));  // everything: one tombstone run
  ASSERT_EQ(l->count, 1u);
  EXPECT_TRUE(l->runs[0].deleted());
  EXPECT_EQ(l->runs[0].len, 8u);
  EXPECT_EQ(l->text, "");
  EXPECT_EQ(d.tree().total(), (Metrics{8, 0, 0, 0}));
  EXPECT_TRUE(d.tree().Check().ok());
}

TEST(RunTreeRuns, TypingAfterDeletingDoesNotJoinTheTombstone) {
  Doc d;
  ASSERT_NO_FATAL_FAILURE(d.Insert(0, U"abc"));
  ASSERT_NO_FATAL_FAILURE(d.Delete(2, 1));      // c
  ASSERT_NO_FATAL_FAILURE(d.Insert(2, U"xy"));  // after b, before the tombstone
  EXPECT_EQ(Content(d.tree()), "abxy");
  EXPECT_TRUE(d.tree().Check().ok());
  ExpectPositionsMatch(d.tree(), d.model);
}

// ---------------------------------------------------------------- node splits

TEST(RunTreeSplits, ManyRunsSplitLeavesAndInternalNodes) {
  // Inserts alternate between two places that move, so no insert continues
  // the run before it: about one run per insert.
  Doc d;
  const char32_t chars[] = {U'a', U'é', U'€', U'😀'};
  const int n = 12000;
  for (int i = 0; i < n; ++i) {
    const uint64_t len = d.model.size();
    const uint64_t at = i % 2 == 0 ? len / 3 : (len * 2) / 3;
    ASSERT_NO_FATAL_FAILURE(d.Insert(at, std::u32string(1, chars[i % 4])));
    if (i < 600 || i % 97 == 0) {
      const Status s = d.tree().Check();
      ASSERT_TRUE(s.ok()) << "insert " << i << ": " << s.ToString();
    }
  }
  EXPECT_GT(RunCount(d.tree()), static_cast<uint64_t>(n) / 2);
  EXPECT_GT(LeafCount(d.tree()), kFanout * kFanout / 2);
  EXPECT_GE(Depth(d.tree()), 3) << "internal nodes did not split";
  ASSERT_TRUE(d.tree().Check().ok());
  EXPECT_EQ(Content(d.tree()), ToUtf8(d.model));
  // Deletes across the split tree, some spanning leaves.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 300; ++i) {
    const uint64_t at = rng() % d.model.size();
    ASSERT_NO_FATAL_FAILURE(d.Delete(at, std::min<uint64_t>(d.model.size() - at, 1 + rng() % 60)));
    if (i % 10 == 0) {
      ASSERT_TRUE(d.tree().Check().ok()) << "delete " << i;
    }
  }
  ASSERT_TRUE(d.tree().Check().ok());
  EXPECT_EQ(Content(d.tree()), ToUtf8(d.model));
  ExpectPositionsMatch(d.tree(), d.model);
}

TEST(RunTreeSplits, RandomEditsMatchModel) {
  std::mt19937_64 rng(11);
  Doc d;
  const char32_t chars[] = {U'a', U'b', U'é', U'€', U'中', U'😀', U'\U0010FFFF'};
  for (int i = 0; i < 3000; ++i) {
    const uint64_t len = d.model.size();
    if (len > 0 && rng() % 3 == 0) {
      const uint64_t at = rng() % len;
      ASSERT_NO_FATAL_FAILURE(d.Delete(at, std::min<uint64_t>(len - at, 1 + rng() % 8)));
    } else {
      std::u32string s;
      for (uint64_t k = 0, m = 1 + rng() % 4; k < m; ++k) s += chars[rng() % std::size(chars)];
      ASSERT_NO_FATAL_FAILURE(d.Insert(rng() % (len + 1), s));
    }
    const Status st = d.tree().Check();
    ASSERT_TRUE(st.ok()) << "edit " << i << ": " << st.ToString();
    if (i % 500 == 0) {
      ASSERT_NO_FATAL_FAILURE(ExpectPositionsMatch(d.tree(), d.model));
    }
  }
  EXPECT_EQ(Content(d.tree()), ToUtf8(d.model));
  ExpectPositionsMatch(d.tree(), d.model);
}

// ---------------------------------------------------------------- load

// Items of a directly built tree, for a model: id, visible char or tombstone.
struct Item {
  PeerIndex peer;
  uint64_t counter;
  char32_t ch;  // 0 = deleted
};

// Runs of the model items, one run per stretch of consecutive ids.
void ToRuns(const std::vector<Item>& items, std::vector<Run>* runs, std::string* text) {
  runs->clear();
  text->clear();
  for (const Item& it : items) {
    const std::string s = it.ch ? ToUtf8(it.ch) : "";
    if (!runs->empty()) {
      Run& r = runs->back();
      if (r.peer == it.peer && r.end() == it.counter && r.deleted() == (it.ch == 0)) {
        r.len += 1;
        r.bytes += static_cast<uint32_t>(s.size());
        r.utf16 += it.ch ? static_cast<uint32_t>(UnitOf(it.ch, IndexUnit::kUtf16)) : 0;
        *text += s;
        continue;
      }
    }
    Run r;
    r.peer = it.peer;
    r.counter = it.counter;
    r.len = 1;
    r.bytes = static_cast<uint32_t>(s.size());
    r.utf16 = it.ch ? static_cast<uint32_t>(UnitOf(it.ch, IndexUnit::kUtf16)) : 0;
    r.left_peer = it.peer + 1;  // origins are not the tree's business
    r.left_counter = it.counter;
    runs->push_back(r);
    *text += s;
  }
}

void ExpectTreeIs(const RunTree& t, const std::vector<Item>& items) {
  ASSERT_EQ(t.total().items, items.size());
  std::u32string visible;
  for (uint64_t i = 0; i < items.size(); ++i) {
    const RunTree::Loc loc = t.FindItem(i);
    ASSERT_LT(loc.idx, loc.leaf->count) << i;
    ASSERT_EQ(loc.run().peer, items[i].peer) << i;
    ASSERT_EQ(loc.run().counter + loc.off, items[i].counter) << i;
    ASSERT_EQ(loc.run().deleted(), items[i].ch == 0) << i;
    const RunTree::Loc byid = t.FindId(items[i].peer, items[i].counter);
    ASSERT_EQ(byid.leaf, loc.leaf) << i;
    ASSERT_EQ(byid.idx, loc.idx) << i;
    ASSERT_EQ(byid.off, loc.off) << i;
    ASSERT_EQ(t.MetricsBefore(loc).items, i);
    if (items[i].ch) visible += items[i].ch;
  }
  ASSERT_EQ(Content(t), ToUtf8(visible));
  ASSERT_NO_FATAL_FAILURE(ExpectPositionsMatch(t, visible));
}

TEST(RunTreeLoad, LoadedTreesCheckAndEditLikeBuiltOnes) {
  std::mt19937_64 rng(17);
  const char32_t chars[] = {U'a', U'é', U'€', U'😀'};
  const uint32_t fill = kLeafCap - kLeafCap / 8;
  for (uint64_t runs_wanted :
       {uint64_t{0}, uint64_t{1}, uint64_t{fill - 1}, uint64_t{fill}, uint64_t{fill + 1},
        uint64_t{fill * kFanout}, uint64_t{fill * kFanout + 1},
        uint64_t{fill * kFanout * kFanout + 5}}) {
    SCOPED_TRACE(runs_wanted);
    // Items whose ids break into exactly `runs_wanted` runs: each run is
    // 1..3 items of one of two peers, every fourth one deleted.
    std::vector<Item> items;
    uint64_t next[2] = {0, 0};
    uint64_t next2 = 0;  // peer 2: the edits after the load
    for (uint64_t r = 0; r < runs_wanted; ++r) {
      const PeerIndex p = static_cast<PeerIndex>(r % 2);
      next[p] += 1;  // a gap in the ids: never continues the previous run
      for (uint64_t k = 0, n = 1 + rng() % 3; k < n; ++k) {
        items.push_back(Item{p, next[p]++, r % 4 == 3 ? char32_t{0} : chars[rng() % 4]});
      }
    }
    std::vector<tandem::Run> runs;
    std::string text;
    ToRuns(items, &runs, &text);
    ASSERT_EQ(runs.size(), runs_wanted);
    RunTree t;
    t.Load(runs, text);
    Status s = t.Check();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NO_FATAL_FAILURE(ExpectTreeIs(t, items));

    // Edit the loaded tree: new runs of peer 2 and deletions, anywhere.
    for (int e = 0; e < 200; ++e) {
      const uint64_t total = items.size();
      if (total > 0 && rng() % 3 == 0) {
        const uint64_t i = rng() % total;
        const RunTree::Loc loc = t.FindItem(i);
        const uint32_t n =
            static_cast<uint32_t>(std::min<uint64_t>(1 + rng() % 4, loc.run().len - loc.off));
        const bool was_deleted = loc.run().deleted();
        ASSERT_EQ(t.MarkDeleted(loc, n), !was_deleted);
        for (uint32_t k = 0; k < n; ++k) items[i + k].ch = 0;
      } else {
        const uint64_t i = rng() % (total + 1);
        std::vector<Item> add;
        for (uint64_t k = 0, n = 1 + rng() % 3; k < n; ++k)
          add.push_back(Item{2, next2++, chars[rng() % 4]});
        std::vector<tandem::Run> r1;
        std::string s1;
        ToRuns(add, &r1, &s1);
        ASSERT_EQ(r1.size(), 1u);
        next2 += 1;  // keep peer 2's runs apart too
        t.Insert(t.FindItem(i), r1[0], s1);
        items.insert(items.begin() + static_cast<std::ptrdiff_t>(i), add.begin(), add.end());
      }
      s = t.Check();
      ASSERT_TRUE(s.ok()) << "edit " << e << ": " << s.ToString();
    }
    ASSERT_NO_FATAL_FAILURE(ExpectTreeIs(t, items));
  }
}

TEST(RunTreeLoad, SnapshotOfBuiltTreeLoadsClean) {
  // A document with many runs, tombstones and several peers, reloaded
  // through DecodeSnapshot (which uses RunTree::Load) and then edited.
  std::mt19937_64 rng(23);
  Text a(1), b(2);
  for (int i = 0; i < 2000; ++i) {
    Text& t = i % 2 ? a : b;
    if (t.length() > 0 && rng() % 3 == 0) {
      const uint64_t at = rng() % t.length();
      ASSERT_TRUE(t.Delete(at, std::min<uint64_t>(t.length() - at, 1 + rng() % 5)).ok());
    } else {
      ASSERT_TRUE(t.Insert(rng() % (t.length() + 1), rng() % 2 ? "é😀" : "ab").ok());
    }
    if (i % 50 == 0) {
      ASSERT_TRUE(a.ApplyUpdate(b.EncodeUpdate(a.version())).ok());
      ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate(b.version())).ok());
    }
  }
  std::unique_ptr<Text> loaded;
  ASSERT_TRUE(Text::DecodeSnapshot(a.EncodeSnapshot(), 1, &loaded).ok());
  Status s = loaded->CheckInvariants();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(loaded->ToString(), a.ToString());
  EXPECT_EQ(loaded->EncodeSnapshot(), a.EncodeSnapshot());
  for (IndexUnit u : {IndexUnit::kUtf16, IndexUnit::kUtf8})
    EXPECT_EQ(loaded->length(u), a.length(u));
  // Same edits on the original and the loaded copy give the same state.
  for (int i = 0; i < 500; ++i) {
    const uint64_t len = a.length();
    if (len > 0 && i % 3 == 0) {
      const uint64_t at = rng() % len, n = std::min<uint64_t>(len - at, 1 + rng() % 5);
      ASSERT_TRUE(a.Delete(at, n).ok());
      ASSERT_TRUE(loaded->Delete(at, n).ok());
    } else {
      const uint64_t at = rng() % (len + 1);
      ASSERT_TRUE(a.Insert(at, "x€").ok());
      ASSERT_TRUE(loaded->Insert(at, "x€").ok());
    }
    s = loaded->CheckInvariants();
    ASSERT_TRUE(s.ok()) << "edit " << i << ": " << s.ToString();
  }
  EXPECT_EQ(loaded->ToString(), a.ToString());
  EXPECT_EQ(loaded->EncodeSnapshot(), a.EncodeSnapshot());
}

TEST(RunTreeLoad, ReloadingATreeKeepsItsOwnFirstLeafRight) {
  // The first leaf lives in the tree: a load over a tree of many leaves
  // must free the others but keep (and empty) that one, whatever it held.
  std::mt19937_64 rng(29);
  RunTree t;
  for (uint64_t runs_wanted : {uint64_t{2000}, uint64_t{1}, uint64_t{0}, uint64_t{300},
                               uint64_t{40}, uint64_t{1}}) {
    SCOPED_TRACE(runs_wanted);
    std::vector<Item> items;
    uint64_t next = 0;
    for (uint64_t r = 0; r < runs_wanted; ++r) {
      next += 1;  // a gap: each run its own
      for (uint64_t k = 0, n = 1 + rng() % 3; k < n; ++k)
        items.push_back(Item{0, next++, r % 3 == 2 ? char32_t{0} : U'x'});
    }
    std::vector<tandem::Run> runs;
    std::string text;
    ToRuns(items, &runs, &text);
    ASSERT_TRUE(t.Load(runs, text));
    Status s = t.Check();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NO_FATAL_FAILURE(ExpectTreeIs(t, items));
    // And it still grows: a run at the front, which lands in that leaf.
    std::vector<Item> add{Item{1, 0, U'y'}, Item{1, 1, U'z'}};
    std::vector<tandem::Run> r1;
    std::string s1;
    ToRuns(add, &r1, &s1);
    t.Insert(RunTree::Loc{t.first_leaf(), 0, 0}, r1[0], s1);
    items.insert(items.begin(), add.begin(), add.end());
    s = t.Check();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NO_FATAL_FAILURE(ExpectTreeIs(t, items));
  }
}

}  // namespace
}  // namespace tandem
