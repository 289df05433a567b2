#include "store/schema.h"

#include <string>

namespace tandem::store {

namespace {

// Migration i takes a file from version i to version i + 1. Never edit a
// shipped entry: add a new one and bump kSchemaVersion.
const char* const kMigrations[] = {
    // 0 -> 1: the first schema.
    "CREATE TABLE docs("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE log("
    "  doc_id INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  crc INTEGER NOT NULL,"
    "  PRIMARY KEY(doc_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE snapshots("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  doc_id INTEGER NOT NULL,"
    "  upto_seq INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  crc INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE INDEX snapshots_by_doc ON snapshots(doc_id, upto_seq);",

    // 1 -> 2: last-change time, last assigned seq (lets loads detect lost
    // rows), named versions, the client outbox.
    "ALTER TABLE docs ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE docs ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;"
    "UPDATE docs SET updated_ms = max(created_ms,"
    "  coalesce((SELECT max(created_ms) FROM snapshots s WHERE s.doc_id = docs.id), 0)),"
    "  last_seq = max(coalesce((SELECT max(seq) FROM log l WHERE l.doc_id = docs.id), 0),"
    "  coalesce((SELECT max(upto_seq) FROM snapshots s WHERE s.doc_id = docs.id), 0));"
    "ALTER TABLE snapshots ADD COLUMN label TEXT;"
    "CREATE TABLE outbox("
    "  doc_id INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  crc INTEGER NOT NULL,"
    "  PRIMARY KEY(doc_id, seq)) WITHOUT ROWID;",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);

StoreStatus ReadHeader(SqliteDb& db, int64_t* app_id, int64_t* version, int64_t* objects) {
  StoreStatus st = db.QueryInt("PRAGMA application_id", app_id);
  if (st.ok()) st = db.QueryInt("PRAGMA user_version", version);
  if (st.ok()) st = db.QueryInt("SELECT count(*) FROM sqlite_schema", objects);
  return st.Prefixed("reading header of '" + db.path() + "'");
}

StoreStatus Classify(const SqliteDb& db, int64_t app_id, int64_t version, int64_t objects,
                     int target) {
  if (app_id != kApplicationId) {
    if (app_id == 0 && version == 0 && objects == 0) return StoreStatus::Ok();  // empty file
    return StoreStatus::Unsupported("'" + db.path() + "' is not a Tandem store (application_id " +
                                    std::to_string(app_id) + ")");
  }
  if (version > target) {
    return StoreStatus::Unsupported("'" + db.path() + "' has schema version " +
                                    std::to_string(version) + ", newer than this build's " +
                                    std::to_string(target) + "; refusing to open it");
  }
  if (version < 1) {
    return StoreStatus::Corrupt("'" + db.path() + "' has a Tandem application_id but schema version " +
                                std::to_string(version));
  }
  return StoreStatus::Ok();
}

}  // namespace

StoreStatus CheckSchema(SqliteDb& db, int* version) {
  int64_t app_id = 0, v = 0, objects = 0;
  StoreStatus st = ReadHeader(db, &app_id, &v, &objects);
  if (!st.ok()) return st;
  st = Classify(db, app_id, v, objects, kSchemaVersion);
  if (!st.ok()) return st;
  *version = static_cast<int>(v);
  return StoreStatus::Ok();
}

StoreStatus MigrateSchema(SqliteDb& db, int target) {
  if (target < 1 || target > kSchemaVersion) {
    return StoreStatus::InvalidArgument("schema target " + std::to_string(target));
  }
  StoreStatus st = db.Exec("BEGIN IMMEDIATE");
  if (!st.ok()) return st.Prefixed("migrate '" + db.path() + "'");
  // Re-read inside the write transaction: another process may have migrated.
  int64_t app_id = 0, version = 0, objects = 0;
  st = ReadHeader(db, &app_id, &version, &objects);
  if (st.ok()) st = Classify(db, app_id, version, objects, target);
  for (int64_t v = version; st.ok() && v < target; ++v) {
    st = db.Exec(kMigrations[v]).Prefixed("migration " + std::to_string(v) + "->" +
                                          std::to_string(v + 1));
  }
  if (st.ok() && version < target) {
    std::string pragmas = "PRAGMA application_id = " + std::to_string(kApplicationId) +
                          "; PRAGMA user_version = " + std::to_string(target) + ";";
    st = db.Exec(pragmas.c_str());
  }
  if (st.ok()) st = db.Exec("COMMIT");
  if (!st.ok()) {
    db.Exec("ROLLBACK");
    return st.Prefixed("migrate '" + db.path() + "'");
  }
  return StoreStatus::Ok();
}

}  // namespace tandem::store
