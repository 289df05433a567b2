#include "store/log_writer.h"

#include <chrono>

#include "store/checksum.h"

namespace tandem::store {

namespace {
int64_t SystemNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

LogWriter::LogWriter(std::unique_ptr<SqliteDb> db, const StoreOptions& options)
    : db_(std::move(db)), options_(options) {}

LogWriter::~LogWriter() {
  if (in_txn_) Rollback();
}

int64_t LogWriter::Now() const { return options_.now_ms ? options_.now_ms() : SystemNowMs(); }

StoreStatus LogWriter::Step(sqlite3_stmt* s, const char* what) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return StoreStatus::Ok();
  return db_->Error(what);
}

StoreStatus LogWriter::Begin() {
  sqlite3_stmt* s;
  StoreStatus st = db_->Prepare("BEGIN IMMEDIATE", &s);
  if (st.ok()) {
    StmtScope scope(s);
    st = Step(s, "begin");
  }
  if (st.ok()) in_txn_ = true;
  return st;
}

StoreStatus LogWriter::Commit() {
  int64_t now = Now();
  for (const std::string& name : touched_) {
    auto it = docs_.find(name);
    if (it == docs_.end() || !it->second.touched) continue;
    sqlite3_stmt* s;
    StoreStatus st =
        db_->Prepare("UPDATE docs SET updated_ms = ?2, last_seq = ?3 WHERE id = ?1", &s);
    if (!st.ok()) return st;
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, it->second.id);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, static_cast<int64_t>(it->second.next_seq - 1));
    st = Step(s, "update docs");
    if (!st.ok()) return st;
  }
  sqlite3_stmt* s;
  StoreStatus st = db_->Prepare("COMMIT", &s);
  if (!st.ok()) return st;
  {
    StmtScope scope(s);
    st = Step(s, "commit");
  }
  if (!st.ok()) return st;
  in_txn_ = false;
  for (const std::string& name : touched_) {
    auto it = docs_.find(name);
    if (it == docs_.end() || !it->second.touched) continue;
    DocState& d = it->second;
    d.touched = false;
    if (!options_.merge) continue;
    if (d.tail_rows >= d.trigger_rows || d.tail_bytes >= d.trigger_bytes) {
      candidates_.push_back(name);
      // Report again only after another threshold's worth of appends, so a
      // document whose compaction fails is not retried on every batch.
      d.trigger_rows = d.tail_rows + options_.compact_after_rows;
      d.trigger_bytes = d.tail_bytes + options_.compact_after_bytes;
    }
  }
  touched_.clear();
  return StoreStatus::Ok();
}

void LogWriter::Rollback() {
  if (in_txn_) db_->Exec("ROLLBACK");
  in_txn_ = false;
  docs_.clear();  // may hold sequence numbers of rolled-back rows
  touched_.clear();
}

std::vector<std::string> LogWriter::TakeCompactionCandidates() {
  std::vector<std::string> out;
  out.swap(candidates_);
  return out;
}

StoreStatus LogWriter::LoadTail(DocState* d) {
  sqlite3_stmt* s;
  StoreStatus st = db_->Prepare(
      "SELECT count(*), coalesce(sum(length(data)), 0), coalesce(max(seq), 0) FROM log "
      "WHERE doc_id = ?1",
      &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  sqlite3_bind_int64(s, 1, d->id);
  if (sqlite3_step(s) != SQLITE_ROW) return db_->Error("log tail");
  d->tail_rows = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
  d->tail_bytes = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
  uint64_t max_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 2));
  if (max_seq + 1 > d->next_seq) d->next_seq = max_seq + 1;
  d->trigger_rows = options_.compact_after_rows;
  d->trigger_bytes = options_.compact_after_bytes;
  return StoreStatus::Ok();
}

