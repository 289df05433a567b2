// LwsServer: the sync server over libwebsockets.
//
// One lws context on one EventLoop (epoll, through libuv), one service
// thread. The ServerCore (protocol), the StoreDocStorage (SQLite through
// LogStore) and every connection live on that thread; other threads reach
// it through an inbox that wakes the loop. Serves the WebSocket protocol
// "tandem" on any path, /healthz, /metrics (Prometheus text) and,
// optionally, static files from a directory.
//
// The service thread is either the server's own (the default) or, with
// `own_thread = false`, the thread that called Start: the host then drives
// the loop with Service(), waking on fd() and TimeoutMs() the way it would
// embed libuv (uv_backend_fd / uv_backend_timeout), so a GUI or poll()
// loop runs the server without busy-polling and without a thread.
//
// Store writes never block the service thread: LogStore commits on its own
// thread and completions come back through the inbox; acks follow them.
//
// Ownership: the caller owns the LogStore and keeps it open until the
// server is destroyed. Threading: every public method is thread-safe
// except the destructor (do not race it) and the host-driven calls
// (Service, TimeoutMs: service thread only). Process-wide side effects of
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
  // Fan-out coalescing window. 0: what one loop iteration read leaves in
  // one flush at the end of the iteration; n: n ms after the first update.
  uint64_t flush_delay_ms = 0;
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
  // True: the server runs its loop on a thread of its own. False: the
  // thread that calls Start is the service thread and must call Service()
  // (see LwsServer); nothing runs between its calls.
  bool own_thread = true;
};

class LwsServer {
 public:
  enum class ServiceResult {
    kOk,
    kStopped,      // the server has stopped (Stop, or the destructor)
    kWrongMode,    // the server runs on its own thread
    kWrongThread,  // not the service thread (the one that called Start)
  };

  // Binds and starts the service thread (own_thread), or makes the calling
  // thread the service thread. Errors: kInvalidArgument for a bad option
  // or a port that cannot be bound (the message says why).
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
  // (or shutdown_timeout_ms), then ends the loop (and the thread).
  // Idempotent. Host-driven: on the service thread it drives the loop
  // itself until done; on another thread it waits until the service
  // thread's Service() calls have finished the shutdown.
  void Stop();
  // Runs `fn` on the service thread with the core and waits for it (on
  // the service thread itself: runs it now). Returns false if the server
  // is stopped. Not from inside `fn`. Host-driven, from another thread:
  // waits until the service thread calls Service().
  bool Call(const std::function<void(ServerCore&)>& fn);
  // Re-runs the auth hook for everyone (runtime revoke); see ServerCore.
  void Reauthorize();
  ServerStats stats();
  std::string MetricsText();

  // Host-driven servers only, service thread only. Waits until the loop
  // has work (fd() readable or a timer due) or `timeout_ms` passed (< 0:
  // no limit; 0: do not wait), then does all the work that is ready
  // without blocking: network I/O, timers, posted calls, store
  // completions. Auth hooks run inside it.
  ServiceResult Service(int timeout_ms);
  // The loop's epoll fd: readable when Service() has work. Never read or
  // close it. -1 unless host-driven; valid until the server has stopped.
  // Any thread.
  int fd() const;
  // Host-driven, service thread only: *ms = how long the host may wait on
  // fd() before calling Service() anyway (-1: until fd() is readable; 0:
  // call it now).
  ServiceResult TimeoutMs(int* ms);

  struct Impl;

 private:
  explicit LwsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::net
