#include "store/sqlite_db.h"

namespace tandem::store {

StoreStatus SqliteDb::FromCode(int rc, std::string msg) {
  switch (rc & 0xFF) {
    case SQLITE_OK: return StoreStatus::Ok();
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT: return StoreStatus::Corrupt(std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return StoreStatus::Busy(std::move(msg));
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
    case SQLITE_CONSTRAINT: return StoreStatus::InvalidArgument(std::move(msg));
    default: return StoreStatus::IoError(std::move(msg));
  }
}

StoreStatus SqliteDb::Open(const std::string& path, int flags, std::unique_ptr<SqliteDb>* out,
                           int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "open '" + path + "': " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return FromCode(rc, std::move(msg));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // Defensive mode: no writes to sqlite_schema or shadow tables from SQL,
  // so a hostile or corrupt file cannot be used to corrupt memory.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  out->reset(new SqliteDb(db, path));
  return StoreStatus::Ok();
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

StoreStatus SqliteDb::Prepare(const char* sql, sqlite3_stmt** out) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    *out = it->second;
    return StoreStatus::Ok();
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error("prepare");
  cache_.emplace(sql, stmt);
  *out = stmt;
  return StoreStatus::Ok();
}

StoreStatus SqliteDb::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return StoreStatus::Ok();
  std::string msg = std::string("sqlite: ") + (err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return FromCode(rc, std::move(msg));
}

StoreStatus SqliteDb::QueryInt(const char* sql, int64_t* out) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &s, nullptr);
  if (rc != SQLITE_OK) return Error("prepare");
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return StoreStatus::Ok();
  }
  StoreStatus st = rc == SQLITE_DONE ? StoreStatus::Corrupt("no row") : Error("query");
  sqlite3_finalize(s);
  return st;
}

StoreStatus SqliteDb::Error(const char* what) const {
  int rc = sqlite3_extended_errcode(db_);
  return FromCode(rc, std::string(what) + ": sqlite: " + sqlite3_errmsg(db_));
}

}  // namespace tandem::store
