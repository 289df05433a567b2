// TraceReader: loads an editing trace (../shared/traces/README.md): gzip
// JSON with startContent, endContent and txns of [pos, del, ins] patches in
// Unicode code points.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::bench {

struct Patch {
  uint64_t pos;
  uint64_t del;
  std::string ins;  // UTF-8
};

struct Trace {
  std::string name;  // file name without .json.gz
  std::string start_content;
  std::string end_content;
  std::vector<std::vector<Patch>> txns;
  uint64_t patches() const;
};

// Loads `path`; on failure returns false and sets *error.
bool LoadTrace(const std::string& path, Trace* out, std::string* error);

}  // namespace tandem::bench
