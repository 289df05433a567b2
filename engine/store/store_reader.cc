#include "store/store_reader.h"

#include <algorithm>
#include <cstdio>

#include "store/checksum.h"

namespace tandem::store {

namespace {

// Holds a read transaction open so several SELECTs see one state.
class ReadTxn {
 public:
  explicit ReadTxn(SqliteDb& db) : db_(db) { status_ = db_.Exec("BEGIN"); }
  ~ReadTxn() {
    if (status_.ok()) db_.Exec("COMMIT");
  }
  const StoreStatus& status() const { return status_; }

 private:
  SqliteDb& db_;
  StoreStatus status_;
};

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string DocContext(std::string_view doc) { return "document '" + std::string(doc) + "'"; }

StoreStatus VerifyRow(std::string_view doc, const char* kind, int64_t doc_id, uint64_t seq,
                      std::string_view data, int64_t stored) {
  uint32_t computed = RowChecksum(doc_id, seq, data);
  if (stored >= 0 && stored <= 0xFFFFFFFFll && static_cast<uint32_t>(stored) == computed) {
    return StoreStatus::Ok();
  }
  return StoreStatus::Corrupt(DocContext(doc) + ": " + kind + " " + std::to_string(seq) +
                              ": checksum mismatch (stored " +
                              Hex32(static_cast<uint32_t>(stored)) + ", computed " +
                              Hex32(computed) + ")");
}

// Finds the document id (and the last seq assigned); kNotFound if absent.
StoreStatus FindDoc(SqliteDb& db, std::string_view doc, int64_t* id, uint64_t* last_seq = nullptr) {
  sqlite3_stmt* s;
  StoreStatus st = db.Prepare("SELECT id, last_seq FROM docs WHERE name = ?1", &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  BindText(s, 1, doc);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(s, 0);
    if (last_seq != nullptr) *last_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
    return StoreStatus::Ok();
  }
  if (rc == SQLITE_DONE) return StoreStatus::NotFound(DocContext(doc));
  return db.Error("find document");
}

// Reads the snapshot row the statement is positioned on (columns: id,
// upto_seq, data, crc, label, created_ms) and verifies it.
StoreStatus TakeSnapshotRow(sqlite3_stmt* s, std::string_view doc, int64_t doc_id,
                            SnapshotRecord* out) {
  out->id = sqlite3_column_int64(s, 0);
  out->upto_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
  std::string_view data = ColumnBlob(s, 2);
  int64_t crc = sqlite3_column_int64(s, 3);
  if (sqlite3_column_type(s, 4) == SQLITE_NULL) {
    out->label.reset();
  } else {
    out->label = ColumnText(s, 4);
  }
  out->created_ms = sqlite3_column_int64(s, 5);
  uint32_t computed = RowChecksum(doc_id, out->upto_seq, data);
  if (crc < 0 || crc > 0xFFFFFFFFll || static_cast<uint32_t>(crc) != computed) {
    return StoreStatus::Corrupt(DocContext(doc) + ": snapshot id " + std::to_string(out->id) +
                                " (upto seq " + std::to_string(out->upto_seq) +
                                "): checksum mismatch (stored " +
                                Hex32(static_cast<uint32_t>(crc)) + ", computed " +
                                Hex32(computed) + ")");
  }
  out->data.assign(data);
  return StoreStatus::Ok();
}

StoreStatus ReadRows(SqliteDb& db, sqlite3_stmt* s, std::string_view doc, const char* kind,
                     int64_t doc_id, std::vector<LogEntry>* out) {
  int rc;
  uint64_t prev = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    uint64_t seq = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
    std::string_view data = ColumnBlob(s, 1);
    StoreStatus st = VerifyRow(doc, kind, doc_id, seq, data, sqlite3_column_int64(s, 2));
    if (!st.ok()) return st;
    if (seq <= prev) {
      return StoreStatus::Corrupt(DocContext(doc) + ": " + kind + " " + std::to_string(seq) +
                                  " out of order");
    }
    prev = seq;
    out->push_back(LogEntry{seq, std::string(data)});
  }
  if (rc != SQLITE_DONE) return db.Error(kind).Prefixed(DocContext(doc));
  return StoreStatus::Ok();
}

}  // namespace

