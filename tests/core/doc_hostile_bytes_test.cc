// Doc: damaged bytes. A valid document update and snapshot truncated at every
// length and with every single bit flipped, and random garbage: each is
// refused with the document exactly as it was, or decodes to a consistent
// replica -- never a crash, nor a replica its own snapshot disagrees with.
#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "../tools/doc_sim.h"
#include "core/doc.h"
#include "core/format.h"
#include "core/snapshot_envelope.h"
#include "doc_hostile_util.h"

namespace tandem {
namespace {

using namespace doc_hostile;  // NOLINT: test-local helpers

// A valid update from a fourth peer touching every container kind.
const std::string& ValidUpdate() {
  static const std::string u = [] {
    std::unique_ptr<Doc> d = Fresh(4);
    (void)d->BeginTransaction();
    Container m, l, t, c, nl;
    (void)d->root().GetOrCreate("m", ContainerType::kMap, &m);
    (void)m.AsMap().Set("k", Value::String("ü"));
    (void)m.AsMap().Delete("inner");
    l = *d->root().GetContainer("l");
    (void)l.AsList().Delete(1, 2);
    (void)l.AsList().InsertContainer(0, ContainerType::kList, &nl);
    (void)nl.AsList().Push(Value::Double(2.5));
    t = *d->root().GetContainer("t");
    (void)t.AsText().Insert(2, "x😀");
    (void)t.AsText().Delete(0, 1);
    c = *d->root().GetContainer("c");
    (void)c.AsCounter().Add(-7);
    std::string out;
    (void)d->CommitTransaction(&out);
    return out;
  }();
  return u;
}

TEST(DocHostile, TruncatedUpdateAtEveryLength) {
  const std::string& u = ValidUpdate();
  ASSERT_GT(u.size(), 40u);
  for (size_t n = 0; n < u.size(); ++n)
    ExpectRefusedOrConsistent(u.substr(0, n), "truncated to " + std::to_string(n));
}

TEST(DocHostile, EverySingleBitFlipOfAnUpdate) {
  const std::string& u = ValidUpdate();
  for (size_t i = 0; i < u.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = u;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      ExpectRefusedOrConsistent(bad,
                                "bit " + std::to_string(bit) + " of byte " + std::to_string(i));
      if (HasFatalFailure()) return;
    }
  }
}

// Decoding damaged snapshot bytes: refused with *out untouched, or a
// consistent replica.
void ExpectSnapshotRefusedOrConsistent(const std::string& bytes, const std::string& what) {
  std::unique_ptr<Doc> out;
  Status st = Doc::DecodeSnapshot(bytes, kLocal, &out);
  if (!st.ok()) {
    EXPECT_EQ(out, nullptr) << what;
    return;
  }
  ASSERT_NE(out, nullptr) << what;
  ExpectConsistent(*out, what);
}

std::string SnapshotBody(const std::string& snap) {
  std::string body;
  EXPECT_TRUE(UnwrapSnapshot(snap, format::kDocSnapshotVersion, &body).ok());
  return body;
}

TEST(DocHostile, TruncatedAndBitFlippedSnapshots) {
  const std::string& snap = BaseSnapshot();
  for (size_t n = 0; n < snap.size(); ++n)
    ExpectSnapshotRefusedOrConsistent(snap.substr(0, n), "snapshot cut");
  // The body, damaged, in a valid envelope (else deflate refuses most).
  const std::string body = SnapshotBody(snap);
  for (size_t n = 0; n < body.size(); ++n)
    ExpectSnapshotRefusedOrConsistent(WrapSnapshot(body.substr(0, n), format::kDocSnapshotVersion),
                                      "body cut to " + std::to_string(n));
  for (size_t i = 0; i < body.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = body;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      ExpectSnapshotRefusedOrConsistent(
          WrapSnapshot(bad, format::kDocSnapshotVersion),
          "body bit " + std::to_string(bit) + " of byte " + std::to_string(i));
      if (HasFatalFailure()) return;
    }
  }
}

TEST(DocHostile, RandomGarbageIsRefused) {
  sim::Rng rng(99);
  for (int i = 0; i < 300; ++i) {
    std::string junk;
    for (uint64_t n = rng.Below(200); n > 0; --n) junk.push_back(static_cast<char>(rng.Below(256)));
    ExpectRefusedOrConsistent(junk, "garbage");
    ExpectSnapshotRefusedOrConsistent(junk, "garbage snapshot");
  }
}

}  // namespace
}  // namespace tandem
