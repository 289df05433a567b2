// Group commit: many writers share transactions, and a completion callback
// only fires once its row is committed (visible to an independent reader).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "store/log_store.h"
#include "store/thread_priority.h"
#include "store_test_util.h"

namespace tandem::store {
namespace {

using testing::TempDir;

// Counts log rows of `doc` through a separate, plain SQLite connection.
int64_t CountRows(const std::string& path, const std::string& doc) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT count(*) FROM log JOIN docs ON docs.id = log.doc_id "
                               "WHERE docs.name = ?1",
                               -1, &s, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(s, 1, doc.c_str(), -1, SQLITE_TRANSIENT);
  int64_t n = -1;
  if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

TEST(GroupCommitTest, ConcurrentWritersShareTransactions) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), {}, &store).ok());
  constexpr int kThreads = 4, kPerThread = 400;
  std::atomic<int> done{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string doc = "doc" + std::to_string((t + i) % 3);
        StoreStatus st = store->Append(doc, std::to_string(t) + ":" + std::to_string(i),
                                       [&](const StoreStatus& s, uint64_t) {
                                         if (s.ok()) ++done; else ++failed;
                                       });
        ASSERT_TRUE(st.ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(done.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  // Far fewer transactions than writes: the batches grew while fsyncs ran.
  EXPECT_LT(store->batches_committed(), static_cast<uint64_t>(kThreads * kPerThread));
  // Each thread's updates to one document keep their order.
  for (int d = 0; d < 3; ++d) {
    DocRecord rec;
    ASSERT_TRUE(store->ReadDoc("doc" + std::to_string(d), &rec).ok());
    std::vector<int> last(kThreads, -1);
    for (const LogEntry& e : rec.log) {
      int t = std::stoi(e.data.substr(0, e.data.find(':')));
      int i = std::stoi(e.data.substr(e.data.find(':') + 1));
      EXPECT_GT(i, last[t]);
      last[t] = i;
    }
  }
}

TEST(GroupCommitTest, CallbackMeansCommitted) {
  TempDir dir;
  std::string path = dir.file("s.db");
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, {}, &store).ok());
  std::atomic<int> checked{0};
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->Append("d", "x", [&, i](const StoreStatus& st, uint64_t seq) {
      ASSERT_TRUE(st.ok());
      EXPECT_EQ(seq, static_cast<uint64_t>(i + 1));
      // Another connection already sees the row: the commit happened.
      EXPECT_GE(CountRows(path, "d"), static_cast<int64_t>(seq));
      ++checked;
    }).ok());
  }
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(checked.load(), 20);
}

TEST(GroupCommitTest, AppendBatchIsOneTransaction) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  StoreOptions opts;
  opts.sync = SyncMode::kNormal;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  ASSERT_TRUE(store->Flush().ok());
  uint64_t before = store->batches_committed();
  std::vector<LogStore::AppendRequest> reqs;
  for (int i = 0; i < 256; ++i) reqs.push_back({"d" + std::to_string(i % 7), "u", nullptr, false});
  ASSERT_TRUE(store->AppendBatch(std::move(reqs)).ok());
  ASSERT_TRUE(store->Flush().ok());
  // The batch, maybe plus the barrier on its own.
  EXPECT_LE(store->batches_committed() - before, 2u);
  EXPECT_EQ(store->writes_committed(), 256u + 2u);  // + two Flush barriers
}

TEST(GroupCommitTest, MaxBatchSplitsLargeBatches) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  StoreOptions opts;
  opts.max_batch = 10;
  opts.sync = SyncMode::kNormal;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  std::vector<LogStore::AppendRequest> reqs;
  for (int i = 0; i < 100; ++i) reqs.push_back({"d", "u", nullptr, false});
  ASSERT_TRUE(store->AppendBatch(std::move(reqs)).ok());
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_GE(store->batches_committed(), 10u);
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(rec.log.size(), 100u);
}

TEST(GroupCommitTest, FailedCommitFailsEveryWriteOfTheBatchAndRecovers) {
  TempDir dir;
  std::string path = dir.file("s.db");
  StoreOptions opts;
  opts.busy_timeout_ms = 50;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, opts, &store).ok());
  ASSERT_TRUE(store->AppendSync("d", "one").ok());
  // Another process (here: a raw connection) holds the write lock.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::atomic<int> busy{0};
  std::vector<LogStore::AppendRequest> reqs;
  for (int i = 0; i < 5; ++i) {
    reqs.push_back({"d", "lost" + std::to_string(i), [&](const StoreStatus& st, uint64_t seq) {
                      EXPECT_EQ(st.code(), StoreCode::kBusy) << st.ToString();
                      EXPECT_EQ(seq, 0u);
                      ++busy;
                    }, false});
  }
  ASSERT_TRUE(store->AppendBatch(std::move(reqs)).ok());
  EXPECT_EQ(store->Flush().code(), StoreCode::kBusy);
  EXPECT_EQ(busy.load(), 5);
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  // Nothing of the failed batch was stored; numbering continues without a gap.
  uint64_t seq = 0;
  ASSERT_TRUE(store->AppendSync("d", "two", &seq).ok());
  EXPECT_EQ(seq, 2u);
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(testing::Flatten(rec), "one|two|");
}


