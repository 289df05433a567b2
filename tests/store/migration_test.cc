// Schema versioning: a v1 file migrates forward with its data; a newer or
// foreign file is refused and left byte-for-byte untouched.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/checksum.h"
#include "store/log_store.h"
#include "store/schema.h"
#include "store/sqlite_db.h"
#include "store_test_util.h"

namespace tandem::store {
namespace {

using testing::ReadFileBytes;
using testing::TempDir;

void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// Writes a file exactly as a build with schema version 1 would have: one
// document with a snapshot and a log tail.
void WriteV1File(const std::string& path) {
  std::unique_ptr<SqliteDb> db;
  ASSERT_TRUE(SqliteDb::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db).ok());
  ASSERT_TRUE(MigrateSchema(*db, 1).ok());
  std::string sql = "INSERT INTO docs(id, name, created_ms) VALUES(7, 'legacy', 1000);";
  sql += "INSERT INTO snapshots(doc_id, upto_seq, data, crc, created_ms) VALUES(7, 2, 'ab', " +
         std::to_string(RowChecksum(7, 2, "ab")) + ", 5000);";
  sql += "INSERT INTO log(doc_id, seq, data, crc) VALUES(7, 3, 'c', " +
         std::to_string(RowChecksum(7, 3, "c")) + ");";
  ASSERT_TRUE(db->Exec(sql.c_str()).ok());
  int64_t v = 0;
  ASSERT_TRUE(db->QueryInt("PRAGMA user_version", &v).ok());
  ASSERT_EQ(v, 1);
}

TEST(MigrationTest, V1FileMigratesWithItsData) {
  TempDir dir;
  std::string path = dir.file("old.db");
  WriteV1File(path);
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
    DocRecord rec;
    ASSERT_TRUE(store->ReadDoc("legacy", &rec).ok());
    ASSERT_TRUE(rec.snapshot.has_value());
    EXPECT_EQ(rec.snapshot->data, "ab");
    EXPECT_FALSE(rec.snapshot->label.has_value());
    ASSERT_EQ(rec.log.size(), 1u);
    EXPECT_EQ(rec.log[0].seq, 3u);
    DocInfo info;
    ASSERT_TRUE(store->GetDocInfo("legacy", &info).ok());
    EXPECT_EQ(info.updated_ms, 5000);  // backfilled from the newest snapshot
    EXPECT_EQ(info.last_seq, 3u);
    // v2 features work on the migrated file.
    uint64_t seq = 0;
    ASSERT_TRUE(store->AppendSync("legacy", "d", &seq, /*outbox=*/true).ok());
    EXPECT_EQ(seq, 4u);
    ASSERT_TRUE(store->CreateVersion("legacy", "after-migration").ok());
    StoreInfo all;
    ASSERT_TRUE(store->Inspect(&all).ok());
    EXPECT_EQ(all.schema_version, kSchemaVersion);
  }
  // Reopening a current file runs no migration and keeps everything.
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, testing::ConcatOptions(), &store).ok());
  DocRecord rec;
  ASSERT_TRUE(store->ReadDoc("legacy", &rec).ok());
  EXPECT_EQ(rec.snapshot->data, "abc|d|");
  std::vector<VersionInfo> versions;
  ASSERT_TRUE(store->ListVersions("legacy", &versions).ok());
  ASSERT_EQ(versions.size(), 1u);
}

TEST(MigrationTest, NewerFileIsRefusedUntouched) {
  TempDir dir;
  std::string path = dir.file("new.db");
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(LogStore::Open(path, {}, &store).ok());
    ASSERT_TRUE(store->AppendSync("d", "x").ok());
  }
  RawExec(path, "PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  std::string before = ReadFileBytes(path);
  std::unique_ptr<LogStore> store;
  StoreStatus st = LogStore::Open(path, {}, &store);
  EXPECT_EQ(st.code(), StoreCode::kUnsupported);
  EXPECT_NE(st.message().find("newer"), std::string::npos) << st.message();
  EXPECT_EQ(store, nullptr);
  EXPECT_EQ(ReadFileBytes(path), before);
  // Refusing twice changes nothing either (no half-applied migration).
  EXPECT_EQ(LogStore::Open(path, {}, &store).code(), StoreCode::kUnsupported);
  EXPECT_EQ(ReadFileBytes(path), before);
}

TEST(MigrationTest, ForeignDatabaseIsRefusedUntouched) {
  TempDir dir;
  std::string path = dir.file("foreign.db");
  RawExec(path, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);"
                "INSERT INTO customers VALUES(1, 'x');");
  std::string before = ReadFileBytes(path);
  std::unique_ptr<LogStore> store;
  EXPECT_EQ(LogStore::Open(path, {}, &store).code(), StoreCode::kUnsupported);
  EXPECT_EQ(ReadFileBytes(path), before);

  std::string other_app = dir.file("other-app.db");
  RawExec(other_app, "PRAGMA application_id = 12345; PRAGMA user_version = 1;");
  before = ReadFileBytes(other_app);
  EXPECT_EQ(LogStore::Open(other_app, {}, &store).code(), StoreCode::kUnsupported);
  EXPECT_EQ(ReadFileBytes(other_app), before);
}

TEST(MigrationTest, EmptyExistingFileIsInitialized) {
  TempDir dir;
  std::string path = dir.file("empty.db");
  testing::WriteFileBytes(path, "");
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(LogStore::Open(path, {}, &store).ok());
  ASSERT_TRUE(store->AppendSync("d", "x").ok());
}

TEST(MigrationTest, MigrateSchemaRejectsBadTargets) {
  TempDir dir;
  std::unique_ptr<SqliteDb> db;
  ASSERT_TRUE(SqliteDb::Open(dir.file("t.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db).ok());
  EXPECT_EQ(MigrateSchema(*db, 0).code(), StoreCode::kInvalidArgument);
  EXPECT_EQ(MigrateSchema(*db, kSchemaVersion + 1).code(), StoreCode::kInvalidArgument);
  ASSERT_TRUE(MigrateSchema(*db, kSchemaVersion).ok());
  ASSERT_TRUE(MigrateSchema(*db, kSchemaVersion).ok());  // idempotent
  EXPECT_EQ(MigrateSchema(*db, 1).code(), StoreCode::kUnsupported);  // never backwards
}

}  // namespace
}  // namespace tandem::store
