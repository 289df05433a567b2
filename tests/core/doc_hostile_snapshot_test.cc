// Doc: bad snapshots, built by hand (DocUpdateBuilder::SnapshotBytes): a
// snapshot is one replica's whole state, so what an update may do -- two
// writes of one key, ids with gaps, a delete of a visible item -- is a lie in
// a snapshot, and refused whole; *out is left empty.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tandem.pb.h"

#include "core/doc.h"
#include "core/format.h"
#include "core/snapshot_envelope.h"
#include "doc_hostile_util.h"

namespace tandem {
namespace {

using namespace doc_hostile;  // NOLINT: test-local helpers

void ExpectSnapshotRefused(const std::string& bytes, const std::string& what) {
  std::unique_ptr<Doc> out;
  Status st = Doc::DecodeSnapshot(bytes, kLocal, &out);
  EXPECT_FALSE(st.ok()) << what << ": accepted";
  EXPECT_EQ(out, nullptr) << what;
}

TEST(DocHostile, SnapshotWithDuplicateWinners) {
  DocUpdateBuilder b({kEvil});
  const uint32_t root = b.Root();
  b.MapOps(
      {Row{root, kEvil, 0, 1, "k", Value::Int(1)}, Row{root, kEvil, 1, 2, "k", Value::Int(2)}});
  ExpectSnapshotRefused(b.SnapshotBytes(), "two writes of one key");
  // As an update, the same rows are fine: the later one wins.
  std::unique_ptr<Doc> d = Fresh();
  ASSERT_TRUE(d->ApplyUpdate(b.Bytes()).ok());
  EXPECT_EQ(d->root().Get("k")->as_int(), 2);
}

TEST(DocHostile, SnapshotOpsMustBeContiguous) {
  {
    DocUpdateBuilder b({kEvil});
    b.MapOps({Row{b.Root(), kEvil, 1, 1, "k", Value::Int(1)}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "first op at counter 1");
  }
  {
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    b.MapOps(
        {Row{root, kEvil, 0, 1, "a", Value::Int(1)}, Row{root, kEvil, 2, 2, "b", Value::Int(2)}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "gap at counter 1");
  }
  {
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t c = b.Child(root, "c", ContainerType::kCounter);
    b.MapOps({Row{root, kEvil, 0, 1, "a", Value::Int(1)}});
    b.CounterOps({{c, kEvil, 0, 5}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "two ops with one id");
  }
  {  // Contiguous: accepted.
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t c = b.Child(root, "c", ContainerType::kCounter);
    b.MapOps({Row{root, kEvil, 0, 1, "a", Value::Int(1)}});
    b.CounterOps({{c, kEvil, 1, 5}});
    b.Noop(kEvil, 2, 3);
    std::unique_ptr<Doc> out;
    Status st = Doc::DecodeSnapshot(b.SnapshotBytes(), kLocal, &out);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(out->version().get(kEvil), 5u);
    // "c" holds no write: its counter exists but is not in the JSON.
    EXPECT_EQ(out->ToJson(), R"({"a":1})");
  }
}

// The version check goes one of two ways: a bitmap of each peer's ids, or,
// past 64 peers or with ids far beyond the operations' count, sorting every
// id range. Both must accept and refuse the same snapshots.
TEST(DocHostile, SnapshotOpsMustBeContiguousEitherWay) {
  using Row = DocUpdateBuilder::MapRow;
  // kEvil's rows and optional noop, plus `crowd` peers with one write each.
  auto snapshot = [](int crowd, std::vector<std::pair<uint64_t, std::string>> writes,
                     std::optional<std::pair<uint64_t, uint64_t>> noop) {
    std::vector<uint64_t> peers = {kEvil};
    for (int i = 0; i < crowd; ++i) peers.push_back(1000 + static_cast<uint64_t>(i));
    DocUpdateBuilder b(peers);
    std::vector<Row> rows;
    uint64_t lamport = 1;
    for (const auto& [counter, key] : writes)
      rows.push_back(Row{b.Root(), kEvil, counter, lamport++, key, Value::Int(1)});
    for (int i = 0; i < crowd; ++i)
      rows.push_back(Row{b.Root(), 1000 + static_cast<uint64_t>(i), 0, lamport++,
                         "p" + std::to_string(i), Value::Int(i)});
    b.MapOps(rows);
    if (noop) b.Noop(kEvil, noop->first, noop->second);
    return b.SnapshotBytes();
  };
  for (int crowd : {0, 3, 64}) {
    const std::string way = crowd < 64 ? " (bitmap)" : " (sorted, 65 peers)";
    {
      std::unique_ptr<Doc> out;
      Status st = Doc::DecodeSnapshot(snapshot(crowd, {{0, "a"}, {1, "b"}, {2, "c"}}, std::nullopt),
                                      kLocal, &out);
      ASSERT_TRUE(st.ok()) << st.ToString() << way;
      EXPECT_EQ(out->version().get(kEvil), 3u);
      if (crowd > 0) {
        EXPECT_EQ(out->version().get(1000 + static_cast<uint64_t>(crowd) - 1), 1u);
      }
    }
    ExpectSnapshotRefused(snapshot(crowd, {{0, "a"}, {2, "c"}}, std::nullopt), "gap" + way);
    // Lengths add up to the end (5), yet ids 1..2 are taken twice and 3 never.
    ExpectSnapshotRefused(snapshot(crowd, {{0, "a"}, {1, "b"}, {4, "c"}}, std::pair{1, 2}),
                          "overlap hiding a gap" + way);
    {
      // A range of 2^40 ids (a huge tombstone) is past the bitmap's bound:
      // sorted whatever the peers.
      std::unique_ptr<Doc> out;
      const uint64_t big = uint64_t{1} << 40;
      Status st = Doc::DecodeSnapshot(snapshot(crowd, {{0, "a"}}, std::pair{1, big}), kLocal, &out);
      ASSERT_TRUE(st.ok()) << st.ToString() << way;
      EXPECT_EQ(out->version().get(kEvil), 1 + big);
      ExpectSnapshotRefused(snapshot(crowd, {{0, "a"}}, std::pair{2, big}),
                            "gap before a huge range" + way);
    }
  }
}

TEST(DocHostile, SnapshotContainerTableMistakes) {
  {  // Names an item container that no list element made.
    DocUpdateBuilder b({kEvil});
    b.Root();
    const uint32_t item = b.Item(kEvil, 0, ContainerType::kCounter);
    b.CounterOps({{item, kEvil, 0, 5}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "item container never made");
  }
  {  // An element's container of another type than its value.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    b.Sequence(l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {},
               {Value::Container(ContainerType::kCounter)});
    const uint32_t item = b.Item(kEvil, 0, ContainerType::kMap);
    b.MapOps({Row{item, kEvil, 1, 1, "k", Value::Int(1)}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "item container of another type");
  }
  {  // Two sections for one list.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    b.Sequence(l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {},
               {Value::Int(1)});
    b.Sequence(l, {InsRun{kEvil, 1, 1, false, std::nullopt, std::nullopt, ""}}, {},
               {Value::Int(2)});
    ExpectSnapshotRefused(b.SnapshotBytes(), "two sections for one list");
  }
  {  // The same element id made twice (once visible, once dead).
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t l = b.Child(root, "l", ContainerType::kList);
    const uint32_t l2 = b.Child(root, "l2", ContainerType::kList);
    b.Sequence(l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {},
               {Value::Container(ContainerType::kMap)});
    wire::SequenceOps* s =
        b.Sequence(l2, {InsRun{kEvil, 0, 1, true, std::nullopt, std::nullopt, ""}});
    s->add_dead_container_peer_runs(0);
    s->add_dead_container_peer_runs(1);
    s->add_dead_container_counter(0);
    s->add_dead_container_type(1);
    ExpectSnapshotRefused(b.SnapshotBytes(), "an element id made twice");
  }
  {  // Wrong envelope version; update bytes given as a snapshot.
    DocUpdateBuilder b({kEvil});
    b.MapOps({Row{b.Root(), kEvil, 0, 1, "k", Value::Int(1)}});
    wire::DocSnapshotBody body;
    *body.mutable_state() = b.msg();
    ExpectSnapshotRefused(WrapSnapshot(body.SerializeAsString(), format::kSnapshotVersion),
                          "text snapshot version");
    ExpectSnapshotRefused(b.Bytes(), "update bytes");
  }
  {  // Pending operations that fail validation.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    b.MapOps({Row{l, kEvil, 0, 1, "k", Value::Int(1)}});
    wire::DocSnapshotBody body;
    body.mutable_state()->set_format_version(format::kDocUpdateVersion);  // an empty, valid state
    *body.mutable_pending() = b.msg();
    ExpectSnapshotRefused(WrapSnapshot(body.SerializeAsString(), format::kDocSnapshotVersion),
                          "bad pending ops");
  }
}

// Found by fuzz_doc_snapshot_decode: a snapshot whose runs hold an item
// visible that one of its deletes targets was accepted; EncodeUpdate({}) of
// it then built another document elsewhere (the delete replayed).
TEST(DocHostile, SnapshotDeletingAVisibleItem) {
  auto build = [](bool deleted, uint64_t target) {
    DocUpdateBuilder b({kEvil});
    const uint32_t t = b.Child(b.Root(), "t", ContainerType::kText);
    b.Sequence(t, {InsRun{kEvil, 0, 3, deleted, std::nullopt, std::nullopt, deleted ? "" : "abc"}},
               {DelRun{kEvil, 3, 1, false, Id{kEvil, target}}});
    return b.SnapshotBytes();
  };
  ExpectSnapshotRefused(build(false, 1), "delete of a visible middle item");
  ExpectSnapshotRefused(build(false, 0), "delete of a visible first item");
  ExpectSnapshotRefused(build(false, 2), "delete of a visible last item");
  std::unique_ptr<Doc> out;
  Status st = Doc::DecodeSnapshot(build(true, 1), kLocal, &out);  // the run deleted: fine
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out->version().get(kEvil), 4u);
}

}  // namespace
}  // namespace tandem