// With a commit interval, writes that arrive while the store is busy wait
// for one shared commit; the first write after an idle spell does not wait.
TEST(GroupCommitTest, CommitIntervalGathersWritesIntoOneCommit) {
  TempDir dir;
  // Declared before the store, so that they outlive its callbacks.
  std::promise<std::chrono::steady_clock::time_point> first;
  std::atomic<int> done{0};
  std::chrono::steady_clock::time_point last_done;
  std::unique_ptr<LogStore> store;
  StoreOptions opts;
  opts.sync = SyncMode::kNormal;
  opts.min_commit_interval_us = 300000;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  ASSERT_TRUE(store->Append("d", "first", [&](const StoreStatus& st, uint64_t) {
    EXPECT_TRUE(st.ok());
    first.set_value(std::chrono::steady_clock::now());
  }).ok());
  auto f = first.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const auto t1 = f.get();
  const uint64_t before = store->batches_committed();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store->Append("d", "u", [&](const StoreStatus& st, uint64_t) {
      EXPECT_TRUE(st.ok());
      last_done = std::chrono::steady_clock::now();
      ++done;
    }).ok());
  }
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(done.load(), 50);
  // One commit for the 50 (the Flush barrier may share it or follow it).
  EXPECT_LE(store->batches_committed() - before, 2u);
  // They waited for the interval after the first write's commit.
  EXPECT_GE(last_done - t1, std::chrono::milliseconds(150));
}

// The interval never holds back a full batch, nor a store being closed.
TEST(GroupCommitTest, CommitIntervalNeverDelaysAFullBatchOrClose) {
  TempDir dir;
  // Declared before the store, so that they outlive its callbacks.
  std::vector<std::promise<bool>> ps;
  ps.reserve(16);
  std::vector<std::future<bool>> first, full, last;
  std::unique_ptr<LogStore> store;
  StoreOptions opts;
  opts.sync = SyncMode::kNormal;
  opts.max_batch = 8;
  opts.min_commit_interval_us = 60 * 1000 * 1000;  // a minute: any wait for it would show
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  auto wait_all = [](std::vector<std::future<bool>>& fs) {
    for (auto& f : fs) {
      if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready || !f.get()) return false;
    }
    return true;
  };
  auto append = [&](std::vector<std::promise<bool>>& ps, std::vector<std::future<bool>>& fs) {
    ps.emplace_back();
    fs.push_back(ps.back().get_future());
    std::promise<bool>* p = &ps.back();
    return store->Append("d", "u", [p](const StoreStatus& st, uint64_t) { p->set_value(st.ok()); });
  };
  ASSERT_TRUE(append(ps, first).ok());  // the store was idle: at once
  ASSERT_TRUE(wait_all(first));
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(append(ps, full).ok());  // max_batch waiting: at once
  ASSERT_TRUE(wait_all(full)) << "a full batch waited for the interval";
  ASSERT_TRUE(append(ps, last).ok());  // waits for the interval...
  std::thread closer([&] { store.reset(); });  // ...unless the store closes
  EXPECT_TRUE(wait_all(last)) << "closing waited for the interval";
  closer.join();
}


// background_nice lowers the store thread's priority (Linux keeps one per
// thread), and only that thread's: the caller's is unchanged.
TEST(GroupCommitTest, BackgroundNiceLowersOnlyTheStoreThreads) {
  TempDir dir;
  std::promise<int> store_nice;
  std::promise<int> merge_nice;
  bool merged = false;
  std::unique_ptr<LogStore> store;
  StoreOptions opts;
  opts.sync = SyncMode::kNormal;
  opts.background_nice = 5;
  opts.compact_after_rows = 2;
  opts.merge = [&](std::string_view, const std::string*, const std::vector<LogEntry>&,
                   std::string* out) {
    if (!merged) {
      merged = true;
      merge_nice.set_value(ThisThreadNice());
    }
    *out = "merged";
    return StoreStatus::Ok();
  };
  const int caller = ThisThreadNice();
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), opts, &store).ok());
  ASSERT_TRUE(store->Append("d", "u", [&](const StoreStatus& st, uint64_t) {
    EXPECT_TRUE(st.ok());
    store_nice.set_value(ThisThreadNice());
  }).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Append("d", "v", nullptr).ok());
  auto f = store_nice.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  auto m = merge_nice.get_future();
  ASSERT_EQ(m.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "no compaction ran";
#if defined(__linux__)
  EXPECT_EQ(f.get(), std::min(19, caller + 5));
  EXPECT_EQ(m.get(), std::min(19, caller + 5));
#endif
  EXPECT_EQ(ThisThreadNice(), caller);
  store.reset();
}

}  // namespace
}  // namespace tandem::store
