#include "container_columns.h"

#include <algorithm>

#include "tandem.pb.h"

#include "column_helpers.h"
#include "utf8.h"

namespace tandem {

using column::CounterDeltas;
using column::CounterReader;
using column::PutRuns;
using column::RunReader;

std::vector<std::string_view> EncodeKeyTable(const std::vector<ContainerKey>& table,
                                             const std::vector<MapOp>& map_ops,
                                             wire::DocUpdate* msg) {
  std::vector<std::string_view> keys;
  for (const ContainerKey& k : table)
    if (k.kind == ContainerKey::kMapChild) keys.push_back(k.key);
  for (const MapOp& m : map_ops) keys.push_back(m.key);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::string* text = msg->mutable_key_text();
  for (std::string_view k : keys) {
    text->append(k);
    // Keys fit 32 bits: a message that held a longer one would be refused
    // (DocLimits::max_update_bytes) before its table is read.
    msg->add_key_len(static_cast<uint32_t>(k.size()));
  }
  // Views of the message's own copy: the caller may reorder its operations.
  size_t at = 0;
  for (std::string_view& k : keys) {
    k = std::string_view(*text).substr(at, k.size());
    at += k.size();
  }
  return keys;
}

uint32_t KeyIndex(const std::vector<std::string_view>& keys, std::string_view key) {
  return static_cast<uint32_t>(std::lower_bound(keys.begin(), keys.end(), key) - keys.begin());
}

Status DecodeKeyTable(const wire::DocUpdate& msg, std::vector<std::string_view>* out) {
  const std::string_view text = msg.key_text();
  if (msg.key_len_size() == 0) {
    if (!text.empty()) return Status::Corrupt("key text without key lengths");
    return Status::Ok();
  }
  // The text as a whole is UTF-8 and no key starts inside a character:
  // then each key is whole characters, valid on its own.
  if (!utf8::Validate(text, nullptr)) return Status::Corrupt("map key is not UTF-8");
  out->reserve(static_cast<size_t>(msg.key_len_size()));
  size_t at = 0;
  for (uint32_t len : msg.key_len()) {
    if (len > text.size() - at) return Status::Corrupt("key lengths exceed the key text");
    if (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80)
      return Status::Corrupt("map key is not UTF-8");
    out->push_back(text.substr(at, len));
    at += len;
  }
  if (at != text.size()) return Status::Corrupt("key text longer than its keys");
  return Status::Ok();
}

void EncodeContainerColumns(const std::vector<ContainerKey>& table, const PeerList& peers,
                            const std::vector<std::string_view>& keys,
                            wire::ContainerColumns* out) {
  std::vector<uint32_t> item_peers;
  CounterDeltas item_counters;
  for (uint32_t i = 0; i < table.size(); ++i) {
    const ContainerKey& k = table[i];
    out->add_kind_type(static_cast<uint32_t>(k.kind) * 8 + static_cast<uint32_t>(k.type));
    if (k.kind == ContainerKey::kMapChild) {
      out->add_parent_distance(i - k.parent);
      out->add_key(KeyIndex(keys, k.key));
    } else if (k.kind == ContainerKey::kItem) {
      item_peers.push_back(peers.Index(k.item.peer));
      out->add_item_counter(item_counters.Next(k.item.peer, k.item.counter));
    }
  }
  PutRuns(item_peers, out->mutable_item_peer_runs());
}

Status DecodeContainerColumns(const wire::ContainerColumns& in, std::span<const PeerId> peers,
                              std::span<const std::string_view> keys,
                              std::vector<ContainerKey>* out) {
  // Kinds and types first, and the columns' lengths against them: the
  // table's size is bounded by the message's, and nothing is read past a
  // column's end.
  const size_t n = static_cast<size_t>(in.kind_type_size());
  size_t children = 0, items = 0;
  for (uint32_t kt : in.kind_type()) {
    if (!IsContainerType(kt % 8)) return Status::Corrupt("unknown container type");
    const uint32_t kind = kt / 8;
    if (kind > ContainerKey::kItem) return Status::Corrupt("unknown container kind");
    children += kind == ContainerKey::kMapChild;
    items += kind == ContainerKey::kItem;
  }
  if (static_cast<size_t>(in.parent_distance_size()) != children ||
      static_cast<size_t>(in.key_size()) != children ||
      static_cast<size_t>(in.item_counter_size()) != items) {
    return Status::Corrupt("container columns differ in length");
  }
  RunReader item_peers(in.item_peer_runs());
  Status s = item_peers.Check(items, peers.size());
  if (!s.ok()) return s;
  CounterReader item_counters;
  out->resize(n);
  size_t child = 0, item = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t kt = in.kind_type(static_cast<int>(i));
    ContainerKey& k = (*out)[i];
    k.kind = static_cast<ContainerKey::Kind>(kt / 8);
    k.type = static_cast<ContainerType>(kt % 8);
    switch (k.kind) {
      case ContainerKey::kRoot:
        if (k.type != ContainerType::kMap) return Status::Corrupt("the root container is a map");
        break;
      case ContainerKey::kMapChild: {
        const uint32_t distance = in.parent_distance(static_cast<int>(child));
        const uint32_t key = in.key(static_cast<int>(child));
        ++child;
        if (distance == 0 || distance > i) return Status::Corrupt("container refers to a later parent");
        k.parent = static_cast<uint32_t>(i - distance);
        if ((*out)[k.parent].type != ContainerType::kMap)
          return Status::Corrupt("container's parent is not a map");
        if (key >= keys.size()) return Status::Corrupt("map key index out of range");
        k.key = keys[key];
        break;
      }
      case ContainerKey::kItem: {
        const uint32_t p = item_peers.Next();
        if (!item_counters.Next(p, in.item_counter(static_cast<int>(item)), &k.item.counter))
          return Status::Corrupt("container item id out of range");
        ++item;
        k.item.peer = peers[p];
        break;
      }
    }
  }
  return Status::Ok();
}

}  // namespace tandem
