// Corrupt updates: truncated, bit-flipped, random and mechanically damaged
// messages (columns of other lengths, peer indices out of range, text that
// does not match its runs, invalid UTF-8, unknown format versions). Every one
// must either be refused with an error that leaves the replica exactly as it
// was (snapshot bytes, version, text, no observer call), or be accepted
// harmlessly. Nothing may crash. Semantically hostile but well-formed updates
// are in hostile_update_test.cc; the fixtures in hostile_input.h.
#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "../tools/converge_sim.h"
#include "core/text.h"
#include "hostile_input.h"
#include "tandem.pb.h"
#include "wire_builder.h"

namespace tandem {
namespace {

using namespace hostile;  // NOLINT: test-local helpers

// ---------------------------------------------------------------- the builder

TEST(WireBuilder, ReadsWhatTheEngineWrites) {
  Text a(1), b(2);
  std::string u1, u2, u3, u4;
  ASSERT_TRUE(a.BeginTransaction().ok());
  ASSERT_TRUE(a.Insert(0, "abc").ok());
  ASSERT_TRUE(a.CommitTransaction(&u1).ok());
  ASSERT_TRUE(a.BeginTransaction().ok());
  ASSERT_TRUE(a.Insert(3, "dé").ok());
  ASSERT_TRUE(a.CommitTransaction(&u2).ok());
  ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate({})).ok());
  ASSERT_TRUE(b.BeginTransaction().ok());
  ASSERT_TRUE(b.Insert(1, "X").ok());  // aXbcdé
  ASSERT_TRUE(b.CommitTransaction(&u3).ok());
  ASSERT_TRUE(b.BeginTransaction().ok());
  ASSERT_TRUE(b.Delete(3, 2).ok());  // cd -> aXbé
  ASSERT_TRUE(b.Delete(2, 1).ok());  // backspace b -> aXé
  ASSERT_TRUE(b.CommitTransaction(&u4).ok());
  ASSERT_EQ(b.ToString(), "aXé");

  Ops ops;
  std::string err;
  ASSERT_TRUE(FromWire(Parse(u1), &ops, &err)) << err;
  ASSERT_EQ(ops.ins.size(), 1u);
  EXPECT_EQ(ops.ins[0].peer, 1u);
  EXPECT_EQ(ops.ins[0].counter, 0u);
  EXPECT_EQ(ops.ins[0].len, 3u);
  EXPECT_FALSE(ops.ins[0].left.has_value());
  EXPECT_FALSE(ops.ins[0].right.has_value());
  EXPECT_EQ(ops.ins[0].text, "abc");

  ops = {};
  ASSERT_TRUE(FromWire(Parse(u2), &ops, &err)) << err;
  ASSERT_EQ(ops.ins.size(), 1u);
  EXPECT_EQ(ops.ins[0].counter, 3u);
  ASSERT_TRUE(ops.ins[0].left.has_value());
  EXPECT_EQ(*ops.ins[0].left, (Id{1, 2}));
  EXPECT_EQ(ops.ins[0].text, "dé");

  ops = {};
  ASSERT_TRUE(FromWire(Parse(u3), &ops, &err)) << err;
  ASSERT_EQ(ops.ins.size(), 1u);
  EXPECT_EQ(ops.ins[0].peer, 2u);
  EXPECT_EQ(ops.ins[0].counter, 0u);
  EXPECT_EQ(ops.ins[0].left, (std::optional<Id>(Id{1, 0})));
  EXPECT_EQ(ops.ins[0].right, (std::optional<Id>(Id{1, 1})));

  ops = {};
  ASSERT_TRUE(FromWire(Parse(u4), &ops, &err)) << err;
  const auto dels = ExpandDeletes(ops.del);
  ASSERT_EQ(dels.size(), 3u);
  EXPECT_EQ(dels[0].first, (Id{2, 1}));
  EXPECT_EQ(dels[0].second, (Id{1, 2}));  // c
  EXPECT_EQ(dels[1].second, (Id{1, 3}));  // d
  EXPECT_EQ(dels[2].first, (Id{2, 3}));
  EXPECT_EQ(dels[2].second, (Id{1, 1}));  // b

