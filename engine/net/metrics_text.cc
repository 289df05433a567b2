#include "net/metrics_text.h"

#include <cstdio>

namespace tandem::net {

namespace {

void Metric(std::string* out, const char* name, const char* type, const char* help, double value) {
  char line[512];
  std::snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type,
                name, value);
  *out += line;
}

}  // namespace

std::string FormatMetrics(const ServerStats& s, const StoreLatency& l, uint64_t store_commits,
                          double uptime_s) {
  std::string out;
  Metric(&out, "tandem_uptime_seconds", "gauge", "Seconds since the server started.", uptime_s);
  Metric(&out, "tandem_connections", "gauge", "Open WebSocket connections.", s.connections);
  Metric(&out, "tandem_connections_total", "counter", "Connections accepted.", s.connections_total);
  Metric(&out, "tandem_documents_loaded", "gauge", "Documents in memory.", s.docs_loaded);
  Metric(&out, "tandem_documents_memory_bytes", "gauge", "Heap bytes held by loaded documents.",
         s.docs_memory_bytes);
  Metric(&out, "tandem_documents_unloaded_total", "counter", "Idle documents unloaded.", s.docs_unloaded);
  Metric(&out, "tandem_frames_received_total", "counter", "WebSocket messages received.", s.frames_in);
  Metric(&out, "tandem_bytes_received_total", "counter", "Bytes received in messages.", s.bytes_in);
  Metric(&out, "tandem_frames_sent_total", "counter", "WebSocket messages queued to send.", s.frames_out);
  Metric(&out, "tandem_bytes_sent_total", "counter", "Bytes queued to send.", s.bytes_out);
  Metric(&out, "tandem_updates_applied_total", "counter", "Updates applied and stored.", s.updates_applied);
  Metric(&out, "tandem_updates_refused_total", "counter", "Updates refused (invalid or read-only).",
         s.updates_refused);
  Metric(&out, "tandem_acks_sent_total", "counter", "Acks sent (after durable).", s.acks_sent);
  Metric(&out, "tandem_syncs_sent_total", "counter", "Initial syncs sent.", s.syncs_sent);
  Metric(&out, "tandem_fanout_frames_total", "counter", "Coalesced update frames sent.", s.fanout_frames);
  Metric(&out, "tandem_slow_consumers_total", "counter", "Connections closed as slow consumers.",
         s.slow_consumers);
  Metric(&out, "tandem_protocol_errors_total", "counter", "Connections closed for protocol errors.",
         s.protocol_errors);
  Metric(&out, "tandem_store_appends_total", "counter", "Updates handed to the store.", s.store_appends);
  Metric(&out, "tandem_store_failures_total", "counter", "Store writes that failed.", s.store_failures);
  Metric(&out, "tandem_store_commits_total", "counter",
         "Store transactions committed (one group commit holds many appends).", store_commits);
  uint64_t n = l.count.load();
  Metric(&out, "tandem_store_latency_seconds_count", "counter", "Store writes completed.", n);
  Metric(&out, "tandem_store_latency_seconds_sum", "counter", "Total store write latency.",
         l.sum_us.load() / 1e6);
  Metric(&out, "tandem_store_latency_seconds_max", "gauge", "Largest store write latency seen.",
         l.max_us.load() / 1e6);
  return out;
}

}  // namespace tandem::net
