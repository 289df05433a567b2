// The C ABI of tandem::Doc as a whole: lifetime, transactions, JSON and
// paths, sync (version vectors, updates, snapshots), sticky positions.
// Container reads and writes: capi_containers.cc; events: capi_events.cc.
#include <cstring>

#include "capi/capi_internal.h"

using namespace tandem;
using namespace tandem::capi;

namespace {

// Version vector bytes: 16 bytes per entry, peer then next, little-endian,
// sorted by peer, next > 0 (documented in tandem.h).
void PutU64(uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

tandem_status DecodeVersion(const uint8_t* data, size_t len, VersionVector* out,
                            tandem_error* err) {
  if (len == 0) return TANDEM_OK;
  if (!data) return Fail(err, TANDEM_E_INVALID_ARG, "version vector is NULL with a non-zero length");
  if (len % 16 != 0)
    return Fail(err, TANDEM_E_PROTOCOL, "version vector length is not a multiple of 16");
  VersionVector vv;
  for (size_t i = 0; i < len; i += 16) {
    const uint64_t peer = GetU64(data + i), next = GetU64(data + i + 8);
    if (i > 0 && peer <= GetU64(data + i - 16))
      return Fail(err, TANDEM_E_PROTOCOL, "version vector peers are not strictly ascending");
    if (next == 0 || next > kMaxCounter + 1)
      return Fail(err, TANDEM_E_PROTOCOL, "version vector counter out of range");
    vv.set(peer, next);
  }
  *out = std::move(vv);
  return TANDEM_OK;
}

tandem_status CheckSequence(const tandem_doc* d, const tandem_container* c, Container* out,
                            tandem_error* err) {
  if (tandem_status st = CheckContainer(d, c, std::nullopt, out, err)) return st;
  if (out->type() != ContainerType::kText && out->type() != ContainerType::kList)
    return Fail(err, TANDEM_E_TYPE, "sticky positions live in a text or list");
  return TANDEM_OK;
}

// The core position a C one names (checked against `d`).
tandem_status ToCoreSticky(const tandem_doc* d, const tandem_sticky* pos, StickyPosition* out,
                           tandem_error* err) {
  if (tandem_status st = NotNull(pos, "position", err)) return st;
  Container c;
  if (tandem_status st = CheckSequence(d, &pos->container, &c, err)) return st;
  if (pos->assoc != TANDEM_ASSOC_AFTER && pos->assoc != TANDEM_ASSOC_BEFORE)
    return Fail(err, TANDEM_E_INVALID_ARG, "unknown association (use TANDEM_ASSOC_*)");
  StickyPosition p;
  p.container = c;
  p.assoc = pos->assoc == TANDEM_ASSOC_AFTER ? StickyPosition::kAfter : StickyPosition::kBefore;
  if (pos->has_item) p.item = OpId{pos->item_peer, pos->item_counter};
  *out = p;
  return TANDEM_OK;
}

void ToCSticky(const tandem_doc* d, const StickyPosition& p, tandem_sticky* out) {
  tandem_sticky s;
  std::memset(&s, 0, sizeof s);
  s.container = MakeHandle(d, p.container);
  s.assoc = p.assoc == StickyPosition::kAfter ? TANDEM_ASSOC_AFTER : TANDEM_ASSOC_BEFORE;
  if (p.item) {
    s.has_item = 1;
    s.item_peer = p.item->peer;
    s.item_counter = p.item->counter;
  }
  *out = s;
}

}  // namespace

extern "C" {

void tandem_doc_options_init(tandem_doc_options* opts) {
  if (!opts) return;
  const DocLimits defaults;
  std::memset(opts, 0, sizeof *opts);
  opts->struct_size = sizeof *opts;
  opts->max_depth = defaults.max_depth;
  opts->max_update_bytes = defaults.max_update_bytes;
  opts->max_pending_ops = defaults.max_pending_ops;
}

tandem_status tandem_doc_new(tandem_doc** out, uint64_t peer_id, const tandem_doc_options* opts,
                             tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = nullptr;
    DocLimits limits;
    if (tandem_status st = ReadDocOptions(opts, &limits, err)) return st;
    *out = NewDocHandle(std::make_unique<Doc>(PickPeer(peer_id), limits));
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_new_from_snapshot(tandem_doc** out, const uint8_t* data, size_t len,
                                           uint64_t peer_id, const tandem_doc_options* opts,
                                           tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = nullptr;
    if (!data && len > 0) return Fail(err, TANDEM_E_INVALID_ARG, "data is NULL");
    DocLimits limits;
    if (tandem_status st = ReadDocOptions(opts, &limits, err)) return st;
    std::unique_ptr<Doc> doc;
    Status s = Doc::DecodeSnapshot(
        std::string_view(data ? reinterpret_cast<const char*>(data) : "", len), PickPeer(peer_id),
        &doc, limits);
    if (!s.ok()) return FromCore(s, err);
    *out = NewDocHandle(std::move(doc));
    return TANDEM_OK;
  });
}

void tandem_doc_free(tandem_doc* doc) {
  if (!doc) return;
  try {
    // Registrations end first (the core still holds references to them).
    if (doc->binding) doc->binding->OnDocFreed();  // the client forgets it
    doc->binding = nullptr;
    for (auto& [id, reg] : doc->observers) reg->End();
    if (doc->listener) doc->listener->End();
    tandem::capi::EndUndoManagers(doc);
    doc->doc.reset();
  } catch (...) {
  }
  delete doc;
}

tandem_status tandem_doc_peer_id(const tandem_doc* doc, uint64_t* out, tandem_error* err) {
  if (tandem_status st = CheckDoc(doc, err)) return st;
  if (tandem_status st = NotNull(out, "out", err)) return st;
  *out = doc->doc->peer();
  return TANDEM_OK;
}

tandem_status tandem_doc_root(const tandem_doc* doc, tandem_container* out, tandem_error* err) {
  if (tandem_status st = CheckDoc(doc, err)) return st;
  if (tandem_status st = NotNull(out, "out", err)) return st;
  *out = MakeHandle(doc, doc->doc->root());
  return TANDEM_OK;
}

tandem_status tandem_doc_begin_transaction(tandem_doc* doc, const char* origin,
                                           tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (origin) {
      if (tandem_status st = CheckUtf8(origin, "origin", err)) return st;
    }
    return FromCore(doc->doc->BeginTransaction(origin ? origin : ""), err);
  });
}

