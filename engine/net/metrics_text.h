// metrics_text: the server's counters in Prometheus text format (/metrics).
#pragma once

#include <cstdint>
#include <string>

#include "net/server_core.h"
#include "net/store_storage.h"

namespace tandem::net {

// `uptime_s` is the server's age; rates (updates/s) are left to the scraper
// (rate(tandem_updates_applied_total[1m])), as Prometheus expects counters.
// `store_commits` is the store's group-commit count (LogStore::batches_committed).
std::string FormatMetrics(const ServerStats& stats, const StoreLatency& latency,
                          uint64_t store_commits, double uptime_s);

}  // namespace tandem::net
