// Map writes as rows (DocUpdate.map_writes, a MapWrite each; docs/format.md).
//
// Most updates are one transaction setting one key. In MapOps' columns
// that write was 56 bytes, half of them the tags and lengths of ten
// columns and of a container table naming the root map; as a row with the
// root implied it is about 30.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <google/protobuf/repeated_ptr_field.h>

#include "columns.h"
#include "doc_ops.h"
#include "status.h"

namespace tandem::wire {
class MapWrite;
}  // namespace tandem::wire

namespace tandem {

// Whether a message of `writes` map writes writes them as rows: a few,
// and only without a message key table (whose messages are large, and
// whose columns index the table rather than repeat each key). Up to 3 rows
// are smaller than the columns for ints, strings and decimals alike (3
// decimals: 72 bytes against 75); from 4 on, doubles are not (a row holds
// 8 bytes of IEEE bits where the columns hold a 3-byte decimal).
inline bool UseMapWriteRows(size_t writes, bool key_table) {
  return writes <= 3 && !key_table;
}

// Writes `ops` (sorted by id), with container positions mapped by `where`.
void EncodeMapWriteRows(const std::vector<MapOp>& ops, std::span<const uint32_t> where,
                        const PeerList& peers,
                        google::protobuf::RepeatedPtrField<wire::MapWrite>* out);

// Reads and checks the rows against the message's container table and
// peer table: containers in range and maps, peers in range, counters and
// Lamport times in range, keys and strings UTF-8, one value each.
Status DecodeMapWriteRows(const google::protobuf::RepeatedPtrField<wire::MapWrite>& in,
                          std::span<const ContainerKey> containers,
                          std::span<const PeerId> peers, std::vector<MapOp>* out);

}  // namespace tandem
