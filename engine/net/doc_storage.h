// DocStorage: how the server core loads and persists documents.
//
// The core is sans-I/O, so storage is asynchronous behind this interface:
// the core asks, and the owner of the storage later calls the completion on
// the core's thread (never from inside Load/Append themselves, so the core
// is never re-entered). StoreDocStorage (store_storage.h) runs on the SQLite
// LogStore; MemoryDocStorage (memory_storage.h) keeps everything in memory.
//
// Ordering: the completions of one document's Appends are called in the
// order the Appends were made. An Append completion with Ok means durable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/op_id.h"
#include "net/document.h"
#include "store/store_status.h"

namespace tandem::net {

struct LoadedDocument {
  std::unique_ptr<Document> doc;
  // Identity of the stored document: changes when the storage is reset or
  // the document is deleted and made again. 0 = not stored yet.
  uint64_t epoch = 0;
};

class DocStorage {
 public:
  using LoadDone = std::function<void(const store::StoreStatus&, LoadedDocument)>;
  using AppendDone = std::function<void(const store::StoreStatus&)>;

  virtual ~DocStorage() = default;
  // Loads `name` as a replica edited by `peer`; a missing document loads
  // empty (epoch 0). An error is never an empty document.
  virtual void Load(const std::string& name, PeerId peer, LoadDone done) = 0;
  // Stores one update of `name`; `done` after it is durable (or failed).
  virtual void Append(const std::string& name, std::string update, AppendDone done) = 0;
};

}  // namespace tandem::net
