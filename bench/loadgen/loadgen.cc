// tandem-loadgen: a WebSocket load generator for sync servers (issue 5,
// "Benchmark and targets"). C clients in R rooms each send U small text
// updates per second for T seconds (after S seconds of warm-up); every
// client receives the other clients' updates of its room, and each received
// update is matched (by its exact bytes) to the time it was written to the
// socket. Prints one JSON object: delivered updates/s, fan-out latency
// p50/p95/p99/max, the server's CPU and RSS (from /proc/PID) and the load
// generator's own CPU.
//
//   tandem-loadgen --url ws://127.0.0.1:PORT/PATH
//                  --protocol tandem|y-websocket|hocuspocus
//                  [--clients C] [--rooms R] [--rate U] [--seconds T] [--warmup S]
//                  [--server-pid PID] [--updates FILE] [--room-prefix P]
//                  [--no-deflate] [--drain-ms MS]
//
// Protocols:
//   tandem       our Envelope protocol (docs/protocol.md): Hello, Subscribe,
//                Sync, then DocUpdateFrame{seq} per update; the server fans
//                out DocUpdateFrame{updates} and acks. Updates are real
//                one-character text inserts made with engine/net/document.h.
//   y-websocket  y-protocols framing: varUint messageType (0 sync, 1
//                awareness), sync sub-type (0 step1, 1 step2, 2 update),
//                varUint8Array payload. The room is the URL path.
//   hocuspocus   the same, every message prefixed with the document name
//                (varString), after an Auth message (type 2, Token 0).
//   For both Yjs protocols the updates are pre-generated with the `yjs`
//   package (bench/compare-server/gen-updates.mjs writes --updates FILE).
//
// Threading: ONE thread (main) runs the libwebsockets service loop for every
// connection, the send schedule and the phase timer. The loop is libuv's
// (epoll), as in tandemd: lws' own loop poll()s all 200+ sockets on every
// iteration, which was 39% of the generator's CPU at 190,000 deliveries/s —
// CPU the server under test then lacked on a 2-core machine.
#include <libwebsockets.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/document.h"
#include "net/event_loop.h"
#include "net/protocol.h"

namespace {

using namespace tandem;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
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

// ---- lib0 / y-protocols encoding

void PutVarUint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(0x80 | (v & 0x7f)));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutVarBytes(std::string* out, std::string_view b) {
  PutVarUint(out, b.size());
  out->append(b);
}

struct Reader {
  std::string_view in;
  size_t pos = 0;
  bool ok = true;
  uint64_t VarUint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= in.size()) break;
      uint8_t b = static_cast<uint8_t>(in[pos++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok = false;
    return 0;
  }
  std::string_view VarBytes() {
    uint64_t n = VarUint();
    if (!ok || n > in.size() - pos) {
      ok = false;
      return {};
    }
    std::string_view s = in.substr(pos, n);
    pos += n;
    return s;
  }
};

constexpr uint64_t kYSync = 0, kYAwareness = 1, kYAuth = 2, kYSyncReply = 4, kYSyncStatus = 8;
constexpr uint64_t kYStep1 = 0, kYStep2 = 1, kYUpdate = 2;
// Y.encodeStateVector(new Y.Doc()) and Y.encodeStateAsUpdate(new Y.Doc()).
const std::string kYEmptyStateVector("\x00", 1);
const std::string kYEmptyUpdate("\x00\x00", 2);

// ---- process stats

struct ProcCpu {
  bool ok = false;
  double cpu_s = 0;  // user + system
};

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

double SelfCpuS() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

// ---- the load generator

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
  bool ready = false;   // synced: may send measured updates
  bool closed = false;
  bool closing = false;
  bool authed = false;  // hocuspocus
  PeerId peer = 0;
  std::deque<Out> outq;
  std::string inflight;  // the last buffer given to lws_write (pmd drains it later)
  std::string rx;
  size_t next_update = 0;          // index into ids
  std::vector<uint32_t> ids;       // global update ids, in send order
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

App* g_app = nullptr;

