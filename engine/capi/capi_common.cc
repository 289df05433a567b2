// The C ABI's common ground: version, status codes, errors, returned memory,
// argument checks and value conversion.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "capi/capi_internal.h"
#include "core/utf8.h"

namespace tandem::capi {

tandem_status Fail(tandem_error* err, tandem_status code, std::string_view msg) noexcept {
  if (err) {
    std::free(err->message);
    err->code = code;
    err->message = static_cast<char*>(std::malloc(msg.size() + 1));
    if (err->message) {
      if (!msg.empty()) std::memcpy(err->message, msg.data(), msg.size());
      err->message[msg.size()] = '\0';
    }
  }
  return code;
}

tandem_status FromCore(const Status& s, tandem_error* err) noexcept {
  tandem_status code = TANDEM_E_INTERNAL;
  switch (s.code()) {
    case StatusCode::kOk: return TANDEM_OK;
    case StatusCode::kInvalidArgument: code = TANDEM_E_INVALID_ARG; break;
    case StatusCode::kCorrupt: code = TANDEM_E_PROTOCOL; break;
    case StatusCode::kUnsupported: code = TANDEM_E_VERSION; break;
    case StatusCode::kLimitExceeded: code = TANDEM_E_LIMIT; break;
    case StatusCode::kNotFound: code = TANDEM_E_NOT_FOUND; break;
  }
  return Fail(err, code, s.message());
}

tandem_status FromStore(const store::StoreStatus& s, tandem_error* err) noexcept {
  using store::StoreCode;
  tandem_status code = TANDEM_E_INTERNAL;
  switch (s.code()) {
    case StoreCode::kOk: return TANDEM_OK;
    case StoreCode::kNotFound: code = TANDEM_E_NOT_FOUND; break;
    case StoreCode::kCorrupt: code = TANDEM_E_STORAGE; break;
    case StoreCode::kIoError: code = TANDEM_E_IO; break;
    case StoreCode::kBusy: code = TANDEM_E_BUSY; break;
    case StoreCode::kUnsupported: code = TANDEM_E_VERSION; break;
    case StoreCode::kInvalidArgument: code = TANDEM_E_INVALID_ARG; break;
    case StoreCode::kClosed: code = TANDEM_E_CLOSED; break;
    case StoreCode::kAborted: code = TANDEM_E_BUSY; break;
  }
  return Fail(err, code, s.message());
}

tandem_status NotNull(const void* p, const char* what, tandem_error* err) noexcept {
  if (p) return TANDEM_OK;
  std::string_view w(what);
  char msg[128];
  std::snprintf(msg, sizeof msg, "%.*s is NULL", static_cast<int>(w.size()), w.data());
  return Fail(err, TANDEM_E_INVALID_ARG, msg);
}

tandem_status CheckUtf8(const char* s, const char* what, tandem_error* err) {
  if (tandem_status st = NotNull(s, what, err)) return st;
  if (!utf8::Validate(s, nullptr))
    return Fail(err, TANDEM_E_INVALID_ARG, std::string(what) + " is not valid UTF-8");
  return TANDEM_OK;
}

tandem_status CheckDoc(const tandem_doc* d, tandem_error* err) noexcept {
  return NotNull(d, "doc", err);
}

tandem_status CheckContainer(const tandem_doc* d, const tandem_container* c,
                             std::optional<ContainerType> want, Container* out,
                             tandem_error* err) {
  if (tandem_status st = CheckDoc(d, err)) return st;
  if (tandem_status st = NotNull(c, "container", err)) return st;
  if (c->doc_id == 0)
    return Fail(err, TANDEM_E_INVALID_ARG, "container handle is not initialised");
  if (c->doc_id != d->id)
    return Fail(err, TANDEM_E_INVALID_ARG, "container belongs to another document");
  if (c->index >= d->doc->container_count())
    return Fail(err, TANDEM_E_INVALID_ARG, "container index out of range for this document");
  Container k(d->doc.get(), c->index);
  if (want && k.type() != *want) {
    return Fail(err, TANDEM_E_TYPE,
                "container is a " + std::string(ContainerTypeName(k.type())) + ", not a " +
                    std::string(ContainerTypeName(*want)));
  }
  *out = k;
  return TANDEM_OK;
}

tandem_status CheckUnit(int32_t unit, IndexUnit* out, tandem_error* err) noexcept {
  switch (unit) {
    case TANDEM_UNIT_CODEPOINT: *out = IndexUnit::kCodePoint; return TANDEM_OK;
    case TANDEM_UNIT_UTF16: *out = IndexUnit::kUtf16; return TANDEM_OK;
    case TANDEM_UNIT_UTF8: *out = IndexUnit::kUtf8; return TANDEM_OK;
  }
  return Fail(err, TANDEM_E_INVALID_ARG, "unknown index unit (use TANDEM_UNIT_*)");
}

tandem_status CheckContainerType(uint32_t type, ContainerType* out, tandem_error* err) noexcept {
  if (!IsContainerType(type))
    return Fail(err, TANDEM_E_INVALID_ARG, "unknown container type (use TANDEM_CONTAINER_*)");
  *out = static_cast<ContainerType>(type);
  return TANDEM_OK;
}

tandem_status CheckStructSize(uint32_t struct_size, size_t size, const char* what,
                              tandem_error* err) noexcept {
  char msg[160];
  if (struct_size < size) {
    std::snprintf(msg, sizeof msg, "%s: struct_size %u is too small (not initialised? call its _init)",
                  what, struct_size);
    return Fail(err, TANDEM_E_INVALID_ARG, msg);
  }
  if (struct_size > size) {
    std::snprintf(msg, sizeof msg, "%s: struct_size %u is from a newer tandem.h (library knows %zu)",
                  what, struct_size, size);
    return Fail(err, TANDEM_E_VERSION, msg);
  }
  return TANDEM_OK;
}

tandem_status ReadDocOptions(const tandem_doc_options* opts, DocLimits* out, tandem_error* err) {
  DocLimits limits;
  if (opts) {
    if (tandem_status st = CheckStructSize(opts->struct_size, sizeof *opts, "tandem_doc_options", err))
      return st;
    limits.max_depth = opts->max_depth;
    limits.max_update_bytes = opts->max_update_bytes;
    limits.max_pending_ops = opts->max_pending_ops;
  }
  *out = limits;
  return TANDEM_OK;
}

uint64_t PickPeer(uint64_t requested) {
  if (requested != TANDEM_PEER_RANDOM) return requested;
  std::random_device rd;
  uint64_t p = 0;
  while (p == 0) p = (uint64_t{rd()} << 32) ^ rd();
  return p;
}

tandem_doc* NewDocHandle(std::unique_ptr<Doc> doc) {
  static std::atomic<uint64_t> next_id{1};
  auto* h = new tandem_doc;
  h->doc = std::move(doc);
  h->id = next_id.fetch_add(1);
  return h;
}

tandem_container MakeHandle(uint64_t doc_id, Container c) {
  tandem_container h;
  h.doc_id = doc_id;
  h.index = c.index();
  h.type = static_cast<uint32_t>(c.type());
  return h;
}

tandem_container MakeHandle(const tandem_doc* d, Container c) { return MakeHandle(d->id, c); }

char* CopyBytes(std::string_view bytes) {
  auto* p = static_cast<char*>(std::malloc(bytes.size() + 1));
  if (!p) throw std::bad_alloc();
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  p[bytes.size()] = '\0';
  return p;
}

void SetBuf(std::string_view bytes, tandem_buf* out) {
  out->data = reinterpret_cast<uint8_t*>(CopyBytes(bytes));
  out->len = bytes.size();
}

tandem_status ToCore(const tandem_value* v, Value* out, tandem_error* err) {
  if (tandem_status st = NotNull(v, "value", err)) return st;
  switch (v->type) {
    case TANDEM_VALUE_NULL: *out = Value::Null(); return TANDEM_OK;
    case TANDEM_VALUE_BOOL: *out = Value::Bool(v->bool_value != 0); return TANDEM_OK;
    case TANDEM_VALUE_INT: *out = Value::Int(v->int_value); return TANDEM_OK;
    case TANDEM_VALUE_DOUBLE: *out = Value::Double(v->double_value); return TANDEM_OK;
    case TANDEM_VALUE_STRING:
    case TANDEM_VALUE_BYTES: {
      if (!v->data && v->len > 0)
        return Fail(err, TANDEM_E_INVALID_ARG, "value data is NULL with a non-zero length");
      if (v->len > UINT32_MAX) return Fail(err, TANDEM_E_LIMIT, "value longer than 4 GiB");
      std::string_view s(v->data ? v->data : "", v->len);
      if (v->type == TANDEM_VALUE_STRING) {
        if (!utf8::Validate(s, nullptr))
          return Fail(err, TANDEM_E_INVALID_ARG, "string value is not valid UTF-8");
        *out = Value::String(s);
      } else {
        *out = Value::Bytes(s);
      }
      return TANDEM_OK;
    }
    case TANDEM_VALUE_CONTAINER:
      return Fail(err, TANDEM_E_INVALID_ARG,
                  "a container value is made with tandem_map_get_or_create or "
                  "tandem_list_insert_container");
  }
  return Fail(err, TANDEM_E_INVALID_ARG, "unknown value type (use TANDEM_VALUE_*)");
}

namespace {

void ToC(const Value& v, std::optional<tandem_container> handle, tandem_value* out, bool owned) {
  tandem_value r = tandem_value_null();
  switch (v.kind()) {
    case Value::Kind::kNull: break;
    case Value::Kind::kBool:
      r.type = TANDEM_VALUE_BOOL;
      r.bool_value = v.as_bool() ? 1 : 0;
      break;
    case Value::Kind::kInt:
      r.type = TANDEM_VALUE_INT;
      r.int_value = v.as_int();
      break;
    case Value::Kind::kDouble:
      r.type = TANDEM_VALUE_DOUBLE;
      r.double_value = v.as_double();
      break;
    case Value::Kind::kString:
    case Value::Kind::kBytes:
      r.type = v.kind() == Value::Kind::kString ? TANDEM_VALUE_STRING : TANDEM_VALUE_BYTES;
      r.data = owned ? CopyBytes(v.as_string()) : v.as_string().data();
      if (!r.data) r.data = "";
      r.len = v.as_string().size();
      break;
    case Value::Kind::kContainer:
      r.type = TANDEM_VALUE_CONTAINER;
      if (handle) {
        r.container = *handle;
      } else {
        r.container.type = static_cast<uint32_t>(v.container_type());
      }
      break;
  }
  *out = r;
}

}  // namespace

void ToOwnedC(const Value& v, std::optional<tandem_container> handle, tandem_value* out) {
  ToC(v, handle, out, true);
}

void ToBorrowedC(const Value& v, std::optional<tandem_container> handle, tandem_value* out) {
  ToC(v, handle, out, false);
}

}  // namespace tandem::capi

