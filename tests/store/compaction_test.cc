// Compaction: thresholds, one-transaction install, no blocking of appends,
// races with deletion and other compactions, failing merges.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "store/log_store.h"
#include "store_test_util.h"

namespace tandem::store {
namespace {

using testing::ConcatMerge;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

TEST(CompactionTest, ManualCompactionKeepsContentAndRemovesCoveredRows) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), testing::ConcatOptions(), &store).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->AppendSync("d", std::to_string(i)).ok());
  DocRecord before;
  ASSERT_TRUE(store->ReadDoc("d", &before).ok());
  ASSERT_TRUE(store->Compact("d").ok());
  DocRecord after;
  ASSERT_TRUE(store->ReadDoc("d", &after).ok());
  ASSERT_TRUE(after.snapshot.has_value());
  EXPECT_EQ(after.snapshot->upto_seq, 10u);
  EXPECT_TRUE(after.log.empty());
  EXPECT_EQ(testing::Flatten(after), testing::Flatten(before));
  // A second compaction with an empty tail is a no-op.
  ASSERT_TRUE(store->Compact("d").ok());
  ASSERT_TRUE(store->AppendSync("d", "tail").ok());
  ASSERT_TRUE(store->Compact("d").ok());
  ASSERT_TRUE(store->ReadDoc("d", &after).ok());
  EXPECT_EQ(testing::Flatten(after), "0|1|2|3|4|5|6|7|8|9|tail|");
  EXPECT_EQ(store->compaction_stats().completed, 2u);
  // Only the latest (unlabeled) snapshot is kept.
  DocInfo info;
  ASSERT_TRUE(store->GetDocInfo("d", &info).ok());
  EXPECT_EQ(info.snapshot_bytes, after.snapshot->data.size());
  EXPECT_EQ(store->Compact("missing").code(), StoreCode::kNotFound);
}

TEST(CompactionTest, AutomaticCompactionAtRowThreshold) {
  TempDir dir;
  StoreOptions opts = testing::ConcatOptions();
  opts.compact_after_rows = 50;
  opts.sync = SyncMode::kNormal;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  std::string expect;
  for (int i = 0; i < 230; ++i) {
    ASSERT_TRUE(store->AppendSync("d", std::to_string(i)).ok());
    expect += std::to_string(i) + "|";
    // Appends 50, 100, 150, 200 cross the threshold; waiting after each
    // makes the outcome independent of thread timing.
    if ((i + 1) % 50 == 0) store->WaitForCompactions();
  }
  store->WaitForCompactions();
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  ASSERT_TRUE(rec.snapshot.has_value());
  EXPECT_EQ(rec.snapshot->upto_seq, 200u);
  EXPECT_EQ(rec.log.size(), 30u);
  EXPECT_EQ(testing::Flatten(rec), expect);
  EXPECT_EQ(store->compaction_stats().completed, 4u);
}

TEST(CompactionTest, AutomaticCompactionAtByteThreshold) {
  TempDir dir;
  StoreOptions opts = testing::ConcatOptions();
  opts.compact_after_bytes = 10000;
  opts.sync = SyncMode::kNormal;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->AppendSync("big", std::string(3000, 'a' + i)).ok());
  store->WaitForCompactions();
  DocInfo info;
  ASSERT_TRUE(store->GetDocInfo("big", &info).ok());
  EXPECT_GT(info.snapshot_seq, 0u);
  EXPECT_LT(info.log_bytes, 10000u);
}

TEST(CompactionTest, SlowMergeBlocksNoAppends) {
  TempDir dir;
  std::promise<void> merge_entered;
  std::promise<void> release_merge;
  std::shared_future<void> released = release_merge.get_future().share();
  StoreOptions opts;
  opts.merge = [&](std::string_view doc, const std::string* snap, const std::vector<LogEntry>& log,
                   std::string* out) {
    merge_entered.set_value();
    released.wait();
    return ConcatMerge(doc, snap, log, out);
  };
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->AppendSync("slow", "s" + std::to_string(i)).ok());
  auto compaction = std::async(std::launch::async, [&] { return store->Compact("slow"); });
  merge_entered.get_future().wait();
  // While the merge runs: appends to another document and to the same one
  // commit promptly.
  auto start = Clock::now();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->AppendSync("other", "o").ok());
    ASSERT_TRUE(store->AppendSync("slow", "late" + std::to_string(i)).ok());
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(compaction.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  release_merge.set_value();
  ASSERT_TRUE(compaction.get().ok());
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("slow", &rec).ok());
  ASSERT_TRUE(rec.snapshot.has_value());
  EXPECT_EQ(rec.snapshot->upto_seq, 5u);
  EXPECT_EQ(rec.log.size(), 20u);  // appended during the merge: kept
  std::string expect = "s0|s1|s2|s3|s4|";
  for (int i = 0; i < 20; ++i) expect += "late" + std::to_string(i) + "|";
  EXPECT_EQ(testing::Flatten(rec), expect);
}