bool ParseUrl(const std::string& url, std::string* host, int* port, std::string* path) {
  const std::string scheme = "ws://";
  if (url.compare(0, scheme.size(), scheme) != 0) return false;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  *path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return false;
  *host = hostport.substr(0, colon);
  char* end = nullptr;
  long p = std::strtol(hostport.c_str() + colon + 1, &end, 10);
  if (*end != 0 || p <= 0 || p > 65535) return false;
  *port = static_cast<int>(p);
  return !host->empty();
}

std::string WithHeadroom(std::string_view payload) {
  std::string b(LWS_PRE, '\0');
  b.append(payload);
  return b;
}

void Enqueue(Conn& c, std::string_view payload, uint32_t id = kNoId, int64_t sched = 0) {
  c.outq.push_back(Out{WithHeadroom(payload), id, sched});
  if (c.wsi != nullptr) lws_callback_on_writable(c.wsi);
}

// ---- building updates

// Tandem: every client edits its own replica of the room's document: the
// seed (one text at /text, shared by all the room's clients) and then one
// character appended per update, exactly like someone typing.
bool BuildTandem(App& a, int per_client) {
  std::mt19937_64 rng(std::random_device{}());
  auto seed_doc = net::NewDocument(rng() | 1);
  Status st = net::EditDocument(
      *seed_doc, [](net::Document& d) { return net::InsertTextAt(d, "text", 0, "#"); },
      &a.seed_update);
  if (!st.ok() || a.seed_update.empty()) {
    std::fprintf(stderr, "loadgen: cannot make the seed update: %s\n", st.message().c_str());
    return false;
  }
  for (const auto& name : a.room_names) {
    wire::Envelope env;
    env.mutable_update()->set_doc(name);
    env.mutable_update()->set_data(a.seed_update);
    env.mutable_update()->set_seq(1);
    a.seed_frames.push_back(net::Serialize(env));
  }
  for (auto& cp : a.conns) {
    Conn& c = *cp;
    c.peer = rng() | 1;
    auto doc = net::NewDocument(c.peer);
    st = net::ApplyDocumentUpdate(*doc, a.seed_update);
    if (!st.ok()) {
      std::fprintf(stderr, "loadgen: seed refused: %s\n", st.message().c_str());
      return false;
    }
    for (int k = 0; k < per_client; ++k) {
      std::string up;
      char ch = static_cast<char>('a' + k % 26);
      uint64_t len = net::TextLengthAt(*doc, "text");
      st = net::EditDocument(
          *doc, [&](net::Document& d) { return net::InsertTextAt(d, "text", len, std::string_view(&ch, 1)); },
          &up);
      if (!st.ok() || up.empty()) {
        std::fprintf(stderr, "loadgen: edit failed: %s\n", st.message().c_str());
        return false;
      }
      wire::Envelope env;
      env.mutable_update()->set_doc(a.room_names[c.room]);
      env.mutable_update()->set_data(up);
      env.mutable_update()->set_seq(static_cast<uint64_t>(k) + 2);
      c.ids.push_back(static_cast<uint32_t>(a.update_bytes.size()));
      a.frames.push_back(net::Serialize(env));
      a.update_bytes.push_back(std::move(up));
      a.sender.push_back(c.idx);
    }
  }
  return true;
}

// y-websocket / Hocuspocus: updates pre-generated by gen-updates.mjs.
// File: u32 clients, then per client u32 count and count x (u32 len, bytes);
// little-endian.
bool BuildYjs(App& a, int per_client) {
  std::ifstream f(a.opt.updates_file, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "loadgen: cannot read --updates %s\n", a.opt.updates_file.c_str());
    return false;
  }
  auto u32 = [&](uint32_t* v) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) return false;
    *v = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
    return true;
  };
  uint32_t nclients = 0;
  if (!u32(&nclients) || nclients < a.conns.size()) {
    std::fprintf(stderr, "loadgen: %s has updates for %u clients, %zu needed\n",
                 a.opt.updates_file.c_str(), nclients, a.conns.size());
    return false;
  }
  for (auto& cp : a.conns) {
    Conn& c = *cp;
    uint32_t count = 0;
    if (!u32(&count)) return false;
    if (count < static_cast<uint32_t>(per_client)) {
      std::fprintf(stderr, "loadgen: %s has %u updates per client, %d needed (regenerate)\n",
                   a.opt.updates_file.c_str(), count, per_client);
      return false;
    }
    for (uint32_t k = 0; k < count; ++k) {
      uint32_t len = 0;
      if (!u32(&len) || len > (1u << 20)) return false;
      std::string up(len, '\0');
      if (!f.read(up.data(), len)) return false;
      if (k >= static_cast<uint32_t>(per_client)) continue;
      std::string frame;
      if (a.opt.proto == Proto::kHocuspocus) PutVarBytes(&frame, a.room_names[c.room]);
      PutVarUint(&frame, kYSync);
      PutVarUint(&frame, kYUpdate);
      PutVarBytes(&frame, up);
      c.ids.push_back(static_cast<uint32_t>(a.update_bytes.size()));
      a.frames.push_back(std::move(frame));
      a.update_bytes.push_back(std::move(up));
      a.sender.push_back(c.idx);
    }
  }
  return true;
}

