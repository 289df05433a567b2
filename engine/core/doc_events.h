// Change events of a Doc: what one transaction (local, or one ApplyUpdate)
// changed, per container, in forms a host applies to its own views.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "container_type.h"
#include "text_delta.h"
#include "value.h"

namespace tandem {

// One step of a list change, applied left to right against the list as it
// was before: retain `count` elements, delete `count`, or insert `values`.
struct ListStep {
  enum Kind : uint8_t { kRetain, kInsert, kDelete };
  Kind kind;
  uint64_t count;
  std::vector<Value> values;  // insert only (nested containers as Value::Container)
  friend bool operator==(const ListStep&, const ListStep&) = default;
};

// A map key whose value changed; nullopt = absent (never set or deleted).
struct MapKeyChange {
  std::string key;
  std::optional<Value> old_value;
  std::optional<Value> new_value;
};

// What happened to one container.
struct ContainerChange {
  uint32_t container = 0;  // the Doc's handle index (Container::index())
  ContainerType type = ContainerType::kMap;
  std::string path;                 // JSON pointer at the time of the event ("" = root)
  TextDelta text;                   // Text: in code points
  std::vector<ListStep> list;       // List
  std::vector<MapKeyChange> keys;   // Map, sorted by key
  int64_t counter_delta = 0;        // Counter
};

// Everything one transaction changed that an observer asked for.
struct ChangeEvent {
  bool local = false;      // made through this replica's own edit calls
  std::string origin;      // the tag given to BeginTransaction / ApplyUpdate
  std::vector<ContainerChange> changes;  // ordered by container handle index
};

}  // namespace tandem
