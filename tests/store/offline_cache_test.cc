// The client offline cache: local updates stay in the outbox until acked,
// across restarts, independent of compaction.
#include <gtest/gtest.h>

#include "store/log_store.h"
#include "store_test_util.h"

namespace tandem::store {
namespace {

using testing::TempDir;

TEST(OfflineCacheTest, UnackedUpdatesSurviveRestartUntilAcked) {
  TempDir dir;
  std::string path = dir.file("client.db");
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
    ASSERT_TRUE(store->AppendSync("doc", "remote-1").ok());              // from the server
    ASSERT_TRUE(store->AppendSync("doc", "local-1", nullptr, true).ok()); // typed offline
    ASSERT_TRUE(store->AppendSync("doc", "local-2", nullptr, true).ok());
    ASSERT_TRUE(store->AppendSync("other", "local-x", nullptr, true).ok());
    // Compaction folds the log but leaves the outbox alone.
    ASSERT_TRUE(store->Compact("doc").ok());
  }  // the editor closes while offline
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  std::vector<std::string> docs;
  ASSERT_TRUE(store->ListDocsWithUnacked(&docs).ok());
  EXPECT_EQ(docs, (std::vector<std::string>{"doc", "other"}));
  std::vector<LogEntry> unacked;
  ASSERT_TRUE(store->ListUnacked("doc", &unacked).ok());
  ASSERT_EQ(unacked.size(), 2u);
  EXPECT_EQ(unacked[0].data, "local-1");
  EXPECT_EQ(unacked[0].seq, 2u);
  EXPECT_EQ(unacked[1].data, "local-2");
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("doc", &rec).ok());
  EXPECT_EQ(testing::Flatten(rec), "remote-1|local-1|local-2|");

  uint64_t removed = 0;
  ASSERT_TRUE(store->AckUpTo("doc", 2, &removed).ok());
  EXPECT_EQ(removed, 1u);
  ASSERT_TRUE(store->ListUnacked("doc", &unacked).ok());
  ASSERT_EQ(unacked.size(), 1u);
  EXPECT_EQ(unacked[0].seq, 3u);
  ASSERT_TRUE(store->AckUpTo("doc", 100, &removed).ok());
  ASSERT_TRUE(store->ListDocsWithUnacked(&docs).ok());
  EXPECT_EQ(docs, (std::vector<std::string>{"other"}));
  DocInfo info;
  ASSERT_TRUE(store->GetDocInfo("other", &info).ok());
  EXPECT_EQ(info.outbox_rows, 1u);
  EXPECT_EQ(info.outbox_bytes, 7u);
  EXPECT_EQ(store->AckUpTo("missing", 1).code(), StoreCode::kNotFound);
}

TEST(OfflineCacheTest, DeleteDocDropsItsOutbox) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("c.db"), {}, &store).ok());
  ASSERT_TRUE(store->AppendSync("doc", "l", nullptr, true).ok());
  ASSERT_TRUE(store->DeleteDoc("doc").ok());
  std::vector<std::string> docs;
  ASSERT_TRUE(store->ListDocsWithUnacked(&docs).ok());
  EXPECT_TRUE(docs.empty());
}

}  // namespace
}  // namespace tandem::store