StoreStatus LogWriter::Lookup(const std::string& doc, bool create, DocState** state) {
  *state = nullptr;
  auto it = docs_.find(doc);
  if (it != docs_.end()) {
    *state = &it->second;
    return StoreStatus::Ok();
  }
  sqlite3_stmt* s;
  StoreStatus st = db_->Prepare("SELECT id, last_seq FROM docs WHERE name = ?1", &s);
  if (!st.ok()) return st;
  DocState d;
  uint64_t last_seq = 0;
  {
    StmtScope scope(s);
    BindText(s, 1, doc);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      d.id = sqlite3_column_int64(s, 0);
      last_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
    } else if (rc != SQLITE_DONE) {
      return db_->Error("find doc");
    }
  }
  if (d.id == 0) {
    if (!create) return StoreStatus::Ok();
    st = db_->Prepare("INSERT INTO docs(name, created_ms, updated_ms) VALUES(?1, ?2, ?2)", &s);
    if (!st.ok()) return st;
    StmtScope scope(s);
    BindText(s, 1, doc);
    sqlite3_bind_int64(s, 2, Now());
    st = Step(s, "create doc");
    if (!st.ok()) return st;
    d.id = sqlite3_last_insert_rowid(db_->raw());
    d.trigger_rows = options_.compact_after_rows;
    d.trigger_bytes = options_.compact_after_bytes;
  } else {
    // Sequence numbers are never reused: start after the highest one held
    // anywhere (docs.last_seq, log, outbox, or a snapshot covering it).
    st = db_->Prepare(
        "SELECT max(coalesce((SELECT max(upto_seq) FROM snapshots WHERE doc_id = ?1), 0),"
        "           coalesce((SELECT max(seq) FROM outbox WHERE doc_id = ?1), 0), ?2)",
        &s);
    if (!st.ok()) return st;
    {
      StmtScope scope(s);
      sqlite3_bind_int64(s, 1, d.id);
      sqlite3_bind_int64(s, 2, static_cast<int64_t>(last_seq));
      if (sqlite3_step(s) != SQLITE_ROW) return db_->Error("doc seq");
      d.next_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 0)) + 1;
    }
    st = LoadTail(&d);
    if (!st.ok()) return st;
  }
  *state = &docs_.emplace(doc, d).first->second;
  return StoreStatus::Ok();
}

StoreStatus LogWriter::Apply(const WriteOp& op, StoreStatus* op_status, WriteResult* result) {
  *op_status = StoreStatus::Ok();
  switch (op.kind) {
    case WriteOp::Kind::kAppend: return Append(op, result);
    case WriteOp::Kind::kInstallSnapshot: return Install(op, op_status, result);
    case WriteOp::Kind::kDeleteDoc: return DeleteDoc(op, op_status);
    case WriteOp::Kind::kRemoveOutbox: return RemoveOutbox(op, op_status, result);
    case WriteOp::Kind::kDeleteVersion: return DeleteVersion(op, op_status);
    case WriteOp::Kind::kApplyRetention: {
      if (!op.doc.empty()) {
        DocState* d;
        StoreStatus st = Lookup(op.doc, false, &d);
        if (!st.ok()) return st;
        if (d == nullptr) {
          *op_status = StoreStatus::NotFound("document '" + op.doc + "'");
          return StoreStatus::Ok();
        }
        return ApplyRetention(d->id, &result->removed);
      }
      sqlite3_stmt* s;
      StoreStatus st = db_->Prepare("SELECT id FROM docs ORDER BY id", &s);
      if (!st.ok()) return st;
      std::vector<int64_t> ids;
      {
        StmtScope scope(s);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) ids.push_back(sqlite3_column_int64(s, 0));
        if (rc != SQLITE_DONE) return db_->Error("list docs");
      }
      for (int64_t id : ids) {
        st = ApplyRetention(id, &result->removed);
        if (!st.ok()) return st;
      }
      return StoreStatus::Ok();
    }
    case WriteOp::Kind::kBarrier: return StoreStatus::Ok();
  }
  return StoreStatus::Ok();
}

StoreStatus LogWriter::Append(const WriteOp& op, WriteResult* result) {
  DocState* d;
  StoreStatus st = Lookup(op.doc, true, &d);
  if (!st.ok()) return st;
  uint64_t seq = d->next_seq;
  uint32_t crc = RowChecksum(d->id, seq, op.data);
  sqlite3_stmt* s;
  st = db_->Prepare("INSERT INTO log(doc_id, seq, data, crc) VALUES(?1, ?2, ?3, ?4)", &s);
  if (!st.ok()) return st;
  {
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, d->id);
    sqlite3_bind_int64(s, 2, static_cast<int64_t>(seq));
    BindBlob(s, 3, op.data);
    sqlite3_bind_int64(s, 4, crc);
    st = Step(s, "append");
    if (!st.ok()) return st;
  }
  if (op.outbox) {
    st = db_->Prepare("INSERT INTO outbox(doc_id, seq, data, crc) VALUES(?1, ?2, ?3, ?4)", &s);
    if (!st.ok()) return st;
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, d->id);
    sqlite3_bind_int64(s, 2, static_cast<int64_t>(seq));
    BindBlob(s, 3, op.data);
    sqlite3_bind_int64(s, 4, crc);
    st = Step(s, "append outbox");
    if (!st.ok()) return st;
  }
  d->next_seq = seq + 1;
  d->tail_rows += 1;
  d->tail_bytes += op.data.size();
  if (!d->touched) {
    d->touched = true;
    touched_.push_back(op.doc);
  }
  result->seq = seq;
  return StoreStatus::Ok();
}

