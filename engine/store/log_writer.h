// LogWriter: executes WriteOps on the store's single write connection.
//
// Internal to engine/store; used only by the store thread (CommitQueue).
// Caches, per document, its id, next sequence number and the size of its log
// tail, so an append costs one INSERT. The cache is dropped on rollback and
// rebuilt from the file on next use, so it never disagrees with the file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store_options.h"
#include "store/write_op.h"

namespace tandem::store {

class LogWriter {
 public:
  LogWriter(std::unique_ptr<SqliteDb> db, const StoreOptions& options);
  ~LogWriter();

  // Opens the batch's write transaction.
  StoreStatus Begin();
  // Applies `op` inside the open transaction. An error in *op_status (bad
  // argument, document missing, compaction race) means this op changed
  // nothing and the transaction is still usable. An error returned by Apply
  // itself (SQLite failed) means the whole batch must be rolled back.
  StoreStatus Apply(const WriteOp& op, StoreStatus* op_status, WriteResult* result);
  // Records last-change times and commits; durable per the sync mode when it
  // returns Ok. On error the caller must call Rollback().
  StoreStatus Commit();
  void Rollback();
  // Documents whose log tail reached a compaction threshold in batches
  // committed since the last call. Each crossing is reported once.
  std::vector<std::string> TakeCompactionCandidates();

 private:
  struct DocState {
    int64_t id = 0;
    uint64_t next_seq = 1;
    uint64_t tail_rows = 0;
    uint64_t tail_bytes = 0;
    uint64_t trigger_rows = 0;
    uint64_t trigger_bytes = 0;
    bool touched = false;
  };

  // Finds the document's state, loading it from the file; creates the
  // document if `create`. *state is null (and Ok returned) if absent.
  StoreStatus Lookup(const std::string& doc, bool create, DocState** state);
  StoreStatus LoadTail(DocState* st);
  StoreStatus Append(const WriteOp& op, WriteResult* result);
  StoreStatus Install(const WriteOp& op, StoreStatus* op_status, WriteResult* result);
  StoreStatus DeleteDoc(const WriteOp& op, StoreStatus* op_status);
  StoreStatus RemoveOutbox(const WriteOp& op, StoreStatus* op_status, WriteResult* result);
  StoreStatus DeleteVersion(const WriteOp& op, StoreStatus* op_status);
  StoreStatus ApplyRetention(int64_t doc_id, uint64_t* removed);
  StoreStatus LatestSnapshot(int64_t doc_id, int64_t* id, uint64_t* upto_seq);
  StoreStatus Step(sqlite3_stmt* s, const char* what);
  int64_t Now() const;

  std::unique_ptr<SqliteDb> db_;
  StoreOptions options_;
  std::unordered_map<std::string, DocState> docs_;
  std::vector<std::string> touched_;
  std::vector<std::string> candidates_;
  bool in_txn_ = false;
};

}  // namespace tandem::store
