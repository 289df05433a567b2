// Text's local editing API: positions in the three index units, errors that
// must leave the replica untouched, transactions and the change events they
// produce, and memory that follows the visible content.
//
// Convergence between replicas is convergence_test's job; the two-replica
// cases here only check what one replica reports (deltas, updates).
#include "core/text.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "utf32_model.h"

namespace tandem {
namespace {

using testing_model::ToUtf8;


uint64_t Width(char32_t c, IndexUnit unit) {
  switch (unit) {
    case IndexUnit::kUtf16: return c >= 0x10000 ? 2 : 1;
    case IndexUnit::kUtf8: return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    case IndexUnit::kCodePoint: break;
  }
  return 1;
}

// Position of code point `cp` of `s` in `unit`.
uint64_t UnitPos(const std::u32string& s, uint64_t cp, IndexUnit unit) {
  uint64_t v = 0;
  for (uint64_t i = 0; i < cp; ++i) v += Width(s[i], unit);
  return v;
}

const IndexUnit kUnits[] = {IndexUnit::kCodePoint, IndexUnit::kUtf16, IndexUnit::kUtf8};

const char* Name(IndexUnit u) {
  return u == IndexUnit::kCodePoint ? "cp" : u == IndexUnit::kUtf16 ? "utf16" : "utf8";
}

// Checks lengths and every position (valid and invalid) in every unit pair.
void ExpectIndexesMatch(const Text& t, const std::u32string& model) {
  for (IndexUnit unit : kUnits) {
    ASSERT_EQ(t.length(unit), UnitPos(model, model.size(), unit)) << Name(unit);
  }
  for (IndexUnit from : kUnits) {
    uint64_t pos = 0;
    for (uint64_t i = 0; i <= model.size(); ++i) {
      for (IndexUnit to : kUnits) {
        uint64_t out = 12345;
        Status s = t.ConvertIndex(pos, from, to, &out);
        ASSERT_TRUE(s.ok()) << Name(from) << " " << pos << " -> " << Name(to) << ": "
                            << s.ToString();
        ASSERT_EQ(out, UnitPos(model, i, to)) << Name(from) << " " << pos << " -> " << Name(to);
      }
      if (i == model.size()) break;
      const uint64_t w = Width(model[i], from);
      for (uint64_t k = 1; k < w; ++k) {  // inside the character
        uint64_t out = 12345;
        ASSERT_FALSE(t.ConvertIndex(pos + k, from, IndexUnit::kCodePoint, &out).ok())
            << Name(from) << " " << pos + k << " is inside code point " << i;
        ASSERT_EQ(out, 12345u);
      }
      pos += w;
    }
    uint64_t out;
    ASSERT_FALSE(t.ConvertIndex(pos + 1, from, IndexUnit::kCodePoint, &out).ok()) << Name(from);
    ASSERT_FALSE(t.ConvertIndex(UINT64_MAX, from, IndexUnit::kUtf8, &out).ok()) << Name(from);
  }
}

// The state an error must leave alone.
struct State {
  std::string text, snapshot;
  VersionVector version;
  bool in_txn;
  friend bool operator==(const State&, const State&) = default;
};
State StateOf(const Text& t) {
  return State{t.ToString(), t.EncodeSnapshot(), t.version(), t.in_transaction()};
}

// ---------------------------------------------------------------- local edits

TEST(TextEdit, InsertAtStartMiddleEnd) {
  Text t(1);
  EXPECT_EQ(t.length(), 0u);
  EXPECT_EQ(t.ToString(), "");
  ASSERT_TRUE(t.Insert(0, "world").ok());
  ASSERT_TRUE(t.Insert(0, "hello").ok());
  ASSERT_TRUE(t.Insert(5, ", ").ok());
  ASSERT_TRUE(t.Insert(t.length(), "!").ok());
  EXPECT_EQ(t.ToString(), "hello, world!");
  EXPECT_EQ(t.length(), 13u);
  ASSERT_TRUE(t.Insert(3, "").ok());  // empty insert: nothing happens
  EXPECT_EQ(t.ToString(), "hello, world!");
  EXPECT_EQ(t.version().get(1), 13u);
  EXPECT_TRUE(t.CheckInvariants().ok());
}

TEST(TextEdit, DeleteAtStartMiddleEnd) {
  Text t(1);
  ASSERT_TRUE(t.Insert(0, "hello, world!").ok());
  ASSERT_TRUE(t.Delete(0, 1).ok());
  EXPECT_EQ(t.ToString(), "ello, world!");
  ASSERT_TRUE(t.Delete(4, 2).ok());
  EXPECT_EQ(t.ToString(), "elloworld!");
  ASSERT_TRUE(t.Delete(t.length() - 1, 1).ok());
  EXPECT_EQ(t.ToString(), "elloworld");
  ASSERT_TRUE(t.Delete(3, 0).ok());  // empty delete
  ASSERT_TRUE(t.Delete(t.length(), 0).ok());
  EXPECT_EQ(t.ToString(), "elloworld");
  ASSERT_TRUE(t.Delete(0, t.length()).ok());
  EXPECT_EQ(t.ToString(), "");
  EXPECT_EQ(t.length(IndexUnit::kUtf8), 0u);
  EXPECT_TRUE(t.CheckInvariants().ok());
  ASSERT_TRUE(t.Insert(0, "again").ok());  // after a tombstone-only document
  EXPECT_EQ(t.ToString(), "again");
  EXPECT_TRUE(t.CheckInvariants().ok());
}

TEST(TextErrors, OutOfRangeLeavesTextUnchanged) {
  Text t(1);
  ASSERT_TRUE(t.Insert(0, "aé😀b").ok());
  ASSERT_TRUE(t.Delete(1, 1).ok());  // some history: a tombstone
  const State before = StateOf(t);
  for (IndexUnit u : kUnits) {
    const uint64_t len = t.length(u);
    EXPECT_EQ(t.Insert(len + 1, "x", u).code(), StatusCode::kInvalidArgument) << Name(u);
    EXPECT_FALSE(t.Insert(UINT64_MAX, "x", u).ok()) << Name(u);
    EXPECT_FALSE(t.Delete(len, 1, u).ok()) << Name(u);
    EXPECT_FALSE(t.Delete(0, len + 1, u).ok()) << Name(u);
    EXPECT_FALSE(t.Delete(len + 1, 0, u).ok()) << Name(u);
    EXPECT_FALSE(t.Delete(1, UINT64_MAX, u).ok()) << Name(u);
    EXPECT_FALSE(t.Delete(UINT64_MAX, 2, u).ok()) << Name(u);
    EXPECT_FALSE(t.Delete(UINT64_MAX, UINT64_MAX, u).ok()) << Name(u);
    EXPECT_EQ(StateOf(t), before) << Name(u);
  }
  EXPECT_TRUE(t.CheckInvariants().ok());
}

TEST(TextErrors, InvalidUtf8LeavesTextUnchanged) {
  Text t(1);
  ASSERT_TRUE(t.Insert(0, "abc").ok());
  const State before = StateOf(t);
  const std::string bad[] = {"\xC0\x80",   "x\xED\xA0\x80y", "\xF4\x90\x80\x80",
                             "ab\xE2\x82", "\x80",           "ok\xFF"};
  for (const std::string& b : bad) {
    EXPECT_EQ(t.Insert(1, b).code(), StatusCode::kInvalidArgument) << testing::PrintToString(b);
    EXPECT_EQ(StateOf(t), before) << testing::PrintToString(b);
  }
  // Inside a transaction too: the transaction stays open and empty.
  ASSERT_TRUE(t.BeginTransaction().ok());
  EXPECT_FALSE(t.Insert(1, "\xED\xBF\xBF").ok());
  std::string update = "junk";
  ASSERT_TRUE(t.CommitTransaction(&update).ok());
  EXPECT_EQ(update, "");
  EXPECT_EQ(StateOf(t), before);
}

TEST(TextErrors, IndexInsideCharacterIsRefused) {
  Text t(1);
  ASSERT_TRUE(t.Insert(0, "a😀é").ok());  // utf16: a 0, 😀 1-2, é 3; utf8: a 0, 😀 1-4, é 5-6
  const State before = StateOf(t);
  EXPECT_FALSE(t.Insert(2, "x", IndexUnit::kUtf16).ok());
  EXPECT_FALSE(t.Delete(2, 1, IndexUnit::kUtf16).ok());  // starts inside the pair
  EXPECT_FALSE(t.Delete(0, 2, IndexUnit::kUtf16).ok());  // ends inside the pair
  EXPECT_FALSE(t.Delete(1, 1, IndexUnit::kUtf16).ok());  // half of the pair
  for (uint64_t b : {2u, 3u, 4u, 6u}) {
    EXPECT_FALSE(t.Insert(b, "x", IndexUnit::kUtf8).ok()) << b;
    EXPECT_FALSE(t.Delete(b, 1, IndexUnit::kUtf8).ok()) << b;
    EXPECT_FALSE(t.Delete(0, b, IndexUnit::kUtf8).ok()) << b;
  }
  EXPECT_EQ(StateOf(t), before);
}

// ---------------------------------------------------------------- index units

TEST(TextIndex, LengthInEachUnit) {
  Text t(1);
  const std::u32string s = U"aé€😀b\U0010FFFF中";
  ASSERT_TRUE(t.Insert(0, ToUtf8(s)).ok());
  EXPECT_EQ(t.length(), 7u);
  EXPECT_EQ(t.length(IndexUnit::kCodePoint), 7u);
  EXPECT_EQ(t.length(IndexUnit::kUtf16), 9u);
  EXPECT_EQ(t.length(IndexUnit::kUtf8), 1u + 2 + 3 + 4 + 1 + 4 + 3);
  ExpectIndexesMatch(t, s);
}

TEST(TextIndex, ConvertIndexBothWaysAcrossRuns) {
  // Several runs and leaves, tombstones between them, astral characters at
  // run boundaries.
  Text t(1);
  std::u32string model;
  const std::u32string pieces[] = {U"😀", U"ab", U"é€", U"\U0001F389x", U"中文", U"z"};
  for (int i = 0; i < 120; ++i) {
    const std::u32string& p = pieces[i % std::size(pieces)];
    const uint64_t at = (static_cast<uint64_t>(i) * 7919) % (model.size() + 1);
    ASSERT_TRUE(t.Insert(at, ToUtf8(p)).ok());
    model.insert(at, p);
    if (i % 3 == 2 && model.size() > 4) {
      const uint64_t d = (static_cast<uint64_t>(i) * 104729) % (model.size() - 2);
      ASSERT_TRUE(t.Delete(d, 2).ok());
      model.erase(d, 2);
    }
  }
  ASSERT_EQ(t.ToString(), ToUtf8(model));
  ExpectIndexesMatch(t, model);
  EXPECT_TRUE(t.CheckInvariants().ok());
}

TEST(TextIndex, InsertAndDeleteInUtf16AndUtf8) {
  Text t(1);
  ASSERT_TRUE(t.Insert(0, "a😀b", IndexUnit::kUtf16).ok());
  ASSERT_TRUE(t.Insert(3, "é", IndexUnit::kUtf16).ok());  // after the pair
  EXPECT_EQ(t.ToString(), "a😀éb");
  ASSERT_TRUE(t.Insert(5, "€", IndexUnit::kUtf8).ok());  // after the emoji's 4 bytes
  EXPECT_EQ(t.ToString(), "a😀€éb");
  ASSERT_TRUE(t.Insert(t.length(IndexUnit::kUtf8), "🎉", IndexUnit::kUtf8).ok());
  EXPECT_EQ(t.ToString(), "a😀€éb🎉");
  // Delete the emoji as two UTF-16 units, then "€é" as five bytes.
  ASSERT_TRUE(t.Delete(1, 2, IndexUnit::kUtf16).ok());
  EXPECT_EQ(t.ToString(), "a€éb🎉");
  ASSERT_TRUE(t.Delete(1, 5, IndexUnit::kUtf8).ok());
  EXPECT_EQ(t.ToString(), "ab🎉");
  ASSERT_TRUE(t.Delete(2, 2, IndexUnit::kUtf16).ok());
  EXPECT_EQ(t.ToString(), "ab");
  EXPECT_TRUE(t.CheckInvariants().ok());
}

// ---------------------------------------------------------------- transactions

TEST(TextTransaction, MisuseIsAnError) {
  Text t(1);
  EXPECT_FALSE(t.in_transaction());
  EXPECT_EQ(t.CommitTransaction().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(t.BeginTransaction().ok());
  EXPECT_TRUE(t.in_transaction());
  EXPECT_EQ(t.BeginTransaction().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(t.in_transaction());  // the first one is still open

  Text other(2);
  ASSERT_TRUE(other.Insert(0, "remote").ok());
  ASSERT_TRUE(t.Insert(0, "local").ok());
  const State before = StateOf(t);
  EXPECT_EQ(t.ApplyUpdate(other.EncodeUpdate()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StateOf(t), before);
  ASSERT_TRUE(t.CommitTransaction().ok());
  EXPECT_FALSE(t.in_transaction());
  EXPECT_EQ(t.CommitTransaction().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(t.ApplyUpdate(other.EncodeUpdate()).ok());  // fine outside
  EXPECT_EQ(t.length(), 11u);
}

TEST(TextTransaction, OneLocalEventPerTransaction) {
  Text t(1);
  ASSERT_TRUE(t.Insert(0, "0123456789").ok());
  std::vector<TextChange> events;
  t.SetObserver([&](const TextChange& c) { events.push_back(c); });

  ASSERT_TRUE(t.BeginTransaction().ok());
  ASSERT_TRUE(t.Insert(2, "ab").ok());  // 01ab23456789
  ASSERT_TRUE(t.Delete(6, 2).ok());     // 01ab236789
  ASSERT_TRUE(t.Insert(8, "€😀").ok());  // 01ab2367€😀89
  ASSERT_TRUE(t.Delete(0, 1).ok());     // 1ab2367€😀89
  EXPECT_TRUE(events.empty());          // nothing until commit
  ASSERT_TRUE(t.CommitTransaction().ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].local);
  EXPECT_EQ(events[0].delta.ToString(),
            "[delete 1, retain 1, insert \"ab\", retain 2, delete 2, retain 2, insert \"€😀\"]");
  std::string base = "0123456789";
  ASSERT_TRUE(events[0].delta.ApplyTo(&base));
  EXPECT_EQ(base, t.ToString());

  // An edit outside a transaction is one event of its own.
  ASSERT_TRUE(t.Delete(1, 2).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[1].local);
  EXPECT_EQ(events[1].delta.ToString(), "[retain 1, delete 2]");

  // A transaction that changes nothing (or undoes itself) sends no event.
  ASSERT_TRUE(t.BeginTransaction().ok());
  ASSERT_TRUE(t.CommitTransaction().ok());
  ASSERT_TRUE(t.BeginTransaction().ok());
  ASSERT_TRUE(t.Insert(1, "tmp").ok());
  ASSERT_TRUE(t.Delete(1, 3).ok());
  ASSERT_TRUE(t.CommitTransaction().ok());
  EXPECT_EQ(events.size(), 2u);

  // Removing the observer stops events.
  t.SetObserver(nullptr);
  ASSERT_TRUE(t.Insert(0, "x").ok());
  EXPECT_EQ(events.size(), 2u);
}

TEST(TextObserver, RemoteChangesAreNotLocalAndHaveCorrectDeltas) {
  Text a(1), b(2);
  ASSERT_TRUE(a.Insert(0, "hello world").ok());
  std::vector<TextChange> events;
  b.SetObserver([&](const TextChange& c) { events.push_back(c); });
  ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate()).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].local);
  EXPECT_EQ(events[0].delta.ToString(), "[insert \"hello world\"]");

  // b edits concurrently; a's edits arrive in b's coordinates.
  ASSERT_TRUE(b.Insert(0, ">> ").ok());  // local event
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[1].local);
  const VersionVector seen = a.version();
  ASSERT_TRUE(a.BeginTransaction().ok());
  ASSERT_TRUE(a.Delete(5, 6).ok());      // "hello"
  ASSERT_TRUE(a.Insert(5, ", 😀").ok());  // "hello, 😀"
  ASSERT_TRUE(a.CommitTransaction().ok());
  std::string before = b.ToString();
  ApplyResult res;
  ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate(seen), &res).ok());
  EXPECT_EQ(res.applied_ops, 6u + 3u);
  EXPECT_EQ(res.pending_ops, 0u);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_FALSE(events[2].local);
  EXPECT_EQ(events[2].delta.ToString(), "[retain 8, insert \", 😀\", delete 6]");
  ASSERT_TRUE(events[2].delta.ApplyTo(&before));
  EXPECT_EQ(before, b.ToString());
  EXPECT_EQ(b.ToString(), ">> hello, 😀");

  // An update that changes nothing visible (a duplicate) sends no event.
  ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate()).ok());
  EXPECT_EQ(events.size(), 3u);
}

