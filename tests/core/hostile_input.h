// hostile_input.h: the fixtures of corrupt_update_test and hostile_update_test:
// a base replica with text of three peers and tombstones; two
// valid updates to corrupt; and CheckApply, which applies untrusted bytes to a
// fresh copy of the base and checks the outcome (refused: nothing changed;
// accepted: a consistent, reloadable, still editable replica; memory bounded).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "../tools/converge_sim.h"
#include "core/text.h"
#include "tandem.pb.h"
#include "wire_builder.h"

namespace tandem::hostile {

using namespace wiretest;  // NOLINT: test-local helpers

inline constexpr uint64_t kMaxLen = kMaxCounter + 1;  // 2^62 counters exist
inline constexpr PeerId kLocal = 0x10CA1;

enum class Expect {
  kError,                  // must be refused
  kErrorOrNoVisibleChange, // refused, or accepted without changing the text
  kAnything,               // refused, or accepted consistently
};

// A replica holding text from three peers, with tombstones.
inline const std::string& BaseSnapshot() {
  static const std::string snap = [] {
    Text a(1), b(2), c(3);
    (void)a.Insert(0, "Hello, wörld! ");
    (void)b.ApplyUpdate(a.EncodeUpdate({}));
    (void)b.Insert(7, "big 🌍 ");
    (void)b.Delete(0, 2);
    (void)c.ApplyUpdate(b.EncodeUpdate({}));
    (void)c.Insert(c.length(), "ⅰⅱⅲ");
    (void)c.Delete(3, 6);
    (void)a.ApplyUpdate(c.EncodeUpdate({}));
    (void)a.Insert(1, "ab");
    return a.EncodeSnapshot();
  }();
  return snap;
}

inline std::unique_ptr<Text> Fresh() {
  std::unique_ptr<Text> t;
  Status st = Text::DecodeSnapshot(BaseSnapshot(), kLocal, &t);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return t;
}

// A small valid update from a fourth peer that knows the base: inserts into
// several peers' runs, a range delete across runs, a backspace run.
inline const std::string& SmallUpdate() {
  static const std::string u = [] {
    std::unique_ptr<Text> t;
    (void)Text::DecodeSnapshot(BaseSnapshot(), 4, &t);
    (void)t->BeginTransaction();
    (void)t->Insert(3, "xé😀");
    (void)t->Delete(6, 5);
    (void)t->Delete(2, 1);
    (void)t->Delete(1, 1);
    std::string update;
    (void)t->CommitTransaction(&update);
    return update;
  }();
  return u;
}

// Everything a replica with ops of five peers has, from nothing.
inline const std::string& FullUpdate() {
  static const std::string u = [] {
    std::unique_ptr<Text> t;
    (void)Text::DecodeSnapshot(BaseSnapshot(), 5, &t);
    Text other(6);
    (void)other.ApplyUpdate(t->EncodeUpdate({}));
    (void)other.Insert(2, "zz");
    (void)t->ApplyUpdate(SmallUpdate());
    (void)t->ApplyUpdate(other.EncodeUpdate({}));
    (void)t->Insert(0, "ŝtart");
    (void)t->Delete(4, 3);
    return t->EncodeUpdate({});
  }();
  return u;
}

inline std::string Flip(std::string s, size_t bit) {
  s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
  return s;
}

// Applies `bytes` to a fresh base replica and checks the outcome. Returns the
// status; *after (if set) receives the snapshot after the apply.
inline Status CheckApply(std::string_view bytes, Expect expect, const std::string& what, std::string* after = nullptr,
                  uint64_t mem_per_byte = 64) {
  std::unique_ptr<Text> t = Fresh();
  if (!t) return Status::Corrupt("no base");
  const std::string snap0 = t->EncodeSnapshot();
  const VersionVector v0 = t->version();
  const std::string s0 = t->ToString();
  const uint64_t p0 = t->pending_ops();
  const uint64_t mem0 = t->MemoryUsage();
  std::u32string shadow;
  sim::DecodeUtf8(s0, &shadow);
  int calls = 0;
  std::string delta_error;
  t->SetObserver([&](const TextChange& c) {
    ++calls;
    if (delta_error.empty()) delta_error = sim::ApplyDelta(c.delta, &shadow);
  });
  ApplyResult res;
  Status st = t->ApplyUpdate(bytes, &res);
  if (!st.ok()) {
    EXPECT_EQ(t->EncodeSnapshot(), snap0) << what << ": refused (" << st.ToString() << ") but the snapshot changed";
    EXPECT_EQ(t->version().ToString(), v0.ToString()) << what << ": refused but the version changed";
    EXPECT_EQ(t->ToString(), s0) << what << ": refused but the text changed";
    EXPECT_EQ(t->pending_ops(), p0) << what << ": refused but pending ops changed";
    EXPECT_EQ(calls, 0) << what << ": refused but the observer was called";
    EXPECT_FALSE(st.message().empty()) << what << ": an error without a message";
  } else {
    EXPECT_NE(expect, Expect::kError) << what << ": accepted, expected an error";
    if (expect == Expect::kErrorOrNoVisibleChange) {
      EXPECT_EQ(t->ToString(), s0) << what << ": changed the text";
    }
    Status inv = t->CheckInvariants();
    EXPECT_TRUE(inv.ok()) << what << ": accepted, then CheckInvariants: " << inv.ToString();
    EXPECT_EQ(res.pending_ops, t->pending_ops()) << what;
    EXPECT_LE(calls, 1) << what;
    EXPECT_EQ(delta_error, "") << what;
    EXPECT_EQ(sim::Utf8(shadow), t->ToString()) << what << ": observer delta does not match the change";
    // The result is a consistent replica: snapshot round trip, idempotence.
    const std::string snap1 = t->EncodeSnapshot();
    std::unique_ptr<Text> reloaded;
    Status ds = Text::DecodeSnapshot(snap1, kLocal, &reloaded);
    EXPECT_TRUE(ds.ok()) << what << ": accepted, but its snapshot does not decode: " << ds.ToString();
    if (ds.ok()) {
      EXPECT_EQ(reloaded->EncodeSnapshot(), snap1) << what << ": snapshot not byte-stable";
      EXPECT_EQ(reloaded->ToString(), t->ToString()) << what;
    }
    // Every other replica accepts what this one now holds.
    Text fresh(0xF2E5);
    Status fs = fresh.ApplyUpdate(t->EncodeUpdate({}));
    EXPECT_TRUE(fs.ok()) << what << ": accepted, but its EncodeUpdate({}) is refused by a fresh replica: "
                         << fs.ToString();
    Status again = t->ApplyUpdate(bytes);
    EXPECT_TRUE(again.ok()) << what << ": accepted once, refused the second time: " << again.ToString();
    EXPECT_EQ(t->EncodeSnapshot(), snap1) << what << ": applying it twice is not idempotent";
    // Still editable.
    EXPECT_TRUE(t->Insert(0, "ok").ok()) << what;
    EXPECT_TRUE(t->Delete(t->length() - 1, 1).ok()) << what;
    EXPECT_TRUE(t->CheckInvariants().ok()) << what;
    if (after) *after = snap1;
  }
  EXPECT_LT(t->MemoryUsage(), mem0 + mem_per_byte * bytes.size() + (1u << 20)) << what << ": memory grew unreasonably";
  // TANDEM_DUMP_FAILURE=FILE writes the first failing input there, to
  // reproduce it outside the test (e.g. with the fuzz targets' binaries).
  static bool dumped = false;
  if (const char* path = std::getenv("TANDEM_DUMP_FAILURE"); path && !dumped && ::testing::Test::HasFailure()) {
    if (std::FILE* f = std::fopen(path, "wb")) {
      std::fwrite(bytes.data(), 1, bytes.size(), f);
      std::fclose(f);
      dumped = true;
    }
  }
  return st;
}

inline wire::Update Parse(const std::string& bytes) {
  wire::Update u;
  EXPECT_TRUE(u.ParseFromString(bytes));
  return u;
}

inline Ops SmallOps() {
  Ops ops;
  std::string err;
  EXPECT_TRUE(FromWire(Parse(SmallUpdate()), &ops, &err)) << err;
  EXPECT_FALSE(ops.ins.empty());
  EXPECT_FALSE(ops.del.empty());
  return ops;
}

}  // namespace tandem::hostile
