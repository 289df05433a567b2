#include "net/document.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "store/doc_loader.h"

namespace tandem::net {

std::unique_ptr<Document> NewDocument(PeerId peer) { return std::make_unique<Document>(peer); }

Status ApplyDocumentUpdate(Document& doc, std::string_view bytes, bool* changed) {
  VersionVector before = doc.version();
  uint64_t pending_before = doc.pending_ops();
  Status st = doc.ApplyUpdate(bytes, "remote");
  if (changed != nullptr) {
    *changed = st.ok() && (!(doc.version() == before) || doc.pending_ops() != pending_before);
  }
  return st;
}

store::StoreStatus LoadDocument(store::LogStore& store, std::string_view name, PeerId peer,
                                std::unique_ptr<Document>* out, bool* existed) {
  std::unique_ptr<Document> doc;
  store::StoreStatus st = store::LoadDoc(store, name, peer, &doc);
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
  return store::OpenDocStore(path, std::move(options), out);
}

std::string DocumentToJson(const Document& doc) { return doc.ToJson(); }

namespace {

std::string Absolute(std::string_view path) {
  if (path.empty() || path[0] == '/') return std::string(path);
  return "/" + std::string(path);
}

// Splits "/a/b/c" into "/a/b" and the unescaped last segment "c".
Status SplitLast(std::string_view path, std::string* parent, std::string* last) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return Status::InvalidArgument("a path starts with '/'");
  *parent = std::string(path.substr(0, slash));
  last->clear();
  std::string_view seg = path.substr(slash + 1);
  for (size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] == '~' && i + 1 < seg.size() && (seg[i + 1] == '0' || seg[i + 1] == '1')) {
      last->push_back(seg[i + 1] == '0' ? '~' : '/');
      ++i;
    } else {
      last->push_back(seg[i]);
    }
  }
  return Status::Ok();
}

Status WriteJson(Document& doc, MapRef map, const std::string& key, const nlohmann::json& v);

// A JSON scalar as a value (unsigned integers past int64 become doubles).
Value ScalarOf(const nlohmann::json& v) {
  if (v.is_string()) return Value::String(v.get_ref<const std::string&>());
  if (v.is_boolean()) return Value::Bool(v.get<bool>());
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return Value::Double(v.get<double>());
  if (v.is_number_integer()) return Value::Int(v.get<int64_t>());
  if (v.is_number()) return Value::Double(v.get<double>());
  return Value::Null();
}

