#include "net/document.h"

#include <nlohmann/json.hpp>

#include "store/doc_loader.h"

namespace tandem::net {

std::unique_ptr<Document> NewDocument(PeerId peer) { return std::make_unique<Document>(peer); }

Status ApplyDocumentUpdate(Document& doc, std::string_view bytes, bool* changed) {
  VersionVector before = doc.version();
  uint64_t pending_before = doc.pending_ops();
  Status st = doc.ApplyUpdate(bytes);
  if (changed != nullptr) {
    *changed = st.ok() && (!(doc.version() == before) || doc.pending_ops() != pending_before);
  }
  return st;
}

store::StoreStatus LoadDocument(store::LogStore& store, std::string_view name, PeerId peer,
                                std::unique_ptr<Document>* out, bool* existed) {
  std::unique_ptr<Document> doc;
  store::StoreStatus st = store::LoadText(store, name, peer, &doc);
  if (st.code() == store::StoreCode::kNotFound) {
    if (existed != nullptr) *existed = false;
    *out = NewDocument(peer);
    return store::StoreStatus::Ok();
  }
  if (!st.ok()) return st;
  if (existed != nullptr) *existed = true;
  *out = std::move(doc);
  return st;
}

store::StoreStatus OpenDocumentStore(const std::string& path, store::StoreOptions options,
                                     std::unique_ptr<store::LogStore>* out) {
  return store::OpenTextStore(path, std::move(options), out);
}

std::string DocumentToJson(const Document& doc) {
  nlohmann::json j = nlohmann::json::object();
  j["text"] = doc.ToString();
  return j.dump();
}

namespace {

Status CheckPath(std::string_view path) {
  if (path.empty() || path == "text" || path == "/text") return Status::Ok();
  return Status::InvalidArgument("unknown path '" + std::string(path) +
                                 "': this document has one text, at path \"text\"");
}

}  // namespace

Status SetDocumentPath(Document& doc, std::string_view path, std::string_view json) {
  Status st = CheckPath(path);
  if (!st.ok()) return st;
  nlohmann::json value = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::InvalidArgument("value is not valid JSON");
  if (!value.is_string()) return Status::InvalidArgument("the value at a text path must be a JSON string");
  const std::string& s = value.get_ref<const std::string&>();
  uint64_t len = doc.length();
  if (len > 0) {
    st = doc.Delete(0, len);
    if (!st.ok()) return st;
  }
  return s.empty() ? Status::Ok() : doc.Insert(0, s);
}

Status InsertTextAt(Document& doc, std::string_view path, uint64_t index, std::string_view text) {
  Status st = CheckPath(path);
  return st.ok() ? doc.Insert(index, text) : st;
}

Status DeleteTextAt(Document& doc, std::string_view path, uint64_t index, uint64_t count) {
  Status st = CheckPath(path);
  return st.ok() ? doc.Delete(index, count) : st;
}

Status EditDocument(Document& doc, const std::function<Status(Document&)>& edit,
                    std::string* update) {
  update->clear();
  Status st = doc.BeginTransaction();
  if (!st.ok()) return st;
  Status edit_st = edit(doc);
  std::string bytes;
  st = doc.CommitTransaction(&bytes);
  if (!edit_st.ok()) {
    // Edits made before the failure are real local operations: they must
    // still be sent, so the update is returned along with the error.
    *update = std::move(bytes);
    return edit_st;
  }
  if (!st.ok()) return st;
  *update = std::move(bytes);
  return Status::Ok();
}

}  // namespace tandem::net
