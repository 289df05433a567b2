#include <zlib.h>
// Corrupt and hostile snapshots: DecodeSnapshot either refuses them, leaving
// *out untouched, or builds a replica that passes CheckInvariants, encodes a
// snapshot that decodes to itself byte for byte, and can still be edited.
#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "../tools/converge_sim.h"
#include "core/snapshot_envelope.h"
#include "core/text.h"
#include "tandem.pb.h"
#include "wire_builder.h"

namespace tandem {
namespace {

using namespace wiretest;  // NOLINT: test-local helpers

enum class Expect { kError, kAnything };

// A replica with text of several peers, tombstones, and pending operations.
const std::string& RichSnapshot() {
  static const std::string snap = [] {
    Text a(1), b(2), c(3);
    (void)a.Insert(0, "Snapshot ünïcode 𝒯𝒶𝓃𝒹𝑒𝓂 ");
    (void)b.ApplyUpdate(a.EncodeUpdate({}));
    (void)b.Insert(3, "<b>");
    (void)b.Delete(10, 4);
    (void)c.ApplyUpdate(b.EncodeUpdate({}));
    (void)c.Insert(0, "c:");
    (void)c.Delete(c.length() - 3, 2);
    (void)a.ApplyUpdate(c.EncodeUpdate({}));
    // Something a lacks, so that c's next update waits in a's pending set.
    (void)c.Insert(1, "pending-dep");
    const VersionVector cv2 = c.version();
    (void)c.Insert(2, "waiting");
    std::string later = c.EncodeUpdate(cv2);
    (void)a.ApplyUpdate(later);
    return a.EncodeSnapshot();
  }();
  return snap;
}

std::string SmallSnapshot() {
  Text a(1), b(2);
  (void)a.Insert(0, "ab😀");
  (void)b.ApplyUpdate(a.EncodeUpdate({}));
  (void)b.Insert(1, "é");
  (void)b.Delete(0, 1);
  return b.EncodeSnapshot();
}

Status CheckDecode(std::string_view bytes, Expect expect, const std::string& what) {
  auto sentinel = std::make_unique<Text>(77);
  Text* const raw = sentinel.get();
  std::unique_ptr<Text> out = std::move(sentinel);
  Status st = Text::DecodeSnapshot(bytes, 5, &out);
  if (!st.ok()) {
    EXPECT_EQ(out.get(), raw) << what << ": refused (" << st.ToString() << ") but *out was replaced";
    EXPECT_FALSE(st.message().empty()) << what;
    return st;
  }
  EXPECT_NE(expect, Expect::kError) << what << ": accepted, expected an error";
  EXPECT_TRUE(out != nullptr && out.get() != raw) << what;
  if (!out || out.get() == raw) return st;
  EXPECT_EQ(out->peer(), 5u);
  Status inv = out->CheckInvariants();
  EXPECT_TRUE(inv.ok()) << what << ": accepted, then CheckInvariants: " << inv.ToString();
  std::u32string text;
  EXPECT_TRUE(sim::DecodeUtf8(out->ToString(), &text)) << what << ": text is not UTF-8";
  EXPECT_EQ(out->length(), text.size()) << what;
  const std::string s1 = out->EncodeSnapshot();
  std::unique_ptr<Text> again;
  Status st2 = Text::DecodeSnapshot(s1, 5, &again);
  EXPECT_TRUE(st2.ok()) << what << ": re-encoded snapshot does not decode: " << st2.ToString();
  if (st2.ok()) {
    EXPECT_EQ(again->EncodeSnapshot(), s1) << what << ": not byte-stable";
    EXPECT_EQ(again->ToString(), out->ToString()) << what;
    EXPECT_EQ(again->version().ToString(), out->version().ToString()) << what;
  }
  // The replica is usable: edits, a full update to a fresh replica.
  EXPECT_TRUE(out->Insert(0, "x").ok()) << what;
  EXPECT_TRUE(out->Insert(out->length(), "y").ok()) << what;
  EXPECT_TRUE(out->Delete(0, 1).ok()) << what;
  EXPECT_TRUE(out->CheckInvariants().ok()) << what;
  Text fresh(6);
  EXPECT_TRUE(fresh.ApplyUpdate(out->EncodeUpdate({})).ok()) << what;
  EXPECT_LT(out->MemoryUsage(), 64 * bytes.size() + (1u << 20)) << what << ": memory grew unreasonably";
  return st;
}

// A snapshot opened up: the envelope's version and the (inflated) body.
// Serializing writes an uncompressed envelope, which readers also accept.
struct OpenSnapshot {
  uint32_t version = 0;
  wire::SnapshotBody b;
  uint32_t format_version() const { return version; }
  void set_format_version(uint32_t v) { version = v; }
  std::string SerializeAsString() const {
    wire::Snapshot s;
    s.set_format_version(version);
    std::string body = b.SerializeAsString();
    s.set_body_size(body.size());
    s.set_body(body);
    return s.SerializeAsString();
  }
};

OpenSnapshot ParseSnapshot(const std::string& bytes) {
  wire::Snapshot s;
  EXPECT_TRUE(s.ParseFromString(bytes));
  OpenSnapshot out;
  out.version = s.format_version();
  std::string body;
  EXPECT_TRUE(UnwrapSnapshot(bytes, s.format_version(), &body).ok());
  EXPECT_TRUE(out.b.ParseFromString(body));
  return out;
}

TEST(CorruptSnapshot, ValidSnapshotsDecode) {
  ASSERT_TRUE(CheckDecode(RichSnapshot(), Expect::kAnything, "rich snapshot").ok());
  ASSERT_TRUE(CheckDecode(SmallSnapshot(), Expect::kAnything, "small snapshot").ok());
  std::unique_ptr<Text> t;
  ASSERT_TRUE(Text::DecodeSnapshot(RichSnapshot(), 5, &t).ok());
  EXPECT_GT(t->pending_ops(), 0u) << "the rich snapshot was meant to hold pending ops";
  Text empty(1);
  ASSERT_TRUE(CheckDecode(empty.EncodeSnapshot(), Expect::kAnything, "empty snapshot").ok());
}

TEST(CorruptSnapshot, TruncatedAtEveryLength) {
  for (const std::string& full : {SmallSnapshot(), RichSnapshot()}) {
    for (size_t n = 0; n < full.size(); ++n) {
      CheckDecode(full.substr(0, n), Expect::kAnything, "prefix of " + std::to_string(n) + " bytes");
      if (testing::Test::HasFailure()) return;
    }
  }
}

TEST(CorruptSnapshot, EverySingleBitFlip) {
  const std::string s = SmallSnapshot();
  for (size_t bit = 0; bit < s.size() * 8; ++bit) {
    std::string f = s;
    f[bit / 8] = static_cast<char>(f[bit / 8] ^ (1 << (bit % 8)));
    CheckDecode(f, Expect::kAnything, "bit " + std::to_string(bit) + " flipped");
    if (testing::Test::HasFailure()) return;
  }
}

TEST(CorruptSnapshot, RandomGarbage) {
  sim::Rng rng(3);
  for (int i = 0; i < 1500; ++i) {
    std::string s(rng.PerMille(800) ? rng.Below(40) : rng.Below(600), '\0');
    for (char& c : s) c = static_cast<char>(rng.Next());
    CheckDecode(s, Expect::kAnything, "garbage #" + std::to_string(i));
    if (testing::Test::HasFailure()) return;
  }
}

TEST(CorruptSnapshot, RandomColumnMutations) {
  sim::Rng rng(5);
  for (int i = 0; i < 2000; ++i) {
    OpenSnapshot s = ParseSnapshot(i % 2 ? SmallSnapshot() : RichSnapshot());
    auto value = [&]() -> uint64_t {
      static constexpr uint64_t kVals[] = {0, 1, 2, 3, ~uint64_t{0}, uint64_t{1} << 62, (uint64_t{1} << 62) - 1,
                                           uint64_t{1} << 63, kMaxCounter << 1, uint64_t{1} << 32};
      return rng.PerMille(600) ? kVals[rng.Below(std::size(kVals))] : rng.Next() >> rng.Below(64);
    };
    // Run lengths stay below 2^40 (see TombstoneRunCostsNoMemoryPerItem).
    auto poke = [&](auto* field, bool is_len = false) {
      using T = typename std::remove_reference_t<decltype(*field)>::value_type;
      auto v = [&] { return static_cast<T>(is_len ? value() & ((uint64_t{1} << 41) - 1) : value()); };
      const uint64_t op = rng.Below(10);
      if (op == 0) {
        field->Add(v());
      } else if (op == 1 && field->size() > 0) {
        field->RemoveLast();
      } else if (field->size() > 0) {
        const int at = static_cast<int>(rng.Below(field->size()));
        field->Set(at, v());
      }
    };
    for (int m = 1 + static_cast<int>(rng.Below(3)); m > 0; --m) {
      wire::RunColumns* r = rng.PerMille(800) ? s.b.mutable_runs() : s.b.mutable_pending()->mutable_inserts();
      wire::DeleteColumns* d = rng.PerMille(800) ? s.b.mutable_deletes() : s.b.mutable_pending()->mutable_deletes();
      switch (rng.Below(15)) {
        case 0: poke(r->mutable_peer_runs()); break;
        case 1: poke(r->mutable_counter()); break;
        case 2: poke(r->mutable_len_deleted(), true); break;
        case 3: poke(r->mutable_origin_kinds()); break;
        case 4: poke(r->mutable_origin_peer_runs()); break;
        case 5: poke(r->mutable_origin_counter()); break;
        case 6: poke(r->mutable_peer_runs(), true); break;
        case 7: poke(d->mutable_peer_runs()); break;
        case 8: poke(d->mutable_counter()); break;
        case 9: poke(d->mutable_len_backward(), true); break;
        case 10: poke(d->mutable_target_peer_runs()); break;
        case 11: poke(d->mutable_target_counter()); break;
        case 12: poke(s.b.mutable_peers()); break;
        case 13: {
          std::string text = r->text();
          if (!text.empty()) text[rng.Below(text.size())] = static_cast<char>(rng.Next());
          r->set_text(text);
          break;
        }
        default: s.set_format_version(static_cast<uint32_t>(rng.Below(4))); break;
      }
    }
    CheckDecode(s.SerializeAsString(), Expect::kAnything, "snapshot column mutation #" + std::to_string(i));
    if (testing::Test::HasFailure()) return;
  }
}

TEST(CorruptSnapshot, UnknownFormatVersion) {
  for (uint32_t v : {0u, 2u, 999u, std::numeric_limits<uint32_t>::max()}) {
    OpenSnapshot s = ParseSnapshot(SmallSnapshot());
    if (v == s.format_version()) continue;
    s.set_format_version(v);
    Status st = CheckDecode(s.SerializeAsString(), Expect::kError, "format_version " + std::to_string(v));
    if (v != 0) {
      EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.ToString();
    }
  }
}

// Runs decoded from the snapshot's columns (document order), re-encodable.
struct SnapshotParts {
  uint32_t version = 0;
  std::vector<InsRun> runs;
  std::vector<DelRun> dels;
  std::string pending;  // serialized wire::Update
};

SnapshotParts Split(const std::string& bytes) {
  SnapshotParts p;
  OpenSnapshot s = ParseSnapshot(bytes);
  p.version = s.format_version();
  const std::vector<uint64_t> peers = PeersOf(s.b.peers());
  std::string err;
  EXPECT_TRUE(DecodeRuns(s.b.runs(), peers, &p.runs, &err)) << err;
  EXPECT_TRUE(DecodeDeletes(s.b.deletes(), peers, &p.dels, &err)) << err;
  if (s.b.has_pending()) p.pending = s.b.pending().SerializeAsString();
  return p;
}

std::string Join(const SnapshotParts& p) {
  OpenSnapshot s;
  s.set_format_version(p.version);
  Ops ops{p.runs, p.dels};
  const std::vector<uint64_t> peers = PeersOf(ops);
  for (uint64_t x : peers) s.b.add_peers(x);
  EncodeRuns(p.runs, peers, s.b.mutable_runs());
  EncodeDeletes(p.dels, peers, s.b.mutable_deletes());
  if (!p.pending.empty()) s.b.mutable_pending()->ParseFromString(p.pending);
  return s.SerializeAsString();
}

TEST(CorruptSnapshot, BuilderRebuildsTheEngineBytes) {
  const SnapshotParts p = Split(SmallSnapshot());
  EXPECT_EQ(ParseSnapshot(Join(p)).SerializeAsString(), ParseSnapshot(SmallSnapshot()).SerializeAsString());
  ASSERT_TRUE(CheckDecode(Join(p), Expect::kAnything, "rebuilt").ok());
}

// A snapshot declaring one tombstone run of 2^50 ids must not cost memory per
// id (see HostileUpdate.TombstoneRunCostsNoMemoryPerItem: runs are split into
// pieces of UINT32_MAX items).
TEST(CorruptSnapshot, TombstoneRunCostsNoMemoryPerItem) {
  for (int bits : {36, 44, 50}) {
    SnapshotParts p;
    p.version = Split(SmallSnapshot()).version;
    p.runs.push_back({.peer = 1234, .counter = 0, .len = uint64_t{1} << bits, .deleted = true});
    CheckDecode(Join(p), Expect::kAnything, "a snapshot of one tombstone run of 2^" + std::to_string(bits) + " ids");
  }
}

// A snapshot whose delete log has a delete targeting another delete's id is
// refused, or decodes to a replica whose own snapshot decodes. (Regression,
// found by fuzz_snapshot_decode: the re-encoding merged the two rows into one
// run that DecodeSnapshot refused. See also
// HostileUpdate.DeleteTargetingADeleteOpDoesNotPoisonTheReplica.)
TEST(CorruptSnapshot, DeleteTargetingADeleteOpRoundTrips) {
  SnapshotParts p;
  p.version = Split(SmallSnapshot()).version;
  p.runs.push_back({.peer = 9, .counter = 0, .len = 1, .deleted = true});
  p.dels.push_back({.peer = 9, .counter = 1, .len = 1, .target = {9, 0}});
  p.dels.push_back({.peer = 9, .counter = 2, .len = 1, .target = {9, 1}});  // 9:1 is a delete
  CheckDecode(Join(p), Expect::kAnything, "a delete of a delete op's id");
}

TEST(CorruptSnapshot, HostileStructure) {
  const SnapshotParts base = Split(RichSnapshot());
  ASSERT_GE(base.runs.size(), 3u);
  ASSERT_FALSE(base.dels.empty());
  {
    SnapshotParts p = base;
    p.runs.push_back(p.runs[0]);
    CheckDecode(Join(p), Expect::kError, "the same run twice");
  }
  {
    SnapshotParts p = base;
    std::swap(p.runs[0], p.runs[1]);  // still every id once: an order the engine would not write
    CheckDecode(Join(p), Expect::kAnything, "two runs swapped");
  }
  {
    SnapshotParts p = base;
    p.runs.erase(p.runs.begin() + 1);  // a gap in some peer's counters
    CheckDecode(Join(p), Expect::kAnything, "a run missing");
  }
  {
    SnapshotParts p = base;
    p.runs.push_back({.peer = 1, .counter = kMaxCounter - 1, .len = 5, .deleted = true});
    CheckDecode(Join(p), Expect::kError, "a run past kMaxCounter");
  }
  {
    SnapshotParts p = base;
    p.runs.push_back({.peer = 1234, .counter = 0, .len = uint64_t{1} << 61, .text = "abc"});
    CheckDecode(Join(p), Expect::kError, "a visible run of 2^61 with three characters");
  }
  {
    SnapshotParts p = base;
    p.dels.push_back({.peer = 1, .counter = 1u << 20, .len = 3, .target = {4242, 0}});
    CheckDecode(Join(p), Expect::kAnything, "a delete of ids the snapshot lacks");
  }
  {
    SnapshotParts p = base;
    p.dels.push_back(p.dels[0]);
    CheckDecode(Join(p), Expect::kError, "the same delete twice");
  }
  {
    SnapshotParts p = base;
    for (InsRun& r : p.runs) r.deleted = false, r.text = std::string(r.len, 'v');
    CheckDecode(Join(p), Expect::kAnything, "every tombstone resurrected with text");
  }
  {
    SnapshotParts p = base;
    p.pending.clear();
    // Field 4 (the body), length 3, bytes that are no protobuf message.
    CheckDecode(Join(p) + std::string("\x22\x03\xff\xff\xff", 5), Expect::kError, "body field garbage");
    p = base;
    wire::Update u;
    u.set_format_version(999);
    p.pending = u.SerializeAsString();
    CheckDecode(Join(p), Expect::kError, "pending update of an unknown format version");
  }
  {
    SnapshotParts p = base;
    Ops cyc;
    cyc.ins.push_back({.peer = 8, .counter = 0, .len = 1, .left = Id{8, 0}, .text = "c"});
    p.pending = BuildUpdate(cyc);
    CheckDecode(Join(p), Expect::kAnything, "pending op that is its own left origin");
  }
}

}  // namespace
}  // namespace tandem