TEST(TextTransaction, CommitUpdateReproducesTransaction) {
  Text a(0xA), b(0xB);
  std::string update = "stale";
  ASSERT_TRUE(a.BeginTransaction().ok());
  ASSERT_TRUE(a.CommitTransaction(&update).ok());
  EXPECT_EQ(update, "");  // nothing done: empty
  ASSERT_TRUE(a.BeginTransaction().ok());
  ASSERT_TRUE(a.Insert(0, "one two three").ok());
  ASSERT_TRUE(a.CommitTransaction(&update).ok());
  ASSERT_FALSE(update.empty());
  ASSERT_TRUE(b.ApplyUpdate(update).ok());
  EXPECT_EQ(b.ToString(), "one two three");

  // b's own edits interleave with a's: each transaction's update must carry
  // exactly that transaction, inserts, deletes of own and of others' text.
  ASSERT_TRUE(b.BeginTransaction().ok());
  ASSERT_TRUE(b.Insert(3, " and a half").ok());
  ASSERT_TRUE(b.Delete(0, 1).ok());  // a's 'o'
  ASSERT_TRUE(b.CommitTransaction(&update).ok());
  ASSERT_TRUE(a.ApplyUpdate(update).ok());
  EXPECT_EQ(a.ToString(), "ne and a half two three");

  ASSERT_TRUE(a.BeginTransaction().ok());
  ASSERT_TRUE(a.Insert(a.length(), " four").ok());
  ASSERT_TRUE(a.Delete(1, 3).ok());  // "e a" (a's 'e', b's " a")
  ASSERT_TRUE(a.Insert(2, "W😀").ok());
  ASSERT_TRUE(a.Delete(a.length() - 3, 2).ok());  // own text from this txn
  ASSERT_TRUE(a.Insert(a.length(), "é").ok());
  ASSERT_TRUE(a.CommitTransaction(&update).ok());
  const VersionVector b_before = b.version();
  ASSERT_TRUE(b.ApplyUpdate(update).ok());
  EXPECT_EQ(b.ToString(), a.ToString());
  EXPECT_EQ(b.version(), a.version());
  EXPECT_EQ(b.EncodeSnapshot(), a.EncodeSnapshot());
  // The update held the transaction, no more: same as asking for the diff.
  EXPECT_EQ(update, a.EncodeUpdate(b_before));

  // A transaction of errors only is empty too.
  ASSERT_TRUE(a.BeginTransaction().ok());
  EXPECT_FALSE(a.Insert(999, "x").ok());
  EXPECT_FALSE(a.Delete(0, 999).ok());
  ASSERT_TRUE(a.Delete(0, 0).ok());
  ASSERT_TRUE(a.CommitTransaction(&update).ok());
  EXPECT_EQ(update, "");
}