  // Everything b has, as items: the origins survive whatever run split the
  // engine chose.
  ops = {};
  ASSERT_TRUE(FromWire(Parse(b.EncodeUpdate({})), &ops, &err)) << err;
  const auto items = ExpandInserts(ops.ins);
  ASSERT_EQ(items.size(), 6u);
  const std::u32string chars = U"abcdéX";
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].deleted) {
      EXPECT_EQ(items[i].ch, chars[i]) << i;
    }
  }
  EXPECT_EQ(items[4].left, (std::optional<Id>(Id{1, 3})));
  EXPECT_FALSE(items[4].right.has_value());
  EXPECT_EQ(ExpandDeletes(ops.del).size(), 3u);
}

TEST(WireBuilder, RebuildsTheEngineBytes) {
  for (const std::string* bytes : {&SmallUpdate(), &FullUpdate()}) {
    const wire::Update parsed = Parse(*bytes);
    Ops ops;
    std::string err;
    ASSERT_TRUE(FromWire(parsed, &ops, &err)) << err;
    EXPECT_EQ(ToWire(ops, parsed.format_version()).SerializeAsString(), parsed.SerializeAsString());
  }
}

TEST(WireBuilder, HandBuiltUpdateApplies) {
  // Concurrent with the whole base text (origins: start and end).
  Ops ops;
  ops.ins.push_back({.peer = 9, .counter = 0, .len = 2, .text = "hé"});
  std::string after;
  ASSERT_TRUE(CheckApply(BuildUpdate(ops), Expect::kAnything, "hand-built insert", &after).ok());
  std::unique_ptr<Text> t;
  ASSERT_TRUE(Text::DecodeSnapshot(after, 1, &t).ok());
  EXPECT_EQ(t->length(), Fresh()->length() + 2);
  EXPECT_NE(t->ToString().find("hé"), std::string::npos);
  // Between two known items: right after the first visible character.
  Text empty(3);
  Text a(1);
  ASSERT_TRUE(a.Insert(0, "xz").ok());
  ASSERT_TRUE(empty.ApplyUpdate(a.EncodeUpdate({})).ok());
  ops = {};
  ops.ins.push_back({.peer = 9, .counter = 0, .len = 1, .left = Id{1, 0}, .right = Id{1, 1}, .text = "y"});
  ASSERT_TRUE(empty.ApplyUpdate(BuildUpdate(ops)).ok());
  EXPECT_EQ(empty.ToString(), "xyz");
}

// ---------------------------------------------------------------- mechanical corruption

TEST(CorruptUpdate, TruncatedAtEveryLength) {
  for (const std::string* full : {&SmallUpdate(), &FullUpdate()}) {
    std::string direct;
    ASSERT_TRUE(CheckApply(*full, Expect::kAnything, "the whole update", &direct).ok());
    for (size_t n = 0; n < full->size(); ++n) {
      const std::string prefix = full->substr(0, n);
      std::string after;
      Status st = CheckApply(prefix, Expect::kAnything, "prefix of " + std::to_string(n) + " bytes", &after);
      if (st.ok() && n > 0) {
        // A prefix that decodes holds a subset of the real operations: the
        // rest still applies and lands on the same state.
        std::unique_ptr<Text> t;
        ASSERT_TRUE(Text::DecodeSnapshot(after, kLocal, &t).ok());
        ASSERT_TRUE(t->ApplyUpdate(*full).ok());
        EXPECT_EQ(t->EncodeSnapshot(), direct) << "prefix of " << n << " bytes was accepted and poisoned the replica";
      }
      if (testing::Test::HasFailure()) return;
    }
  }
}

TEST(CorruptUpdate, EverySingleBitFlip) {
  const std::string& u = SmallUpdate();
  for (size_t bit = 0; bit < u.size() * 8; ++bit) {
    CheckApply(Flip(u, bit), Expect::kAnything, "bit " + std::to_string(bit) + " flipped");
    if (testing::Test::HasFailure()) return;
  }
}

TEST(CorruptUpdate, RandomGarbage) {
  sim::Rng rng(7);
  for (int i = 0; i < 1500; ++i) {
    std::string s(rng.PerMille(800) ? rng.Below(40) : rng.Below(600), '\0');
    for (char& c : s) c = static_cast<char>(rng.Next());
    CheckApply(s, Expect::kAnything, "garbage #" + std::to_string(i));
    if (testing::Test::HasFailure()) return;
  }
}

