// Doc: a message's List sections in shared columns (DocUpdate.lists,
// docs/format.md). Several lists, with deletes, elements that are
// containers and deleted ones, read back to the same document in either
// layout; one list keeps its SequenceOps; a damaged section is refused whole.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tandem.pb.h"

#include "core/columns.h"
#include "core/column_helpers.h"
#include "core/doc.h"
#include "core/doc_codec.h"
#include "core/format.h"
#include "core/snapshot_envelope.h"
#include "doc_hostile_util.h"

namespace tandem {
namespace {

using namespace doc_hostile;  // NOLINT: test-local helpers

// Three peers' lists under one map, a text beside them: deleted items,
// elements that are maps, and deleted elements that were containers.
std::unique_ptr<Doc> ManyLists() {
  auto a = std::make_unique<Doc>(11);
  Doc b(22);
  Container lists, text;
  EXPECT_TRUE(a->root().GetOrCreate("lists", ContainerType::kMap, &lists).ok());
  EXPECT_TRUE(a->root().GetOrCreate("text", ContainerType::kText, &text).ok());
  EXPECT_TRUE(text.AsText().Insert(0, "héllo").ok());
  for (int i = 0; i < 4; ++i) {
    Container l, m, dead;
    EXPECT_TRUE(lists.AsMap().GetOrCreate("l" + std::to_string(i), ContainerType::kList, &l).ok());
    const Value vals[] = {Value::Int(i), Value::Double(1.5 * i), Value::String("s"),
                          Value::Double(0.25)};
    EXPECT_TRUE(l.AsList().Insert(0, vals).ok());
    EXPECT_TRUE(l.AsList().InsertContainer(2, ContainerType::kMap, &m).ok());
    EXPECT_TRUE(m.AsMap().Set("k", Value::Int(i)).ok());
    if (i % 2 == 0) {
      EXPECT_TRUE(l.AsList().InsertContainer(1, ContainerType::kText, &dead).ok());
      EXPECT_TRUE(l.AsList().Delete(1, 1).ok());  // a dead container
    }
    EXPECT_TRUE(l.AsList().Delete(0, 1).ok());
  }
  // Another peer's items inside two of the lists.
  EXPECT_TRUE(b.ApplyUpdate(a->EncodeUpdate()).ok());
  Container bl = *b.root().GetContainer("lists");
  for (const char* key : {"l1", "l3"}) {
    ListRef l = bl.AsMap().GetContainer(key)->AsList();
    EXPECT_TRUE(l.Insert(1, std::vector<Value>{Value::Bool(true), Value::Null()}).ok());
    EXPECT_TRUE(l.Delete(0, 1).ok());
  }
  EXPECT_TRUE(a->ApplyUpdate(b.EncodeUpdate()).ok());
  return a;
}

TEST(ListSections, ManyListsShareColumnsAndReadBack) {
  std::unique_ptr<Doc> doc = ManyLists();
  const wire::DocUpdate msg = ParseDocUpdate(doc->EncodeUpdate());
  ASSERT_TRUE(msg.has_lists());
  // Every list is a section of the shared columns; the text keeps its own.
  EXPECT_EQ(msg.lists().container_delta_size(), 4);
  EXPECT_EQ(msg.lists().delete_rows_size(), msg.lists().container_delta_size());
  EXPECT_GT(msg.lists().dead_container_counter_size(), 0);
  for (const wire::SequenceOps& s : msg.sequences())
    EXPECT_FALSE(s.inserts().text().empty() && s.inserts().counter_size() > 0) << "a list section";
  ExpectReadsAs(msg, *doc, "update");

  std::unique_ptr<Doc> loaded;
  ASSERT_TRUE(Doc::DecodeSnapshot(doc->EncodeSnapshot(), kLocal, &loaded).ok());
  EXPECT_EQ(loaded->ToJson(), doc->ToJson());
  EXPECT_EQ(loaded->EncodeSnapshot(), doc->EncodeSnapshot());
  ExpectConsistent(*loaded, "loaded");
}

TEST(ListSections, OneListKeepsItsSequenceOps) {
  Doc doc(11);
  Container l;
  ASSERT_TRUE(doc.root().GetOrCreate("l", ContainerType::kList, &l).ok());
  ASSERT_TRUE(l.AsList().Push(Value::Int(1)).ok());
  const wire::DocUpdate msg = ParseDocUpdate(doc.EncodeUpdate());
  EXPECT_FALSE(msg.has_lists());
  EXPECT_EQ(msg.sequences_size(), 1);
  ExpectReadsAs(msg, doc, "one list");
}

// The same operations with each list in a SequenceOps of its own, as
// writers wrote every message before `lists`.
wire::DocUpdate OlderLayout(const wire::DocUpdate& msg) {
  DocOps ops;
  EXPECT_TRUE(DecodeDocMessage(msg, &ops).ok());
  wire::DocUpdate old = msg;
  old.clear_lists();
  PeerList peers;
  for (PeerId p : msg.peers()) peers.Add(p);
  peers.Seal();
  for (SequenceSection& sec : ops.sequences) {
    if (ops.containers[sec.container].type != ContainerType::kList) continue;
    wire::SequenceOps* s = old.add_sequences();
    s->set_container(sec.container);
    if (!sec.ops.inserts.empty()) EncodeListRunColumns(sec.ops.inserts, peers, s->mutable_inserts());
    if (!sec.ops.deletes.empty()) EncodeDeleteColumns(sec.ops.deletes, peers, s->mutable_deletes());
    std::vector<uint32_t> dead_peers;
    column::CounterDeltas counters;
    for (const auto& [id, type] : sec.dead_containers) {
      dead_peers.push_back(peers.Index(id.peer));
      s->add_dead_container_counter(counters.Next(id.peer, id.counter));
      s->add_dead_container_type(static_cast<uint32_t>(type));
    }
    column::PutRuns(dead_peers, s->mutable_dead_container_peer_runs());
  }
  return old;
}

TEST(ListSections, OlderLayoutStillReads) {
  std::unique_ptr<Doc> doc = ManyLists();
  const wire::DocUpdate msg = ParseDocUpdate(doc->EncodeUpdate());
  const wire::DocUpdate old = OlderLayout(msg);
  EXPECT_FALSE(old.has_lists());
  EXPECT_GT(old.sequences_size(), msg.sequences_size());
  ExpectReadsAs(old, *doc, "older layout");
}

TEST(ListSections, DamagedSectionsAreRefusedWhole) {
  std::unique_ptr<Doc> doc = ManyLists();
  const wire::DocUpdate msg = ParseDocUpdate(doc->EncodeUpdate());
  ASSERT_GE(msg.lists().container_delta_size(), 3);
  // The container that is no list: the text.
  DocOps ops;
  ASSERT_TRUE(DecodeDocMessage(msg, &ops).ok());
  uint32_t text = 0;
  while (text < ops.containers.size() && ops.containers[text].type != ContainerType::kText) ++text;
  ASSERT_LT(text, ops.containers.size());
  const std::vector<Damage> damage = {
      {"a section with a row more", [](wire::DocUpdate* m) {
         auto* r = m->mutable_lists()->mutable_insert_rows();
         r->Set(0, r->Get(0) + 1);
       }},
      {"a section with a row less", [](wire::DocUpdate* m) {
         auto* r = m->mutable_lists()->mutable_insert_rows();
         r->Set(1, r->Get(1) - 1);
       }},
      {"two sections for one container",
       [](wire::DocUpdate* m) { m->mutable_lists()->mutable_container_delta()->Set(1, 0); }},
      {"a container past the table", [](wire::DocUpdate* m) {
         m->mutable_lists()->mutable_container_delta()->Set(1, 1u << 30);
       }},
      {"a section of the text", [text](wire::DocUpdate* m) {
         m->mutable_lists()->mutable_container_delta()->Set(0, text);
       }},
      {"row counts short of sections",
       [](wire::DocUpdate* m) { m->mutable_lists()->mutable_insert_rows()->RemoveLast(); }},
      {"delete counts short of sections",
       [](wire::DocUpdate* m) { m->mutable_lists()->mutable_delete_rows()->RemoveLast(); }},
      {"no delete counts", [](wire::DocUpdate* m) { m->mutable_lists()->clear_delete_rows(); }},
      {"dead containers moved to another section", [](wire::DocUpdate* m) {
         auto* d = m->mutable_lists()->mutable_dead_rows();
         for (int i = 0; i < d->size(); ++i) {
           if (d->Get(i) > 0) {
             d->Set(i, d->Get(i) - 1);
             d->Set((i + 1) % d->size(), d->Get((i + 1) % d->size()) + 1);
             return;
           }
         }
       }},
      {"a dead container type missing",
       [](wire::DocUpdate* m) { m->mutable_lists()->mutable_dead_container_type()->RemoveLast(); }},
      {"list rows with text",
       [](wire::DocUpdate* m) { m->mutable_lists()->mutable_inserts()->set_text("x"); }},
      {"no values", [](wire::DocUpdate* m) { m->clear_list_values(); }},
      {"a value short",
       [](wire::DocUpdate* m) { m->mutable_list_values()->mutable_kinds()->pop_back(); }},
      {"a list in both layouts", [](wire::DocUpdate* m) {
         wire::SequenceOps* s = m->add_sequences();
         s->set_container(m->lists().container_delta(0));
       }},
  };
  ExpectEachRefused(msg, damage);
}

TEST(ListSections, DamagedSnapshotSectionsAreRefused) {
  std::unique_ptr<Doc> doc = ManyLists();
  std::string body;
  ASSERT_TRUE(UnwrapSnapshot(doc->EncodeSnapshot(), format::kDocSnapshotVersion, &body).ok());
  wire::DocSnapshotBody msg;
  ASSERT_TRUE(msg.ParseFromString(body));
  ASSERT_TRUE(msg.state().has_lists());
  auto* rows = msg.mutable_state()->mutable_lists()->mutable_insert_rows();
  rows->Set(0, rows->Get(0) + 1);
  std::unique_ptr<Doc> out;
  EXPECT_FALSE(Doc::DecodeSnapshot(WrapSnapshot(msg.SerializeAsString(), format::kDocSnapshotVersion, ""),
                                   kLocal, &out)
                   .ok());
  EXPECT_EQ(out, nullptr);
}

}  // namespace
}  // namespace tandem
