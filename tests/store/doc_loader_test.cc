// Loading stored documents into the core Text, and Text compaction: the
// loaded document equals the one that was edited, before and after
// compaction; bad stored bytes fail the load naming the row, never an empty
// document.
#include "store/doc_loader.h"

#include <gtest/gtest.h>

#include "store/checksum.h"
#include "store_test_util.h"

namespace tandem::store {
namespace {

using testing::TempDir;

// Types `text` one character per update into `doc`, returning the replica.
std::unique_ptr<Text> Type(LogStore& store, const std::string& doc, PeerId peer,
                           const std::string& text) {
  auto t = std::make_unique<Text>(peer);
  for (char c : text) {
    EXPECT_TRUE(t->BeginTransaction().ok());
    EXPECT_TRUE(t->Insert(t->length(), std::string(1, c)).ok());
    std::string update;
    EXPECT_TRUE(t->CommitTransaction(&update).ok());
    EXPECT_TRUE(store.AppendSync(doc, std::move(update)).ok());
  }
  return t;
}

TEST(DocLoaderTest, LoadsLogThenSnapshotPlusTail) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(OpenTextStore(dir.file("s.db"), {}, &store).ok());
  auto alice = Type(*store, "doc", 1, "hello");
  std::unique_ptr<Text> loaded;
  ASSERT_TRUE(LoadText(*store, "doc", 9, &loaded).ok());
  EXPECT_EQ(loaded->ToString(), "hello");
  EXPECT_EQ(loaded->version(), alice->version());

  ASSERT_TRUE(store->Compact("doc").ok());
  // A second peer, concurrent with nothing, appends a tail after the snapshot.
  auto bob = std::make_unique<Text>(2);
  ASSERT_TRUE(bob->ApplyUpdate(alice->EncodeUpdate()).ok());
  std::string update;
  ASSERT_TRUE(bob->BeginTransaction().ok());
  ASSERT_TRUE(bob->Insert(5, " world").ok());
  ASSERT_TRUE(bob->CommitTransaction(&update).ok());
  ASSERT_TRUE(store->AppendSync("doc", update).ok());

  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("doc", &rec).ok());
  ASSERT_TRUE(rec.snapshot.has_value());
  EXPECT_EQ(rec.log.size(), 1u);
  ASSERT_TRUE(LoadText(*store, "doc", 9, &loaded).ok());
  EXPECT_EQ(loaded->ToString(), "hello world");
  EXPECT_EQ(loaded->EncodeSnapshot(), bob->EncodeSnapshot());
  EXPECT_TRUE(loaded->CheckInvariants().ok());
  EXPECT_EQ(loaded->peer(), 9u);
}

TEST(DocLoaderTest, AutomaticCompactionWithTextMerge) {
  TempDir dir;
  StoreOptions opts;
  opts.compact_after_rows = 100;
  opts.sync = SyncMode::kNormal;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(OpenTextStore(dir.file("s.db"), opts, &store).ok());
  std::string text;
  for (int i = 0; i < 350; ++i) text += static_cast<char>('a' + i % 26);
  auto writer = Type(*store, "doc", 7, text);
  store->WaitForCompactions();
  EXPECT_GE(store->compaction_stats().completed, 1u);
  DocInfo info;
  ASSERT_TRUE(store->GetDocInfo("doc", &info).ok());
  EXPECT_GT(info.snapshot_seq, 0u);
  EXPECT_EQ(store->compaction_stats().failed, 0u);
  std::unique_ptr<Text> loaded;
  ASSERT_TRUE(LoadText(*store, "doc", 9, &loaded).ok());
  EXPECT_EQ(loaded->ToString(), text);
  EXPECT_EQ(loaded->EncodeSnapshot(), writer->EncodeSnapshot());
}

TEST(DocLoaderTest, LoadAsOfNamedVersion) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(OpenTextStore(dir.file("s.db"), {}, &store).ok());
  Type(*store, "doc", 1, "draft");
  int64_t v = 0;
  ASSERT_TRUE(store->CreateVersion("doc", "first draft", &v).ok());
  Type(*store, "doc", 2, "!!");
  std::unique_ptr<Text> old;
  ASSERT_TRUE(LoadTextVersion(*store, "doc", v, 5, &old).ok());
  EXPECT_EQ(old->ToString(), "draft");
  std::unique_ptr<Text> now;
  ASSERT_TRUE(LoadText(*store, "doc", 5, &now).ok());
  EXPECT_EQ(now->length(), 7u);
  EXPECT_EQ(LoadTextVersion(*store, "doc", v + 100, 5, &old).code(), StoreCode::kNotFound);
}

TEST(DocLoaderTest, UndecodableRowFailsNamingItNeverEmpty) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(OpenTextStore(dir.file("s.db"), {}, &store).ok());
  Type(*store, "doc", 1, "ab");
  // Bytes with a valid row checksum that the core refuses (e.g. written by a
  // buggy peer or a bad migration).
  ASSERT_TRUE(store->AppendSync("doc", "\xff\xff\xff not an update").ok());
  Type(*store, "other", 2, "fine");
  std::unique_ptr<Text> loaded;
  StoreStatus st = LoadText(*store, "doc", 9, &loaded);
  EXPECT_EQ(st.code(), StoreCode::kCorrupt);
  EXPECT_NE(st.message().find("document 'doc': log row seq 3"), std::string::npos)
      << st.message();
  EXPECT_EQ(loaded, nullptr);
  // Compaction refuses too, leaving the log as it was.
  EXPECT_EQ(store->Compact("doc").code(), StoreCode::kCorrupt);
  DocInfo info;
  ASSERT_TRUE(store->GetDocInfo("doc", &info).ok());
  EXPECT_EQ(info.log_rows, 3u);
  ASSERT_TRUE(LoadText(*store, "other", 9, &loaded).ok());
  EXPECT_EQ(loaded->ToString(), "fine");
  EXPECT_EQ(LoadText(*store, "missing", 9, &loaded).code(), StoreCode::kNotFound);
}

TEST(DocLoaderTest, UndecodableSnapshotFailsNamingIt) {
  DocRecord rec;
  rec.name = "doc";
  rec.snapshot.emplace();
  rec.snapshot->id = 12;
  rec.snapshot->data = "garbage snapshot";
  std::unique_ptr<Text> loaded;
  StoreStatus st = LoadText(rec, 1, &loaded);
  EXPECT_EQ(st.code(), StoreCode::kCorrupt);
  EXPECT_NE(st.message().find("document 'doc': snapshot id 12"), std::string::npos)
      << st.message();
  EXPECT_EQ(loaded, nullptr);
}

}  // namespace
}  // namespace tandem::store