// Random edits of single column entries of a valid update: interesting values
// (0, ±1, huge, extremes) and random ones, plus added and removed entries.
TEST(CorruptUpdate, RandomColumnMutations) {
  sim::Rng rng(11);
  auto interesting = [&]() -> uint64_t {
    static constexpr uint64_t kVals[] = {0,
                                         1,
                                         2,
                                         ~uint64_t{0},
                                         ~uint64_t{0} - 1,
                                         uint64_t{1} << 31,
                                         uint64_t{1} << 32,
                                         uint64_t{1} << 62,
                                         (uint64_t{1} << 62) - 1,
                                         (uint64_t{1} << 62) + 1,
                                         uint64_t{1} << 63,
                                         (uint64_t{1} << 63) - 1,
                                         kMaxCounter << 1,
                                         (kMaxCounter << 1) | 1};
    return rng.PerMille(700) ? kVals[rng.Below(std::size(kVals))] : rng.Next() >> rng.Below(64);
  };
  for (int i = 0; i < 3000; ++i) {
    wire::Update u = Parse(i % 2 ? SmallUpdate() : FullUpdate());
    const int mutations = 1 + static_cast<int>(rng.Below(3));
    for (int m = 0; m < mutations; ++m) {
      // Run lengths stay below 2^40: should long tombstone runs ever cost
      // memory per item again (HostileUpdate.TombstoneRunCostsNoMemoryPerItem),
      // this test must fail on its memory bound, not run out of memory.
      auto poke = [&](auto* field, bool is_len = false) {
        using T = typename std::remove_reference_t<decltype(*field)>::value_type;
        auto value = [&] {
          uint64_t v = interesting();
          return static_cast<T>(is_len ? v & ((uint64_t{1} << 41) - 1) : v);
        };
        const uint64_t op = rng.Below(10);
        if (op == 0) {
          field->Add(value());
        } else if (op == 1 && field->size() > 0) {
          field->RemoveLast();
        } else if (field->size() > 0) {
          const int at = static_cast<int>(rng.Below(field->size()));
          field->Set(at, value());
        }
      };
      wire::RunColumns* r = u.mutable_inserts();
      wire::DeleteColumns* d = u.mutable_deletes();
      switch (rng.Below(16)) {
        case 0: poke(r->mutable_peer_runs()); break;
        case 1: poke(r->mutable_counter()); break;
        case 2: poke(r->mutable_len_deleted(), true); break;
        case 3: poke(r->mutable_origin_kinds()); break;
        case 4: poke(r->mutable_origin_peer_runs()); break;
        case 5: poke(r->mutable_origin_counter()); break;
        case 6: poke(d->mutable_target_peer_runs()); break;
        case 7: poke(d->mutable_peer_runs()); break;
        case 8: poke(d->mutable_counter()); break;
        case 9: poke(d->mutable_len_backward(), true); break;
        case 10: poke(r->mutable_peer_runs(), true); break;
        case 11: poke(d->mutable_target_counter()); break;
        case 12: poke(u.mutable_peers()); break;
        case 13: {
          std::string text = r->text();
          if (!text.empty()) text[rng.Below(text.size())] = static_cast<char>(rng.Next());
          r->set_text(text);
          break;
        }
        case 14: {
          std::string text = r->text();
          if (!text.empty()) text.resize(rng.Below(text.size()));
          r->set_text(text);
          break;
        }
        default: u.set_format_version(static_cast<uint32_t>(rng.PerMille(500) ? rng.Below(4) : rng.Next())); break;
      }
    }
    CheckApply(u.SerializeAsString(), Expect::kAnything, "column mutation #" + std::to_string(i));
    if (testing::Test::HasFailure()) return;
  }
}

TEST(CorruptUpdate, UnknownFormatVersion) {
  const Ops ops = SmallOps();
  const uint32_t v = CurrentFormatVersion();
  ASSERT_NE(v, 0u);
  for (uint32_t bad : {0u, v + 1, 999u, std::numeric_limits<uint32_t>::max()}) {
    Status st = CheckApply(BuildUpdate(ops, bad), Expect::kError, "format_version " + std::to_string(bad));
    if (bad != 0) {
      EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.ToString();
    }
  }
}

TEST(CorruptUpdate, EmptyUpdateChangesNothing) {
  wire::Update u;
  u.set_format_version(CurrentFormatVersion());
  std::unique_ptr<Text> t = Fresh();
  const std::string snap = t->EncodeSnapshot();
  ASSERT_TRUE(t->ApplyUpdate(u.SerializeAsString()).ok());
  u.mutable_inserts();
  u.mutable_deletes();
  ASSERT_TRUE(t->ApplyUpdate(u.SerializeAsString()).ok());
  EXPECT_EQ(t->EncodeSnapshot(), snap);
}

