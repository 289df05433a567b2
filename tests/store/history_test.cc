// Named versions: create, list, load as of, delete, retention by count/age.
#include <gtest/gtest.h>

#include <atomic>

#include "store/log_store.h"
#include "store_test_util.h"

namespace tandem::store {
namespace {

using testing::TempDir;

TEST(HistoryTest, VersionsAreRetainedAndLoadable) {
  TempDir dir;
  std::string path = dir.file("s.db");
  int64_t v1 = 0, v2 = 0;
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
    ASSERT_TRUE(store->AppendSync("d", "a").ok());
    ASSERT_TRUE(store->CreateVersion("d", "draft", &v1).ok());
    ASSERT_TRUE(store->AppendSync("d", "b").ok());
    ASSERT_TRUE(store->Compact("d").ok());  // plain snapshot; the version stays
    ASSERT_TRUE(store->AppendSync("d", "c").ok());
    ASSERT_TRUE(store->CreateVersion("d", "final", &v2).ok());
    ASSERT_TRUE(store->AppendSync("d", "d").ok());
  }
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  std::vector<VersionInfo> versions;
  ASSERT_TRUE(store->ListVersions("d", &versions).ok());
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].label, "draft");
  EXPECT_EQ(versions[0].id, v1);
  EXPECT_EQ(versions[0].upto_seq, 1u);
  EXPECT_EQ(versions[1].label, "final");
  EXPECT_EQ(versions[1].upto_seq, 3u);
  SnapshotRecord snap;
  ASSERT_TRUE(store->ReadVersion("d", v1, &snap).ok());
  EXPECT_EQ(snap.data, "a|");
  EXPECT_EQ(snap.label, "draft");
  ASSERT_TRUE(store->ReadVersion("d", v2, &snap).ok());
  EXPECT_EQ(snap.data, "a|b|c|");
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(testing::Flatten(rec), "a|b|c|d|");
  EXPECT_EQ(store->ReadVersion("d", 9999, &snap).code(), StoreCode::kNotFound);
  EXPECT_EQ(store->ReadVersion("nope", v1, &snap).code(), StoreCode::kNotFound);
  DocInfo info;
  ASSERT_TRUE(store->GetDocInfo("d", &info).ok());
  EXPECT_EQ(info.versions, 2u);
}

TEST(HistoryTest, VersionOfUnchangedStateCopiesSnapshot) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), testing::ConcatOptions(), &store).ok());
  ASSERT_TRUE(store->AppendSync("d", "a").ok());
  ASSERT_TRUE(store->Compact("d").ok());
  int64_t id = 0;
  ASSERT_TRUE(store->CreateVersion("d", "same", &id).ok());
  SnapshotRecord snap;
  ASSERT_TRUE(store->ReadVersion("d", id, &snap).ok());
  EXPECT_EQ(snap.data, "a|");
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(testing::Flatten(rec), "a|");
}

TEST(HistoryTest, DeleteVersionKeepsLatestSnapshotForLoading) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), testing::ConcatOptions(), &store).ok());
  ASSERT_TRUE(store->AppendSync("d", "a").ok());
  int64_t old_id = 0, latest_id = 0;
  ASSERT_TRUE(store->CreateVersion("d", "v1", &old_id).ok());
  ASSERT_TRUE(store->AppendSync("d", "b").ok());
  ASSERT_TRUE(store->CreateVersion("d", "v2", &latest_id).ok());
  ASSERT_TRUE(store->DeleteVersion("d", latest_id).ok());  // only the label goes
  ASSERT_TRUE(store->DeleteVersion("d", old_id).ok());
  EXPECT_EQ(store->DeleteVersion("d", old_id).code(), StoreCode::kNotFound);
  std::vector<VersionInfo> versions;
  ASSERT_TRUE(store->ListVersions("d", &versions).ok());
  EXPECT_TRUE(versions.empty());
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(testing::Flatten(rec), "a|b|");
}

TEST(HistoryTest, RetentionByCount) {
  TempDir dir;
  StoreOptions opts = testing::ConcatOptions();
  opts.retention.max_versions = 2;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store->AppendSync("d", std::to_string(i)).ok());
    ASSERT_TRUE(store->CreateVersion("d", "v" + std::to_string(i)).ok());
  }
  std::vector<VersionInfo> versions;
  ASSERT_TRUE(store->ListVersions("d", &versions).ok());
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].label, "v3");
  EXPECT_EQ(versions[1].label, "v4");
}

TEST(HistoryTest, RetentionByAgeNeverDropsTheLatestSnapshot) {
  TempDir dir;
  std::atomic<int64_t> now{1'000'000};
  StoreOptions opts = testing::ConcatOptions();
  opts.retention.max_age_ms = 1000;
  opts.now_ms = [&] { return now.load(); };
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  ASSERT_TRUE(store->AppendSync("d", "a").ok());
  int64_t old_id = 0;
  ASSERT_TRUE(store->CreateVersion("d", "old", &old_id).ok());
  ASSERT_TRUE(store->AppendSync("d", "b").ok());
  now += 600;
  ASSERT_TRUE(store->CreateVersion("d", "newer").ok());
  now += 600;  // "old" is 1200 ms old, "newer" 600
  uint64_t removed = 0;
  ASSERT_TRUE(store->ApplyRetention(&removed).ok());
  EXPECT_EQ(removed, 1u);
  std::vector<VersionInfo> versions;
  ASSERT_TRUE(store->ListVersions("d", &versions).ok());
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].label, "newer");
  now += 10'000;  // "newer" expires too, but it is the latest snapshot
  ASSERT_TRUE(store->ApplyRetention(&removed).ok());
  EXPECT_EQ(removed, 0u);
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(testing::Flatten(rec), "a|b|");
  DocInfo info;
  ASSERT_TRUE(store->GetDocInfo("d", &info).ok());
  EXPECT_EQ(info.created_ms, 1'000'000);
  EXPECT_EQ(info.updated_ms, 1'000'600);
}

}  // namespace
}  // namespace tandem::store
