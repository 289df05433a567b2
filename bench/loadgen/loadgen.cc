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
// CPU the server under test then lacked on a 2-core machine. For the same
// reason a scheduled update is written from the send timer at once when no
// extension is active on the connection, instead of after a POLLOUT round
// trip (two epoll_ctl calls and a loop iteration per update): with that the
// generator needs ~25% less CPU for the same load, whichever the server.
#include "loadgen.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <libwebsockets.h>

#include "net/event_loop.h"

namespace tandem::loadgen {
namespace {

int Run(int argc, char** argv) {
  App a;
  g_app = &a;
  if (std::optional<int> exit_code = ParseOptions(argc, argv, a)) return *exit_code;
  const Options& o = a.opt;
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
  a.lat_us.reserve(static_cast<size_t>(o.rate * o.seconds * o.clients * (o.clients / o.rooms)) +
                   16);

  lws_set_log_level(LLL_ERR, nullptr);
  std::unique_ptr<tandem::net::EventLoop> loop;
  if (tandem::Status st = tandem::net::EventLoop::Create([] {}, &loop); !st.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", st.ToString().c_str());
    return 1;
  }
  if (!CreateContext(a, loop->uv())) return 1;
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

}  // namespace
}  // namespace tandem::loadgen

int main(int argc, char** argv) {
  return tandem::loadgen::Run(argc, argv);
}