TEST(CorruptUpdate, ColumnsOfDifferentLengths) {
  using Mut = void (*)(wire::Update*);
  const std::vector<std::pair<const char*, Mut>> cases = {
      {"inserts.peer_runs odd", [](wire::Update* u) { u->mutable_inserts()->mutable_peer_runs()->RemoveLast(); }},
      {"inserts.peer_runs count +1",
       [](wire::Update* u) {
         auto* f = u->mutable_inserts()->mutable_peer_runs();
         f->Set(f->size() - 1, f->Get(f->size() - 1) + 1);
       }},
      {"inserts.peer_runs count -1",
       [](wire::Update* u) {
         auto* f = u->mutable_inserts()->mutable_peer_runs();
         f->Set(f->size() - 1, f->Get(f->size() - 1) - 1);
       }},
      {"inserts.peer_runs count 0", [](wire::Update* u) { u->mutable_inserts()->mutable_peer_runs()->Set(1, 0); }},
      {"inserts.counter -1", [](wire::Update* u) { u->mutable_inserts()->mutable_counter()->RemoveLast(); }},
      {"inserts.len_deleted -1", [](wire::Update* u) { u->mutable_inserts()->mutable_len_deleted()->RemoveLast(); }},
      {"inserts.origin_kinds -1", [](wire::Update* u) { u->mutable_inserts()->mutable_origin_kinds()->RemoveLast(); }},
      {"inserts.origin_peer_runs odd",
       [](wire::Update* u) { u->mutable_inserts()->mutable_origin_peer_runs()->RemoveLast(); }},
      {"inserts.origin_counter -1",
       [](wire::Update* u) { u->mutable_inserts()->mutable_origin_counter()->RemoveLast(); }},
      {"inserts.counter +1", [](wire::Update* u) { u->mutable_inserts()->add_counter(0); }},
      {"inserts.len_deleted +1", [](wire::Update* u) { u->mutable_inserts()->add_len_deleted(3); }},
      {"inserts.origin_kinds +1", [](wire::Update* u) { u->mutable_inserts()->add_origin_kinds(0); }},
      {"inserts.origin_peer_runs count +1",
       [](wire::Update* u) {
         auto* f = u->mutable_inserts()->mutable_origin_peer_runs();
         f->Set(f->size() - 1, f->Get(f->size() - 1) + 1);
       }},
      {"inserts.origin_counter +1", [](wire::Update* u) { u->mutable_inserts()->add_origin_counter(0); }},
      {"inserts: one more explicit origin",
       [](wire::Update* u) {
         u->mutable_inserts()->add_origin_peer_runs(0);
         u->mutable_inserts()->add_origin_peer_runs(1);
         u->mutable_inserts()->add_origin_counter(-1);
       }},
      {"inserts.origin_kinds 9", [](wire::Update* u) { u->mutable_inserts()->set_origin_kinds(0, 9); }},
      {"deletes.peer_runs odd", [](wire::Update* u) { u->mutable_deletes()->mutable_peer_runs()->RemoveLast(); }},
      {"deletes.peer_runs count +1",
       [](wire::Update* u) {
         auto* f = u->mutable_deletes()->mutable_peer_runs();
         f->Set(f->size() - 1, f->Get(f->size() - 1) + 1);
       }},
      {"deletes.target_peer_runs odd",
       [](wire::Update* u) { u->mutable_deletes()->mutable_target_peer_runs()->RemoveLast(); }},
      {"deletes.target_peer_runs count +1",
       [](wire::Update* u) {
         auto* f = u->mutable_deletes()->mutable_target_peer_runs();
         f->Set(f->size() - 1, f->Get(f->size() - 1) + 1);
       }},
      {"deletes.counter -1", [](wire::Update* u) { u->mutable_deletes()->mutable_counter()->RemoveLast(); }},
      {"deletes.len_backward -1", [](wire::Update* u) { u->mutable_deletes()->mutable_len_backward()->RemoveLast(); }},
      {"deletes.target_counter -1",
       [](wire::Update* u) { u->mutable_deletes()->mutable_target_counter()->RemoveLast(); }},
      {"deletes.counter +1", [](wire::Update* u) { u->mutable_deletes()->add_counter(0); }},
      {"deletes.len_backward +1", [](wire::Update* u) { u->mutable_deletes()->add_len_backward(2); }},
      {"deletes.target_counter +1", [](wire::Update* u) { u->mutable_deletes()->add_target_counter(0); }},
  };
  for (const auto& [name, mutate] : cases) {
    wire::Update u = Parse(SmallUpdate());
    ASSERT_GT(u.inserts().origin_counter_size(), 0);
    mutate(&u);
    CheckApply(u.SerializeAsString(), Expect::kError, name);
  }
}

