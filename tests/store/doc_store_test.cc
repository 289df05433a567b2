// Documents of the full model (tandem::Doc) in the store: load = snapshot +
// tail, compaction with DocMergeFn keeps every container, versions.
#include <gtest/gtest.h>

#include "store/doc_loader.h"
#include "store_test_util.h"

namespace tandem::store {
namespace {

using testing::TempDir;

// Builds a small whiteboard in `doc`, one update per transaction.
std::unique_ptr<Doc> Draw(LogStore& store, const std::string& doc, PeerId peer, int shapes) {
  auto d = std::make_unique<Doc>(peer);
  for (int i = 0; i < shapes; ++i) {
    std::string update;
    EXPECT_TRUE(d->BeginTransaction().ok());
    Container all, shape, points;
    EXPECT_TRUE(d->root().GetOrCreate("shapes", ContainerType::kMap, &all).ok());
    EXPECT_TRUE(all.AsMap().GetOrCreate("s" + std::to_string(i), ContainerType::kMap, &shape).ok());
    EXPECT_TRUE(shape.AsMap().Set("color", Value::String("#ff0000")).ok());
    EXPECT_TRUE(shape.AsMap().GetOrCreate("points", ContainerType::kList, &points).ok());
    for (int p = 0; p < 4; ++p) EXPECT_TRUE(points.AsList().Push(Value::Double(p * 1.5)).ok());
    EXPECT_TRUE(d->CommitTransaction(&update).ok());
    EXPECT_TRUE(store.AppendSync(doc, std::move(update)).ok());
  }
  return d;
}

TEST(DocStoreTest, LoadsSnapshotPlusTailAndCompacts) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(OpenDocStore(dir.file("s.db"), {}, &store).ok());
  auto alice = Draw(*store, "board", 1, 20);
  std::unique_ptr<Doc> loaded;
  ASSERT_TRUE(LoadDoc(*store, "board", 9, &loaded).ok());
  EXPECT_EQ(loaded->ToJson(), alice->ToJson());
  EXPECT_EQ(loaded->version(), alice->version());

  ASSERT_TRUE(store->Compact("board").ok());
  Container shapes;
  ASSERT_TRUE(alice->root().GetOrCreate("shapes", ContainerType::kMap, &shapes).ok());
  std::string update;
  ASSERT_TRUE(alice->BeginTransaction().ok());
  ASSERT_TRUE(shapes.AsMap().Delete("s3").ok());
  ASSERT_TRUE(alice->CommitTransaction(&update).ok());
  ASSERT_TRUE(store->AppendSync("board", update).ok());

  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("board", &rec).ok());
  ASSERT_TRUE(rec.snapshot.has_value());
  EXPECT_EQ(rec.log.size(), 1u);
  ASSERT_TRUE(LoadDoc(*store, "board", 9, &loaded).ok());
  EXPECT_EQ(loaded->ToJson(), alice->ToJson());
  EXPECT_EQ(loaded->EncodeSnapshot(), alice->EncodeSnapshot());
  EXPECT_EQ(loaded->peer(), 9u);
}

TEST(DocStoreTest, NamedVersionsAndRefusedRows) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(OpenDocStore(dir.file("s.db"), {}, &store).ok());
  auto a = Draw(*store, "board", 1, 3);
  const std::string then = a->ToJson();
  int64_t v = 0;
  ASSERT_TRUE(store->CreateVersion("board", "three shapes", &v).ok());
  Draw(*store, "board", 2, 5);
  std::unique_ptr<Doc> old;
  ASSERT_TRUE(LoadDocVersion(*store, "board", v, 5, &old).ok());
  EXPECT_EQ(old->ToJson(), then);

  // A Text update is not a Doc update: the load names the row, never empty.
  Text t(3);
  std::string text_update;
  ASSERT_TRUE(t.BeginTransaction().ok());
  ASSERT_TRUE(t.Insert(0, "x").ok());
  ASSERT_TRUE(t.CommitTransaction(&text_update).ok());
  ASSERT_TRUE(store->AppendSync("board", text_update).ok());
  std::unique_ptr<Doc> bad;
  StoreStatus st = LoadDoc(*store, "board", 5, &bad);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("log row seq"), std::string::npos) << st.message();
  EXPECT_EQ(bad, nullptr);
}

}  // namespace
}  // namespace tandem::store