// ---- protocol handlers

void OnEstablished(App& a, Conn& c) {
  c.established = true;
  const std::string& room = a.room_names[c.room];
  switch (a.opt.proto) {
    case Proto::kTandem: {
      wire::Envelope hello;
      hello.mutable_hello()->set_protocol_version(net::kProtocolVersion);
      hello.mutable_hello()->set_peer_id(c.peer);
      Enqueue(c, net::Serialize(hello));
      wire::Envelope sub;
      sub.mutable_subscribe()->set_doc(room);
      Enqueue(c, net::Serialize(sub));
      break;
    }
    case Proto::kYWebsocket: {
      std::string m;
      PutVarUint(&m, kYSync);
      PutVarUint(&m, kYStep1);
      PutVarBytes(&m, kYEmptyStateVector);
      Enqueue(c, m);
      break;
    }
    case Proto::kHocuspocus: {
      std::string auth;
      PutVarBytes(&auth, room);
      PutVarUint(&auth, kYAuth);
      PutVarUint(&auth, 0);  // AuthMessageType.Token
      PutVarBytes(&auth, "loadgen-token");
      Enqueue(c, auth);
      std::string m;  // queued by the server until the auth completes
      PutVarBytes(&m, room);
      PutVarUint(&m, kYSync);
      PutVarUint(&m, kYStep1);
      PutVarBytes(&m, kYEmptyStateVector);
      Enqueue(c, m);
      break;
    }
  }
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

void SendStep2(App& a, Conn& c) {
  std::string m;
  if (a.opt.proto == Proto::kHocuspocus) PutVarBytes(&m, a.room_names[c.room]);
  PutVarUint(&m, kYSync);
  PutVarUint(&m, kYStep2);
  PutVarBytes(&m, kYEmptyUpdate);
  Enqueue(c, m);
}

void OnMessage(App& a, Conn& c, std::string_view msg) {
  int64_t now = NowNs();
  ++a.rx_messages;
  a.rx_bytes += msg.size();
  if (a.opt.proto == Proto::kTandem) {
    wire::Envelope env;
    Status st = net::Parse(msg, &env);
    if (!st.ok()) {
      a.Note("tandem: unparsable frame");
      return;
    }
    switch (env.body_case()) {
      case wire::Envelope::kWelcome:
        break;
      case wire::Envelope::kSync:
        if (env.sync().final() && !c.ready) {
          Enqueue(c, a.seed_frames[c.room]);
          c.ready = true;
        }
        break;
      case wire::Envelope::kUpdate:
        for (const auto& u : env.update().updates()) Received(a, c, u, now);
        break;
      case wire::Envelope::kAck:
        ++a.acks;
        ++c.acks;
        break;
      case wire::Envelope::kAwareness:
        break;
      case wire::Envelope::kError:
        a.Note("tandem error " + std::to_string(env.error().code()) + ": " + env.error().message());
        break;
      default:
        a.Note("tandem: unexpected message");
        break;
    }
    return;
  }
  Reader r{msg};
  if (a.opt.proto == Proto::kHocuspocus) {
    std::string_view doc = r.VarBytes();
    if (r.ok && doc != a.room_names[c.room]) {
      a.Note("hocuspocus: message for another document");
      return;
    }
  }
  uint64_t type = r.VarUint();
  if (!r.ok) {
    a.Note("y: truncated message");
    return;
  }
  if (type == kYSync || type == kYSyncReply) {
    uint64_t sub = r.VarUint();
    std::string_view payload = r.VarBytes();
    if (!r.ok) {
      a.Note("y: truncated sync message");
      return;
    }
    if (sub == kYStep1) {
      SendStep2(a, c);  // we hold nothing the server lacks (yet)
    } else if (sub == kYStep2) {
      c.ready = true;  // initial state received
    } else if (sub == kYUpdate) {
      Received(a, c, payload, now);
    } else {
      a.Note("y: unknown sync sub-type");
    }
  } else if (type == kYAwareness || type == kYSyncStatus) {
    // presence / Hocuspocus's per-update "saved" status: not measured
  } else if (type == kYAuth && a.opt.proto == Proto::kHocuspocus) {
    uint64_t sub = r.VarUint();
    if (sub == 2) {
      c.authed = true;
    } else {
      a.Note("hocuspocus: permission denied");
    }
  } else {
    a.Note("y: unexpected message type " + std::to_string(type));
  }
}

void Connect(App& a, Conn& c) {
  lws_client_connect_info i;
  std::memset(&i, 0, sizeof i);
  i.context = a.ctx;
  i.address = a.host.c_str();
  i.port = a.port;
  i.path = c.path.c_str();
  i.host = a.host.c_str();
  i.origin = a.host.c_str();
  i.protocol = a.opt.proto == Proto::kTandem ? "tandem" : nullptr;
  i.local_protocol_name = "loadgen";
  i.userdata = &c;
  i.pwsi = &c.wsi;
  if (lws_client_connect_via_info(&i) == nullptr) {
    c.wsi = nullptr;
    c.closed = true;
    ++a.conn_errors;
  }
}

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  App& a = *g_app;
  Conn* c = static_cast<Conn*>(user);
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      c->wsi = wsi;
      OnEstablished(a, *c);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (lws_is_first_fragment(wsi)) c->rx.clear();
      c->rx.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi)) {
        OnMessage(a, *c, c->rx);
        c->rx.clear();
      }
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      c->inflight.clear();
      if (c->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
        return -1;
      }
      if (c->outq.empty()) return 0;
      Out o = std::move(c->outq.front());
      c->outq.pop_front();
      c->inflight = std::move(o.buf);
      if (o.id != kNoId) {
        int64_t now = NowNs();
        a.sent_ns[o.id] = now;
        if (o.sched_ns >= a.t_measure && o.sched_ns < a.t_end) {
          a.lag_us.push_back(static_cast<uint32_t>(std::max<int64_t>(0, now - o.sched_ns) / 1000));
        }
      }
      size_t n = c->inflight.size() - LWS_PRE;
      int w = lws_write(wsi, reinterpret_cast<unsigned char*>(c->inflight.data()) + LWS_PRE, n,
                        LWS_WRITE_BINARY);
      if (w < static_cast<int>(n)) {
        a.Note("lws_write failed");
        return -1;
      }
      ++a.tx_messages;
      if (!c->outq.empty()) lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      unsigned code = len >= 2 ? (static_cast<const unsigned char*>(in)[0] << 8) |
                                     static_cast<const unsigned char*>(in)[1]
                               : 0;
      if (a.phase != App::Phase::kClosing && a.phase != App::Phase::kDone) {
        std::string why = len > 2 ? std::string(static_cast<const char*>(in) + 2, len - 2) : "";
        a.Note("server closed a connection: " + std::to_string(code) + " " + why);
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (c != nullptr) {
        ++a.conn_errors;
        a.Note(std::string("connection error: ") + (in ? static_cast<const char*>(in) : "?"));
        c->wsi = nullptr;
        c->closed = true;
        c->ready = false;
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (c != nullptr) {
        if (a.phase != App::Phase::kClosing && a.phase != App::Phase::kDone) ++a.disconnects;
        c->wsi = nullptr;
        c->closed = true;
        c->ready = false;
        c->inflight.clear();
      }
      return 0;
    default:
      return 0;  // includes EVENT_WAIT_CANCELLED: must be 0
  }
}

