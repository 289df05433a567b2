// Interleaving: concurrent runs typed at the same position must not be
// mixed character by character (Weidner & Kleppmann, "The Art of the Fugue").
//
// FugueMax is *maximally non-interleaving* (the paper's Definition 4):
//  (1) forward: if A is the left origin of B and B is the first element
//      (in list order) whose left origin is A, then A and B are adjacent;
//  (2) backward: if B is the right origin of A and A is the last element
//      whose right origin is B, then A and B are adjacent, unless Lemma 5's
//      exception applies (A and B have different left origins and some C
//      between A.leftOrigin and B is not a descendant of A.leftOrigin in the
//      left-origin tree);
//  (3) elements with the same left and right origin are ordered by id.
// The scenario tests check the consequences users see (two runs typed
// forwards or backwards at one position never interleave); the property test
// checks (1)-(3) literally on random executions without deletions, where the
// origins are known from the outside: every inserted character is unique, so
// a character names its element.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "../tools/converge_sim.h"
#include "core/text.h"

namespace tandem {
namespace {

using sim::DecodeUtf8;
using sim::Rng;
using sim::Utf8;

std::u32string U32(const std::string& s) {
  std::u32string u;
  EXPECT_TRUE(DecodeUtf8(s, &u));
  return u;
}

// Types `s` forwards at `pos`, one character per transaction (one update
// each, as a live editor would send them).
std::vector<std::string> TypeForward(Text& t, uint64_t pos, std::u32string_view s) {
  std::vector<std::string> updates;
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_TRUE(t.BeginTransaction().ok());
    Status st = t.Insert(pos + i, Utf8(s.substr(i, 1)));
    EXPECT_TRUE(st.ok()) << st.ToString();
    updates.emplace_back();
    EXPECT_TRUE(t.CommitTransaction(&updates.back()).ok());
  }
  return updates;
}

// Types `s` backwards at `pos`: last character first, each new one inserted
// before the previous (the cursor stays put), so the text reads `s`.
std::vector<std::string> TypeBackward(Text& t, uint64_t pos, std::u32string_view s) {
  std::vector<std::string> updates;
  for (size_t i = s.size(); i-- > 0;) {
    EXPECT_TRUE(t.BeginTransaction().ok());
    Status st = t.Insert(pos, Utf8(s.substr(i, 1)));
    EXPECT_TRUE(st.ok()) << st.ToString();
    updates.emplace_back();
    EXPECT_TRUE(t.CommitTransaction(&updates.back()).ok());
  }
  return updates;
}

void ApplyAll(Text& t, const std::vector<std::string>& updates) {
  for (const std::string& u : updates) {
    Status st = t.ApplyUpdate(u);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
}

// Merges the update streams into one random order that keeps each stream's
// own order (the order a relay would forward them in).
std::vector<std::string> Shuffle(Rng& rng, std::vector<std::vector<std::string>> streams) {
  std::vector<std::string> out;
  std::vector<size_t> next(streams.size(), 0);
  for (;;) {
    std::vector<size_t> live;
    for (size_t i = 0; i < streams.size(); ++i) {
      if (next[i] < streams[i].size()) live.push_back(i);
    }
    if (live.empty()) return out;
    const size_t s = live[rng.Below(live.size())];
    out.push_back(streams[s][next[s]++]);
  }
}

enum class Direction { kForward, kBackward };

struct RunSpec {
  PeerId peer;
  std::u32string word;
  Direction dir;
};

// Every peer starts from `base` (typed by peer 1000), types its run at `pos`
// concurrently with all the others; the runs are then delivered to every peer
// and to several observers in random orders (character updates of different
// peers interleaved). Returns the common result; fails if replicas differ.
std::u32string ConcurrentRuns(const std::u32string& base, uint64_t pos, const std::vector<RunSpec>& runs,
                              uint64_t seed = 1) {
  Text origin(1000);
  if (!base.empty()) {
    EXPECT_TRUE(origin.Insert(0, Utf8(base)).ok());
  }
  const std::string base_update = origin.EncodeUpdate({});
  std::vector<std::unique_ptr<Text>> peers;
  std::vector<std::vector<std::string>> streams;
  for (const RunSpec& r : runs) {
    auto t = std::make_unique<Text>(r.peer);
    EXPECT_TRUE(t->ApplyUpdate(base_update).ok());
    streams.push_back(r.dir == Direction::kForward ? TypeForward(*t, pos, r.word) : TypeBackward(*t, pos, r.word));
    peers.push_back(std::move(t));
  }
  Rng rng(seed);
  std::vector<std::unique_ptr<Text>> all;
  for (size_t i = 0; i < peers.size(); ++i) {
    std::vector<std::vector<std::string>> others;
    for (size_t j = 0; j < streams.size(); ++j) {
      if (j != i) others.push_back(streams[j]);
    }
    ApplyAll(*peers[i], Shuffle(rng, others));
    all.push_back(std::move(peers[i]));
  }
  for (int k = 0; k < 4; ++k) {  // observers that saw nothing before
    auto t = std::make_unique<Text>(2000 + k);
    EXPECT_TRUE(t->ApplyUpdate(base_update).ok());
    ApplyAll(*t, Shuffle(rng, streams));
    all.push_back(std::move(t));
  }
  const std::string result = all[0]->ToString();
  for (auto& t : all) {
    EXPECT_EQ(t->ToString(), result);
    EXPECT_EQ(t->EncodeSnapshot(), all[0]->EncodeSnapshot());
    EXPECT_EQ(t->pending_ops(), 0u);
  }
  return U32(result);
}

// True when `result` is `prefix` + some permutation of `words` + `suffix`.
// Stores the permutation (indices into words) in *order.
bool IsConcatenation(const std::u32string& result, const std::u32string& prefix, const std::u32string& suffix,
                     const std::vector<std::u32string>& words, std::vector<size_t>* order) {
  std::vector<size_t> perm(words.size());
  std::iota(perm.begin(), perm.end(), 0);
  do {
    std::u32string s = prefix;
    for (size_t i : perm) s += words[i];
    s += suffix;
    if (s == result) {
      if (order) *order = perm;
      return true;
    }
  } while (std::next_permutation(perm.begin(), perm.end()));
  return false;
}

std::string Show(const std::u32string& s) {
  std::string out = "\"";
  out += Utf8(s);
  out += '"';
  return out;
}

// ---------------------------------------------------------------- scenarios

TEST(Interleaving, ForwardRunsAtTheSamePositionDoNotInterleave) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::u32string r = ConcurrentRuns(U"", 0, {{1, U"Hello", Direction::kForward}, {2, U"World", Direction::kForward}}, seed);
    EXPECT_TRUE(r == U"HelloWorld" || r == U"WorldHello") << Show(r) << " seed " << seed;
  }
}

