// SqliteDb: one SQLite connection with a cache of prepared statements.
//
// Internal to engine/store. A SqliteDb is used by one thread at a time (the
// store thread owns the writer; readers are lent out by ReaderPool). It opens
// the connection with SQLITE_OPEN_NOMUTEX: callers provide the exclusion.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store_status.h"

namespace tandem::store {

class SqliteDb {
 public:
  // Opens `path` with `flags` (SQLITE_OPEN_*; NOMUTEX is added). Sets a busy
  // timeout and the defensive flag. On error *out is untouched.
  static StoreStatus Open(const std::string& path, int flags, std::unique_ptr<SqliteDb>* out,
                          int busy_timeout_ms = 10000);
  // Finalizes every cached statement and closes the connection.
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }

  // The cached prepared statement for `sql`, compiled on first use. `sql`
  // must have static storage (a string literal): the cache is keyed by its
  // address. The statement stays owned by this SqliteDb; use it through a
  // StmtScope so it is reset after use.
  StoreStatus Prepare(const char* sql, sqlite3_stmt** out);
  // Runs one or more statements that return no rows we need.
  StoreStatus Exec(const char* sql);
  // Runs a single-integer query (e.g. "PRAGMA user_version").
  StoreStatus QueryInt(const char* sql, int64_t* out);
  // A StoreStatus describing the connection's last error, prefixed with `what`.
  StoreStatus Error(const char* what) const;
  // Maps a SQLite result code to a StoreStatus with `msg`.
  static StoreStatus FromCode(int rc, std::string msg);

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// Resets and clears a cached statement's bindings when the scope ends, so
// the next user starts clean and no read transaction stays open.
class StmtScope {
 public:
  explicit StmtScope(sqlite3_stmt* s) : s_(s) {}
  ~StmtScope() {
    if (s_ != nullptr) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  StmtScope(const StmtScope&) = delete;
  StmtScope& operator=(const StmtScope&) = delete;

 private:
  sqlite3_stmt* s_;
};

// Column helpers.
inline std::string_view ColumnBlob(sqlite3_stmt* s, int col) {
  const void* p = sqlite3_column_blob(s, col);
  int n = sqlite3_column_bytes(s, col);
  if (p == nullptr || n <= 0) return {};
  return {static_cast<const char*>(p), static_cast<size_t>(n)};
}
inline std::string ColumnText(sqlite3_stmt* s, int col) {
  const unsigned char* p = sqlite3_column_text(s, col);
  int n = sqlite3_column_bytes(s, col);
  if (p == nullptr || n <= 0) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(n)};
}
inline int BindBlob(sqlite3_stmt* s, int i, std::string_view v) {
  // A zero-length blob must still be a blob, not NULL (NOT NULL columns).
  return sqlite3_bind_blob64(s, i, v.empty() ? "" : v.data(), v.size(), SQLITE_STATIC);
}
inline int BindText(sqlite3_stmt* s, int i, std::string_view v) {
  return sqlite3_bind_text64(s, i, v.empty() ? "" : v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
}

}  // namespace tandem::store
