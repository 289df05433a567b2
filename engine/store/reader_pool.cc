#include "store/reader_pool.h"

namespace tandem::store {

StoreStatus ReaderPool::Acquire(std::unique_ptr<SqliteDb>* out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return StoreStatus::Closed("store is closed");
    if (!idle_.empty()) {
      *out = std::move(idle_.back());
      idle_.pop_back();
      return StoreStatus::Ok();
    }
  }
  std::unique_ptr<SqliteDb> db;
  StoreStatus st = SqliteDb::Open(path_, SQLITE_OPEN_READWRITE, &db, busy_timeout_ms_);
  if (st.ok()) st = db->Exec("PRAGMA query_only = 1");
  if (!st.ok()) return st;
  *out = std::move(db);
  return StoreStatus::Ok();
}

void ReaderPool::Release(std::unique_ptr<SqliteDb> db) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || idle_.size() >= max_idle_) return;  // db closes here
  idle_.push_back(std::move(db));
}

void ReaderPool::Close() {
  std::vector<std::unique_ptr<SqliteDb>> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    idle.swap(idle_);
  }
}

}  // namespace tandem::store