TEST(Interleaving, ForwardRunsInsideExistingTextDoNotInterleave) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::u32string r =
        ConcurrentRuns(U"ab|cd", 3, {{77, U"Hello", Direction::kForward}, {5, U"Wörld😀", Direction::kForward}}, seed);
    EXPECT_TRUE(IsConcatenation(r, U"ab|", U"cd", {U"Hello", U"Wörld😀"}, nullptr)) << Show(r) << " seed " << seed;
  }
}

TEST(Interleaving, BackwardRunsAtTheSamePositionDoNotInterleave) {
  // Fugue (and FugueMax) makes each backward-typed character a left child of
  // the previous one, so a backward run is one subtree: two concurrent
  // backward runs at one position are not interleaved either.
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::u32string r =
        ConcurrentRuns(U"xy", 1, {{1, U"Hello", Direction::kBackward}, {2, U"World", Direction::kBackward}}, seed);
    EXPECT_TRUE(IsConcatenation(r, U"x", U"y", {U"Hello", U"World"}, nullptr)) << Show(r) << " seed " << seed;
  }
}

TEST(Interleaving, ForwardAgainstBackwardRunDoNotInterleave) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::u32string r =
        ConcurrentRuns(U"", 0, {{3, U"forward", Direction::kForward}, {4, U"backward", Direction::kBackward}}, seed);
    EXPECT_TRUE(IsConcatenation(r, U"", U"", {U"forward", U"backward"}, nullptr)) << Show(r) << " seed " << seed;
    const std::u32string s =
        ConcurrentRuns(U"..", 1, {{4, U"forward", Direction::kForward}, {3, U"backward", Direction::kBackward}}, seed);
    EXPECT_TRUE(IsConcatenation(s, U".", U".", {U"forward", U"backward"}, nullptr)) << Show(s) << " seed " << seed;
  }
}