TEST(CompactionTest, DeletionDuringMergeAbortsInstall) {
  TempDir dir;
  std::promise<void> merge_entered;
  std::promise<void> release_merge;
  std::shared_future<void> released = release_merge.get_future().share();
  std::atomic<int> merges{0};
  StoreOptions opts;
  opts.merge = [&](std::string_view doc, const std::string* snap, const std::vector<LogEntry>& log,
                   std::string* out) {
    if (merges++ == 0) merge_entered.set_value();  // retries after the abort pass through
    released.wait();
    return ConcatMerge(doc, snap, log, out);
  };
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  ASSERT_TRUE(store->AppendSync("d", "old").ok());
  auto compaction = std::async(std::launch::async, [&] { return store->Compact("d"); });
  merge_entered.get_future().wait();
  ASSERT_TRUE(store->DeleteDoc("d").ok());
  ASSERT_TRUE(store->AppendSync("d", "new").ok());  // a new document of the same name
  release_merge.set_value();
  StoreStatus st = compaction.get();
  // The retry reads the new document; with its single row it compacts that.
  EXPECT_TRUE(st.ok() || st.code() == StoreCode::kAborted) << st.ToString();
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(testing::Flatten(rec), "new|");  // never the deleted content
}

TEST(CompactionTest, ConcurrentCompactionsOfOneDocumentStayConsistent) {
  TempDir dir;
  StoreOptions opts = testing::ConcatOptions();
  opts.sync = SyncMode::kNormal;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(store->AppendSync("d", std::to_string(i)).ok());
    stop = true;
  });
  std::vector<std::thread> compactors;
  for (int t = 0; t < 2; ++t) {
    compactors.emplace_back([&] {
      while (!stop) {
        StoreStatus st = store->Compact("d");
        EXPECT_TRUE(st.ok() || st.code() == StoreCode::kAborted || st.code() == StoreCode::kNotFound)
            << st.ToString();
      }
    });
  }
  writer.join();
  for (auto& t : compactors) t.join();
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  std::string expect;
  for (int i = 0; i < 300; ++i) expect += std::to_string(i) + "|";
  EXPECT_EQ(testing::Flatten(rec), expect);
}

TEST(CompactionTest, ReadersSeeConsistentStatesDuringAppendsAndCompactions) {
  TempDir dir;
  StoreOptions opts = testing::ConcatOptions();
  opts.sync = SyncMode::kNormal;
  opts.compact_after_rows = 40;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  constexpr int kRows = 600;
  std::string full;
  for (int i = 0; i < kRows; ++i) full += std::to_string(i) + "|";
  ASSERT_TRUE(store->AppendSync("d", "0").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        DocRecord rec;
        StoreStatus st = store->ReadDoc("d", &rec);
        ASSERT_TRUE(st.ok()) << st.ToString();
        // Every state a reader sees is some prefix of the appends: never a
        // snapshot without its rows or rows without their snapshot.
        std::string flat = testing::Flatten(rec);
        ASSERT_EQ(full.compare(0, flat.size(), flat), 0) << flat;
        ++reads;
      }
    });
  }
  // The appends start once a reader is reading, or they can all be over
  // before the readers' threads first run (seen on a loaded machine). A
  // reader that fails stops reading: the deadline keeps this from hanging.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (reads.load() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  for (int i = 1; i < kRows; ++i) {
    ASSERT_TRUE(store->Append("d", std::to_string(i), nullptr).ok());
    if (i % 50 == 0) {
      ASSERT_TRUE(store->Flush().ok());
    }
  }
  ASSERT_TRUE(store->Flush().ok());
  store->WaitForCompactions();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  // How many compactions run depends on how fast appends outrun them (they
  // coalesce); that at least one ran alongside the readers is what counts.
  EXPECT_GT(store->compaction_stats().completed, 0u);
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(testing::Flatten(rec), full);
}

TEST(CompactionTest, FailingMergeLeavesLogIntact) {
  TempDir dir;
  StoreOptions opts;
  opts.merge = [](std::string_view, const std::string*, const std::vector<LogEntry>&,
                  std::string*) { return StoreStatus::Corrupt("refused"); };
  opts.compact_after_rows = 5;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(store->AppendSync("d", "x").ok());
  store->WaitForCompactions();
  StoreStatus st = store->Compact("d");
  EXPECT_EQ(st.code(), StoreCode::kCorrupt);
  EXPECT_NE(st.message().find("'d'"), std::string::npos);
  CompactionStats stats = store->compaction_stats();
  EXPECT_GE(stats.failed, 2u);  // automatic ones (not retried per append) + manual
  EXPECT_LE(stats.failed, 4u);
  EXPECT_NE(stats.last_error.find("refused"), std::string::npos);
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(rec.log.size(), 12u);
  EXPECT_FALSE(rec.snapshot.has_value());
}

}  // namespace
}  // namespace tandem::store
