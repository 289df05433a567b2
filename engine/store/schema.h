// The on-disk schema of a store file and its forward migrations.
//
// A store file is an SQLite database whose header carries
//   PRAGMA application_id = kApplicationId   (marks it as a Tandem store)
//   PRAGMA user_version   = schema version   (1 .. kSchemaVersion)
// docs/persistence.md describes every table and column. Migrations only go
// forward, run in one transaction, and are never applied to a file from a
// newer build: such a file is refused and left untouched.
#pragma once

#include <cstdint>

#include "store/sqlite_db.h"
#include "store/store_status.h"

namespace tandem::store {

// The schema version this build writes.
//   1: docs(id, name, created_ms); log; snapshots(id, doc_id, upto_seq, data, crc, created_ms)
//   2: docs.updated_ms, docs.last_seq; snapshots.label (named versions); outbox (client offline cache)
inline constexpr int kSchemaVersion = 2;
inline constexpr int32_t kApplicationId = 0x546E6431;  // "Tnd1"

// Reads the header of an open file without writing anything. Sets *version
// to 0 for an empty (new) file. Errors: kUnsupported if the file is from a
// newer schema version or is some other application's database; kCorrupt /
// kIoError if SQLite cannot read it.
StoreStatus CheckSchema(SqliteDb& db, int* version);

// Creates or migrates the schema to `target` (1 .. kSchemaVersion) in one
// IMMEDIATE transaction; a no-op if the file is already there. Refuses
// (kUnsupported, nothing written) if the file is newer than `target`.
// Tests pass target = 1 to build a file as an old build would have.
StoreStatus MigrateSchema(SqliteDb& db, int target = kSchemaVersion);

}  // namespace tandem::store