StoreStatus ReadDocRecord(SqliteDb& db, std::string_view doc, DocRecord* out) {
  ReadTxn txn(db);
  if (!txn.status().ok()) return txn.status();
  DocRecord rec;
  rec.name.assign(doc);
  uint64_t last_seq = 0;
  StoreStatus st = FindDoc(db, doc, &rec.doc_id, &last_seq);
  if (!st.ok()) return st;
  sqlite3_stmt* s;
  st = db.Prepare(
      "SELECT id, upto_seq, data, crc, label, created_ms FROM snapshots WHERE doc_id = ?1 "
      "ORDER BY upto_seq DESC, id DESC LIMIT 1",
      &s);
  if (!st.ok()) return st;
  uint64_t after = 0;
  {
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, rec.doc_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      rec.snapshot.emplace();
      st = TakeSnapshotRow(s, doc, rec.doc_id, &*rec.snapshot);
      if (!st.ok()) return st;
      after = rec.snapshot->upto_seq;
    } else if (rc != SQLITE_DONE) {
      return db.Error("read snapshot").Prefixed(DocContext(doc));
    }
  }
  st = db.Prepare("SELECT seq, data, crc FROM log WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq", &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  sqlite3_bind_int64(s, 1, rec.doc_id);
  sqlite3_bind_int64(s, 2, static_cast<int64_t>(after));
  st = ReadRows(db, s, doc, "log row seq", rec.doc_id, &rec.log);
  if (!st.ok()) return st;
  // The tail is exactly after+1 .. last_seq: appends take consecutive seqs
  // and only compaction removes rows (a prefix). A gap is a lost row.
  uint64_t expect = after + 1;
  for (const LogEntry& e : rec.log) {
    if (e.seq != expect) break;
    ++expect;
  }
  if (expect != last_seq + 1 && !(rec.log.empty() && last_seq <= after)) {
    return StoreStatus::Corrupt(DocContext(doc) + ": log row seq " + std::to_string(expect) +
                                " is missing (log tail should cover " + std::to_string(after + 1) +
                                ".." + std::to_string(last_seq) + ")");
  }
  *out = std::move(rec);
  return StoreStatus::Ok();
}

StoreStatus ReadSnapshot(SqliteDb& db, std::string_view doc, int64_t id, SnapshotRecord* out) {
  ReadTxn txn(db);
  if (!txn.status().ok()) return txn.status();
  int64_t doc_id = 0;
  StoreStatus st = FindDoc(db, doc, &doc_id);
  if (!st.ok()) return st;
  sqlite3_stmt* s;
  st = db.Prepare(
      "SELECT id, upto_seq, data, crc, label, created_ms FROM snapshots "
      "WHERE doc_id = ?1 AND id = ?2",
      &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  sqlite3_bind_int64(s, 1, doc_id);
  sqlite3_bind_int64(s, 2, id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) {
    return StoreStatus::NotFound(DocContext(doc) + ": version " + std::to_string(id));
  }
  if (rc != SQLITE_ROW) return db.Error("read version").Prefixed(DocContext(doc));
  SnapshotRecord rec;
  st = TakeSnapshotRow(s, doc, doc_id, &rec);
  if (!st.ok()) return st;
  *out = std::move(rec);
  return StoreStatus::Ok();
}

StoreStatus ReadVersionList(SqliteDb& db, std::string_view doc, std::vector<VersionInfo>* out) {
  ReadTxn txn(db);
  if (!txn.status().ok()) return txn.status();
  int64_t doc_id = 0;
  StoreStatus st = FindDoc(db, doc, &doc_id);
  if (!st.ok()) return st;
  sqlite3_stmt* s;
  st = db.Prepare(
      "SELECT id, label, created_ms, upto_seq, length(data) FROM snapshots "
      "WHERE doc_id = ?1 AND label IS NOT NULL ORDER BY id",
      &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  sqlite3_bind_int64(s, 1, doc_id);
  std::vector<VersionInfo> list;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    VersionInfo v;
    v.id = sqlite3_column_int64(s, 0);
    v.label = ColumnText(s, 1);
    v.created_ms = sqlite3_column_int64(s, 2);
    v.upto_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 3));
    v.bytes = static_cast<uint64_t>(sqlite3_column_int64(s, 4));
    list.push_back(std::move(v));
  }
  if (rc != SQLITE_DONE) return db.Error("list versions").Prefixed(DocContext(doc));
  *out = std::move(list);
  return StoreStatus::Ok();
}

