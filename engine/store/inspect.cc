#include "store/inspect.h"

#include <cstdio>
#include <ctime>

namespace tandem::store {

namespace {

std::string FormatTime(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string FormatStoreInfo(const StoreInfo& info) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "store %s\nschema version %d, %llu bytes (%llu free), %zu documents\n",
                info.path.c_str(), info.schema_version,
                static_cast<unsigned long long>(info.file_bytes),
                static_cast<unsigned long long>(info.free_bytes), info.docs.size());
  out += line;
  std::snprintf(line, sizeof line, "%-24s %10s %10s %12s %10s %12s %8s %8s %12s  %s\n", "document",
                "last_seq", "log_rows", "log_bytes", "snap_seq", "snap_bytes", "versions",
                "outbox", "total_bytes", "updated");
  out += line;
  for (const DocInfo& d : info.docs) {
    std::snprintf(line, sizeof line, "%-24s %10llu %10llu %12llu %10llu %12llu %8llu %8llu %12llu  %s\n",
                  d.name.c_str(), static_cast<unsigned long long>(d.last_seq),
                  static_cast<unsigned long long>(d.log_rows),
                  static_cast<unsigned long long>(d.log_bytes),
                  static_cast<unsigned long long>(d.snapshot_seq),
                  static_cast<unsigned long long>(d.snapshot_bytes),
                  static_cast<unsigned long long>(d.versions),
                  static_cast<unsigned long long>(d.outbox_rows),
                  static_cast<unsigned long long>(d.total_bytes()), FormatTime(d.updated_ms).c_str());
    out += line;
  }
  return out;
}

}  // namespace tandem::store