StoreStatus LogWriter::LatestSnapshot(int64_t doc_id, int64_t* id, uint64_t* upto_seq) {
  sqlite3_stmt* s;
  StoreStatus st = db_->Prepare(
      "SELECT id, upto_seq FROM snapshots WHERE doc_id = ?1 "
      "ORDER BY upto_seq DESC, id DESC LIMIT 1",
      &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  sqlite3_bind_int64(s, 1, doc_id);
  *id = 0;
  *upto_seq = 0;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(s, 0);
    *upto_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
  } else if (rc != SQLITE_DONE) {
    return db_->Error("latest snapshot");
  }
  return StoreStatus::Ok();
}

StoreStatus LogWriter::Install(const WriteOp& op, StoreStatus* op_status, WriteResult* result) {
  DocState* d;
  StoreStatus st = Lookup(op.doc, false, &d);
  if (!st.ok()) return st;
  if (d == nullptr || d->id != op.doc_id) {
    *op_status = StoreStatus::Aborted("document '" + op.doc + "' was deleted during compaction");
    return StoreStatus::Ok();
  }
  int64_t latest_id;
  uint64_t latest_seq;
  st = LatestSnapshot(d->id, &latest_id, &latest_seq);
  if (!st.ok()) return st;
  if (latest_seq != op.base_seq) {
    *op_status = StoreStatus::Aborted("document '" + op.doc +
                                      "': another snapshot was written during compaction");
    return StoreStatus::Ok();
  }
  if (op.seq < op.base_seq || op.seq >= d->next_seq) {
    *op_status = StoreStatus::InvalidArgument("document '" + op.doc + "': snapshot upto_seq " +
                                              std::to_string(op.seq) + " out of range");
    return StoreStatus::Ok();
  }
  sqlite3_stmt* s;
  st = db_->Prepare(
      "INSERT INTO snapshots(doc_id, upto_seq, data, crc, created_ms, label) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
      &s);
  if (!st.ok()) return st;
  {
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, d->id);
    sqlite3_bind_int64(s, 2, static_cast<int64_t>(op.seq));
    BindBlob(s, 3, op.data);
    sqlite3_bind_int64(s, 4, RowChecksum(d->id, op.seq, op.data));
    sqlite3_bind_int64(s, 5, Now());
    if (op.label) BindText(s, 6, *op.label);
    st = Step(s, "insert snapshot");
    if (!st.ok()) return st;
  }
  result->snapshot_id = sqlite3_last_insert_rowid(db_->raw());
  st = db_->Prepare("DELETE FROM log WHERE doc_id = ?1 AND seq <= ?2", &s);
  if (!st.ok()) return st;
  {
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, d->id);
    sqlite3_bind_int64(s, 2, static_cast<int64_t>(op.seq));
    st = Step(s, "delete covered log");
    if (!st.ok()) return st;
  }
  st = db_->Prepare(
      "DELETE FROM snapshots WHERE doc_id = ?1 AND id <> ?2 AND label IS NULL", &s);
  if (!st.ok()) return st;
  {
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, d->id);
    sqlite3_bind_int64(s, 2, result->snapshot_id);
    st = Step(s, "delete old snapshots");
    if (!st.ok()) return st;
  }
  uint64_t removed = 0;
  st = ApplyRetention(d->id, &removed);
  if (!st.ok()) return st;
  st = LoadTail(d);
  if (!st.ok()) return st;
  if (!d->touched) {
    d->touched = true;
    touched_.push_back(op.doc);
  }
  return StoreStatus::Ok();
}

