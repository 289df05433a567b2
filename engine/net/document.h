// document: the one place that names the concrete document type.
//
// The sync layer (sessions, rooms, transport, programs) handles documents
// only through `Document` (a tandem::Doc: the whole document model) and the
// functions below, which also give tools path-based edits (the CLI's `set`
// and `text`, the load generator).
//
// Threading: a Document is single-threaded; these functions are as
// thread-safe as the Document they are given.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/doc.h"
#include "core/version_vector.h"
#include "store/log_store.h"
#include "store/store_status.h"

namespace tandem::net {

using Document = tandem::Doc;

// An empty document edited locally as `peer`.
std::unique_ptr<Document> NewDocument(PeerId peer);

// Applies untrusted update bytes. *changed (optional) is set when the
// document took anything new (applied or pending operations): the caller
// stores and forwards only such updates. An error leaves `doc` unchanged.
Status ApplyDocumentUpdate(Document& doc, std::string_view bytes, bool* changed = nullptr);

// Loads `name` from `store` as a replica edited by `peer`. A missing
// document (kNotFound) yields an empty one with Ok and *existed = false;
// every other error is returned as is (never an empty document).
store::StoreStatus LoadDocument(store::LogStore& store, std::string_view name, PeerId peer,
                                std::unique_ptr<Document>* out, bool* existed = nullptr);

// Opens a store whose compaction merges this document type.
store::StoreStatus OpenDocumentStore(const std::string& path, store::StoreOptions options,
                                     std::unique_ptr<store::LogStore>* out);

// The document as JSON (Doc::ToJson).
std::string DocumentToJson(const Document& doc);

// ---- Local edits by path (the CLI's `set` and `text` commands).
// Paths are JSON pointers into the document ("/notes/title"; Doc::Resolve).
// A path without a leading '/' is taken as relative to the root ("text" =
// "/text").
//
// Writes the JSON value `json` at `path`: the last segment is a key of the
// map (or an index of the list) that the rest of the path names. Objects
// become maps and arrays lists (made with GetOrCreate, so concurrent writers
// merge), strings written over a text replace its content, other strings
// and scalars become values; an empty path writes each member of an object
// into the root. Errors: kInvalidArgument for a bad path or JSON,
// kNotFound when the parent does not exist.
Status SetDocumentPath(Document& doc, std::string_view path, std::string_view json);
// Inserts UTF-8 `text` at code point `index` of the text at `path`, making
// the text (in its parent map) if it does not exist yet.
Status InsertTextAt(Document& doc, std::string_view path, uint64_t index, std::string_view text);
// Deletes `count` code points at `index` of the text at `path`.
Status DeleteTextAt(Document& doc, std::string_view path, uint64_t index, uint64_t count);
// The content of the text at `path` ("" if there is none) and its length in
// code points. For tests and tools.
std::string TextAt(const Document& doc, std::string_view path);
uint64_t TextLengthAt(const Document& doc, std::string_view path);

// Runs `edit` as one transaction and returns its update bytes in *update
// (empty when it changed nothing). If `edit` fails, the edits it made
// before failing stay in the document (they are valid local operations) and
// *update holds them, so the caller can still send them.
Status EditDocument(Document& doc, const std::function<Status(Document&)>& edit,
                    std::string* update);

}  // namespace tandem::net
