#include "trace_reader.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

namespace tandem::bench {

uint64_t Trace::patches() const {
  uint64_t n = 0;
  for (const auto& t : txns) n += t.size();
  return n;
}

bool LoadTrace(const std::string& path, Trace* out, std::string* error) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    *error = "cannot open " + path;
    return false;
  }
  std::string json;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) json.append(buf, n);
  const bool read_ok = n == 0;
  gzclose(f);
  if (!read_ok) {
    *error = "cannot decompress " + path;
    return false;
  }
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    *error = path + " is not valid JSON";
    return false;
  }
  std::string base = path.substr(path.find_last_of('/') + 1);
  out->name = base.substr(0, base.find(".json"));
  out->start_content = doc.value("startContent", "");
  out->end_content = doc.value("endContent", "");
  out->txns.clear();
  for (const auto& txn : doc["txns"]) {
    std::vector<Patch> patches;
    for (const auto& p : txn["patches"]) {
      patches.push_back(Patch{p[0].get<uint64_t>(), p[1].get<uint64_t>(), p[2].get<std::string>()});
    }
    out->txns.push_back(std::move(patches));
  }
  return true;
}

}  // namespace tandem::bench