TEST(Interleaving, ThreeConcurrentRunsDoNotInterleave) {
  const std::vector<std::u32string> words = {U"alpha", U"βeta", U"𝔤amma"};
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    for (Direction d : {Direction::kForward, Direction::kBackward}) {
      const std::u32string r =
          ConcurrentRuns(U"[]", 1, {{30, words[0], d}, {10, words[1], d}, {20, words[2], d}}, seed);
      EXPECT_TRUE(IsConcatenation(r, U"[", U"]", words, nullptr)) << Show(r) << " seed " << seed;
    }
  }
}

TEST(Interleaving, ConcurrentInsertsAtDocumentStartAndEnd) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    std::u32string r = ConcurrentRuns(U"mid", 0, {{1, U"one", Direction::kForward}, {2, U"two", Direction::kForward}}, seed);
    EXPECT_TRUE(IsConcatenation(r, U"", U"mid", {U"one", U"two"}, nullptr)) << Show(r);
    r = ConcurrentRuns(U"mid", 3, {{1, U"one", Direction::kForward}, {2, U"two", Direction::kForward}}, seed);
    EXPECT_TRUE(IsConcatenation(r, U"mid", U"", {U"one", U"two"}, nullptr)) << Show(r);
    r = ConcurrentRuns(U"", 0, {{1, U"one", Direction::kBackward}, {2, U"two", Direction::kBackward}}, seed);
    EXPECT_TRUE(IsConcatenation(r, U"", U"", {U"one", U"two"}, nullptr)) << Show(r);
  }
}

// Concurrent runs with the same origins are ordered by peer id, the same way
// for every pair of peers, every position and every delivery order.
TEST(Interleaving, TiesAreBrokenByPeerIdConsistently) {
  Rng rng(42);
  int lower_first = 0, higher_first = 0;
  for (int trial = 0; trial < 40; ++trial) {
    PeerId p = rng.Next(), q = rng.Next();
    if (trial % 4 == 0) p >>= 40;  // mix small and large ids
    if (p == q) continue;
    const Direction d = trial % 3 == 0 ? Direction::kBackward : Direction::kForward;
    const std::u32string base = trial % 2 ? U"" : U"<>";
    const uint64_t pos = base.empty() ? 0 : 1;
    const std::u32string r = ConcurrentRuns(base, pos, {{p, U"PP", d}, {q, U"QQ", d}}, trial);
    std::vector<size_t> order;
    ASSERT_TRUE(IsConcatenation(r, base.substr(0, pos), base.substr(pos), {U"PP", U"QQ"}, &order)) << Show(r);
    const bool p_first = order[0] == 0;
    ((p < q) == p_first ? lower_first : higher_first)++;
  }
  EXPECT_TRUE(lower_first == 0 || higher_first == 0)
      << "lower peer first " << lower_first << " times, higher peer first " << higher_first << " times";
  // Three peers: the runs come out sorted by peer id in that same direction.
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const std::u32string r =
        ConcurrentRuns(U"", 0, {{300, U"c", Direction::kForward}, {100, U"a", Direction::kForward}, {200, U"b", Direction::kForward}}, seed);
    EXPECT_EQ(r, lower_first > 0 ? U"abc" : U"cba") << Show(r);
  }
  std::printf("[ tie-break ] concurrent runs with the same origins: %s peer id first\n",
              lower_first > 0 ? "lower" : "higher");
}

// ---------------------------------------------------------------- property

constexpr uint32_t kStart = 0;           // the start symbol, as a left origin
constexpr uint32_t kEnd = 0xFFFFFFFF;    // the end symbol, as a right origin

// Element k (k >= 1) is written as a distinct CJK or astral character.
char32_t ElementChar(uint32_t k) { return k < 20000 ? 0x4E00 + k : 0x20000 + k; }
uint32_t ElementOf(char32_t c) { return c >= 0x20000 ? c - 0x20000 : c - 0x4E00; }

struct Element {
  uint32_t left = kStart;
  uint32_t right = kEnd;
  PeerId peer = 0;
  uint64_t counter = 0;
};

