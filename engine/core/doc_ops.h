// DocOps: the decoded form of a DocUpdate — what the codec produces from
// bytes after validation and what a Doc applies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "container_type.h"
#include "op_id.h"
#include "update_ops.h"
#include "value.h"

namespace tandem {

// A container's name as it travels (schema/tandem.proto, ContainerRef).
struct ContainerKey {
  enum Kind : uint8_t { kRoot = 0, kMapChild = 1, kItem = 2 };
  Kind kind = kRoot;
  ContainerType type = ContainerType::kMap;
  uint32_t parent = 0;  // kMapChild: position of the parent in the same table
  std::string key;      // kMapChild
  OpId item;            // kItem
};

// Inserts and deletes of one Text or List. For a List, `ops.text` holds one
// placeholder byte per visible item and `values` one value per visible item,
// in row order.
struct SequenceSection {
  uint32_t container = 0;  // position in DocOps::containers
  UpdateOps ops;
  std::vector<Value> values;
  // Instead of `values`, when the decoder was asked for it (a snapshot's
  // loader) and every value is a plain double: the form ListValues keeps
  // them in, without making a Value of each first.
  std::vector<double> doubles;
  // List items in deleted runs whose value is a container, sorted by id.
  std::vector<std::pair<OpId, ContainerType>> dead_containers;
  // No value is a container: set by the decoder, which sees every kind, so
  // that a snapshot's loader need not look at each value again.
  bool scalars_only = false;
};

// A write of `key` in a map. `deleted` = the key was deleted.
struct MapOp {
  OpId id;
  uint32_t container = 0;
  uint64_t lamport = 0;
  std::string key;
  Value value;
  bool deleted = false;
};

struct CounterOp {
  OpId id;
  uint32_t container = 0;
  int64_t delta = 0;
};

// Ids [id.counter, id.counter + len) of id.peer that carry nothing.
struct NoopRange {
  OpId id;
  uint64_t len = 0;
};

struct DocOps {
  std::vector<ContainerKey> containers;
  std::vector<SequenceSection> sequences;
  std::vector<MapOp> map_ops;
  std::vector<CounterOp> counter_ops;
  std::vector<NoopRange> noops;
  bool empty() const {
    return sequences.empty() && map_ops.empty() && counter_ops.empty() && noops.empty();
  }
};

// The placeholder a List's items hold in the sequence tree (one byte, one
// code point each): the values live beside the tree.
inline constexpr char kListItemPlaceholder = '\x01';

}  // namespace tandem