tandem_status tandem_doc_commit_transaction(tandem_doc* doc, tandem_buf* out_update,
                                            tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (!doc->doc->in_transaction())
      return Fail(err, TANDEM_E_INVALID_ARG, "no transaction is open");
    std::string update;
    Status s = doc->doc->CommitTransaction(out_update ? &update : nullptr);
    if (!s.ok()) return FromCore(s, err);
    if (out_update) SetBuf(update, out_update);
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_in_transaction(const tandem_doc* doc, int32_t* out, tandem_error* err) {
  if (tandem_status st = CheckDoc(doc, err)) return st;
  if (tandem_status st = NotNull(out, "out", err)) return st;
  *out = doc->doc->in_transaction() ? 1 : 0;
  return TANDEM_OK;
}

tandem_status tandem_doc_to_json(const tandem_doc* doc, const tandem_container* container,
                                 tandem_buf* out, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    std::string json;
    if (container) {
      Container c;
      if (tandem_status st = CheckContainer(doc, container, std::nullopt, &c, err)) return st;
      if (tandem_status st = FromCore(doc->doc->ToJson(c, &json), err)) return st;
    } else {
      json = doc->doc->ToJson();
    }
    SetBuf(json, out);
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_resolve(tandem_doc* doc, const char* path, tandem_container* out,
                                 tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (tandem_status st = CheckUtf8(path, "path", err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    Container c;
    Status s = doc->doc->Resolve(path, &c);
    if (!s.ok()) return FromCore(s, err);  // a missing container is TANDEM_E_NOT_FOUND
    *out = MakeHandle(doc, c);
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_path_of(const tandem_doc* doc, const tandem_container* container,
                                 tandem_buf* out, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, container, std::nullopt, &c, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    std::optional<std::string> path = doc->doc->PathOf(c);
    if (!path) return Fail(err, TANDEM_E_NOT_FOUND, "container is not reachable from the root");
    SetBuf(*path, out);
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_version(const tandem_doc* doc, tandem_buf* out, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    std::string bytes;
    for (const auto& e : doc->doc->version().entries()) {
      PutU64(e.peer, &bytes);
      PutU64(e.next, &bytes);
    }
    SetBuf(bytes, out);
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_encode_update(const tandem_doc* doc, const uint8_t* since,
                                       size_t since_len, tandem_buf* out, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    VersionVector vv;
    if (tandem_status st = DecodeVersion(since, since_len, &vv, err)) return st;
    SetBuf(doc->doc->EncodeUpdate(vv), out);
    return TANDEM_OK;
  });
}

void tandem_apply_result_init(tandem_apply_result* result) {
  if (!result) return;
  std::memset(result, 0, sizeof *result);
  result->struct_size = sizeof *result;
}

tandem_status tandem_doc_apply_update(tandem_doc* doc, const uint8_t* data, size_t len,
                                      const char* origin, tandem_apply_result* result,
                                      tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (!data && len > 0) return Fail(err, TANDEM_E_INVALID_ARG, "data is NULL");
    if (origin) {
      if (tandem_status st = CheckUtf8(origin, "origin", err)) return st;
    }
    if (result) {
      if (tandem_status st =
              CheckStructSize(result->struct_size, sizeof *result, "tandem_apply_result", err))
        return st;
    }
    ApplyResult r;
    Status s = doc->doc->ApplyUpdate(
        std::string_view(data ? reinterpret_cast<const char*>(data) : "", len),
        origin ? origin : "remote", &r);
    if (!s.ok()) return FromCore(s, err);
    if (result) {
      result->applied_ops = r.applied_ops;
      result->pending_ops = r.pending_ops;
      result->dropped_ops = r.dropped_ops;
    }
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_pending_ops(const tandem_doc* doc, uint64_t* out, tandem_error* err) {
  if (tandem_status st = CheckDoc(doc, err)) return st;
  if (tandem_status st = NotNull(out, "out", err)) return st;
  *out = doc->doc->pending_ops();
  return TANDEM_OK;
}

tandem_status tandem_doc_encode_snapshot(const tandem_doc* doc, tandem_buf* out,
                                         tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    SetBuf(doc->doc->EncodeSnapshot(), out);
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_memory_usage(const tandem_doc* doc, uint64_t* out, tandem_error* err) {
  if (tandem_status st = CheckDoc(doc, err)) return st;
  if (tandem_status st = NotNull(out, "out", err)) return st;
  *out = doc->doc->MemoryUsage();
  return TANDEM_OK;
}

tandem_status tandem_doc_sticky_at(const tandem_doc* doc, const tandem_container* container,
                                   uint64_t index, int32_t unit, int32_t assoc,
                                   tandem_sticky* out, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckSequence(doc, container, &c, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    if (assoc != TANDEM_ASSOC_AFTER && assoc != TANDEM_ASSOC_BEFORE)
      return Fail(err, TANDEM_E_INVALID_ARG, "unknown association (use TANDEM_ASSOC_*)");
    uint64_t cp = index;
    if (c.type() == ContainerType::kText) {
      IndexUnit u;
      if (tandem_status st = CheckUnit(unit, &u, err)) return st;
      TextRef t = c.AsText();
      if (index > t.length(u)) return Fail(err, TANDEM_E_RANGE, "text index out of range");
      if (tandem_status st = FromCore(t.ConvertIndex(index, u, IndexUnit::kCodePoint, &cp), err))
        return st;
    } else if (index > c.AsList().size()) {
      return Fail(err, TANDEM_E_RANGE, "list index out of range");
    }
    StickyPosition p;
    Status s = doc->doc->StickyAt(
        c, cp, assoc == TANDEM_ASSOC_AFTER ? StickyPosition::kAfter : StickyPosition::kBefore, &p);
    if (!s.ok()) return FromCore(s, err);
    ToCSticky(doc, p, out);
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_sticky_resolve(const tandem_doc* doc, const tandem_sticky* pos,
                                        int32_t unit, uint64_t* out, tandem_error* err) {
  return Guard(err, [&] {
    StickyPosition p;
    if (tandem_status st = ToCoreSticky(doc, pos, &p, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    IndexUnit u = IndexUnit::kCodePoint;
    if (p.container.type() == ContainerType::kText) {
      if (tandem_status st = CheckUnit(unit, &u, err)) return st;
    }
    uint64_t cp = 0;
    if (tandem_status st = FromCore(doc->doc->ResolveSticky(p, &cp), err)) return st;
    uint64_t index = cp;
    if (u != IndexUnit::kCodePoint) {
      if (tandem_status st = FromCore(
              p.container.AsText().ConvertIndex(cp, IndexUnit::kCodePoint, u, &index), err))
        return st;
    }
    *out = index;
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_sticky_encode(const tandem_doc* doc, const tandem_sticky* pos,
                                       tandem_buf* out, tandem_error* err) {
  return Guard(err, [&] {
    StickyPosition p;
    if (tandem_status st = ToCoreSticky(doc, pos, &p, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    SetBuf(doc->doc->EncodeSticky(p), out);
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_sticky_decode(tandem_doc* doc, const uint8_t* data, size_t len,
                                       tandem_sticky* out, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (!data && len > 0) return Fail(err, TANDEM_E_INVALID_ARG, "data is NULL");
    if (tandem_status st = NotNull(out, "out", err)) return st;
    StickyPosition p;
    Status s = doc->doc->DecodeSticky(
        std::string_view(data ? reinterpret_cast<const char*>(data) : "", len), &p);
    if (!s.ok()) return FromCore(s, err);
    ToCSticky(doc, p, out);
    return TANDEM_OK;
  });
}

}  // extern "C"