const lws_protocols kProtocols[] = {
    {"loadgen", Callback, 0, 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

const lws_extension kExtensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
    {nullptr, nullptr, nullptr},
};

// ---- timers

void SendCb(lws_sorted_usec_list_t* sul);

void ScheduleSend(App& a) {
  if (a.heap.empty()) return;
  int64_t delay_us = (a.heap.top().first - NowNs()) / 1000;
  // Never below 1 ms (lws polls with timeout 0 for sub-ms timers); the send
  // time is taken at lws_write, so this only batches sends, it skews nothing.
  delay_us = std::max<int64_t>(delay_us, 1000);
  lws_sul_schedule(a.ctx, 0, &a.send_sul, SendCb, delay_us);
}

void SendCb(lws_sorted_usec_list_t*) {
  App& a = *g_app;
  if (a.phase != App::Phase::kRunning) return;
  int64_t now = NowNs();
  while (!a.heap.empty() && a.heap.top().first <= now) {
    auto [due, idx] = a.heap.top();
    a.heap.pop();
    if (due >= a.t_end) continue;  // the measured window is over: this client stops
    Conn& c = *a.conns[idx];
    if (c.next_update >= c.ids.size()) continue;
    if (c.ready && c.wsi != nullptr) {
      uint32_t id = c.ids[c.next_update++];
      a.sched_ns[id] = due;
      if (due >= a.t_measure) {
        ++a.window_sent;
        a.expected += static_cast<uint64_t>(a.room_size[c.room] - 1);
      }
      Enqueue(c, a.frames[id], id, due);
    }
    a.heap.push({due + a.period_ns, idx});
  }
  ScheduleSend(a);
}

void PhaseCb(lws_sorted_usec_list_t*) {
  App& a = *g_app;
  int64_t now = NowNs();
  auto sample = [&](bool start) {
    ProcCpu srv = a.opt.server_pid > 0 ? ReadProcCpu(a.opt.server_pid) : ProcCpu{};
    double self = SelfCpuS();
    if (start) {
      a.srv_cpu0 = srv;
      a.self_cpu0 = self;
      a.cpu_t0 = now;
    } else {
      a.srv_cpu1 = srv;
      a.self_cpu1 = self;
      a.cpu_t1 = now;
    }
  };
  switch (a.phase) {
    case App::Phase::kConnecting: {
      int ready = 0, dead = 0;
      for (auto& c : a.conns) {
        ready += c->ready;
        dead += c->closed;
      }
      if (ready == static_cast<int>(a.conns.size())) {
        a.phase = App::Phase::kRunning;
        a.t_start = now;
        a.t_measure = now + static_cast<int64_t>(a.opt.warmup * 1e9);
        a.t_end = a.t_measure + static_cast<int64_t>(a.opt.seconds * 1e9);
        std::fprintf(stderr, "loadgen: %zu clients ready after %.2f s; warm-up %.1f s, measuring %.1f s\n",
                     a.conns.size(), (now - a.t_connect) / 1e9, a.opt.warmup, a.opt.seconds);
        std::mt19937_64 rng(42);
        std::uniform_real_distribution<double> phase(0, 1);
        for (auto& c : a.conns) {
          a.heap.push({now + static_cast<int64_t>(phase(rng) * a.period_ns), c->idx});
        }
        ScheduleSend(a);
      } else if (dead > 0 || now - a.t_connect > a.opt.connect_timeout_ms * 1000000LL) {
        a.failed = true;
        a.fail_reason = "only " + std::to_string(ready) + " of " + std::to_string(a.conns.size()) +
                        " clients got ready (" + std::to_string(dead) + " failed)";
        a.phase = App::Phase::kClosing;
        a.t_close = now;
        for (auto& c : a.conns) {
          c->closing = true;
          if (c->wsi != nullptr) lws_callback_on_writable(c->wsi);
        }
      }
      break;
    }
    case App::Phase::kRunning:
      if (!a.measuring_started && now >= a.t_measure) {
        a.measuring_started = true;
        sample(true);
      }
      if (now >= a.t_end) {
        sample(false);
        a.phase = App::Phase::kDraining;
        a.t_drain_end = now + a.opt.drain_ms * 1000000LL;
      }
      break;
    case App::Phase::kDraining: {
      bool queued = false;
      for (auto& c : a.conns) queued |= !c->outq.empty();
      if ((a.delivered >= a.expected && !queued) || now >= a.t_drain_end) {
        a.phase = App::Phase::kClosing;
        a.t_close = now;
        for (auto& c : a.conns) {
          c->closing = true;
          if (c->wsi != nullptr) lws_callback_on_writable(c->wsi);
        }
      }
      break;
    }
    case App::Phase::kClosing: {
      bool open = false;
      for (auto& c : a.conns) open |= c->wsi != nullptr;
      if (!open || now - a.t_close > 3000000000LL) {
        a.phase = App::Phase::kDone;
        lws_cancel_service(a.ctx);  // a flag set in a timer does not end lws_service by itself
        return;
      }
      break;
    }
    case App::Phase::kDone:
      return;
  }
  lws_sul_schedule(a.ctx, 0, &a.phase_sul, PhaseCb, 20 * LWS_US_PER_MS);
}

// ---- output

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
  std::printf("{\"protocol\":\"%s\",\"url\":%s,\"clients\":%d,\"rooms\":%d,\"rate\":%g,"
              "\"seconds\":%g,\"warmup\":%g,\"deflate_offered\":%s,",
              o.proto_name.c_str(), JsonString(o.url).c_str(), o.clients, o.rooms, o.rate,
              o.seconds, o.warmup, o.deflate ? "true" : "false");
  std::printf("\"ok\":%s,\"sent\":%" PRIu64 ",\"sent_per_s\":%.1f,\"expected\":%" PRIu64
              ",\"delivered\":%" PRIu64 ",\"delivery_ratio\":%.5f,\"delivered_per_s\":%.1f,",
              ok ? "true" : "false", a.window_sent, a.window_sent / o.seconds, a.expected,
              a.delivered, ratio, a.delivered / o.seconds);
  std::printf("\"latency_ms\":{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f},",
              lat.p50, lat.p95, lat.p99, lat.max);
  std::printf("\"send_lag_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},", lag.p50, lag.p99, lag.max);
  std::printf("\"server\":{\"pid\":%ld,\"cpu_percent\":%.1f,\"rss_mb\":%.1f,\"peak_rss_mb\":%.1f},",
              o.server_pid, srv_cpu, rss / 1024.0, hwm / 1024.0);
  std::printf("\"loadgen\":{\"cpu_percent\":%.1f,\"threads\":1},", self_cpu);
  std::printf("\"counts\":{\"rx_messages\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"tx_messages\":%" PRIu64
              ",\"echoes\":%" PRIu64 ",\"acks\":%" PRIu64 ",\"unmatched\":%" PRIu64
              ",\"late_after_drain\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"disconnects\":%" PRIu64
              ",\"connect_errors\":%" PRIu64 "},",
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

int Usage(const char* why) {
  std::fprintf(stderr,
               "tandem-loadgen: %s\n"
               "usage: tandem-loadgen --url ws://HOST:PORT/PATH --protocol tandem|y-websocket|hocuspocus\n"
               "         [--clients C] [--rooms R] [--rate U] [--seconds T] [--warmup S]\n"
               "         [--server-pid PID] [--updates FILE] [--room-prefix P] [--no-deflate]\n"
               "         [--drain-ms MS]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  App a;
  g_app = &a;
  Options& o = a.opt;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto val = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (k == "--no-deflate") {
      o.deflate = false;
      continue;
    }
    if (k == "-h" || k == "--help") return Usage("help"), 0;
    v = val();
    if (v == nullptr) return Usage(("missing value for " + k).c_str());
    if (k == "--url") o.url = v;
    else if (k == "--protocol") o.proto_name = v;
    else if (k == "--clients") o.clients = std::atoi(v);
    else if (k == "--rooms") o.rooms = std::atoi(v);
    else if (k == "--rate") o.rate = std::atof(v);
    else if (k == "--seconds") o.seconds = std::atof(v);
    else if (k == "--warmup") o.warmup = std::atof(v);
    else if (k == "--server-pid") o.server_pid = std::atol(v);
    else if (k == "--updates") o.updates_file = v;
    else if (k == "--room-prefix") o.room_prefix = v;
    else if (k == "--drain-ms") o.drain_ms = std::atoi(v);
    else return Usage(("unknown argument " + k).c_str());
  }
  if (o.proto_name == "tandem") o.proto = Proto::kTandem;
  else if (o.proto_name == "y-websocket") o.proto = Proto::kYWebsocket;
  else if (o.proto_name == "hocuspocus") o.proto = Proto::kHocuspocus;
  else return Usage("bad --protocol");
  if (!ParseUrl(o.url, &a.host, &a.port, &a.base_path)) return Usage("bad --url (ws://HOST:PORT/PATH)");
  if (o.clients < 2 || o.rooms < 1 || o.rooms > o.clients || o.rate <= 0 || o.seconds <= 0 ||
      o.warmup < 0) {
    return Usage("need clients >= 2, 1 <= rooms <= clients, rate > 0, seconds > 0");
  }
  if (o.proto != Proto::kTandem && o.updates_file.empty()) {
    return Usage("--updates FILE is required for the Yjs protocols (gen-updates.mjs)");
  }
  if (o.room_prefix.empty()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "lg-%08x", static_cast<unsigned>(std::random_device{}()));
    o.room_prefix = buf;
  }
  a.room_size.assign(o.rooms, 0);
  for (int r = 0; r < o.rooms; ++r) a.room_names.push_back(o.room_prefix + "-" + std::to_string(r));
  for (int i = 0; i < o.clients; ++i) {
    auto c = std::make_unique<Conn>();
    c->idx = i;
    c->room = i % o.rooms;
    ++a.room_size[c->room];
    // y-websocket names the room by the path; the others ignore the path.
    std::string base = a.base_path;
    if (o.proto == Proto::kYWebsocket) {
      if (base.empty() || base.back() != '/') base += '/';
      c->path = base + a.room_names[c->room];
    } else {
      c->path = base;
    }
    a.conns.push_back(std::move(c));
  }
  a.period_ns = static_cast<int64_t>(1e9 / o.rate);
  int per_client = static_cast<int>(std::ceil(o.rate * (o.warmup + o.seconds))) + 2;
  bool built = o.proto == Proto::kTandem ? BuildTandem(a, per_client) : BuildYjs(a, per_client);
  if (!built) return 1;
  a.sched_ns.assign(a.update_bytes.size(), 0);
  a.sent_ns.assign(a.update_bytes.size(), 0);
  a.deliveries.assign(a.update_bytes.size(), 0);
  a.by_bytes.reserve(a.update_bytes.size() * 2);
  for (uint32_t id = 0; id < a.update_bytes.size(); ++id) {
    if (!a.by_bytes.emplace(a.update_bytes[id], id).second) {
      std::fprintf(stderr, "loadgen: two updates have the same bytes; cannot match them\n");
      return 1;
    }
  }
  a.lat_us.reserve(static_cast<size_t>(o.rate * o.seconds * o.clients * (o.clients / o.rooms)) + 16);

  lws_set_log_level(LLL_ERR, nullptr);
  std::unique_ptr<tandem::net::EventLoop> loop;
  if (tandem::Status st = tandem::net::EventLoop::Create([] {}, &loop); !st.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", st.ToString().c_str());
    return 1;
  }
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_LIBUV;
  void* foreign_loops[1] = {loop->uv()};
  info.foreign_loops = foreign_loops;
  info.pcontext = &a.ctx;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.extensions = o.deflate ? kExtensions : nullptr;
  info.fd_limit_per_thread = static_cast<unsigned>(o.clients + 64);
  a.ctx = lws_create_context(&info);
  if (a.ctx == nullptr) {
    std::fprintf(stderr, "loadgen: lws_create_context failed\n");
    return 1;
  }
  a.t_connect = NowNs();
  for (auto& c : a.conns) Connect(a, *c);
  lws_sul_schedule(a.ctx, 0, &a.phase_sul, PhaseCb, 20 * LWS_US_PER_MS);
  while (a.phase != App::Phase::kDone && loop->RunOnce(-1)) {
  }
  lws_sul_cancel(&a.send_sul);
  lws_sul_cancel(&a.phase_sul);
  PrintJson(a);
  // On a foreign loop lws closes its handles through the loop: destroy,
  // let the close callbacks run, destroy again (libwebsockets-notes §4.14).
  lws_context_destroy(a.ctx);
  loop->CloseWake();
  for (int i = 0; i < 1000 && loop->RunOnce(0); ++i) {
  }
  if (a.ctx != nullptr) lws_context_destroy(a.ctx);
  loop->Drain();
  return a.failed ? 1 : 0;
}
