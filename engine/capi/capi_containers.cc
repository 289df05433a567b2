// The C ABI of the containers: Map, List, Text, Counter reads and writes.
// Every call checks the handle against its document and its type, and
// indices against the container's size, before the core sees them.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "capi/capi_internal.h"

using namespace tandem;
using namespace tandem::capi;

namespace {

tandem_status CheckKey(const char* key, tandem_error* err) { return CheckUtf8(key, "key", err); }

}  // namespace

extern "C" {

// ---- Maps

tandem_status tandem_map_get(const tandem_doc* doc, const tandem_container* map, const char* key,
                             tandem_value* out, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, map, ContainerType::kMap, &c, err)) return st;
    if (tandem_status st = CheckKey(key, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    MapRef m = c.AsMap();
    std::optional<Value> v = m.Get(key);
    if (!v) return Fail(err, TANDEM_E_NOT_FOUND, "no such key: " + std::string(key));
    std::optional<tandem_container> handle;
    if (v->is_container()) {
      if (auto child = m.GetContainer(key)) handle = MakeHandle(doc, *child);
    }
    ToOwnedC(*v, handle, out);
    return TANDEM_OK;
  });
}

tandem_status tandem_map_has(const tandem_doc* doc, const tandem_container* map, const char* key,
                             int32_t* out, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, map, ContainerType::kMap, &c, err)) return st;
    if (tandem_status st = CheckKey(key, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = c.AsMap().Get(key).has_value() ? 1 : 0;
    return TANDEM_OK;
  });
}

tandem_status tandem_map_set(tandem_doc* doc, const tandem_container* map, const char* key,
                             const tandem_value* value, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, map, ContainerType::kMap, &c, err)) return st;
    if (tandem_status st = CheckKey(key, err)) return st;
    Value v;
    if (tandem_status st = ToCore(value, &v, err)) return st;
    return FromCore(c.AsMap().Set(key, v), err);
  });
}

tandem_status tandem_map_delete(tandem_doc* doc, const tandem_container* map, const char* key,
                                tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, map, ContainerType::kMap, &c, err)) return st;
    if (tandem_status st = CheckKey(key, err)) return st;
    if (!c.AsMap().Get(key)) return Fail(err, TANDEM_E_NOT_FOUND, "no such key: " + std::string(key));
    return FromCore(c.AsMap().Delete(key), err);
  });
}

tandem_status tandem_map_len(const tandem_doc* doc, const tandem_container* map, uint64_t* out,
                             tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, map, ContainerType::kMap, &c, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = c.AsMap().size();
    return TANDEM_OK;
  });
}

tandem_status tandem_map_keys(const tandem_doc* doc, const tandem_container* map,
                              tandem_strings* out, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, map, ContainerType::kMap, &c, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    std::vector<std::string> keys = c.AsMap().Keys();
    tandem_strings list{nullptr, 0};
    if (!keys.empty()) {
      list.items = static_cast<tandem_buf*>(std::calloc(keys.size(), sizeof(tandem_buf)));
      if (!list.items) throw std::bad_alloc();
      try {
        for (const std::string& k : keys) SetBuf(k, &list.items[list.count++]);
      } catch (...) {
        --list.count;  // the failed item holds nothing
        tandem_strings_free(&list);
        throw;
      }
    }
    *out = list;
    return TANDEM_OK;
  });
}

tandem_status tandem_map_get_or_create(tandem_doc* doc, const tandem_container* map,
                                       const char* key, uint32_t type, tandem_container* out,
                                       tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, map, ContainerType::kMap, &c, err)) return st;
    if (tandem_status st = CheckKey(key, err)) return st;
    ContainerType t;
    if (tandem_status st = CheckContainerType(type, &t, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    Container child;
    if (tandem_status st = FromCore(c.AsMap().GetOrCreate(key, t, &child), err)) return st;
    *out = MakeHandle(doc, child);
    return TANDEM_OK;
  });
}

// ---- Lists

tandem_status tandem_list_len(const tandem_doc* doc, const tandem_container* list, uint64_t* out,
                              tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, list, ContainerType::kList, &c, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = c.AsList().size();
    return TANDEM_OK;
  });
}

tandem_status tandem_list_get(const tandem_doc* doc, const tandem_container* list, uint64_t index,
                              tandem_value* out, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, list, ContainerType::kList, &c, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    ListRef l = c.AsList();
    if (index >= l.size()) return Fail(err, TANDEM_E_RANGE, "list index out of range");
    std::optional<Value> v = l.Get(index);
    if (!v) return Fail(err, TANDEM_E_INTERNAL, "list element missing");
    std::optional<tandem_container> handle;
    if (v->is_container()) {
      if (auto child = l.GetContainer(index)) handle = MakeHandle(doc, *child);
    }
    ToOwnedC(*v, handle, out);
    return TANDEM_OK;
  });
}

