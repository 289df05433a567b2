// doc_loader: stored bytes <-> core replicas: tandem::Doc (the document
// model, what servers and clients store) and tandem::Text (a lone text).
//
// The thin layer between the bytes-level LogStore and the core. Loading a
// document = DecodeSnapshot(latest snapshot) (or an empty replica) and
// then ApplyUpdate(each log row after it) in seq order. Compaction's merge
// function does the same and returns EncodeSnapshot(). A store holds one
// kind: open it with OpenDocStore or OpenTextStore and load with the
// matching function.
//
// A failed load is always an error naming the document and the row; it never
// yields an empty document. kNotFound means the document does not exist:
// only then may a caller create a fresh empty one.
//
// Threading: the functions are thread-safe; each Text they make belongs to
// the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/doc.h"
#include "core/status.h"
#include "core/text.h"
#include "store/log_store.h"
#include "store/records.h"
#include "store/store_options.h"

namespace tandem::store {

// The local peer id of the throw-away replicas the merge function builds
// (they never edit, so the id never appears in any operation).
inline constexpr PeerId kMergePeer = 0x7A11D0C5708Eull;

// A core error as a StoreStatus (kCorrupt for undecodable bytes, ...),
// prefixed with `context`.
StoreStatus FromCoreStatus(const Status& status, const std::string& context);

// Builds the document held by `record` as a replica edited by `peer`.
// Errors: kCorrupt naming the snapshot id or log row the core refused.
StoreStatus LoadText(const DocRecord& record, PeerId peer, std::unique_ptr<Text>* out,
                     TextLimits limits = {});
// Reads `doc` from the store and loads it (see LogStore::ReadDoc for errors).
StoreStatus LoadText(LogStore& store, std::string_view doc, PeerId peer,
                     std::unique_ptr<Text>* out, TextLimits limits = {});
// Loads the document as of named version `version_id`.
StoreStatus LoadTextVersion(LogStore& store, std::string_view doc, int64_t version_id,
                            PeerId peer, std::unique_ptr<Text>* out, TextLimits limits = {});

// The MergeFn for Text documents (set StoreOptions::merge to it).
MergeFn TextMergeFn(TextLimits limits = {});

// The same for tandem::Doc documents.
StoreStatus LoadDoc(const DocRecord& record, PeerId peer, std::unique_ptr<Doc>* out,
                    DocLimits limits = {});
StoreStatus LoadDoc(LogStore& store, std::string_view doc, PeerId peer, std::unique_ptr<Doc>* out,
                    DocLimits limits = {});
StoreStatus LoadDocVersion(LogStore& store, std::string_view doc, int64_t version_id, PeerId peer,
                           std::unique_ptr<Doc>* out, DocLimits limits = {});
MergeFn DocMergeFn(DocLimits limits = {});
// LogStore::Open with options.merge = DocMergeFn() unless one is set.
StoreStatus OpenDocStore(const std::string& path, StoreOptions options,
                         std::unique_ptr<LogStore>* out);

// LogStore::Open with options.merge = TextMergeFn() unless one is set.
StoreStatus OpenTextStore(const std::string& path, StoreOptions options,
                          std::unique_ptr<LogStore>* out);

}  // namespace tandem::store
