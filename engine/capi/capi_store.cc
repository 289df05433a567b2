// The C ABI of the document store: a LogStore opened with OpenDocStore, and
// loading tandem::Doc replicas from it (doc_loader.h).
#include <cstdlib>
#include <cstring>

#include "capi/capi_internal.h"
#include "store/doc_loader.h"
#include "store/inspect.h"

using namespace tandem;
using namespace tandem::capi;

namespace {

tandem_status CheckStore(const tandem_store* s, tandem_error* err) {
  return NotNull(s, "store", err);
}

tandem_status CheckName(const char* name, tandem_error* err) {
  if (tandem_status st = CheckUtf8(name, "document name", err)) return st;
  if (name[0] == '\0') return Fail(err, TANDEM_E_INVALID_ARG, "document name is empty");
  return TANDEM_OK;
}

tandem_status CheckBytes(const uint8_t* data, size_t len, tandem_error* err) {
  if (!data && len > 0) return Fail(err, TANDEM_E_INVALID_ARG, "update is NULL");
  return TANDEM_OK;
}

std::string Bytes(const uint8_t* data, size_t len) {
  return std::string(data ? reinterpret_cast<const char*>(data) : "", len);
}

}  // namespace

extern "C" {

void tandem_store_options_init(tandem_store_options* opts) {
  if (!opts) return;
  const store::StoreOptions d;
  std::memset(opts, 0, sizeof *opts);
  opts->struct_size = sizeof *opts;
  opts->sync = d.sync == store::SyncMode::kFull ? TANDEM_SYNC_FULL : TANDEM_SYNC_NORMAL;
  opts->create_if_missing = d.create_if_missing ? 1 : 0;
  opts->busy_timeout_ms = d.busy_timeout_ms;
  opts->max_batch = d.max_batch;
  opts->max_versions = d.retention.max_versions;
  opts->compact_after_rows = d.compact_after_rows;
  opts->compact_after_bytes = d.compact_after_bytes;
  opts->max_version_age_ms = d.retention.max_age_ms;
}

tandem_status tandem_store_open(tandem_store** out, const char* path,
                                const tandem_store_options* opts, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = nullptr;
    if (tandem_status st = CheckUtf8(path, "path", err)) return st;
    store::StoreOptions o;
    if (opts) {
      if (tandem_status st =
              CheckStructSize(opts->struct_size, sizeof *opts, "tandem_store_options", err))
        return st;
      if (opts->sync != TANDEM_SYNC_FULL && opts->sync != TANDEM_SYNC_NORMAL)
        return Fail(err, TANDEM_E_INVALID_ARG, "unknown sync mode (use TANDEM_SYNC_*)");
      if (opts->max_batch == 0) return Fail(err, TANDEM_E_INVALID_ARG, "max_batch is 0");
      if (opts->busy_timeout_ms < 0)
        return Fail(err, TANDEM_E_INVALID_ARG, "busy_timeout_ms is negative");
      o.sync = opts->sync == TANDEM_SYNC_FULL ? store::SyncMode::kFull : store::SyncMode::kNormal;
      o.create_if_missing = opts->create_if_missing != 0;
      o.busy_timeout_ms = opts->busy_timeout_ms;
      o.max_batch = opts->max_batch;
      o.retention.max_versions = opts->max_versions;
      o.retention.max_age_ms = opts->max_version_age_ms;
      o.compact_after_rows = opts->compact_after_rows;
      o.compact_after_bytes = opts->compact_after_bytes;
    }
    std::unique_ptr<store::LogStore> ls;
    if (tandem_status st = FromStore(store::OpenDocStore(path, std::move(o), &ls), err)) return st;
    *out = new tandem_store{std::move(ls)};
    return TANDEM_OK;
  });
}

void tandem_store_free(tandem_store* store) {
  if (!store) return;
  try {
    store->store.reset();
  } catch (...) {
  }
  delete store;
}

tandem_status tandem_store_append(tandem_store* store, const char* name, const uint8_t* update,
                                  size_t len, uint64_t* out_seq, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    if (tandem_status st = CheckBytes(update, len, err)) return st;
    uint64_t seq = 0;
    if (tandem_status st = FromStore(store->store->AppendSync(name, Bytes(update, len), &seq), err))
      return st;
    if (out_seq) *out_seq = seq;
    return TANDEM_OK;
  });
}

tandem_status tandem_store_append_async(tandem_store* store, const char* name,
                                        const uint8_t* update, size_t len, tandem_append_cb cb,
                                        void* user_data, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    if (tandem_status st = CheckBytes(update, len, err)) return st;
    store::LogStore::AppendCallback done;
    if (cb) {
      done = [cb, user_data](const store::StoreStatus& s, uint64_t seq) {
        tandem_status code = FromStore(s, nullptr);
        cb(user_data, code, s.ok() ? seq : 0, s.ok() ? nullptr : s.message().c_str());
      };
    }
    return FromStore(store->store->Append(name, Bytes(update, len), std::move(done)), err);
  });
}

tandem_status tandem_store_flush(tandem_store* store, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    return FromStore(store->store->Flush(), err);
  });
}

tandem_status tandem_store_save_doc(tandem_store* store, const char* name, const tandem_doc* doc,
                                    tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    if (tandem_status st = CheckDoc(doc, err)) return st;
    return FromStore(store->store->AppendSync(name, doc->doc->EncodeUpdate()), err);
  });
}

static tandem_status LoadCommon(tandem_doc** out, tandem_store* store, const char* name,
                                const tandem_doc_options* opts, tandem_error* err,
                                DocLimits* limits) {
  if (tandem_status st = NotNull(out, "out", err)) return st;
  *out = nullptr;
  if (tandem_status st = CheckStore(store, err)) return st;
  if (tandem_status st = CheckName(name, err)) return st;
  return ReadDocOptions(opts, limits, err);
}