StoreStatus LogWriter::ApplyRetention(int64_t doc_id, uint64_t* removed) {
  const RetentionPolicy& r = options_.retention;
  if (r.max_versions == 0 && r.max_age_ms == 0) return StoreStatus::Ok();
  int64_t latest_id;
  uint64_t latest_seq;
  StoreStatus st = LatestSnapshot(doc_id, &latest_id, &latest_seq);
  if (!st.ok()) return st;
  sqlite3_stmt* s;
  if (r.max_versions > 0) {
    st = db_->Prepare(
        "DELETE FROM snapshots WHERE doc_id = ?1 AND label IS NOT NULL AND id <> ?2 AND id NOT IN "
        "(SELECT id FROM snapshots WHERE doc_id = ?1 AND label IS NOT NULL "
        " ORDER BY id DESC LIMIT ?3)",
        &s);
    if (!st.ok()) return st;
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, doc_id);
    sqlite3_bind_int64(s, 2, latest_id);
    sqlite3_bind_int64(s, 3, r.max_versions);
    st = Step(s, "retention (count)");
    if (!st.ok()) return st;
    *removed += static_cast<uint64_t>(sqlite3_changes(db_->raw()));
  }
  if (r.max_age_ms > 0) {
    st = db_->Prepare(
        "DELETE FROM snapshots WHERE doc_id = ?1 AND label IS NOT NULL AND id <> ?2 "
        "AND created_ms < ?3",
        &s);
    if (!st.ok()) return st;
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, doc_id);
    sqlite3_bind_int64(s, 2, latest_id);
    sqlite3_bind_int64(s, 3, Now() - r.max_age_ms);
    st = Step(s, "retention (age)");
    if (!st.ok()) return st;
    *removed += static_cast<uint64_t>(sqlite3_changes(db_->raw()));
  }
  return StoreStatus::Ok();
}

StoreStatus LogWriter::DeleteDoc(const WriteOp& op, StoreStatus* op_status) {
  DocState* d;
  StoreStatus st = Lookup(op.doc, false, &d);
  if (!st.ok()) return st;
  if (d == nullptr) {
    *op_status = StoreStatus::NotFound("document '" + op.doc + "'");
    return StoreStatus::Ok();
  }
  static const char* const kDeletes[] = {
      "DELETE FROM log WHERE doc_id = ?1",
      "DELETE FROM outbox WHERE doc_id = ?1",
      "DELETE FROM snapshots WHERE doc_id = ?1",
      "DELETE FROM docs WHERE id = ?1",
  };
  for (const char* sql : kDeletes) {
    sqlite3_stmt* s;
    st = db_->Prepare(sql, &s);
    if (!st.ok()) return st;
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, d->id);
    st = Step(s, "delete doc");
    if (!st.ok()) return st;
  }
  docs_.erase(op.doc);
  return StoreStatus::Ok();
}

StoreStatus LogWriter::RemoveOutbox(const WriteOp& op, StoreStatus* op_status,
                                    WriteResult* result) {
  DocState* d;
  StoreStatus st = Lookup(op.doc, false, &d);
  if (!st.ok()) return st;
  if (d == nullptr) {
    *op_status = StoreStatus::NotFound("document '" + op.doc + "'");
    return StoreStatus::Ok();
  }
  sqlite3_stmt* s;
  st = db_->Prepare("DELETE FROM outbox WHERE doc_id = ?1 AND seq <= ?2", &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  sqlite3_bind_int64(s, 1, d->id);
  sqlite3_bind_int64(s, 2, static_cast<int64_t>(op.seq));
  st = Step(s, "ack outbox");
  if (!st.ok()) return st;
  result->removed = static_cast<uint64_t>(sqlite3_changes(db_->raw()));
  return StoreStatus::Ok();
}

StoreStatus LogWriter::DeleteVersion(const WriteOp& op, StoreStatus* op_status) {
  DocState* d;
  StoreStatus st = Lookup(op.doc, false, &d);
  if (!st.ok()) return st;
  if (d == nullptr) {
    *op_status = StoreStatus::NotFound("document '" + op.doc + "'");
    return StoreStatus::Ok();
  }
  int64_t latest_id;
  uint64_t latest_seq;
  st = LatestSnapshot(d->id, &latest_id, &latest_seq);
  if (!st.ok()) return st;
  sqlite3_stmt* s;
  // The latest snapshot is what loads read: drop only its label.
  st = db_->Prepare(op.id == latest_id
                        ? "UPDATE snapshots SET label = NULL WHERE id = ?1 AND doc_id = ?2 "
                          "AND label IS NOT NULL"
                        : "DELETE FROM snapshots WHERE id = ?1 AND doc_id = ?2 AND label IS NOT NULL",
                    &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  sqlite3_bind_int64(s, 1, op.id);
  sqlite3_bind_int64(s, 2, d->id);
  st = Step(s, "delete version");
  if (!st.ok()) return st;
  if (sqlite3_changes(db_->raw()) == 0) {
    *op_status = StoreStatus::NotFound("document '" + op.doc + "': version " +
                                       std::to_string(op.id));
  }
  return StoreStatus::Ok();
}

}  // namespace tandem::store