TEST(TextTransaction, UpdatesOfManyTransactionsReplayInOrder) {
  // Random transactions on a; each commit's update, applied to b, makes b
  // equal to a (text, version, snapshot).
  std::mt19937_64 rng(42);
  Text a(100), b(200);
  const char* words[] = {"x", "é", "😀", "abc", "€€", "\U0010FFFF"};
  for (int txn = 0; txn < 150; ++txn) {
    const VersionVector before = a.version();
    ASSERT_TRUE(a.BeginTransaction().ok());
    for (int k = 0, n = 1 + static_cast<int>(rng() % 6); k < n; ++k) {
      const uint64_t len = a.length();
      if (rng() % 3 == 0 && len > 0) {
        const uint64_t at = rng() % len;
        ASSERT_TRUE(a.Delete(at, 1 + rng() % std::min<uint64_t>(len - at, 4)).ok());
      } else {
        ASSERT_TRUE(a.Insert(rng() % (len + 1), words[rng() % std::size(words)]).ok());
      }
    }
    std::string update;
    ASSERT_TRUE(a.CommitTransaction(&update).ok());
    EXPECT_EQ(update, a.EncodeUpdate(before)) << "txn " << txn;
    ASSERT_TRUE(b.ApplyUpdate(update).ok());
    ASSERT_EQ(b.ToString(), a.ToString()) << "txn " << txn;
    ASSERT_EQ(b.version(), a.version()) << "txn " << txn;
  }
  EXPECT_EQ(b.EncodeSnapshot(), a.EncodeSnapshot());
}

