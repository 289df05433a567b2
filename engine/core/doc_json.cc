// Doc::ToJson and sticky position encoding.
#include <charconv>
#include <cmath>

#include "tandem.pb.h"

#include "doc.h"
#include "doc_codec.h"
#include "doc_collect.h"
#include "doc_state.h"
#include "format.h"

namespace tandem {

namespace {

void JsonString(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (ch < 0x20) {
          *out += "\\u00";
          out->push_back(kHex[ch >> 4]);
          out->push_back(kHex[ch & 15]);
        } else {
          out->push_back(static_cast<char>(ch));
        }
    }
  }
  out->push_back('"');
}

void Base64(std::string_view in, std::string* out) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->push_back('"');
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out->push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out->push_back('=');
  }
  out->push_back('"');
}

void JsonScalar(const Value& v, std::string* out) {
  char buf[32];
  switch (v.kind()) {
    case Value::Kind::kNull: *out += "null"; break;
    case Value::Kind::kBool: *out += v.as_bool() ? "true" : "false"; break;
    case Value::Kind::kInt: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out->append(buf, r.ptr);
      break;
    }
    case Value::Kind::kDouble: {
      if (!std::isfinite(v.as_double())) {
        *out += "null";
        break;
      }
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
      out->append(buf, r.ptr);
      break;
    }
    case Value::Kind::kString: JsonString(v.as_string(), out); break;
    case Value::Kind::kBytes: Base64(v.as_string(), out); break;
    case Value::Kind::kContainer: *out += "null"; break;  // resolved by the caller
  }
}

}  // namespace

std::string Value::DebugString() const {
  if (kind() == Kind::kContainer) return "<" + std::string(ContainerTypeName(container_type())) + ">";
  std::string out;
  JsonScalar(*this, &out);
  return out;
}

void Doc::JsonOf(uint32_t c, std::string* out) const {
  const ContainerNode& n = *nodes_[c];
  auto value = [&](const Value& v, std::optional<uint32_t> child) {
    if (v.is_container() && child) {
      JsonOf(*child, out);
    } else if (v.is_container()) {
      // A container nobody wrote into has no node yet: it is empty.
      switch (v.container_type()) {
        case ContainerType::kMap: *out += "{}"; break;
        case ContainerType::kList: *out += "[]"; break;
        case ContainerType::kText: *out += "\"\""; break;
        case ContainerType::kCounter: *out += "0"; break;
      }
    } else {
      JsonScalar(v, out);
    }
  };
  switch (n.type) {
    case ContainerType::kMap: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, slot] : n.map->slots) {
        if (!slot.present) continue;
        if (!first) out->push_back(',');
        first = false;
        JsonString(key, out);
        out->push_back(':');
        std::optional<uint32_t> child;
        if (slot.value.is_container()) {
          const uint32_t ci = slot.child[static_cast<size_t>(slot.value.container_type()) - 1];
          if (ci) child = ci - 1;
        }
        value(slot.value, child);
      }
      out->push_back('}');
      break;
    }
    case ContainerType::kList: {
      out->push_back('[');
      bool first = true;
      const SeqState& st = *n.seq;
      for (const RunLeaf* l = st.seq.tree().first_leaf(); l; l = l->next) {
        for (uint32_t i = 0; i < l->count; ++i) {
          const Run& r = l->runs[i];
          if (r.deleted()) continue;
          for (uint32_t k = 0; k < r.len; ++k) {
            if (!first) out->push_back(',');
            first = false;
            const std::optional<Value> v = st.values.Find(r.peer, r.counter + k);
            if (!v) {
              *out += "null";
              continue;
            }
            std::optional<uint32_t> child;
            if (v->is_container()) {
              auto it = item_containers_.find(OpId{st.seq.peers().id(r.peer), r.counter + k});
              if (it != item_containers_.end()) child = it->second;
            }
            value(*v, child);
          }
        }
      }
      out->push_back(']');
      break;
    }
    case ContainerType::kText: JsonString(TextRef(const_cast<Doc*>(this), c).ToString(), out); break;
    case ContainerType::kCounter: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, n.counter->value);
      out->append(buf, r.ptr);
      break;
    }
  }
}

std::string Doc::ToJson() const {
  std::string out;
  JsonOf(0, &out);
  return out;
}

Status Doc::ToJson(Container c, std::string* out) const {
  if (c.doc() != this || c.index() >= nodes_.size())
    return Status::InvalidArgument("container belongs to another document");
  out->clear();
  JsonOf(c.index(), out);
  return Status::Ok();
}

std::string Doc::EncodeSticky(const StickyPosition& pos) const {
  DocCollector col(*this, false);
  col.AddNode(pos.container.index());
  DocOps ops = col.Take();
  PeerList peers;
  for (const ContainerKey& k : ops.containers)
    if (k.kind == ContainerKey::kItem) peers.Add(k.item.peer);
  if (pos.item) peers.Add(pos.item->peer);
  peers.Seal();
  wire::StickyPosition msg;
  msg.set_format_version(format::kDocUpdateVersion);
  for (PeerId p : peers.ids()) msg.add_peers(p);
  EncodeContainerTable(ops.containers, peers, msg.mutable_containers());
  if (pos.item) {
    msg.set_has_item(true);
    msg.set_item_peer(peers.Index(pos.item->peer));
    msg.set_item_counter(pos.item->counter);
  }
  msg.set_assoc(pos.assoc);
  std::string out;
  msg.SerializeToString(&out);
  return out;
}

Status Doc::DecodeSticky(std::string_view bytes, StickyPosition* out) {
  wire::StickyPosition msg;
  if (bytes.size() > INT32_MAX || !msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return Status::Corrupt("sticky position is not a valid protobuf message");
  if (msg.format_version() != format::kDocUpdateVersion)
    return Status::Unsupported("sticky position format version " +
                               std::to_string(msg.format_version()));
  std::vector<PeerId> peers(msg.peers().begin(), msg.peers().end());
  Status s = CheckPeerTable(std::span<const PeerId>(peers));
  if (!s.ok()) return s;
  std::vector<ContainerKey> table;
  s = DecodeContainerTable(msg.containers(), peers, &table);
  if (!s.ok()) return s;
  if (table.empty()) return Status::Corrupt("sticky position names no container");
  if (msg.assoc() > 1) return Status::Corrupt("sticky position association out of range");
  uint32_t c;
  OpId wait;
  if (ResolveKey(table, static_cast<uint32_t>(table.size() - 1), &c, &wait) != Resolution::kFound)
    return Status::InvalidArgument("sticky position's container is not in this document (yet)");
  if (!nodes_[c]->seq) return Status::Corrupt("sticky position in a map or counter");
  StickyPosition p;
  p.container = Container(this, c);
  p.assoc = static_cast<StickyPosition::Assoc>(msg.assoc());
  if (msg.has_item()) {
    if (msg.item_peer() >= peers.size() || msg.item_counter() > kMaxCounter)
      return Status::Corrupt("sticky position item out of range");
    p.item = OpId{peers[msg.item_peer()], msg.item_counter()};
  }
  *out = p;
  return Status::Ok();
}

}  // namespace tandem
