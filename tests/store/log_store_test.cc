// The basic paths: append, read, list, info, delete, close, misuse.
#include "store/log_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "store/inspect.h"
#include "store_test_util.h"

namespace tandem::store {
namespace {

using testing::TempDir;

TEST(LogStoreTest, AppendThenReadAcrossReopen) {
  TempDir dir;
  std::string path = dir.file("s.db");
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(LogStore::Open(path, {}, &store).ok());
    uint64_t seq = 0;
    ASSERT_TRUE(store->AppendSync("a", "one", &seq).ok());
    EXPECT_EQ(seq, 1u);
    ASSERT_TRUE(store->AppendSync("a", "two", &seq).ok());
    EXPECT_EQ(seq, 2u);
    ASSERT_TRUE(store->AppendSync("b", std::string("\0bin\xff", 5), &seq).ok());
    EXPECT_EQ(seq, 1u);
    ASSERT_TRUE(store->AppendSync("a", "", &seq).ok());  // empty update is stored too
    EXPECT_EQ(seq, 3u);
  }
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, {}, &store).ok());
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("a", &rec).ok());
  EXPECT_EQ(rec.name, "a");
  EXPECT_FALSE(rec.snapshot.has_value());
  ASSERT_EQ(rec.log.size(), 3u);
  EXPECT_EQ(rec.log[0].data, "one");
  EXPECT_EQ(rec.log[1].data, "two");
  EXPECT_EQ(rec.log[2].data, "");
  EXPECT_EQ(rec.log[2].seq, 3u);
  ASSERT_TRUE(store->ReadDoc("b", &rec).ok());
  ASSERT_EQ(rec.log.size(), 1u);
  EXPECT_EQ(rec.log[0].data, std::string("\0bin\xff", 5));
  // Sequence numbers continue after a reopen.
  uint64_t seq = 0;
  ASSERT_TRUE(store->AppendSync("a", "four", &seq).ok());
  EXPECT_EQ(seq, 4u);
}

TEST(LogStoreTest, MissingDocumentIsNotFoundNeverEmpty) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), {}, &store).ok());
  DocRecord rec;
  rec.doc_id = 42;
  StoreStatus st = store->ReadDoc("nope", &rec);
  EXPECT_EQ(st.code(), StoreCode::kNotFound);
  EXPECT_NE(st.message().find("nope"), std::string::npos);
  EXPECT_EQ(rec.doc_id, 42);  // untouched
  DocInfo info;
  EXPECT_EQ(store->GetDocInfo("nope", &info).code(), StoreCode::kNotFound);
  EXPECT_EQ(store->DeleteDoc("nope").code(), StoreCode::kNotFound);
}

TEST(LogStoreTest, AsyncCallbacksFireInOrderAfterCommit) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), {}, &store).ok());
  std::vector<uint64_t> seqs;
  std::mutex mu;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(store->Append("d", "u" + std::to_string(i), [&](const StoreStatus& st, uint64_t s) {
      ASSERT_TRUE(st.ok()) << st.ToString();
      std::lock_guard<std::mutex> lock(mu);
      seqs.push_back(s);
    }).ok());
  }
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_EQ(seqs.size(), 100u);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  ASSERT_EQ(rec.log.size(), 100u);
  EXPECT_EQ(rec.log[99].data, "u99");
}

