// What tandem-loadgen measures and reports: each received update matched by
// its bytes to when it was written (fan-out latency), the CPU and memory of
// the server and of the generator from /proc and getrusage, percentiles, and
// the one JSON object printed at the end.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen.h"

namespace tandem::loadgen {
namespace {

// VmRSS / VmHWM in KiB (0 if unknown).
void ReadProcMem(long pid, uint64_t* rss_kb, uint64_t* hwm_kb) {
  *rss_kb = *hwm_kb = 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) *rss_kb = std::strtoull(line.c_str() + 6, nullptr, 10);
    if (line.rfind("VmHWM:", 0) == 0) *hwm_kb = std::strtoull(line.c_str() + 6, nullptr, 10);
  }
}

struct Pct {
  double p50 = 0, p95 = 0, p99 = 0, max = 0;
};
Pct Percentiles(std::vector<uint32_t>& v) {
  Pct p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * v.size())) - 1;
    return v[std::min(i, v.size() - 1)] / 1000.0;
  };
  p.p50 = at(0.50);
  p.p95 = at(0.95);
  p.p99 = at(0.99);
  p.max = v.back() / 1000.0;
  return p;
}

std::string JsonString(const std::string& s) {
  std::string o = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      o += '\\';
      o += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      o += buf;
    } else {
      o += ch;
    }
  }
  return o + "\"";
}

}  // namespace

ProcCpu ReadProcCpu(long pid) {
  ProcCpu r;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t paren = s.rfind(')');
  if (paren == std::string::npos) return r;
  std::vector<std::string> fields;
  size_t i = paren + 2;
  while (i < s.size()) {
    size_t sp = s.find(' ', i);
    if (sp == std::string::npos) sp = s.size();
    fields.push_back(s.substr(i, sp - i));
    i = sp + 1;
  }
  // fields[0] is field 3 (state); utime = field 14, stime = field 15.
  if (fields.size() < 13) return r;
  double tck = static_cast<double>(sysconf(_SC_CLK_TCK));
  r.cpu_s = (std::stod(fields[11]) + std::stod(fields[12])) / tck;
  r.ok = true;
  return r;
}

double SelfCpuS() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

void Received(App& a, Conn& c, std::string_view bytes, int64_t now) {
  auto it = a.by_bytes.find(bytes);
  if (it == a.by_bytes.end()) {
    if (a.opt.proto == Proto::kTandem && bytes == a.seed_update) {
      ++a.seeds_received;
    } else {
      ++a.unmatched;
    }
    return;
  }
  uint32_t id = it->second;
  if (a.sender[id] == c.idx) {
    ++a.echoes;  // y-websocket and Hocuspocus send an update back to its sender too
    return;
  }
  if (a.sent_ns[id] == 0) {
    a.Note("received an update before it was sent");
    return;
  }
  ++a.deliveries[id];
  int64_t sch = a.sched_ns[id];
  if (sch >= a.t_measure && sch < a.t_end) {
    if (a.phase == App::Phase::kClosing || a.phase == App::Phase::kDone) {
      ++a.late_after_drain;
      return;
    }
    ++a.delivered;
    int64_t us = (now - a.sent_ns[id]) / 1000;
    a.lat_us.push_back(static_cast<uint32_t>(std::clamp<int64_t>(us, 0, UINT32_MAX)));
  }
}

void PrintJson(App& a) {
  const Options& o = a.opt;
  Pct lat = Percentiles(a.lat_us);
  Pct lag = Percentiles(a.lag_us);
  double wall = a.cpu_t1 > a.cpu_t0 ? (a.cpu_t1 - a.cpu_t0) / 1e9 : 0;
  double srv_cpu = wall > 0 && a.srv_cpu0.ok && a.srv_cpu1.ok
                       ? 100.0 * (a.srv_cpu1.cpu_s - a.srv_cpu0.cpu_s) / wall
                       : -1;
  double self_cpu = wall > 0 ? 100.0 * (a.self_cpu1 - a.self_cpu0) / wall : -1;
  uint64_t rss = 0, hwm = 0;
  if (o.server_pid > 0) ReadProcMem(o.server_pid, &rss, &hwm);
  double ratio = a.expected > 0 ? static_cast<double>(a.delivered) / a.expected : 0;
  bool ok = !a.failed && a.errors == 0 && a.disconnects == 0 && a.unmatched == 0;
  std::printf(
      "{\"protocol\":\"%s\",\"url\":%s,\"clients\":%d,\"rooms\":%d,\"rate\":%g,"
      "\"seconds\":%g,\"warmup\":%g,\"deflate_offered\":%s,",
      o.proto_name.c_str(), JsonString(o.url).c_str(), o.clients, o.rooms, o.rate, o.seconds,
      o.warmup, o.deflate ? "true" : "false");
  std::printf("\"ok\":%s,\"sent\":%" PRIu64 ",\"sent_per_s\":%.1f,\"expected\":%" PRIu64
              ",\"delivered\":%" PRIu64 ",\"delivery_ratio\":%.5f,\"delivered_per_s\":%.1f,",
              ok ? "true" : "false", a.window_sent, a.window_sent / o.seconds, a.expected,
              a.delivered, ratio, a.delivered / o.seconds);
  std::printf("\"latency_ms\":{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f},", lat.p50,
              lat.p95, lat.p99, lat.max);
  std::printf("\"send_lag_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},", lag.p50, lag.p99,
              lag.max);
  std::printf("\"server\":{\"pid\":%ld,\"cpu_percent\":%.1f,\"rss_mb\":%.1f,\"peak_rss_mb\":%.1f},",
              o.server_pid, srv_cpu, rss / 1024.0, hwm / 1024.0);
  std::printf("\"loadgen\":{\"cpu_percent\":%.1f,\"threads\":1},", self_cpu);
  std::printf("\"counts\":{\"rx_messages\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
              ",\"tx_messages\":%" PRIu64 ",\"echoes\":%" PRIu64 ",\"acks\":%" PRIu64
              ",\"unmatched\":%" PRIu64 ",\"late_after_drain\":%" PRIu64 ",\"errors\":%" PRIu64
              ",\"disconnects\":%" PRIu64 ",\"connect_errors\":%" PRIu64 "},",
              a.rx_messages, a.rx_bytes, a.tx_messages, a.echoes, a.acks, a.unmatched,
              a.late_after_drain, a.errors, a.disconnects, a.conn_errors);
  std::printf("\"error_samples\":[");
  for (size_t i = 0; i < a.error_samples.size(); ++i) {
    std::printf("%s%s", i ? "," : "", JsonString(a.error_samples[i]).c_str());
  }
  std::printf("]%s%s}\n", a.failed ? ",\"failure\":" : "",
              a.failed ? JsonString(a.fail_reason).c_str() : "");
  std::fflush(stdout);
}

}  // namespace tandem::loadgen