StoreStatus ReadOutbox(SqliteDb& db, std::string_view doc, std::vector<LogEntry>* out) {
  ReadTxn txn(db);
  if (!txn.status().ok()) return txn.status();
  int64_t doc_id = 0;
  StoreStatus st = FindDoc(db, doc, &doc_id);
  if (!st.ok()) return st;
  sqlite3_stmt* s;
  st = db.Prepare("SELECT seq, data, crc FROM outbox WHERE doc_id = ?1 ORDER BY seq", &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  sqlite3_bind_int64(s, 1, doc_id);
  std::vector<LogEntry> rows;
  st = ReadRows(db, s, doc, "outbox row seq", doc_id, &rows);
  if (!st.ok()) return st;
  *out = std::move(rows);
  return StoreStatus::Ok();
}

StoreStatus ReadOutboxDocs(SqliteDb& db, std::vector<std::string>* out) {
  sqlite3_stmt* s;
  StoreStatus st = db.Prepare(
      "SELECT name FROM docs d WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.doc_id = d.id) "
      "ORDER BY name",
      &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  std::vector<std::string> names;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) names.push_back(ColumnText(s, 0));
  if (rc != SQLITE_DONE) return db.Error("list outbox documents");
  *out = std::move(names);
  return StoreStatus::Ok();
}

StoreStatus ReadDocNames(SqliteDb& db, std::vector<std::string>* out) {
  sqlite3_stmt* s;
  StoreStatus st = db.Prepare("SELECT name FROM docs ORDER BY name", &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  std::vector<std::string> names;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) names.push_back(ColumnText(s, 0));
  if (rc != SQLITE_DONE) return db.Error("list documents");
  *out = std::move(names);
  return StoreStatus::Ok();
}

namespace {

const char* const kDocInfoSql =
    "SELECT d.id, d.name, d.created_ms, d.updated_ms,"
    " (SELECT count(*) FROM log l WHERE l.doc_id = d.id),"
    " (SELECT coalesce(sum(length(l.data)), 0) FROM log l WHERE l.doc_id = d.id),"
    " (SELECT coalesce(max(l.seq), 0) FROM log l WHERE l.doc_id = d.id),"
    " (SELECT coalesce(max(s.upto_seq), 0) FROM snapshots s WHERE s.doc_id = d.id),"
    " (SELECT coalesce(sum(length(s.data)), 0) FROM snapshots s WHERE s.doc_id = d.id),"
    " (SELECT count(*) FROM snapshots s WHERE s.doc_id = d.id AND s.label IS NOT NULL),"
    " (SELECT count(*) FROM outbox o WHERE o.doc_id = d.id),"
    " (SELECT coalesce(sum(length(o.data)), 0) FROM outbox o WHERE o.doc_id = d.id),"
    " (SELECT coalesce(max(o.seq), 0) FROM outbox o WHERE o.doc_id = d.id)"
    " FROM docs d WHERE ?1 IS NULL OR d.name = ?1 ORDER BY d.name";

DocInfo TakeDocInfo(sqlite3_stmt* s) {
  auto u = [s](int col) { return static_cast<uint64_t>(sqlite3_column_int64(s, col)); };
  DocInfo info;
  info.doc_id = sqlite3_column_int64(s, 0);
  info.name = ColumnText(s, 1);
  info.created_ms = sqlite3_column_int64(s, 2);
  info.updated_ms = sqlite3_column_int64(s, 3);
  info.log_rows = u(4);
  info.log_bytes = u(5);
  info.snapshot_seq = u(7);
  info.snapshot_bytes = u(8);
  info.versions = u(9);
  info.outbox_rows = u(10);
  info.outbox_bytes = u(11);
  info.last_seq = std::max({u(6), u(7), u(12)});
  return info;
}

StoreStatus ReadInfos(SqliteDb& db, const std::string* doc, std::vector<DocInfo>* out) {
  sqlite3_stmt* s;
  StoreStatus st = db.Prepare(kDocInfoSql, &s);
  if (!st.ok()) return st;
  StmtScope scope(s);
  if (doc != nullptr) BindText(s, 1, *doc);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) out->push_back(TakeDocInfo(s));
  if (rc != SQLITE_DONE) return db.Error("document info");
  return StoreStatus::Ok();
}

}  // namespace

StoreStatus ReadDocInfo(SqliteDb& db, std::string_view doc, DocInfo* out) {
  ReadTxn txn(db);
  if (!txn.status().ok()) return txn.status();
  std::vector<DocInfo> infos;
  std::string name(doc);
  StoreStatus st = ReadInfos(db, &name, &infos);
  if (!st.ok()) return st.Prefixed(DocContext(doc));
  if (infos.empty()) return StoreStatus::NotFound(DocContext(doc));
  *out = std::move(infos.front());
  return StoreStatus::Ok();
}

StoreStatus ReadStoreInfo(SqliteDb& db, StoreInfo* out) {
  ReadTxn txn(db);
  if (!txn.status().ok()) return txn.status();
  StoreInfo info;
  info.path = db.path();
  int64_t version = 0, pages = 0, page_size = 0, free_pages = 0;
  StoreStatus st = db.QueryInt("PRAGMA user_version", &version);
  if (st.ok()) st = db.QueryInt("PRAGMA page_count", &pages);
  if (st.ok()) st = db.QueryInt("PRAGMA page_size", &page_size);
  if (st.ok()) st = db.QueryInt("PRAGMA freelist_count", &free_pages);
  if (st.ok()) st = ReadInfos(db, nullptr, &info.docs);
  if (!st.ok()) return st;
  info.schema_version = static_cast<int>(version);
  info.file_bytes = static_cast<uint64_t>(pages * page_size);
  info.free_bytes = static_cast<uint64_t>(free_pages * page_size);
  *out = std::move(info);
  return StoreStatus::Ok();
}

}  // namespace tandem::store