// ---------------------------------------------------------------- random session

TEST(TextRandom, LongEditingSessionMatchesModel) {
  std::mt19937_64 rng(2024);
  Text t(7);
  std::u32string model;
  std::string observed;  // the text rebuilt from observer deltas
  t.SetObserver([&](const TextChange& c) {
    EXPECT_TRUE(c.local);
    EXPECT_TRUE(c.delta.ApplyTo(&observed)) << c.delta.ToString();
  });
  const char32_t alphabet[] = {U'a', U'b',  U' ', U'é', U'ß',
                               U'€', U'中', U'😀', U'🎉', U'\U0010FFFF'};
  auto random_text = [&](uint64_t max) {
    std::u32string s;
    for (uint64_t i = 0, n = 1 + rng() % max; i < n; ++i)
      s += alphabet[rng() % std::size(alphabet)];
    return s;
  };
  uint64_t cursor = 0;
  for (int step = 0; step < 4000; ++step) {
    const IndexUnit unit = kUnits[rng() % 3];
    if (rng() % 6 == 0) cursor = rng() % (model.size() + 1);
    cursor = std::min<uint64_t>(cursor, model.size());
    const uint64_t op = rng() % 20;
    const bool txn = rng() % 10 == 0;
    if (txn) {
      ASSERT_TRUE(t.BeginTransaction().ok());
    }
    if (op < 11 || model.size() < 10) {
      const std::u32string s = random_text(op == 0 ? 30 : 3);
      ASSERT_TRUE(t.Insert(UnitPos(model, cursor, unit), ToUtf8(s), unit).ok()) << "step " << step;
      model.insert(cursor, s);
      cursor += s.size();
    } else if (op < 17) {  // backspace-ish
      const uint64_t n = std::min<uint64_t>(cursor, 1 + rng() % 3);
      const uint64_t from = UnitPos(model, cursor - n, unit);
      ASSERT_TRUE(t.Delete(from, UnitPos(model, cursor, unit) - from, unit).ok())
          << "step " << step;
      model.erase(cursor - n, n);
      cursor -= n;
    } else {  // forward delete of a selection
      const uint64_t n = std::min<uint64_t>(model.size() - cursor, rng() % 40);
      const uint64_t from = UnitPos(model, cursor, unit);
      ASSERT_TRUE(t.Delete(from, UnitPos(model, cursor + n, unit) - from, unit).ok())
          << "step " << step;
      model.erase(cursor, n);
    }
    // Sometimes an index inside a character, which must fail harmlessly.
    if (rng() % 8 == 0) {
      for (uint64_t i = 0; i < model.size(); ++i) {
        if (Width(model[i], unit) > 1) {
          EXPECT_FALSE(t.Insert(UnitPos(model, i, unit) + 1, "!", unit).ok());
          break;
        }
      }
    }
    if (txn) {
      ASSERT_TRUE(t.CommitTransaction().ok());
    }
    const Status inv = t.CheckInvariants();
    ASSERT_TRUE(inv.ok()) << "step " << step << ": " << inv.ToString();
    ASSERT_EQ(t.length(), model.size()) << "step " << step;
    ASSERT_EQ(t.length(IndexUnit::kUtf16), UnitPos(model, model.size(), IndexUnit::kUtf16));
    ASSERT_EQ(t.length(IndexUnit::kUtf8), UnitPos(model, model.size(), IndexUnit::kUtf8));
    if (step % 50 == 0) {
      ASSERT_EQ(t.ToString(), ToUtf8(model)) << "step " << step;
      ASSERT_EQ(observed, ToUtf8(model)) << "step " << step;
    }
    if (step % 500 == 0) ExpectIndexesMatch(t, model);
  }
  ASSERT_EQ(t.ToString(), ToUtf8(model));
  ASSERT_EQ(observed, t.ToString());
  ExpectIndexesMatch(t, model);
  // The session's state survives a snapshot and an update from scratch.
  std::unique_ptr<Text> copy;
  ASSERT_TRUE(Text::DecodeSnapshot(t.EncodeSnapshot(), 8, &copy).ok());
  EXPECT_EQ(copy->ToString(), t.ToString());
  EXPECT_TRUE(copy->CheckInvariants().ok());
  Text fresh(9);
  ASSERT_TRUE(fresh.ApplyUpdate(t.EncodeUpdate()).ok());
  EXPECT_EQ(fresh.ToString(), t.ToString());
  EXPECT_EQ(fresh.EncodeSnapshot(), t.EncodeSnapshot());
}