tandem_status tandem_list_insert(tandem_doc* doc, const tandem_container* list, uint64_t index,
                                 const tandem_value* values, size_t count, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, list, ContainerType::kList, &c, err)) return st;
    if (count > 0) {
      if (tandem_status st = NotNull(values, "values", err)) return st;
    }
    ListRef l = c.AsList();
    if (index > l.size()) return Fail(err, TANDEM_E_RANGE, "list index out of range");
    std::vector<Value> vs(count);
    for (size_t i = 0; i < count; ++i) {
      if (tandem_status st = ToCore(&values[i], &vs[i], err)) return st;
    }
    return FromCore(l.Insert(index, vs), err);
  });
}

tandem_status tandem_list_push(tandem_doc* doc, const tandem_container* list,
                               const tandem_value* value, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, list, ContainerType::kList, &c, err)) return st;
    Value v;
    if (tandem_status st = ToCore(value, &v, err)) return st;
    return FromCore(c.AsList().Push(v), err);
  });
}

tandem_status tandem_list_delete(tandem_doc* doc, const tandem_container* list, uint64_t index,
                                 uint64_t count, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, list, ContainerType::kList, &c, err)) return st;
    ListRef l = c.AsList();
    const uint64_t n = l.size();
    if (index > n || count > n - index)
      return Fail(err, TANDEM_E_RANGE, "list delete range out of range");
    if (count == 0) return TANDEM_OK;
    return FromCore(l.Delete(index, count), err);
  });
}

tandem_status tandem_list_insert_container(tandem_doc* doc, const tandem_container* list,
                                           uint64_t index, uint32_t type, tandem_container* out,
                                           tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, list, ContainerType::kList, &c, err)) return st;
    ContainerType t;
    if (tandem_status st = CheckContainerType(type, &t, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    ListRef l = c.AsList();
    if (index > l.size()) return Fail(err, TANDEM_E_RANGE, "list index out of range");
    Container child;
    if (tandem_status st = FromCore(l.InsertContainer(index, t, &child), err)) return st;
    *out = MakeHandle(doc, child);
    return TANDEM_OK;
  });
}

// ---- Texts

tandem_status tandem_text_len(const tandem_doc* doc, const tandem_container* text, int32_t unit,
                              uint64_t* out, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, text, ContainerType::kText, &c, err)) return st;
    IndexUnit u;
    if (tandem_status st = CheckUnit(unit, &u, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = c.AsText().length(u);
    return TANDEM_OK;
  });
}

tandem_status tandem_text_read(const tandem_doc* doc, const tandem_container* text,
                               tandem_buf* out, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, text, ContainerType::kText, &c, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    SetBuf(c.AsText().ToString(), out);
    return TANDEM_OK;
  });
}

tandem_status tandem_text_insert(tandem_doc* doc, const tandem_container* text, uint64_t index,
                                 int32_t unit, const char* utf8, size_t len, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, text, ContainerType::kText, &c, err)) return st;
    IndexUnit u;
    if (tandem_status st = CheckUnit(unit, &u, err)) return st;
    if (!utf8 && len > 0) return Fail(err, TANDEM_E_INVALID_ARG, "text is NULL");
    TextRef t = c.AsText();
    if (index > t.length(u)) return Fail(err, TANDEM_E_RANGE, "text index out of range");
    return FromCore(t.Insert(index, std::string_view(utf8 ? utf8 : "", len), u), err);
  });
}

tandem_status tandem_text_delete(tandem_doc* doc, const tandem_container* text, uint64_t index,
                                 uint64_t count, int32_t unit, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, text, ContainerType::kText, &c, err)) return st;
    IndexUnit u;
    if (tandem_status st = CheckUnit(unit, &u, err)) return st;
    TextRef t = c.AsText();
    const uint64_t n = t.length(u);
    if (index > n || count > n - index)
      return Fail(err, TANDEM_E_RANGE, "text delete range out of range");
    return FromCore(t.Delete(index, count, u), err);
  });
}

tandem_status tandem_text_convert_index(const tandem_doc* doc, const tandem_container* text,
                                        uint64_t index, int32_t from, int32_t to, uint64_t* out,
                                        tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, text, ContainerType::kText, &c, err)) return st;
    IndexUnit f, t;
    if (tandem_status st = CheckUnit(from, &f, err)) return st;
    if (tandem_status st = CheckUnit(to, &t, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    TextRef tr = c.AsText();
    if (index > tr.length(f)) return Fail(err, TANDEM_E_RANGE, "text index out of range");
    uint64_t r = 0;
    if (tandem_status st = FromCore(tr.ConvertIndex(index, f, t, &r), err)) return st;
    *out = r;
    return TANDEM_OK;
  });
}

// ---- Counters

tandem_status tandem_counter_add(tandem_doc* doc, const tandem_container* counter, int64_t delta,
                                 tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, counter, ContainerType::kCounter, &c, err))
      return st;
    return FromCore(c.AsCounter().Add(delta), err);
  });
}

tandem_status tandem_counter_value(const tandem_doc* doc, const tandem_container* counter,
                                   int64_t* out, tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, counter, ContainerType::kCounter, &c, err))
      return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = c.AsCounter().value();
    return TANDEM_OK;
  });
}

}  // extern "C"
