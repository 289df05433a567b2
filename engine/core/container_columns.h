// The container table in columns and the message's key table
// (DocUpdate.container_columns, key_text and key_len; docs/format.md).
//
// A whiteboard's update names 20,000 containers and writes 10,000 shape
// ids. As a ContainerRef each, the table was 20,000 sub-messages with a heap
// string apiece to parse on every load, and each id was written twice, once
// naming the shape's map and once in its parent's write, too far apart for
// deflate to see. In columns, with one key table, it is a handful of fields.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "columns.h"
#include "doc_ops.h"
#include "status.h"

namespace tandem::wire {
class ContainerColumns;
class DocUpdate;
}  // namespace tandem::wire

namespace tandem {

// Whether a message naming `containers` containers writes them in columns
// with a key table. A small table is smaller as ContainerRefs: a column
// costs its tag and length, and an update writing one key of the root map
// (most updates) would grow from 10 bytes of names to 14.
inline bool UseContainerColumns(size_t containers) {
  return containers >= 16;
}

// Writes every key `table` (map children) and `map_ops` name to msg's key
// table, ascending and without repeats, and returns them: views into
// msg->key_text(), valid while it is not changed.
std::vector<std::string_view> EncodeKeyTable(const std::vector<ContainerKey>& table,
                                             const std::vector<MapOp>& map_ops,
                                             wire::DocUpdate* msg);
// The position of `key` in `keys` (from EncodeKeyTable, which holds it).
uint32_t KeyIndex(const std::vector<std::string_view>& keys, std::string_view key);

// Reads msg's key table: views into msg.key_text(), valid while `msg` is.
// The lengths must add up to the text, and every key must be UTF-8. Empty
// when the message has none (older writers' messages).
Status DecodeKeyTable(const wire::DocUpdate& msg, std::vector<std::string_view>* out);

// Writes `table` (parents before children) with keys as positions in
// `keys`, which holds every one of them.
void EncodeContainerColumns(const std::vector<ContainerKey>& table, const PeerList& peers,
                            const std::vector<std::string_view>& keys,
                            wire::ContainerColumns* out);
// Reads and checks the table, as DecodeContainerTable does the older layout:
// known kinds and types, a map root, every map child's parent an earlier
// map (no cycle can be written down), keys and element ids in range.
Status DecodeContainerColumns(const wire::ContainerColumns& in, std::span<const PeerId> peers,
                              std::span<const std::string_view> keys,
                              std::vector<ContainerKey>* out);

}  // namespace tandem
