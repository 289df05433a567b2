// LwsServer: the sync server over libwebsockets.
//
// One lws context, one service thread. The ServerCore (protocol), the
// StoreDocStorage (SQLite through LogStore) and every connection live on
// that thread; other threads reach it through an inbox + lws_cancel_service.
// Serves the WebSocket protocol "tandem" on any path, /healthz, /metrics
// (Prometheus text) and, optionally, static files from a directory.
//
// Store writes never block the service thread: LogStore commits on its own
// thread and completions come back through the inbox; acks follow them.
//
// Ownership: the caller owns the LogStore and keeps it open until the
// server is destroyed. Threading: every public method is thread-safe
// except the destructor (do not race it). Process-wide side effects of
// libwebsockets: SIGPIPE is ignored; the lws log level is global.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "net/server_core.h"
#include "store/log_store.h"

namespace tandem::net {

struct LwsServerOptions {
  // Address to bind. "127.0.0.1" binds only loopback (IPv4 only then); an
  // empty host binds every interface.
  std::string host = "127.0.0.1";
  int port = 0;                 // 0: the kernel picks; see port()
  std::string static_dir;       // served at "/" when set
  ServerOptions server;
  uint16_t keepalive_ping_s = 30;    // ping a silent peer after this
  uint16_t keepalive_hangup_s = 40;  // and drop it after this (> ping)
  uint64_t tick_ms = 100;            // awareness expiry, idle unload, metrics
  uint64_t flush_delay_ms = 1;       // fan-out coalescing window
  uint64_t shutdown_timeout_ms = 5000;
  // SO_SNDBUF of each connection's socket; 0 keeps the kernel's default.
  // Smaller means less kernel memory per peer and earlier backpressure
  // (a slow consumer is noticed after fewer bytes).
  int socket_send_buffer = 0;
  // Offer permessage-deflate to clients that ask for it. Off by default:
  // updates are small binary frames that barely compress, and the
  // extension's per-message zlib work cost a room of 100 peers 5x in p99
  // fan-out latency (docs/performance.md, "Sync server").
  bool permessage_deflate = false;
};

class LwsServer {
 public:
  // Binds and starts the service thread. Errors: kInvalidArgument for a
  // bad option or a port that cannot be bound (the message says why).
  static Status Start(LwsServerOptions options, store::LogStore* store,
                      std::unique_ptr<LwsServer>* out);
  // Stop()s.
  ~LwsServer();
  LwsServer(const LwsServer&) = delete;
  LwsServer& operator=(const LwsServer&) = delete;

  // The bound port (the real one when 0 was asked for).
  int port() const;
  // Graceful stop: refuses new connections, closes every connection with
  // 1001 after its queued frames, waits for every store write to complete
  // (or shutdown_timeout_ms), then ends the thread. Idempotent.
  void Stop();
  // Runs `fn` on the service thread with the core and waits for it.
  // Returns false if the server is stopped.
  bool Call(const std::function<void(ServerCore&)>& fn);
  // Re-runs the auth hook for everyone (runtime revoke); see ServerCore.
  void Reauthorize();
  ServerStats stats();
  std::string MetricsText();

  struct Impl;

 private:
  explicit LwsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::net