struct Execution {
  std::map<uint32_t, Element> elements;  // by element number
  uint32_t next = 1;
};

// Inserts fresh elements at code point `pos` of `t`, recording their origins:
// the left origin is the element before the position, the right origin the
// one after it (no deletions: the list including tombstones is the text).
void InsertElements(Execution& ex, Text& t, uint64_t pos, int n, bool backward) {
  std::u32string now = U32(t.ToString());
  for (int i = 0; i < n; ++i) {
    const uint32_t k = ex.next++;
    Element e;
    e.left = pos == 0 ? kStart : ElementOf(now[pos - 1]);
    e.right = pos == now.size() ? kEnd : ElementOf(now[pos]);
    e.peer = t.peer();
    e.counter = t.version().get(t.peer());
    ex.elements[k] = e;
    ASSERT_TRUE(t.Insert(pos, Utf8(std::u32string(1, ElementChar(k)))).ok());
    now.insert(now.begin() + pos, ElementChar(k));
    if (!backward) ++pos;
  }
}

// Checks conditions (1)-(3) on one list state. `order_sign` accumulates the
// direction of condition (3): +1 lower id first, -1 higher id first.
void CheckMaximalNonInterleaving(const Execution& ex, const std::u32string& list, int* lower_first, int* higher_first,
                                 const std::string& context) {
  std::map<uint32_t, int64_t> pos;  // element -> index in `list`
  for (size_t i = 0; i < list.size(); ++i) pos[ElementOf(list[i])] = static_cast<int64_t>(i);
  auto at = [&](uint32_t k) -> int64_t { return k == kStart ? -1 : k == kEnd ? static_cast<int64_t>(list.size()) : pos.at(k); };
  std::vector<uint32_t> present;
  for (auto& [k, i] : pos) present.push_back(k);

  for (uint32_t a : present) {
    // (1) forward: the first element with left origin a follows a directly.
    int64_t first = -1;
    for (uint32_t b : present) {
      if (ex.elements.at(b).left == a && (first < 0 || at(b) < first)) first = at(b);
    }
    if (first >= 0) {
      EXPECT_EQ(first, at(a) + 1) << context << ": condition (1) fails: element " << a << " at " << at(a)
                                  << ", first element with it as left origin at " << first;
    }
  }
  for (uint32_t b : present) {
    // (2) backward: the last element with right origin b precedes b directly,
    // unless Lemma 5's exception holds.
    int64_t last = -1;
    uint32_t a = 0;
    for (uint32_t x : present) {
      if (ex.elements.at(x).right == b && at(x) > last) last = at(x), a = x;
    }
    if (last < 0 || last + 1 == at(b)) continue;
    const uint32_t lo = ex.elements.at(a).left;
    bool exception = false;
    if (lo != ex.elements.at(b).left) {
      for (uint32_t c : present) {
        if (!(at(lo) < at(c) && at(c) < at(b))) continue;
        bool descendant = false;  // of lo in the left-origin tree
        for (uint32_t x = c; x != kStart; x = ex.elements.at(x).left) {
          if (x == lo) {
            descendant = true;
            break;
          }
        }
        if (lo == kStart) descendant = true;
        if (!descendant) {
          exception = true;
          break;
        }
      }
    }
    EXPECT_TRUE(exception) << context << ": condition (2) fails: element " << a << " at " << last
                           << " is the last with right origin " << b << " at " << at(b) << ", not adjacent";
  }
  // (3) same left and right origin: ordered by id (the direction is checked
  // for consistency by the caller).
  for (uint32_t x : present) {
    for (uint32_t y : present) {
      const Element& ex_ = ex.elements.at(x);
      const Element& ey = ex.elements.at(y);
      if (x >= y || ex_.left != ey.left || ex_.right != ey.right) continue;
      const bool x_lower = std::pair(ex_.peer, ex_.counter) < std::pair(ey.peer, ey.counter);
      const bool x_first = at(x) < at(y);
      (x_lower == x_first ? *lower_first : *higher_first)++;
    }
  }
}

