// JSON-pointer paths of a Doc's containers: PathOf and Resolve, with the
// RFC 6901 escapes. Kept apart: paths are a view over the tree for hosts,
// not part of how the tree is kept.
#include <algorithm>
#include <charconv>

#include "doc.h"
#include "doc_state.h"

namespace tandem {

namespace {

void AppendEscaped(std::string_view seg, std::string* out) {
  out->push_back('/');
  for (char ch : seg) {
    if (ch == '~') {
      *out += "~0";
    } else if (ch == '/') {
      *out += "~1";
    } else {
      out->push_back(ch);
    }
  }
}

bool Unescape(std::string_view seg, std::string* out) {
  out->clear();
  for (size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] != '~') {
      out->push_back(seg[i]);
      continue;
    }
    if (i + 1 >= seg.size() || (seg[i + 1] != '0' && seg[i + 1] != '1')) return false;
    out->push_back(seg[i + 1] == '0' ? '~' : '/');
    ++i;
  }
  return true;
}

}  // namespace

std::optional<std::string> Doc::PathOf(Container c) const {
  std::vector<std::string> segs;
  uint32_t i = c.index();
  while (i != 0) {
    const ContainerNode& n = *nodes_[i];
    if (n.kind == ContainerKey::kMapChild) {
      const MapState& m = *nodes_[n.parent]->map;
      auto it = m.slots.find(n.key);
      if (it == m.slots.end() || !it->second.present || !it->second.value.is_container() ||
          it->second.value.container_type() != n.type) {
        return std::nullopt;
      }
      segs.push_back(n.key);
    } else {
      const SeqState& s = *nodes_[n.parent]->seq;
      RunTree::Loc loc = s.seq.Find(n.item);
      if (!loc.leaf || loc.run().deleted()) return std::nullopt;
      segs.push_back(std::to_string(s.seq.CharsBefore(loc)));
    }
    i = n.parent;
  }
  std::string out;
  for (size_t k = segs.size(); k-- > 0;) AppendEscaped(segs[k], &out);
  return out;
}

Status Doc::Resolve(std::string_view path, Container* out) {
  if (!path.empty() && path[0] != '/')
    return Status::InvalidArgument("a path starts with '/' (or is empty for the root)");
  uint32_t c = 0;
  std::string seg;
  size_t pos = path.empty() ? path.size() : 1;
  while (pos <= path.size() && !path.empty()) {
    const size_t end = std::min(path.find('/', pos), path.size());
    if (!Unescape(path.substr(pos, end - pos), &seg))
      return Status::InvalidArgument("bad escape in path segment");
    const ContainerNode& n = *nodes_[c];
    std::optional<Container> next;
    if (n.type == ContainerType::kMap) {
      next = MapRef(this, c).GetContainer(seg);
    } else if (n.type == ContainerType::kList) {
      uint64_t idx = 0;
      auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), idx);
      if (ec != std::errc() || p != seg.data() + seg.size() || seg.empty())
        return Status::InvalidArgument("list path segment '" + seg + "' is not an index");
      next = ListRef(this, c).GetContainer(idx);
    } else {
      return Status::InvalidArgument("path goes through a " +
                                     std::string(ContainerTypeName(n.type)));
    }
    if (!next)
      return Status::NotFound("no container at '" + std::string(path.substr(0, end)) + "'");
    c = next->index();
    pos = end + 1;
  }
  *out = Container(this, c);
  return Status::Ok();
}

}  // namespace tandem
