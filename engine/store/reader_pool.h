// ReaderPool: read-only connections lent to threads that read the store.
//
// Internal to engine/store. WAL mode lets any number of readers run beside
// the single writer, each seeing the last committed state. A thread borrows
// a connection for one call and returns it; connections (and their cached
// prepared statements) are reused, up to `max_idle` kept open.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite_db.h"

namespace tandem::store {

class ReaderPool {
 public:
  ReaderPool(std::string path, size_t max_idle, int busy_timeout_ms)
      : path_(std::move(path)), max_idle_(max_idle), busy_timeout_ms_(busy_timeout_ms) {}

  // Returns a connection to the caller (who must give it back with Release)
  // or an error if SQLite cannot open one.
  StoreStatus Acquire(std::unique_ptr<SqliteDb>* out);
  void Release(std::unique_ptr<SqliteDb> db);
  // Closes idle connections; later Acquire calls fail with kClosed.
  void Close();

 private:
  const std::string path_;
  const size_t max_idle_;
  const int busy_timeout_ms_;
  std::mutex mu_;
  std::vector<std::unique_ptr<SqliteDb>> idle_;  // guarded by mu_
  bool closed_ = false;                          // guarded by mu_
};

// Borrows a connection for the current scope.
class ReaderLease {
 public:
  explicit ReaderLease(ReaderPool& pool) : pool_(pool) { status_ = pool_.Acquire(&db_); }
  ~ReaderLease() {
    if (db_) pool_.Release(std::move(db_));
  }
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;
  const StoreStatus& status() const { return status_; }
  SqliteDb& db() { return *db_; }

 private:
  ReaderPool& pool_;
  std::unique_ptr<SqliteDb> db_;
  StoreStatus status_;
};

}  // namespace tandem::store