using namespace tandem::capi;

extern "C" {

uint32_t tandem_version(void) { return TANDEM_VERSION_NUMBER; }

const char* tandem_version_string(void) { return TANDEM_VERSION_STRING; }

const char* tandem_status_str(tandem_status status) {
  switch (status) {
    case TANDEM_OK: return "ok";
    case TANDEM_E_INVALID_ARG: return "invalid argument";
    case TANDEM_E_NO_MEMORY: return "out of memory";
    case TANDEM_E_IO: return "I/O error";
    case TANDEM_E_STORAGE: return "stored data is corrupt";
    case TANDEM_E_PROTOCOL: return "malformed bytes";
    case TANDEM_E_VERSION: return "unsupported version";
    case TANDEM_E_NOT_FOUND: return "not found";
    case TANDEM_E_CLOSED: return "closed";
    case TANDEM_E_AGAIN: return "try again";
    case TANDEM_E_LIMIT: return "limit exceeded";
    case TANDEM_E_AUTH: return "authentication refused";
    case TANDEM_E_BUSY: return "busy";
    case TANDEM_E_INTERNAL: return "internal error";
    case TANDEM_E_USER: return "aborted by a callback";
    case TANDEM_E_TYPE: return "wrong type";
    case TANDEM_E_RANGE: return "index out of range";
  }
  return "unknown status";
}

void tandem_error_clear(tandem_error* err) {
  if (!err) return;
  std::free(err->message);
  err->message = nullptr;
  err->code = TANDEM_OK;
}

void tandem_buf_free(tandem_buf* buf) {
  if (!buf) return;
  std::free(buf->data);
  buf->data = nullptr;
  buf->len = 0;
}

void tandem_strings_free(tandem_strings* list) {
  if (!list) return;
  for (size_t i = 0; list->items && i < list->count; ++i) std::free(list->items[i].data);
  std::free(list->items);
  list->items = nullptr;
  list->count = 0;
}

void tandem_value_clear(tandem_value* value) {
  if (!value) return;
  if (value->type == TANDEM_VALUE_STRING || value->type == TANDEM_VALUE_BYTES)
    std::free(const_cast<char*>(value->data));
  *value = tandem_value_null();
}

}  // extern "C"