TEST(TextRandom, ObserverDeltasTrackConcurrentMerges) {
  // Two replicas edit concurrently and exchange updates now and then; each
  // one's observer deltas, local and remote, rebuild its text exactly.
  std::mt19937_64 rng(77);
  Text a(1), b(2);
  Text* replicas[] = {&a, &b};
  std::string observed[2];
  for (int r = 0; r < 2; ++r) {
    replicas[r]->SetObserver([&observed, r](const TextChange& c) {
      EXPECT_TRUE(c.delta.ApplyTo(&observed[r])) << c.delta.ToString();
    });
  }
  const char* words[] = {"a", "bc", "é", "😀", "€x"};
  for (int round = 0; round < 300; ++round) {
    for (int r = 0; r < 2; ++r) {
      Text& t = *replicas[r];
      for (int k = 0, n = static_cast<int>(rng() % 4); k < n; ++k) {
        const uint64_t len = t.length();
        if (rng() % 3 == 0 && len > 0) {
          const uint64_t at = rng() % len;
          ASSERT_TRUE(t.Delete(at, 1 + rng() % std::min<uint64_t>(len - at, 5)).ok());
        } else {
          ASSERT_TRUE(t.Insert(rng() % (len + 1), words[rng() % std::size(words)]).ok());
        }
      }
    }
    if (rng() % 3 == 0) {
      const std::string to_b = a.EncodeUpdate(b.version());
      const std::string to_a = b.EncodeUpdate(a.version());
      ASSERT_TRUE(b.ApplyUpdate(to_b).ok());
      ASSERT_TRUE(a.ApplyUpdate(to_a).ok());
      ASSERT_EQ(a.ToString(), b.ToString()) << "round " << round;
    }
    ASSERT_EQ(observed[0], a.ToString()) << "round " << round;
    ASSERT_EQ(observed[1], b.ToString()) << "round " << round;
  }
}

