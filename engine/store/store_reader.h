// Read queries over one connection: document loads, versions, listings,
// size accounting, the outbox. Every payload row's checksum is verified.
//
// Internal to engine/store; LogStore calls these with a connection borrowed
// from its ReaderPool. Each function reads inside one read transaction, so it
// sees one consistent state of the file (WAL snapshot isolation) while the
// store thread keeps committing.
//
// Errors name the document and row: e.g. "corrupt: document 'notes': log row
// seq 17: checksum mismatch (stored 0x1234abcd, computed 0x00ff00ff)".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/records.h"
#include "store/sqlite_db.h"
#include "store/store_status.h"

namespace tandem::store {

// Latest snapshot + log tail. kNotFound if the document does not exist.
StoreStatus ReadDocRecord(SqliteDb& db, std::string_view doc, DocRecord* out);
// One retained snapshot by id (a named version, or the latest snapshot).
StoreStatus ReadSnapshot(SqliteDb& db, std::string_view doc, int64_t id, SnapshotRecord* out);
// Named versions of a document, oldest first.
StoreStatus ReadVersionList(SqliteDb& db, std::string_view doc, std::vector<VersionInfo>* out);
// Un-acked rows of the client outbox, ascending seq.
StoreStatus ReadOutbox(SqliteDb& db, std::string_view doc, std::vector<LogEntry>* out);
// Names of documents that have outbox rows.
StoreStatus ReadOutboxDocs(SqliteDb& db, std::vector<std::string>* out);
// All document names, sorted.
StoreStatus ReadDocNames(SqliteDb& db, std::vector<std::string>* out);
// Size accounting of one document (kNotFound if absent), or of all.
StoreStatus ReadDocInfo(SqliteDb& db, std::string_view doc, DocInfo* out);
StoreStatus ReadStoreInfo(SqliteDb& db, StoreInfo* out);

}  // namespace tandem::store
