// Doc: the container table in columns and the message's key table
// (DocUpdate.container_columns, key_text and key_len; docs/format.md).
// They read back to the same document, older writers' ContainerRefs and
// per-MapOps keys still read, and a damaged table is refused whole.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tandem.pb.h"

#include "core/doc.h"
#include "core/doc_codec.h"
#include "doc_hostile_util.h"

namespace tandem {
namespace {

using namespace doc_hostile;  // NOLINT: test-local helpers

// Maps in maps under non-ASCII keys, a key written and naming a container,
// list elements that are containers (named by their ids), two peers; 18
// containers, enough for the columns (UseContainerColumns).
std::unique_ptr<Doc> Named() {
  auto a = std::make_unique<Doc>(11);
  Doc b(22);
  Container m, inner, l, elem, t;
  EXPECT_TRUE(a->root().GetOrCreate("m", ContainerType::kMap, &m).ok());
  for (int i = 0; i < 12; ++i) {
    Container c;
    EXPECT_TRUE(m.AsMap().GetOrCreate("k" + std::to_string(i), ContainerType::kCounter, &c).ok());
    EXPECT_TRUE(c.AsCounter().Add(i).ok());
  }
  EXPECT_TRUE(m.AsMap().GetOrCreate("é", ContainerType::kMap, &inner).ok());
  EXPECT_TRUE(inner.AsMap().Set("ü", Value::Int(1)).ok());
  EXPECT_TRUE(m.AsMap().Set("x", Value::String("y")).ok());
  EXPECT_TRUE(a->root().GetOrCreate("l", ContainerType::kList, &l).ok());
  EXPECT_TRUE(l.AsList().InsertContainer(0, ContainerType::kMap, &elem).ok());
  EXPECT_TRUE(elem.AsMap().Set("m", Value::Bool(true)).ok());  // "m" names a container too
  EXPECT_TRUE(b.ApplyUpdate(a->EncodeUpdate()).ok());
  Container bl = *b.root().GetContainer("l");
  EXPECT_TRUE(bl.AsList().InsertContainer(1, ContainerType::kText, &t).ok());
  EXPECT_TRUE(t.AsText().Insert(0, "hi").ok());
  EXPECT_TRUE(a->ApplyUpdate(b.EncodeUpdate()).ok());
  return a;
}

TEST(ContainerColumns, KeysAreWrittenOnceAndReadBack) {
  std::unique_ptr<Doc> doc = Named();
  const wire::DocUpdate msg = ParseDocUpdate(doc->EncodeUpdate());
  EXPECT_EQ(msg.containers_size(), 0);
  ASSERT_TRUE(msg.has_container_columns());
  EXPECT_EQ(msg.map_ops().keys_size(), 0);
  // Ascending, no two equal, each once: "m" names a map and is written.
  std::vector<std::string> keys;
  size_t at = 0;
  for (uint32_t len : msg.key_len()) {
    keys.push_back(msg.key_text().substr(at, len));
    at += len;
  }
  EXPECT_EQ(at, msg.key_text().size());
  std::vector<std::string> want = {"l", "m", "x", "é", "ü"};
  for (int i = 0; i < 12; ++i) want.push_back("k" + std::to_string(i));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(keys, want);
  ExpectReadsAs(msg, *doc, "update");

  std::unique_ptr<Doc> loaded;
  ASSERT_TRUE(Doc::DecodeSnapshot(doc->EncodeSnapshot(), kLocal, &loaded).ok());
  EXPECT_EQ(loaded->ToJson(), doc->ToJson());
  ExpectConsistent(*loaded, "loaded");
}

TEST(ContainerColumns, SmallTablesKeepContainerRefs) {
  Doc doc(11);
  Container m;
  ASSERT_TRUE(doc.root().GetOrCreate("m", ContainerType::kMap, &m).ok());
  for (const char* k : {"a", "b", "c"}) ASSERT_TRUE(m.AsMap().Set(k, Value::Int(1)).ok());
  const wire::DocUpdate msg = ParseDocUpdate(doc.EncodeUpdate());
  EXPECT_FALSE(msg.has_container_columns());
  EXPECT_EQ(msg.containers_size(), 2);
  EXPECT_EQ(msg.key_len_size(), 0);
  EXPECT_EQ(msg.map_ops().keys_size(), 4);
  ExpectReadsAs(msg, doc, "small table");
}

TEST(ContainerColumns, OlderLayoutStillReads) {
  std::unique_ptr<Doc> doc = Named();
  const wire::DocUpdate msg = ParseDocUpdate(doc->EncodeUpdate());
  DocOps ops;
  ASSERT_TRUE(DecodeDocMessage(msg, &ops).ok());
  wire::DocUpdate old = msg;
  old.clear_container_columns();
  old.clear_key_text();
  old.clear_key_len();
  PeerList peers;
  for (PeerId p : msg.peers()) peers.Add(p);
  peers.Seal();
  EncodeContainerTable(ops.containers, peers, old.mutable_containers());
  // MapOps' own table, in the same order: the indices stay.
  size_t at = 0;
  for (uint32_t len : msg.key_len()) {
    old.mutable_map_ops()->add_keys(msg.key_text().substr(at, len));
    at += len;
  }
  ExpectReadsAs(old, *doc, "older layout");
}

TEST(ContainerColumns, DamagedTablesAreRefusedWhole) {
  std::unique_ptr<Doc> doc = Named();
  const wire::DocUpdate msg = ParseDocUpdate(doc->EncodeUpdate());
  // Key positions ("x" sorts just before "é") and entry positions by kind.
  std::vector<std::string> keys;
  size_t at = 0;
  for (uint32_t len : msg.key_len()) {
    keys.push_back(msg.key_text().substr(at, len));
    at += len;
  }
  const int x = static_cast<int>(std::find(keys.begin(), keys.end(), "x") - keys.begin());
  ASSERT_EQ(keys.at(static_cast<size_t>(x) + 1), "é");
  int child = -1, item = -1, list = -1;
  const auto& kt = msg.container_columns().kind_type();
  for (int i = 0; i < kt.size(); ++i) {
    if (kt.Get(i) / 8 == 1 && child < 0) child = i;
    if (kt.Get(i) / 8 == 2 && item < 0) item = i;
    if (kt.Get(i) % 8 == static_cast<uint32_t>(ContainerType::kList)) list = i;
  }
  ASSERT_GE(child, 0);
  ASSERT_GE(item, 0);
  ASSERT_GE(list, 0);
  auto cols = [](wire::DocUpdate* m) { return m->mutable_container_columns(); };
  const std::vector<Damage> damage = {
      {"key lengths past the text", [](wire::DocUpdate* m) {
         m->mutable_key_len()->Set(0, m->key_len(0) + 1);
       }},
      {"key text past the lengths", [](wire::DocUpdate* m) { m->mutable_key_text()->append("z"); }},
      {"key text without lengths", [](wire::DocUpdate* m) { m->clear_key_len(); }},
      {"a key starting inside a character", [x](wire::DocUpdate* m) {
         // "x", "é": move a byte of "é" to "x".
         auto* len = m->mutable_key_len();
         len->Set(x, len->Get(x) + 1);
         len->Set(x + 1, len->Get(x + 1) - 1);
       }},
      {"key text not UTF-8", [](wire::DocUpdate* m) { (*m->mutable_key_text())[0] = '\xff'; }},
      {"a container key out of range",
       [cols](wire::DocUpdate* m) { cols(m)->mutable_key()->Set(0, 1000); }},
      {"a map write key out of range",
       [](wire::DocUpdate* m) { m->mutable_map_ops()->mutable_key()->Set(0, 1000); }},
      {"a parent at distance 0",
       [cols](wire::DocUpdate* m) { cols(m)->mutable_parent_distance()->Set(0, 0); }},
      {"a later parent",
       [cols, child](wire::DocUpdate* m) {
         cols(m)->mutable_parent_distance()->Set(0, static_cast<uint32_t>(child) + 1);
       }},
      {"a parent that is a list", [cols, child, list](wire::DocUpdate* m) {
         // The first child's parent made the list: move the list first.
         if (list < child) {
           cols(m)->mutable_parent_distance()->Set(0, static_cast<uint32_t>(child - list));
         } else {
           cols(m)->mutable_kind_type()->Set(0, static_cast<uint32_t>(ContainerType::kList));
         }
       }},
      {"an unknown kind", [cols](wire::DocUpdate* m) { cols(m)->mutable_kind_type()->Set(0, 3 * 8 + 1); }},
      {"an unknown type", [cols](wire::DocUpdate* m) { cols(m)->mutable_kind_type()->Set(0, 5); }},
      {"a root that is no map", [cols](wire::DocUpdate* m) {
         cols(m)->mutable_kind_type()->Set(0, static_cast<uint32_t>(ContainerType::kText));
       }},
      {"an element id out of range", [cols](wire::DocUpdate* m) {
         cols(m)->mutable_item_counter()->Set(0, int64_t{1} << 62);
       }},
      {"an element peer out of range", [cols](wire::DocUpdate* m) {
         cols(m)->mutable_item_peer_runs()->Set(0, 99);
       }},
      {"a key column short",
       [cols](wire::DocUpdate* m) { cols(m)->mutable_key()->RemoveLast(); }},
      {"an element counter short",
       [cols](wire::DocUpdate* m) { cols(m)->mutable_item_counter()->RemoveLast(); }},
      {"the table in both layouts", [](wire::DocUpdate* m) {
         wire::ContainerRef* r = m->add_containers();
         r->set_type(static_cast<uint32_t>(ContainerType::kMap));
       }},
      {"map keys in both layouts", [](wire::DocUpdate* m) { m->mutable_map_ops()->add_keys("k"); }},
  };
  ExpectEachRefused(msg, damage);
}

}  // namespace
}  // namespace tandem