// Fills a list with the JSON array `a` (after what it holds).
Status FillList(Document& doc, ListRef list, const nlohmann::json& a) {
  for (const auto& item : a) {
    Status st;
    if (item.is_object() || item.is_array()) {
      Container c;
      st = list.InsertContainer(list.size(), item.is_object() ? ContainerType::kMap : ContainerType::kList, &c);
      if (!st.ok()) return st;
      if (item.is_object()) {
        for (auto it = item.begin(); it != item.end() && st.ok(); ++it)
          st = WriteJson(doc, c.AsMap(), it.key(), it.value());
      } else {
        st = FillList(doc, c.AsList(), item);
      }
    } else {
      st = list.Push(ScalarOf(item));
    }
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status WriteJson(Document& doc, MapRef map, const std::string& key, const nlohmann::json& v) {
  if (v.is_object()) {
    Container c;
    Status st = map.GetOrCreate(key, ContainerType::kMap, &c);
    for (auto it = v.begin(); it != v.end() && st.ok(); ++it) st = WriteJson(doc, c.AsMap(), it.key(), it.value());
    return st;
  }
  if (v.is_array()) {
    Container c;
    Status st = map.GetOrCreate(key, ContainerType::kList, &c);
    if (!st.ok()) return st;
    ListRef list = c.AsList();
    if (list.size() > 0) st = list.Delete(0, list.size());  // the array replaces the list's content
    return st.ok() ? FillList(doc, list, v) : st;
  }
  if (v.is_string()) {
    std::optional<Container> cur = map.GetContainer(key);
    if (cur && cur->type() == ContainerType::kText) {
      TextRef text = cur->AsText();
      Status st = text.length() > 0 ? text.Delete(0, text.length()) : Status::Ok();
      const std::string& s = v.get_ref<const std::string&>();
      return st.ok() && !s.empty() ? text.Insert(0, s) : st;
    }
    return map.Set(key, Value::String(v.get_ref<const std::string&>()));
  }
  return map.Set(key, ScalarOf(v));
}

// The text at `path`, made in its parent map when `create` and missing.
Status FindText(Document& doc, std::string_view path, bool create, TextRef* out) {
  const std::string abs = Absolute(path);
  Container c;
  Status st = doc.Resolve(abs, &c);
  if (st.code() == StatusCode::kNotFound && create) {
    std::string parent, key;
    st = SplitLast(abs, &parent, &key);
    if (!st.ok()) return st;
    Container p;
    st = doc.Resolve(parent, &p);
    if (!st.ok()) return st;
    if (p.type() != ContainerType::kMap)
      return Status::InvalidArgument("a new text goes in a map; '" + parent + "' is not one");
    st = p.AsMap().GetOrCreate(key, ContainerType::kText, &c);
  }
  if (!st.ok()) return st;
  if (c.type() != ContainerType::kText)
    return Status::InvalidArgument("'" + abs + "' is a " + std::string(ContainerTypeName(c.type())) +
                                   ", not a text");
  *out = c.AsText();
  return Status::Ok();
}

}  // namespace

Status SetDocumentPath(Document& doc, std::string_view path, std::string_view json) {
  nlohmann::json value = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::InvalidArgument("value is not valid JSON");
  const std::string abs = Absolute(path);
  if (abs.empty() || abs == "/") {
    if (!value.is_object()) return Status::InvalidArgument("the root takes a JSON object");
    Status st;
    for (auto it = value.begin(); it != value.end() && st.ok(); ++it)
      st = WriteJson(doc, doc.root(), it.key(), it.value());
    return st;
  }
  std::string parent, key;
  Status st = SplitLast(abs, &parent, &key);
  if (!st.ok()) return st;
  Container p;
  st = doc.Resolve(parent, &p);
  if (!st.ok()) return st;
  if (p.type() == ContainerType::kMap) return WriteJson(doc, p.AsMap(), key, value);
  if (p.type() == ContainerType::kList) {
    // A list element: replace it (delete + insert at the same index).
    ListRef list = p.AsList();
    uint64_t index = 0;
    auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
    if (ec != std::errc() || end != key.data() + key.size() || index > list.size())
      return Status::InvalidArgument("'" + key + "' is not an index of the list at '" + parent + "'");
    if ((value.is_object() || value.is_array()) && index != list.size())
      return Status::InvalidArgument("a new map or list goes at the end of a list (index " +
                                     std::to_string(list.size()) + ")");
    if (index < list.size()) {
      st = list.Delete(index, 1);
      if (!st.ok()) return st;
    }
    if (value.is_object() || value.is_array()) return FillList(doc, list, nlohmann::json::array({value}));
    const Value v = ScalarOf(value);
    return list.Insert(index, std::span<const Value>(&v, 1));
  }
  return Status::InvalidArgument("'" + parent + "' is a " + std::string(ContainerTypeName(p.type())) +
                                 ": values go in maps and lists");
}

Status InsertTextAt(Document& doc, std::string_view path, uint64_t index, std::string_view text) {
  TextRef t;
  Status st = FindText(doc, path, /*create=*/true, &t);
  return st.ok() ? t.Insert(index, text) : st;
}

Status DeleteTextAt(Document& doc, std::string_view path, uint64_t index, uint64_t count) {
  TextRef t;
  Status st = FindText(doc, path, /*create=*/false, &t);
  return st.ok() ? t.Delete(index, count) : st;
}

std::string TextAt(const Document& doc, std::string_view path) {
  Container c;
  if (!const_cast<Document&>(doc).Resolve(Absolute(path), &c).ok() || c.type() != ContainerType::kText)
    return {};
  return c.AsText().ToString();
}

uint64_t TextLengthAt(const Document& doc, std::string_view path) {
  Container c;
  if (!const_cast<Document&>(doc).Resolve(Absolute(path), &c).ok() || c.type() != ContainerType::kText)
    return 0;
  return c.AsText().length();
}

Status EditDocument(Document& doc, const std::function<Status(Document&)>& edit,
                    std::string* update) {
  update->clear();
  Status st = doc.BeginTransaction("local");
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