TEST(CorruptUpdate, PeerIndexOutOfRange) {
  const wire::Update base = Parse(SmallUpdate());
  const uint32_t n = static_cast<uint32_t>(base.peers_size());
  for (uint32_t bad : {n, n + 1, std::numeric_limits<uint32_t>::max()}) {
    const std::string b = std::to_string(bad);
    wire::Update u = base;
    u.mutable_inserts()->mutable_peer_runs()->Set(0, bad);
    CheckApply(u.SerializeAsString(), Expect::kError, "inserts.peer_runs index " + b);
    u = base;
    u.mutable_inserts()->mutable_origin_peer_runs()->Set(0, bad);
    CheckApply(u.SerializeAsString(), Expect::kError, "inserts.origin_peer_runs index " + b);
    u = base;
    u.mutable_deletes()->mutable_peer_runs()->Set(0, bad);
    CheckApply(u.SerializeAsString(), Expect::kError, "deletes.peer_runs index " + b);
    u = base;
    u.mutable_deletes()->mutable_target_peer_runs()->Set(0, bad);
    CheckApply(u.SerializeAsString(), Expect::kError, "deletes.target_peer_runs index " + b);
  }
  wire::Update u = base;
  u.clear_peers();
  CheckApply(u.SerializeAsString(), Expect::kError, "rows without a peer table");
}

TEST(CorruptUpdate, TextShorterOrLongerThanDeclared) {
  const wire::Update base = Parse(SmallUpdate());
  const std::string text = base.inserts().text();
  ASSERT_FALSE(text.empty());
  std::u32string u32;
  ASSERT_TRUE(sim::DecodeUtf8(text, &u32));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"one code point short", sim::Utf8(std::u32string_view(u32).substr(0, u32.size() - 1))},
      {"one code point long", text + "x"},
      {"one astral code point long", text + "😀"},
      {"empty", ""},
      {"a stray byte", text + "\x80"},
      {"double", text + text},
  };
  for (const auto& [name, t] : cases) {
    wire::Update u = base;
    u.mutable_inserts()->set_text(t);
    CheckApply(u.SerializeAsString(), Expect::kError, "text " + name);
  }
  // A deleted run carries no text: the same text with the run marked deleted
  // is too long.
  wire::Update u = base;
  u.mutable_inserts()->set_len_deleted(0, u.inserts().len_deleted(0) | 1);
  CheckApply(u.SerializeAsString(), Expect::kError, "deleted run with its text present");
}

TEST(CorruptUpdate, InvalidUtf8InText) {
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"lone continuation byte", "\x80"},
      {"truncated 2-byte sequence", "\xC3"},
      {"truncated 3-byte sequence", "\xE2\x82"},
      {"overlong '/'", "\xC0\xAF"},
      {"overlong 3-byte", "\xE0\x80\xAF"},
      {"overlong 4-byte", "\xF0\x80\x80\xAF"},
      {"UTF-16 surrogate", "\xED\xA0\x80"},
      {"above U+10FFFF", "\xF4\x90\x80\x80"},
      {"5-byte sequence", "\xF8\x88\x80\x80\x80"},
      {"0xFF", "\xFF"},
      {"0xFE", "\xFE"},
  };
  for (const auto& [name, seq] : bad) {
    for (int variant = 0; variant < 2; ++variant) {
      Ops ops;
      // variant 0: the bad sequence replaces one of three declared characters;
      // variant 1: it is the whole (single-character) text.
      ops.ins.push_back({.peer = 9, .counter = 0, .len = variant == 0 ? 3u : 1u,
                         .text = variant == 0 ? "a" + seq + "b" : seq});
      CheckApply(BuildUpdate(ops), Expect::kError, std::string("invalid UTF-8: ") + name);
    }
  }
}

}  // namespace
}  // namespace tandem