// ---------------------------------------------------------------- memory

TEST(TextMemory, TypingIsCompact) {
  Text t(1);
  const uint64_t empty = t.MemoryUsage();
  uint64_t last = empty;
  const std::string sentence = "The quick brown fox jumps over the lazy dog. ";
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(t.Insert(t.length(), sentence.substr(i % sentence.size(), 1)).ok());
    if (i % 10000 == 9999) {
      const uint64_t now = t.MemoryUsage();
      EXPECT_GE(now, last) << i;
      last = now;
    }
  }
  EXPECT_EQ(t.length(), 100000u);
  EXPECT_GT(t.MemoryUsage(), empty + 100000);  // at least holds the text
  EXPECT_LT(t.MemoryUsage(), 2u << 20);
  EXPECT_LT(t.EncodeSnapshot().size(), 100000u + 1000);
  EXPECT_TRUE(t.CheckInvariants().ok());
}

TEST(TextMemory, ScatteredEditsStayBounded) {
  // Edits all over the document (many runs, many leaves): memory per
  // character stays small.
  std::mt19937_64 rng(5);
  Text t(1);
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(t.Insert(rng() % (t.length() + 1), "ab").ok());
    if (i % 4 == 3) {
      ASSERT_TRUE(t.Delete(rng() % t.length(), 1).ok());
    }
  }
  const uint64_t chars = t.length();
  // Worst case here is about one run per character (~70 bytes of leaf).
  EXPECT_LT(t.MemoryUsage(), chars * 256) << "chars " << chars;
  EXPECT_TRUE(t.CheckInvariants().ok());
}

