// loadgen.h: what the files of tandem-loadgen share (what it measures and how
// it is run: the top of loadgen.cc). One App holds everything: the options,
// the connections, every update with its send and receive times, and the
// counters of the result; one thread touches it (the lws service loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <libwebsockets.h>

#include "core/op_id.h"

namespace tandem::loadgen {

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum class Proto { kTandem, kYWebsocket, kHocuspocus };

struct Options {
  std::string url;
  Proto proto = Proto::kTandem;
  std::string proto_name = "tandem";
  int clients = 10;
  int rooms = 1;
  double rate = 1;
  double seconds = 10;
  double warmup = 2;
  long server_pid = 0;
  std::string updates_file;
  std::string room_prefix;
  bool deflate = true;
  int drain_ms = 3000;
  int connect_timeout_ms = 20000;
};

struct ProcCpu {
  bool ok = false;
  double cpu_s = 0;  // user + system
};

constexpr uint32_t kNoId = UINT32_MAX;
constexpr uint32_t kSeedId = UINT32_MAX - 1;

struct Out {
  std::string buf;  // LWS_PRE bytes of headroom, then the payload
  uint32_t id = kNoId;
  int64_t sched_ns = 0;
};

struct Conn {
  int idx = 0;
  int room = 0;
  std::string path;
  lws* wsi = nullptr;
  bool established = false;
  bool ready = false;  // synced: may send measured updates
  bool closed = false;
  bool closing = false;
  bool authed = false;  // hocuspocus
  PeerId peer = 0;
  std::deque<Out> outq;
  std::string inflight;  // the last buffer given to lws_write (pmd drains it later)
  // No permessage-deflate on this connection: scheduled updates are written
  // from the send timer at once instead of after a POLLOUT round trip.
  bool direct = false;
  std::string rx;
  size_t next_update = 0;     // index into ids
  std::vector<uint32_t> ids;  // global update ids, in send order
  uint64_t acks = 0;
};

struct App {
  Options opt;
  std::string host;
  int port = 0;
  std::string base_path;
  lws_context* ctx = nullptr;
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<std::string> room_names;
  std::vector<int> room_size;

  // Every update: its raw bytes (the match key), its ws frame, who sends it
  // and when it was written.
  std::vector<std::string> update_bytes;
  std::vector<std::string> frames;
  std::vector<int32_t> sender;
  std::vector<int64_t> sched_ns, sent_ns;
  std::vector<uint16_t> deliveries;
  std::unordered_map<std::string_view, uint32_t> by_bytes;
  std::vector<std::string> seed_frames;  // tandem: per room, sent by each client after Sync
  std::string seed_update;

  // Send schedule.
  int64_t period_ns = 0;
  using Due = std::pair<int64_t, int>;  // (time, client)
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> heap;
  lws_sorted_usec_list_t send_sul{};
  lws_sorted_usec_list_t phase_sul{};

  // Phases.
  enum class Phase { kConnecting, kRunning, kDraining, kClosing, kDone } phase = Phase::kConnecting;
  int64_t t_connect = 0, t_start = 0, t_measure = 0, t_end = 0, t_drain_end = 0, t_close = 0;
  bool measuring_started = false;
  ProcCpu srv_cpu0, srv_cpu1;
  double self_cpu0 = 0, self_cpu1 = 0;
  int64_t cpu_t0 = 0, cpu_t1 = 0;

  // Results.
  std::vector<uint32_t> lat_us;
  std::vector<uint32_t> lag_us;
  uint64_t window_sent = 0, expected = 0, delivered = 0, late_after_drain = 0;
  uint64_t unmatched = 0, echoes = 0, duplicates = 0, errors = 0, disconnects = 0;
  uint64_t conn_errors = 0, rx_messages = 0, rx_bytes = 0, tx_messages = 0;
  uint64_t seeds_received = 0, acks = 0;
  std::vector<std::string> error_samples;
  bool failed = false;
  std::string fail_reason;

  void Note(const std::string& what) {
    ++errors;
    if (error_samples.size() < 5) error_samples.push_back(what);
  }
};

// The one App, for the callbacks of lws and of its timers, which carry no
// pointer to it.
extern App* g_app;

// ---- options.cc: the command line

// Fills a.opt and a.host / a.port / a.base_path from the command line. An
// exit code when the run must not go on (the usage printed), else nullopt.
std::optional<int> ParseOptions(int argc, char** argv, App& a);

// ---- protocols.cc: what each protocol sends and how its messages are read

// Make every client's updates (and their frames), `per_client` each.
bool BuildTandem(App& a, int per_client);
bool BuildYjs(App& a, int per_client);
void OnEstablished(App& a, Conn& c);
void OnMessage(App& a, Conn& c, std::string_view msg);

// ---- connection.cc: the lws context, the connections and their callback

bool CreateContext(App& a, void* uv_loop);
void Connect(App& a, Conn& c);
void Enqueue(Conn& c, std::string_view payload, uint32_t id = kNoId, int64_t sched = 0);
// A scheduled update: written at once when the connection allows it (see
// Conn::direct), else queued. Only outside lws' protocol callbacks.
void SendUpdate(App& a, Conn& c, std::string_view payload, uint32_t id, int64_t sched);

// ---- schedule.cc: the timers: the send schedule and the run's phases

void PhaseCb(lws_sorted_usec_list_t* sul);

// ---- stats.cc: what is measured, and the JSON report of it

ProcCpu ReadProcCpu(long pid);
double SelfCpuS();
// An update received by `c` at `now`: matched by its bytes to its send.
void Received(App& a, Conn& c, std::string_view bytes, int64_t now);
void PrintJson(App& a);

}  // namespace tandem::loadgen
