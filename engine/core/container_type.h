// ContainerType: the kinds of container a document holds.
#pragma once

#include <cstdint>
#include <string_view>

namespace tandem {

// Values are the wire numbers (schema/tandem.proto, ContainerRef.type).
enum class ContainerType : uint8_t {
  kMap = 1,      // last writer wins per key
  kList = 2,     // sequence of values and nested containers
  kText = 3,     // sequence of Unicode scalar values
  kCounter = 4,  // commuting integer adds
};

inline bool IsContainerType(uint32_t v) { return v >= 1 && v <= 4; }

inline std::string_view ContainerTypeName(ContainerType t) {
  switch (t) {
    case ContainerType::kMap: return "map";
    case ContainerType::kList: return "list";
    case ContainerType::kText: return "text";
    case ContainerType::kCounter: return "counter";
  }
  return "?";
}

}  // namespace tandem