TEST(TextMemory, DeletedContentIsDropped) {
  // Random multi-byte text, so that a compressed snapshot still holds it.
  std::mt19937_64 rng(9);
  const char32_t alphabet[] = {U'a', U'q', U'Z',  U'7',  U' ', U'é', U'ö',
                               U'ß', U'€', U'中', U'文', U'😀', U'🎉'};
  Text full(1), emptied(2), backspaced(3);
  for (int i = 0; i < 1000; ++i) {
    std::u32string chunk;
    for (int k = 0; k < 15; ++k) chunk += alphabet[rng() % std::size(alphabet)];
    for (Text* t : {&full, &emptied, &backspaced}) {
      ASSERT_TRUE(t->Insert(t->length(), ToUtf8(chunk)).ok());
    }
  }
  ASSERT_TRUE(emptied.Delete(0, emptied.length()).ok());  // select all, delete
  while (backspaced.length() > 0) {
    ASSERT_TRUE(backspaced.Delete(backspaced.length() - 1, 1).ok());
  }
  const uint64_t full_mem = full.MemoryUsage();
  // Snapshots are deflated, and this text repeats: compare with the
  // text's own size rather than with the full document's snapshot.
  const uint64_t full_snap = full.ToString().size();
  for (Text* t : {&emptied, &backspaced}) {
    EXPECT_EQ(t->ToString(), "");
    EXPECT_TRUE(t->CheckInvariants().ok());
    EXPECT_LT(t->MemoryUsage() * 4, full_mem)
        << "peer " << t->peer() << ": the leaf keeps the deleted text's capacity";
    EXPECT_LT(t->EncodeSnapshot().size() * 20, full_snap) << t->peer();
    // The tombstones themselves are small: a reloaded copy shows it.
    std::unique_ptr<Text> reloaded;
    ASSERT_TRUE(Text::DecodeSnapshot(t->EncodeSnapshot(), 10, &reloaded).ok());
    EXPECT_LT(reloaded->MemoryUsage() * 4, full_mem) << t->peer();
    // A fresh replica still converges from the full update.
    Text fresh(9);
    ASSERT_TRUE(fresh.ApplyUpdate(t->EncodeUpdate({})).ok());
    EXPECT_EQ(fresh.ToString(), "");
    EXPECT_EQ(fresh.version(), t->version());
    EXPECT_EQ(fresh.EncodeSnapshot(), t->EncodeSnapshot());
    EXPECT_TRUE(fresh.CheckInvariants().ok());
    // And can keep editing with the original: new text lands in both.
    ASSERT_TRUE(t->Insert(0, "new").ok());
    ASSERT_TRUE(fresh.ApplyUpdate(t->EncodeUpdate(fresh.version())).ok());
    EXPECT_EQ(fresh.ToString(), "new");
  }
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// Snapshot rows are read straight into tree runs: rows longer than a tree
// run (cut into pieces), multi-byte content, tombstones, neighbouring and
// explicit origins of several peers must all come back as they were.
TEST(TextSnapshot, LongMultiByteRowsAndManyPeersRoundTrip) {
  Text a(1), b(2);
  std::string long_text;
  for (int i = 0; i < 3000; ++i) long_text += (i % 3 == 0) ? "\xC3\xA9" : (i % 3 == 1 ? "\xF0\x9F\x98\x80" : "x");
  ASSERT_TRUE(a.Insert(0, long_text).ok());
  ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate()).ok());
  ASSERT_TRUE(b.Insert(1500, "\xE2\x82\xAC middle").ok());
  ASSERT_TRUE(a.Delete(100, 700).ok());
  ASSERT_TRUE(a.ApplyUpdate(b.EncodeUpdate()).ok());
  ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate()).ok());
  ASSERT_TRUE(a.Insert(0, std::string(2500, 'q')).ok());
  const std::string snap = a.EncodeSnapshot();
  std::unique_ptr<Text> c;
  ASSERT_TRUE(Text::DecodeSnapshot(snap, 3, &c).ok());
  EXPECT_EQ(c->ToString(), a.ToString());
  EXPECT_EQ(c->length(IndexUnit::kUtf16), a.length(IndexUnit::kUtf16));
  EXPECT_EQ(c->version(), a.version());
  EXPECT_TRUE(c->CheckInvariants().ok());
  EXPECT_EQ(c->EncodeSnapshot(), snap);
  // And it keeps working as a replica.
  ASSERT_TRUE(b.Insert(3, "z").ok());
  ASSERT_TRUE(c->ApplyUpdate(b.EncodeUpdate()).ok());
  ASSERT_TRUE(a.ApplyUpdate(b.EncodeUpdate()).ok());
  EXPECT_EQ(c->ToString(), a.ToString());
}

}  // namespace
}  // namespace tandem
