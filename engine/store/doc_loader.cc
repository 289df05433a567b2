#include "store/doc_loader.h"

namespace tandem::store {

StoreStatus FromCoreStatus(const Status& status, const std::string& context) {
  std::string msg = context + ": " + status.ToString();
  switch (status.code()) {
    case StatusCode::kOk: return StoreStatus::Ok();
    case StatusCode::kCorrupt:
    case StatusCode::kInvalidArgument: return StoreStatus::Corrupt(std::move(msg));
    case StatusCode::kUnsupported: return StoreStatus::Unsupported(std::move(msg));
    case StatusCode::kLimitExceeded:
    case StatusCode::kNotFound: return StoreStatus::Corrupt(std::move(msg));
  }
  return StoreStatus::Corrupt(std::move(msg));
}

namespace {

std::string DocContext(std::string_view doc) { return "document '" + std::string(doc) + "'"; }

// Snapshot (if any) + rows, in order, into a fresh replica (a Text or a Doc:
// both have the same snapshot / update surface).
template <typename Replica, typename Limits>
StoreStatus Build(std::string_view doc, const SnapshotRecord* snapshot, const std::string* bytes,
                  const std::vector<LogEntry>& log, PeerId peer, Limits limits,
                  std::unique_ptr<Replica>* out) {
  std::unique_ptr<Replica> text;
  if (bytes != nullptr) {
    Status st = Replica::DecodeSnapshot(*bytes, peer, &text, limits);
    if (!st.ok()) {
      std::string where = DocContext(doc) + ": snapshot";
      if (snapshot != nullptr) where += " id " + std::to_string(snapshot->id);
      return FromCoreStatus(st, where);
    }
  } else {
    text = std::make_unique<Replica>(peer, limits);
  }
  for (const LogEntry& row : log) {
    Status st = text->ApplyUpdate(row.data);
    if (!st.ok()) {
      return FromCoreStatus(st, DocContext(doc) + ": log row seq " + std::to_string(row.seq));
    }
  }
  *out = std::move(text);
  return StoreStatus::Ok();
}

}  // namespace

StoreStatus LoadText(const DocRecord& record, PeerId peer, std::unique_ptr<Text>* out,
                     TextLimits limits) {
  const SnapshotRecord* snap = record.snapshot ? &*record.snapshot : nullptr;
  return Build(record.name, snap, snap ? &snap->data : nullptr, record.log, peer, limits, out);
}

StoreStatus LoadText(LogStore& store, std::string_view doc, PeerId peer,
                     std::unique_ptr<Text>* out, TextLimits limits) {
  DocRecord record;
  StoreStatus st = store.ReadDoc(doc, &record);
  if (!st.ok()) return st;
  return LoadText(record, peer, out, limits);
}

StoreStatus LoadTextVersion(LogStore& store, std::string_view doc, int64_t version_id,
                            PeerId peer, std::unique_ptr<Text>* out, TextLimits limits) {
  SnapshotRecord snap;
  StoreStatus st = store.ReadVersion(doc, version_id, &snap);
  if (!st.ok()) return st;
  return Build(doc, &snap, &snap.data, {}, peer, limits, out);
}

MergeFn TextMergeFn(TextLimits limits) {
  return [limits](std::string_view doc, const std::string* snapshot,
                  const std::vector<LogEntry>& log, std::string* out) {
    std::unique_ptr<Text> text;
    StoreStatus st = Build(doc, nullptr, snapshot, log, kMergePeer, limits, &text);
    if (!st.ok()) return st;
    *out = text->EncodeSnapshot();
    return StoreStatus::Ok();
  };
}

StoreStatus LoadDoc(const DocRecord& record, PeerId peer, std::unique_ptr<Doc>* out,
                    DocLimits limits) {
  const SnapshotRecord* snap = record.snapshot ? &*record.snapshot : nullptr;
  return Build(record.name, snap, snap ? &snap->data : nullptr, record.log, peer, limits, out);
}

StoreStatus LoadDoc(LogStore& store, std::string_view doc, PeerId peer, std::unique_ptr<Doc>* out,
                    DocLimits limits) {
  DocRecord record;
  StoreStatus st = store.ReadDoc(doc, &record);
  if (!st.ok()) return st;
  return LoadDoc(record, peer, out, limits);
}

StoreStatus LoadDocVersion(LogStore& store, std::string_view doc, int64_t version_id, PeerId peer,
                           std::unique_ptr<Doc>* out, DocLimits limits) {
  SnapshotRecord snap;
  StoreStatus st = store.ReadVersion(doc, version_id, &snap);
  if (!st.ok()) return st;
  return Build(doc, &snap, &snap.data, {}, peer, limits, out);
}

MergeFn DocMergeFn(DocLimits limits) {
  return [limits](std::string_view doc, const std::string* snapshot,
                  const std::vector<LogEntry>& log, std::string* out) {
    std::unique_ptr<Doc> d;
    StoreStatus st = Build(doc, nullptr, snapshot, log, kMergePeer, limits, &d);
    if (!st.ok()) return st;
    *out = d->EncodeSnapshot();
    return StoreStatus::Ok();
  };
}

StoreStatus OpenDocStore(const std::string& path, StoreOptions options,
                         std::unique_ptr<LogStore>* out) {
  if (!options.merge) options.merge = DocMergeFn();
  return LogStore::Open(path, std::move(options), out);
}

StoreStatus OpenTextStore(const std::string& path, StoreOptions options,
                          std::unique_ptr<LogStore>* out) {
  if (!options.merge) options.merge = TextMergeFn();
  return LogStore::Open(path, std::move(options), out);
}

}  // namespace tandem::store