tandem_status tandem_store_load_doc(tandem_doc** out, tandem_store* store, const char* name,
                                    uint64_t peer_id, const tandem_doc_options* opts,
                                    tandem_error* err) {
  return Guard(err, [&] {
    DocLimits limits;
    if (tandem_status st = LoadCommon(out, store, name, opts, err, &limits)) return st;
    std::unique_ptr<Doc> doc;
    if (tandem_status st = FromStore(
            store::LoadDoc(*store->store, name, PickPeer(peer_id), &doc, limits), err))
      return st;
    *out = NewDocHandle(std::move(doc));
    return TANDEM_OK;
  });
}

tandem_status tandem_store_load_version(tandem_doc** out, tandem_store* store, const char* name,
                                        int64_t version_id, uint64_t peer_id,
                                        const tandem_doc_options* opts, tandem_error* err) {
  return Guard(err, [&] {
    DocLimits limits;
    if (tandem_status st = LoadCommon(out, store, name, opts, err, &limits)) return st;
    std::unique_ptr<Doc> doc;
    if (tandem_status st = FromStore(store::LoadDocVersion(*store->store, name, version_id,
                                                           PickPeer(peer_id), &doc, limits),
                                     err))
      return st;
    *out = NewDocHandle(std::move(doc));
    return TANDEM_OK;
  });
}

tandem_status tandem_store_compact(tandem_store* store, const char* name, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    return FromStore(store->store->Compact(name), err);
  });
}

tandem_status tandem_store_list_docs(tandem_store* store, tandem_strings* out, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    std::vector<std::string> names;
    if (tandem_status st = FromStore(store->store->ListDocs(&names), err)) return st;
    tandem_strings list{nullptr, 0};
    if (!names.empty()) {
      list.items = static_cast<tandem_buf*>(std::calloc(names.size(), sizeof(tandem_buf)));
      if (!list.items) throw std::bad_alloc();
      try {
        for (const std::string& n : names) SetBuf(n, &list.items[list.count++]);
      } catch (...) {
        tandem_strings_free(&list);
        throw;
      }
    }
    *out = list;
    return TANDEM_OK;
  });
}

tandem_status tandem_store_delete_doc(tandem_store* store, const char* name, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    return FromStore(store->store->DeleteDoc(name), err);
  });
}

void tandem_doc_info_init(tandem_doc_info* info) {
  if (!info) return;
  std::memset(info, 0, sizeof *info);
  info->struct_size = sizeof *info;
}

tandem_status tandem_store_doc_info(tandem_store* store, const char* name, tandem_doc_info* out,
                                    tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    if (tandem_status st = CheckStructSize(out->struct_size, sizeof *out, "tandem_doc_info", err))
      return st;
    store::DocInfo info;
    if (tandem_status st = FromStore(store->store->GetDocInfo(name, &info), err)) return st;
    out->created_ms = info.created_ms;
    out->updated_ms = info.updated_ms;
    out->last_seq = info.last_seq;
    out->log_rows = info.log_rows;
    out->log_bytes = info.log_bytes;
    out->snapshot_seq = info.snapshot_seq;
    out->snapshot_bytes = info.snapshot_bytes;
    out->versions = info.versions;
    out->outbox_rows = info.outbox_rows;
    out->outbox_bytes = info.outbox_bytes;
    return TANDEM_OK;
  });
}

tandem_status tandem_store_inspect(tandem_store* store, tandem_buf* out, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    store::StoreInfo info;
    if (tandem_status st = FromStore(store->store->Inspect(&info), err)) return st;
    SetBuf(store::FormatStoreInfo(info), out);
    return TANDEM_OK;
  });
}

void tandem_named_versions_free(tandem_named_versions* list) {
  if (!list) return;
  for (size_t i = 0; list->items && i < list->count; ++i) std::free(list->items[i].label);
  std::free(list->items);
  list->items = nullptr;
  list->count = 0;
}

tandem_status tandem_store_create_version(tandem_store* store, const char* name,
                                          const char* label, int64_t* out_id,
                                          tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    if (tandem_status st = CheckUtf8(label, "label", err)) return st;
    int64_t id = 0;
    if (tandem_status st = FromStore(store->store->CreateVersion(name, label, &id), err)) return st;
    if (out_id) *out_id = id;
    return TANDEM_OK;
  });
}

tandem_status tandem_store_list_versions(tandem_store* store, const char* name,
                                         tandem_named_versions* out, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    std::vector<store::VersionInfo> versions;
    if (tandem_status st = FromStore(store->store->ListVersions(name, &versions), err)) return st;
    tandem_named_versions list{nullptr, 0};
    if (!versions.empty()) {
      list.items = static_cast<tandem_named_version*>(
          std::calloc(versions.size(), sizeof(tandem_named_version)));
      if (!list.items) throw std::bad_alloc();
      try {
        for (const store::VersionInfo& v : versions) {
          tandem_named_version& nv = list.items[list.count++];
          nv.id = v.id;
          nv.created_ms = v.created_ms;
          nv.upto_seq = v.upto_seq;
          nv.bytes = v.bytes;
          nv.label = CopyBytes(v.label);
        }
      } catch (...) {
        tandem_named_versions_free(&list);
        throw;
      }
    }
    *out = list;
    return TANDEM_OK;
  });
}

tandem_status tandem_store_delete_version(tandem_store* store, const char* name,
                                          int64_t version_id, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckStore(store, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    return FromStore(store->store->DeleteVersion(name, version_id), err);
  });
}

}  // extern "C"
