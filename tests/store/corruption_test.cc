// Corrupt files: a damaged row fails only its document's load, naming the
// document and row; a damaged header or page never crashes the store and
// never yields different content.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <random>

#include "store/log_store.h"
#include "store_test_util.h"

namespace tandem::store {
namespace {

using testing::FindUnique;
using testing::FlipByte;
using testing::TempDir;

void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// victim: rows 1..5 with row 3 a unique marker; bystander: two rows.
void WriteTwoDocs(const std::string& path, bool compact_victim = false) {
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  ASSERT_TRUE(store->AppendSync("bystander", "safe-1").ok());
  for (int i = 1; i <= 5; ++i) {
    std::string data = i == 3 ? "MARKER-row-three-0123456789" : "v" + std::to_string(i);
    ASSERT_TRUE(store->AppendSync("victim", data).ok());
  }
  ASSERT_TRUE(store->AppendSync("bystander", "safe-2").ok());
  if (compact_victim) {
    ASSERT_TRUE(store->Compact("victim").ok());
    ASSERT_TRUE(store->AppendSync("victim", "after").ok());
  }
}

void ExpectBystanderIntact(LogStore& store) {
  DocRecord rec;
  StoreStatus st = store.ReadDoc("bystander", &rec);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(testing::Flatten(rec), "safe-1|safe-2|");
}

TEST(CorruptionTest, FlippedLogRowFailsOnlyItsDocumentNamingTheRow) {
  TempDir dir;
  std::string path = dir.file("s.db");
  WriteTwoDocs(path);
  FlipByte(path, FindUnique(path, "MARKER-row-three") + 10);
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  DocRecord rec;
  rec.doc_id = -1;
  StoreStatus st = store->ReadDoc("victim", &rec);
  EXPECT_EQ(st.code(), StoreCode::kCorrupt);
  EXPECT_NE(st.message().find("document 'victim'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("log row seq 3"), std::string::npos) << st.message();
  EXPECT_EQ(rec.doc_id, -1);  // nothing returned in place of the document
  ExpectBystanderIntact(*store);
  // Compaction of the damaged document refuses too and keeps the rows.
  EXPECT_EQ(store->Compact("victim").code(), StoreCode::kCorrupt);
  // Appends to both documents still work.
  EXPECT_TRUE(store->AppendSync("bystander", "safe-3").ok());
  EXPECT_TRUE(store->AppendSync("victim", "v6").ok());
}

TEST(CorruptionTest, FlippedSnapshotFailsNamingTheSnapshot) {
  TempDir dir;
  std::string path = dir.file("s.db");
  WriteTwoDocs(path, /*compact_victim=*/true);
  FlipByte(path, FindUnique(path, "MARKER-row-three") + 3);
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  DocRecord rec;
  StoreStatus st = store->ReadDoc("victim", &rec);
  EXPECT_EQ(st.code(), StoreCode::kCorrupt);
  EXPECT_NE(st.message().find("'victim': snapshot id"), std::string::npos) << st.message();
  ExpectBystanderIntact(*store);
}

TEST(CorruptionTest, FlippedOutboxRowFailsListing) {
  TempDir dir;
  std::string path = dir.file("s.db");
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
    ASSERT_TRUE(store->AppendSync("c", "OUTBOX-MARKER-xyz", nullptr, true).ok());
    ASSERT_TRUE(store->Compact("c").ok());  // the log copy is folded away
  }
  size_t snap = FindUnique(path, "OUTBOX-MARKER-xyz|");  // the snapshot copy
  std::string bytes = testing::ReadFileBytes(path);
  size_t outbox = bytes.find("OUTBOX-MARKER-xyz");
  if (outbox == snap) outbox = bytes.find("OUTBOX-MARKER-xyz", snap + 1);
  ASSERT_NE(outbox, std::string::npos);
  FlipByte(path, outbox + 2);
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  std::vector<LogEntry> rows;
  StoreStatus st = store->ListUnacked("c", &rows);
  EXPECT_EQ(st.code(), StoreCode::kCorrupt);
  EXPECT_NE(st.message().find("outbox row seq 1"), std::string::npos) << st.message();
}

TEST(CorruptionTest, RowMovedToAnotherDocumentOrRenumberedIsDetected) {
  TempDir dir;
  std::string path = dir.file("s.db");
  WriteTwoDocs(path);
  // A flipped bit in the key columns: the row's checksum binds doc and seq.
  RawExec(path, "UPDATE log SET seq = 100 WHERE seq = 2 AND doc_id = "
                "(SELECT id FROM docs WHERE name = 'victim')");
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  DocRecord rec;
  StoreStatus st = store->ReadDoc("victim", &rec);
  EXPECT_EQ(st.code(), StoreCode::kCorrupt);
  EXPECT_NE(st.message().find("seq 100"), std::string::npos) << st.message();
  ExpectBystanderIntact(*store);
}

TEST(CorruptionTest, LostRowIsDetected) {
  TempDir dir;
  std::string path = dir.file("s.db");
  WriteTwoDocs(path);
  RawExec(path, "DELETE FROM log WHERE seq IN (2, 5) AND doc_id = "
                "(SELECT id FROM docs WHERE name = 'victim')");
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  DocRecord rec;
  StoreStatus st = store->ReadDoc("victim", &rec);
  EXPECT_EQ(st.code(), StoreCode::kCorrupt);
  EXPECT_NE(st.message().find("log row seq 2 is missing"), std::string::npos) << st.message();
  ExpectBystanderIntact(*store);
}

// Opens the damaged file and reads everything; any outcome but a crash, a
// hang, or a successful read of different content is acceptable.
void ProbeDamagedFile(const std::string& path) {
  std::unique_ptr<LogStore> store;
  StoreOptions opts = testing::ConcatOptions();
  opts.sync = SyncMode::kNormal;  // many files: skip the fsyncs
  StoreStatus st = LogStore::Open(path, opts, &store);
  if (!st.ok()) {
    EXPECT_NE(st.code(), StoreCode::kOk);
    return;
  }
  DocRecord rec;
  if (store->ReadDoc("bystander", &rec).ok()) {
    EXPECT_EQ(testing::Flatten(rec), "safe-1|safe-2|");
  }
  if (store->ReadDoc("victim", &rec).ok()) {
    EXPECT_EQ(testing::Flatten(rec), "v1|v2|MARKER-row-three-0123456789|v4|v5|");
  }
  std::vector<std::string> names;
  (void)store->ListDocs(&names);
  StoreInfo info;
  (void)store->Inspect(&info);
  (void)store->AppendSync("bystander", "more");
}

TEST(CorruptionTest, DamagedFileHeaderNeverCrashes) {
  TempDir dir;
  std::string clean = dir.file("clean.db");
  WriteTwoDocs(clean);
  std::string bytes = testing::ReadFileBytes(clean);
  // Every byte of the 100-byte SQLite header.
  for (size_t off = 0; off < 100; ++off) {
    std::string path = dir.file("h" + std::to_string(off) + ".db");
    testing::WriteFileBytes(path, bytes);
    FlipByte(path, off);
    SCOPED_TRACE("header offset " + std::to_string(off));
    ProbeDamagedFile(path);
    std::filesystem::remove(path);
  }
  // The magic string gone: a clear error, not a crash.
  std::string path = dir.file("magic.db");
  testing::WriteFileBytes(path, bytes);
  FlipByte(path, 0);
  std::unique_ptr<LogStore> store;
  StoreStatus st = LogStore::Open(path, {}, &store);
  EXPECT_EQ(st.code(), StoreCode::kCorrupt) << st.ToString();
}

TEST(CorruptionTest, RandomPageDamageNeverCrashes) {
  TempDir dir;
  std::string clean = dir.file("clean.db");
  WriteTwoDocs(clean);
  std::string bytes = testing::ReadFileBytes(clean);
  std::mt19937 rng(1234);
  int iterations = std::getenv("TANDEM_CORRUPTION_ITERATIONS")
                       ? std::atoi(std::getenv("TANDEM_CORRUPTION_ITERATIONS"))
                       : 150;
  for (int i = 0; i < iterations; ++i) {
    std::string path = dir.file("r" + std::to_string(i) + ".db");
    std::string damaged = bytes;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      damaged[100 + rng() % (damaged.size() - 100)] ^= static_cast<char>(1 + rng() % 255);
    }
    testing::WriteFileBytes(path, damaged);
    SCOPED_TRACE("iteration " + std::to_string(i));
    ProbeDamagedFile(path);
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-lock");
  }
}

TEST(CorruptionTest, TruncatedAndGarbageFilesNeverCrash) {
  TempDir dir;
  std::string clean = dir.file("clean.db");
  WriteTwoDocs(clean);
  std::string bytes = testing::ReadFileBytes(clean);
  for (size_t keep : {size_t{0} + 50, bytes.size() / 2, bytes.size() - 1}) {
    std::string path = dir.file("t" + std::to_string(keep) + ".db");
    testing::WriteFileBytes(path, bytes.substr(0, keep));
    ProbeDamagedFile(path);
  }
  std::string garbage(8192, '\0');
  std::mt19937 rng(99);
  for (char& c : garbage) c = static_cast<char>(rng());
  std::string path = dir.file("garbage.db");
  testing::WriteFileBytes(path, garbage);
  std::unique_ptr<LogStore> store;
  EXPECT_EQ(LogStore::Open(path, {}, &store).code(), StoreCode::kCorrupt);
  EXPECT_EQ(testing::ReadFileBytes(path), garbage);
}

}  // namespace
}  // namespace tandem::store