TEST(Interleaving, RandomExecutionsAreMaximallyNonInterleaving) {
  int lower_first = 0, higher_first = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);
    Execution ex;
    const int n = 2 + static_cast<int>(seed % 4);
    std::vector<std::unique_ptr<Text>> replicas;
    for (int i = 0; i < n; ++i) replicas.push_back(std::make_unique<Text>(rng.Next() >> (i % 2 ? 0 : 32)));
    std::vector<uint64_t> cursor(n, 0);
    for (int step = 0; step < 60; ++step) {
      const int i = static_cast<int>(rng.Below(n));
      Text& t = *replicas[i];
      if (rng.PerMille(300)) {
        const int j = static_cast<int>(rng.Below(n));
        if (j != i) {
          ASSERT_TRUE(t.ApplyUpdate(replicas[j]->EncodeUpdate(t.version())).ok());
        }
        continue;
      }
      const uint64_t len = t.length();
      uint64_t pos = rng.PerMille(500) ? std::min(cursor[i], len) : rng.Below(len + 1);
      const bool backward = rng.PerMille(300);
      const int count = static_cast<int>(rng.Range(1, 4));
      InsertElements(ex, t, pos, count, backward);
      cursor[i] = backward ? pos : pos + count;
      CheckMaximalNonInterleaving(ex, U32(t.ToString()), &lower_first, &higher_first,
                                  "seed " + std::to_string(seed) + " step " + std::to_string(step));
      if (HasFailure()) return;
    }
    for (auto& a : replicas) {
      for (auto& b : replicas) {
        if (a != b) {
          ASSERT_TRUE(a->ApplyUpdate(b->EncodeUpdate(a->version())).ok());
        }
      }
    }
    for (auto& t : replicas) ASSERT_EQ(t->ToString(), replicas[0]->ToString());
    CheckMaximalNonInterleaving(ex, U32(replicas[0]->ToString()), &lower_first, &higher_first,
                                "seed " + std::to_string(seed) + " final");
    if (HasFailure()) return;
  }
  EXPECT_TRUE(lower_first == 0 || higher_first == 0)
      << "condition (3): lower id first " << lower_first << " times, higher id first " << higher_first << " times";
  std::printf("[ condition 3 ] same-origin elements: lower id first %d, higher id first %d\n", lower_first,
              higher_first);
}

// The paper's Figure 7: three concurrent inserts A, B, C at the start;
// replica X knows A and C and inserts x right after A; replica Y knows A and
// B and inserts y right after A. Fugue can separate y from its right origin;
// FugueMax keeps them adjacent. Tried for every assignment of peer ids.
TEST(Interleaving, FugueMaxFigure7AllPeerOrders) {
  std::vector<PeerId> ids = {11, 22, 33, 44, 55};
  int lower_first = 0, higher_first = 0;
  do {
    Execution ex;
    Text a(ids[0]), b(ids[1]), c(ids[2]), x(ids[3]), y(ids[4]);
    InsertElements(ex, a, 0, 1, false);
    InsertElements(ex, b, 0, 1, false);
    InsertElements(ex, c, 0, 1, false);
    ASSERT_TRUE(x.ApplyUpdate(a.EncodeUpdate({})).ok());
    ASSERT_TRUE(x.ApplyUpdate(c.EncodeUpdate({})).ok());
    ASSERT_TRUE(y.ApplyUpdate(a.EncodeUpdate({})).ok());
    ASSERT_TRUE(y.ApplyUpdate(b.EncodeUpdate({})).ok());
    const uint32_t elem_a = 1;
    auto after_a = [&](Text& t) {
      const std::u32string s = U32(t.ToString());
      return static_cast<uint64_t>(s.find(ElementChar(elem_a)) + 1);
    };
    InsertElements(ex, x, after_a(x), 1, false);
    InsertElements(ex, y, after_a(y), 1, false);
    Text all(99);
    for (Text* t : {&a, &b, &c, &x, &y}) ASSERT_TRUE(all.ApplyUpdate(t->EncodeUpdate({})).ok());
    std::string context = "peer ids";
    for (PeerId p : ids) {
      context += ' ';
      context += std::to_string(p);
    }
    CheckMaximalNonInterleaving(ex, U32(all.ToString()), &lower_first, &higher_first, context);
    if (HasFailure()) return;
  } while (std::next_permutation(ids.begin(), ids.end()));
  EXPECT_TRUE(lower_first == 0 || higher_first == 0);
}

}  // namespace
}  // namespace tandem
