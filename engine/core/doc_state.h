// The state of a Doc's containers (internal to engine/core).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delete_log.h"
#include "doc.h"
#include "doc_ops.h"
#include "list_values.h"
#include "sequence.h"
#include "text_delta.h"

namespace tandem {

// A Text's or List's items, delete log and (List) values.
struct SeqState {
  Sequence seq;
  DeleteLog deletes;
  ListValues values;
};

// One key of a Map: its winning write and the containers made under it.
struct MapSlot {
  OpId id;                 // the winning write (valid when `written`)
  uint64_t lamport = 0;
  Value value;             // when present
  bool written = false;    // some write of this key is known
  bool present = false;    // the winning write set a value (not a delete)
  std::array<uint32_t, 4> child{};  // container index + 1, per ContainerType - 1

  // Whether a write (lamport, peer, counter) beats the current winner.
  bool LosesTo(uint64_t l, const OpId& w) const {
    if (!written) return true;
    return std::tuple(lamport, id.peer, id.counter) < std::tuple(l, w.peer, w.counter);
  }
};

struct MapState {
  using Slots = std::map<std::string, MapSlot, std::less<>>;
  Slots slots;
  uint64_t present = 0;  // keys with a value

  // The slot of `key`, made (unwritten) if missing: one search, and none
  // for a key after every other, as a snapshot's come.
  Slots::iterator SlotOf(std::string_view key) {
    if (slots.empty() || std::prev(slots.end())->first < key)
      return slots.emplace_hint(slots.end(), key, MapSlot{});
    auto it = slots.lower_bound(key);
    if (it == slots.end() || it->first != key) it = slots.emplace_hint(it, key, MapSlot{});
    return it;
  }
};

struct CounterEntry {
  OpId id;
  int64_t delta;
};

struct CounterState {
  int64_t value = 0;
  std::vector<CounterEntry> ops;  // every add, for EncodeUpdate
};

// A container. Exactly one of seq / map / counter is set, by its type; it
// points into the node's own allocation (ContainerNodeOf), so a node is one
// heap block however it is made, and never moves.
struct ContainerNode {
  ContainerNode() = default;
  ContainerNode(const ContainerNode&) = delete;
  ContainerNode& operator=(const ContainerNode&) = delete;
  virtual ~ContainerNode() = default;

  ContainerType type;
  ContainerKey::Kind kind = ContainerKey::kRoot;
  uint32_t depth = 0;
  uint32_t parent = 0;
  std::string key;  // kMapChild
  OpId item;        // kItem
  SeqState* seq = nullptr;
  MapState* map = nullptr;
  CounterState* counter = nullptr;
};

// A node with its state: a document loads thousands of small containers,
// and a separate block for each state cost an allocation and a free apiece.
template <typename State>
struct ContainerNodeOf final : ContainerNode {
  State state;
};

// The changes of the current transaction to one container (kept while
// anybody observes).
struct Doc::Accum {
  TextDelta delta;  // Text and List (a list's items as placeholders)
  std::map<std::string, std::optional<Value>, std::less<>> old_values;  // Map: value before
  int64_t counter_delta = 0;
};

// Wrapping add, the same on every replica.
inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

}  // namespace tandem
