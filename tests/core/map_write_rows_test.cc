// Doc: map writes as rows (DocUpdate.map_writes, docs/format.md). An update
// of a write or two travels as MapWrite rows with the root map implied;
// every value kind and Lamport time reads back, larger messages keep
// MapOps' columns, older writers' columns still read, and damaged rows are
// refused whole.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tandem.pb.h"

#include "core/doc.h"
#include "doc_hostile_util.h"

namespace tandem {
namespace {

using namespace doc_hostile;  // NOLINT: test-local helpers

// A 64-bit peer id, as real replicas draw them (8 bytes on the wire).
constexpr PeerId kWide = 0x9E3779B97F4A7C15ull;

// `edit` as one transaction of `doc`; returns its update.
std::string Tx(Doc& doc, const std::function<void()>& edit) {
  EXPECT_TRUE(doc.BeginTransaction().ok());
  edit();
  std::string update;
  EXPECT_TRUE(doc.CommitTransaction(&update).ok());
  return update;
}

TEST(MapWriteRows, OneWriteIsARowWithTheRootImplied) {
  Doc doc(kWide);
  const std::string up = Tx(doc, [&] { ASSERT_TRUE(doc.root().Set("k123", Value::Int(654321)).ok()); });
  const wire::DocUpdate msg = ParseDocUpdate(up);
  EXPECT_EQ(msg.containers_size(), 0);
  EXPECT_FALSE(msg.has_container_columns());
  EXPECT_FALSE(msg.has_map_ops());
  ASSERT_EQ(msg.map_writes_size(), 1);
  EXPECT_EQ(msg.map_writes(0).value_case(), wire::MapWrite::kIntValue);
  // format_version 2, the peer table 10 (tag, length, 8), the row 2 +
  // key 6 + int 4; container, peer, counter 0 and the Lamport time 1 (the
  // peer's first write) cost nothing.
  EXPECT_EQ(up.size(), 24u);
  ExpectReadsAs(msg, doc, "one write");

  // A later write names its counter; its Lamport time is still implied.
  const std::string next = Tx(doc, [&] { ASSERT_TRUE(doc.root().Set("k7", Value::String("abcdefgh")).ok()); });
  const wire::DocUpdate msg2 = ParseDocUpdate(next);
  ASSERT_EQ(msg2.map_writes_size(), 1);
  EXPECT_EQ(msg2.map_writes(0).counter(), 1u);
  EXPECT_EQ(msg2.map_writes(0).lamport(), 0);
  EXPECT_EQ(next.size(), 2u + 10u + 2u + 4u + 2u + 10u);

  // A snapshot of two keys holds them as rows too, and loads.
  const std::string snap = doc.EncodeSnapshot();
  std::unique_ptr<Doc> loaded;
  ASSERT_TRUE(Doc::DecodeSnapshot(snap, kLocal, &loaded).ok());
  EXPECT_EQ(loaded->ToJson(), doc.ToJson());
  EXPECT_EQ(loaded->EncodeSnapshot(), snap);
}

TEST(MapWriteRows, EveryValueKindAndDeletionReadsBack) {
  Doc a(kWide), b(kLocal);
  std::vector<std::pair<std::string, std::function<void()>>> edits = {
      {"null", [&] { ASSERT_TRUE(a.root().Set("null", Value::Null()).ok()); }},
      {"false", [&] { ASSERT_TRUE(a.root().Set("f", Value::Bool(false)).ok()); }},
      {"true", [&] { ASSERT_TRUE(a.root().Set("t", Value::Bool(true)).ok()); }},
      {"negative int", [&] { ASSERT_TRUE(a.root().Set("i", Value::Int(INT64_MIN)).ok()); }},
      {"double", [&] { ASSERT_TRUE(a.root().Set("d", Value::Double(-0.0)).ok()); }},
      {"decimal", [&] { ASSERT_TRUE(a.root().Set("d2", Value::Double(412.37)).ok()); }},
      {"infinity", [&] {
         ASSERT_TRUE(a.root().Set("inf", Value::Double(std::numeric_limits<double>::infinity())).ok());
       }},
      {"string", [&] { ASSERT_TRUE(a.root().Set("é", Value::String("héllo 🌍")).ok()); }},
      {"empty string", [&] { ASSERT_TRUE(a.root().Set("", Value::String("")).ok()); }},
      {"bytes", [&] { ASSERT_TRUE(a.root().Set("b", Value::Bytes(std::string("\xff\0x", 3))).ok()); }},
      {"overwrite", [&] { ASSERT_TRUE(a.root().Set("i", Value::Int(5)).ok()); }},
      {"delete", [&] { ASSERT_TRUE(a.root().Delete("t").ok()); }},
  };
  for (ContainerType type : {ContainerType::kMap, ContainerType::kList, ContainerType::kText,
                             ContainerType::kCounter}) {
    edits.emplace_back("container", [&a, type] {
      Container c;
      ASSERT_TRUE(a.root().GetOrCreate("c" + std::to_string(static_cast<int>(type)), type, &c).ok());
    });
  }
  for (const auto& [what, edit] : edits) {
    const std::string up = Tx(a, edit);
    const wire::DocUpdate msg = ParseDocUpdate(up);
    EXPECT_EQ(msg.map_writes_size(), 1) << what;
    EXPECT_FALSE(msg.has_map_ops()) << what;
    ASSERT_TRUE(b.ApplyUpdate(up).ok()) << what;
    EXPECT_EQ(b.ToJson(), a.ToJson()) << what;
  }
  EXPECT_EQ(b.pending_ops(), 0u);
  EXPECT_EQ(b.EncodeSnapshot(), a.EncodeSnapshot());
  ExpectConsistent(b, "every kind");
}

TEST(MapWriteRows, LamportTimesAheadAndBehindTheCounter) {
  Doc a(1), b(2);
  // b hears of many writes of a: its next Lamport time is far ahead of its
  // counter (a positive difference).
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(b.ApplyUpdate(Tx(a, [&] {
    ASSERT_TRUE(a.root().Set("k", Value::Int(i)).ok());
  })).ok());
  const std::string ahead = Tx(b, [&] { ASSERT_TRUE(b.root().Set("k", Value::Int(-1)).ok()); });
  EXPECT_GT(ParseDocUpdate(ahead).map_writes(0).lamport(), 0);
  // a types text: its counter runs far ahead of its Lamport time (a
  // negative difference), and a write of it concurrent with b's loses.
  Container t;
  ASSERT_TRUE(a.root().GetOrCreate("t", ContainerType::kText, &t).ok());
  ASSERT_TRUE(t.AsText().Insert(0, std::string(1000, 'x')).ok());
  const std::string behind = Tx(a, [&] { ASSERT_TRUE(a.root().Set("k", Value::Int(-2)).ok()); });
  EXPECT_LT(ParseDocUpdate(behind).map_writes(0).lamport(), 0);

  Doc r1(3), r2(4);
  const std::string a_all = a.EncodeUpdate({});
  ASSERT_TRUE(r1.ApplyUpdate(a_all).ok());
  ASSERT_TRUE(r1.ApplyUpdate(ahead).ok());
  ASSERT_TRUE(r2.ApplyUpdate(ahead).ok());
  ASSERT_TRUE(r2.ApplyUpdate(behind).ok());
  ASSERT_TRUE(r2.ApplyUpdate(a_all).ok());
  EXPECT_EQ(r2.pending_ops(), 0u);
  EXPECT_EQ(r1.ToJson(), r2.ToJson());
  EXPECT_EQ(r1.EncodeSnapshot(), r2.EncodeSnapshot());
  // b's write saw 300 of a's; a's last saw 301 Lamport ticks of its own
  // and none of b's: the higher time wins, on both.
  EXPECT_EQ(r1.root().Get("k")->as_int(), -2);
}

TEST(MapWriteRows, ThreeWritesAreRowsAndFourAreColumns) {
  Doc doc(kWide);
  Container m;
  ASSERT_TRUE(doc.root().GetOrCreate("m", ContainerType::kMap, &m).ok());
  const std::string three = Tx(doc, [&] {
    ASSERT_TRUE(m.AsMap().Set("x", Value::Double(1.5)).ok());
    ASSERT_TRUE(m.AsMap().Set("y", Value::Double(2.5)).ok());
    ASSERT_TRUE(m.AsMap().Set("z", Value::Double(3.5)).ok());
  });
  wire::DocUpdate msg = ParseDocUpdate(three);
  EXPECT_EQ(msg.map_writes_size(), 3);
  EXPECT_EQ(msg.containers_size(), 2);  // root and "m": named
  EXPECT_EQ(msg.map_writes(0).container(), 1u);
  const std::string four = Tx(doc, [&] {
    for (const char* k : {"w", "x", "y", "z"}) ASSERT_TRUE(m.AsMap().Set(k, Value::Int(1)).ok());
  });
  msg = ParseDocUpdate(four);
  EXPECT_EQ(msg.map_writes_size(), 0);
  EXPECT_EQ(msg.map_ops().key_size(), 4);
  Doc replica(kLocal);
  ASSERT_TRUE(replica.ApplyUpdate(doc.EncodeUpdate({})).ok());
  EXPECT_EQ(replica.ToJson(), doc.ToJson());
  // A whole document's update, writes and all, reads back too.
  ExpectReadsAs(ParseDocUpdate(doc.EncodeUpdate({})), doc, "whole document");
}

TEST(MapWriteRows, OlderWritersColumnsStillRead) {
  // One write as writers wrote it before: a ContainerRef for the root and
  // MapOps' columns.
  DocUpdateBuilder b({kWide});
  b.MapOps({{b.Root(), kWide, 0, 1, "k", Value::String("v")}});
  Doc want(kWide);
  ASSERT_TRUE(want.root().Set("k", Value::String("v")).ok());
  ExpectReadsAs(b.msg(), want, "older layout");
}

TEST(MapWriteRows, DamagedRowsAreRefusedWhole) {
  Doc evil(kEvil);
  const wire::DocUpdate msg = ParseDocUpdate(
      Tx(evil, [&] { ASSERT_TRUE(evil.root().Set("k", Value::String("v")).ok()); }));
  ASSERT_EQ(msg.map_writes_size(), 1);
  {  // The undamaged update applies to the base replica.
    std::unique_ptr<Doc> d = Fresh();
    ASSERT_TRUE(d->ApplyUpdate(msg.SerializeAsString()).ok());
    EXPECT_EQ(d->root().Get("k")->as_string(), "v");
  }
  auto row = [](wire::DocUpdate* m) { return m->mutable_map_writes(0); };
  const std::vector<Damage> damage = {
      {"no value", [row](wire::DocUpdate* m) { row(m)->clear_value(); }},
      {"a kind that needs a payload", [row](wire::DocUpdate* m) { row(m)->set_kind(3); }},
      {"a decimal kind", [row](wire::DocUpdate* m) { row(m)->set_kind(13); }},
      {"an unknown kind", [row](wire::DocUpdate* m) { row(m)->set_kind(99); }},
      {"a container of no type", [row](wire::DocUpdate* m) { row(m)->set_kind(7); }},
      {"a key not UTF-8", [row](wire::DocUpdate* m) { row(m)->set_key("\xc3"); }},
      {"a string not UTF-8", [row](wire::DocUpdate* m) { row(m)->set_string_value("\xed\xa0\x80"); }},
      {"a container out of range", [row](wire::DocUpdate* m) { row(m)->set_container(1); }},
      {"a container that is no map", [row](wire::DocUpdate* m) {
         wire::ContainerRef* root = m->add_containers();
         root->set_type(static_cast<uint32_t>(ContainerType::kMap));
         wire::ContainerRef* text = m->add_containers();
         text->set_kind(1);
         text->set_type(static_cast<uint32_t>(ContainerType::kText));
         text->set_key("t");
         row(m)->set_container(1);
       }},
      {"a peer out of range", [row](wire::DocUpdate* m) { row(m)->set_peer(1); }},
      {"a counter out of range", [row](wire::DocUpdate* m) { row(m)->set_counter(kMaxCounter + 1); }},
      {"a Lamport time below 0", [row](wire::DocUpdate* m) { row(m)->set_lamport(-2); }},
      {"a Lamport time out of range", [row](wire::DocUpdate* m) {
         row(m)->set_lamport(std::numeric_limits<int64_t>::max());
       }},
      {"a second row damaged", [](wire::DocUpdate* m) {
         wire::MapWrite* second = m->add_map_writes();
         *second = m->map_writes(0);
         second->set_counter(1);
         second->set_kind(99);
       }},
      {"writes in both layouts", [](wire::DocUpdate* m) {
         wire::MapOps* ops = m->mutable_map_ops();
         ops->add_keys("j");
         ops->add_key(0);
         ops->add_container_runs(0);
         ops->add_container_runs(1);
         ops->add_peer_runs(0);
         ops->add_peer_runs(1);
         ops->add_counter(1);
         ops->add_lamport(2);
         AddKind(ops->mutable_values(), 0);
       }},
      {"a text section on the implied root", [](wire::DocUpdate* m) {
         m->add_sequences()->set_container(0);
       }},
  };
  ExpectEachRefused(msg, damage);
}

}  // namespace
}  // namespace tandem
