// inspect: the human-readable listing of a store file, as `tandem inspect DB`
// will print it. Pure formatting of LogStore::Inspect's StoreInfo.
#pragma once

#include <string>

#include "store/records.h"

namespace tandem::store {

// One header block (path, schema version, file and free bytes) and then one
// line per document: name, last seq, log rows/bytes, snapshot seq/bytes,
// named versions, outbox rows, total bytes, last change (UTC, ISO 8601).
std::string FormatStoreInfo(const StoreInfo& info);

}  // namespace tandem::store