TEST(LogStoreTest, ListInfoInspectAndDelete) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), testing::ConcatOptions(), &store).ok());
  ASSERT_TRUE(store->AppendSync("zeta", "12345").ok());
  ASSERT_TRUE(store->AppendSync("alpha", "123").ok());
  ASSERT_TRUE(store->AppendSync("alpha", "4567").ok());
  std::vector<std::string> names;
  ASSERT_TRUE(store->ListDocs(&names).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "zeta"}));

  DocInfo info;
  ASSERT_TRUE(store->GetDocInfo("alpha", &info).ok());
  EXPECT_EQ(info.log_rows, 2u);
  EXPECT_EQ(info.log_bytes, 7u);
  EXPECT_EQ(info.last_seq, 2u);
  EXPECT_EQ(info.snapshot_bytes, 0u);
  EXPECT_GT(info.updated_ms, 0);

  ASSERT_TRUE(store->Compact("alpha").ok());
  ASSERT_TRUE(store->GetDocInfo("alpha", &info).ok());
  EXPECT_EQ(info.log_rows, 0u);
  EXPECT_EQ(info.snapshot_seq, 2u);
  EXPECT_EQ(info.snapshot_bytes, 9u);  // "123|4567|"
  EXPECT_EQ(info.last_seq, 2u);
  EXPECT_EQ(info.total_bytes(), 9u);

  StoreInfo all;
  ASSERT_TRUE(store->Inspect(&all).ok());
  EXPECT_EQ(all.schema_version, 2);
  EXPECT_GT(all.file_bytes, 0u);
  ASSERT_EQ(all.docs.size(), 2u);
  EXPECT_EQ(all.docs[0].name, "alpha");
  EXPECT_EQ(all.docs[1].log_bytes, 5u);

  std::string text = FormatStoreInfo(all);
  EXPECT_NE(text.find("schema version 2"), std::string::npos) << text;
  EXPECT_NE(text.find("alpha"), std::string::npos) << text;
  EXPECT_NE(text.find("zeta"), std::string::npos) << text;

  ASSERT_TRUE(store->DeleteDoc("alpha").ok());
  ASSERT_TRUE(store->ListDocs(&names).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"zeta"}));
  DocRecord rec;
  EXPECT_EQ(store->ReadDoc("alpha", &rec).code(), StoreCode::kNotFound);
  // Re-creating starts a new document from seq 1.
  uint64_t seq = 0;
  ASSERT_TRUE(store->AppendSync("alpha", "new", &seq).ok());
  EXPECT_EQ(seq, 1u);
  ASSERT_TRUE(store->ReadDoc("alpha", &rec).ok());
  EXPECT_FALSE(rec.snapshot.has_value());
  ASSERT_EQ(rec.log.size(), 1u);
}

TEST(LogStoreTest, SequenceNumbersAreNeverReusedAfterCompaction) {
  TempDir dir;
  std::string path = dir.file("s.db");
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->AppendSync("d", "x").ok());
    ASSERT_TRUE(store->Compact("d").ok());
  }
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  uint64_t seq = 0;
  ASSERT_TRUE(store->AppendSync("d", "y", &seq).ok());
  EXPECT_EQ(seq, 6u);
}

TEST(LogStoreTest, SecondOpenOfSameFileIsBusy) {
  TempDir dir;
  std::unique_ptr<LogStore> a, b;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), {}, &a).ok());
  EXPECT_EQ(LogStore::Open(dir.file("s.db"), {}, &b).code(), StoreCode::kBusy);
  EXPECT_EQ(b, nullptr);
  a.reset();
  EXPECT_TRUE(LogStore::Open(dir.file("s.db"), {}, &b).ok());
}

TEST(LogStoreTest, MisuseIsRefusedWithoutCallback) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  EXPECT_EQ(LogStore::Open(":memory:", {}, &store).code(), StoreCode::kInvalidArgument);
  StoreOptions no_create;
  no_create.create_if_missing = false;
  EXPECT_EQ(LogStore::Open(dir.file("missing.db"), no_create, &store).code(),
            StoreCode::kNotFound);
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), {}, &store).ok());
  bool called = false;
  EXPECT_EQ(store->Append("", "x", [&](const StoreStatus&, uint64_t) { called = true; }).code(),
            StoreCode::kInvalidArgument);
  // Compaction without a merge function is an error, never a silent no-op.
  ASSERT_TRUE(store->AppendSync("d", "x").ok());
  EXPECT_EQ(store->Compact("d").code(), StoreCode::kInvalidArgument);
  store->Close();
  EXPECT_EQ(store->Append("d", "x", [&](const StoreStatus&, uint64_t) { called = true; }).code(),
            StoreCode::kClosed);
  DocRecord rec;
  EXPECT_EQ(store->ReadDoc("d", &rec).code(), StoreCode::kClosed);
  EXPECT_FALSE(called);
}

TEST(LogStoreTest, SynchronousCallFromCallbackIsRefused) {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(dir.file("s.db"), {}, &store).ok());
  std::promise<StoreCode> inner;
  ASSERT_TRUE(store->Append("d", "x", [&](const StoreStatus&, uint64_t) {
    inner.set_value(store->AppendSync("d", "y").code());
  }).ok());
  EXPECT_EQ(inner.get_future().get(), StoreCode::kInvalidArgument);
}

TEST(LogStoreTest, CloseCommitsQueuedAppends) {
  TempDir dir;
  std::string path = dir.file("s.db");
  std::atomic<int> ok{0};
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(LogStore::Open(path, {}, &store).ok());
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(store->Append("d", "x", [&](const StoreStatus& st, uint64_t) {
        if (st.ok()) ++ok;
      }).ok());
    }
  }  // destructor drains
  EXPECT_EQ(ok.load(), 500);
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, {}, &store).ok());
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("d", &rec).ok());
  EXPECT_EQ(rec.log.size(), 500u);
}

}  // namespace
}  // namespace tandem::store
