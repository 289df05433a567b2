// The C ABI of the sync server: net::LwsServer over a store the handle owns,
// on its own thread or driven by the host (tandem.h, "Servers").
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include <libwebsockets.h>

#include "capi/capi_internal.h"
#include "capi/capi_net_internal.h"
#include "net/lws_server.h"
#include "net/protocol.h"

using namespace tandem;

namespace tandem::capi {
namespace {

struct AuthState {
  tandem_auth_cb cb = nullptr;
  void* user_data = nullptr;
  void (*user_data_free)(void*) = nullptr;
  std::mutex mu;
  std::set<std::string, std::less<>> revoked;

  ~AuthState() {
    if (user_data_free) user_data_free(user_data);
  }

  net::Permission Check(std::string_view token, std::string_view doc) {
    {
      std::lock_guard<std::mutex> lk(mu);
      if (revoked.find(token) != revoked.end()) return net::Permission::kNone;
    }
    if (cb == nullptr) return net::Permission::kWrite;
    int32_t p;
    {
      NetworkCallbackScope scope;
      p = cb(user_data, token.data(), token.size(), doc.data(), doc.size());
    }
    switch (p) {
      case TANDEM_PERMISSION_READ: return net::Permission::kRead;
      case TANDEM_PERMISSION_WRITE: return net::Permission::kWrite;
      default: return net::Permission::kNone;
    }
  }
};

}  // namespace
}  // namespace tandem::capi

using namespace tandem::capi;

struct tandem_server {
  std::mutex mu;  // serialises start/stop; never held while waiting on a loop
  net::LwsServerOptions options;
  std::shared_ptr<AuthState> auth;
  std::unique_ptr<store::LogStore> store;
  // Callers take a reference and release `mu` before calling into it: a
  // host-driven server's other threads wait for its service thread, which
  // must be able to call in (service, stop, reauthorize) meanwhile.
  std::shared_ptr<net::LwsServer> running;

  std::shared_ptr<net::LwsServer> Running() {
    std::lock_guard<std::mutex> lk(mu);
    return running;
  }
};

extern "C" {

// ---------------------------------------------------------------- servers

void tandem_server_options_init(tandem_server_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof *opts);
  opts->struct_size = sizeof *opts;
  const net::ServerOptions d;
  opts->sync = TANDEM_SYNC_FULL;
  opts->max_frame_bytes = d.limits.max_frame_bytes;
  opts->max_update_bytes = d.limits.max_update_bytes;
  opts->max_docs_per_connection = d.limits.max_docs_per_connection;
  opts->max_connections = d.limits.max_connections;
  opts->max_updates_per_second = d.limits.max_updates_per_second;
  opts->update_burst = d.limits.update_burst;
  opts->max_outbound_bytes = d.limits.max_outbound_bytes;
  opts->max_awareness_bytes = d.limits.max_awareness_bytes;
  opts->idle_unload_ms = d.idle_unload_ms;
  opts->awareness_timeout_ms = d.awareness_timeout_ms;
}

tandem_status tandem_server_new(tandem_server** out, const tandem_server_options* opts,
                                tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = nullptr;
    if (tandem_status st = NotNull(opts, "opts", err)) return st;
    // 0.1.0's struct ended before service_mode: still accepted.
    constexpr size_t kSize010 = offsetof(tandem_server_options, service_mode);
    const bool has_mode = opts->struct_size != kSize010;
    if (has_mode) {
      if (tandem_status st =
              CheckStructSize(opts->struct_size, sizeof *opts, "tandem_server_options", err))
        return st;
      if (opts->service_mode != TANDEM_SERVICE_OWN_THREAD &&
          opts->service_mode != TANDEM_SERVICE_HOST)
        return Fail(err, TANDEM_E_INVALID_ARG, "unknown service_mode (use TANDEM_SERVICE_*)");
    }
    if (tandem_status st = CheckUtf8(opts->db_path, "db_path", err)) return st;
    if (opts->db_path[0] == '\0') return Fail(err, TANDEM_E_INVALID_ARG, "db_path is empty");
    if (opts->port < 0 || opts->port > 65535)
      return Fail(err, TANDEM_E_INVALID_ARG, "port is not in 0..65535");
    if (opts->sync != TANDEM_SYNC_FULL && opts->sync != TANDEM_SYNC_NORMAL)
      return Fail(err, TANDEM_E_INVALID_ARG, "unknown sync mode (use TANDEM_SYNC_*)");
    if (opts->host) {
      if (tandem_status st = CheckUtf8(opts->host, "host", err)) return st;
    }
    if (opts->static_dir) {
      if (tandem_status st = CheckUtf8(opts->static_dir, "static_dir", err)) return st;
    }
    if (opts->max_updates_per_second < 0 || opts->update_burst < 0)
      return Fail(err, TANDEM_E_INVALID_ARG, "update rates must not be negative");

    auto s = std::make_unique<tandem_server>();
    net::LwsServerOptions& o = s->options;
    o.host = opts->host ? opts->host : "127.0.0.1";
    o.port = opts->port;
    o.own_thread = !has_mode || opts->service_mode == TANDEM_SERVICE_OWN_THREAD;
    if (opts->static_dir) o.static_dir = opts->static_dir;
    net::ServerOptions& so = o.server;
    const net::ServerOptions d;
    auto pick = [](auto v, auto def) { return v ? v : def; };
    so.limits.max_frame_bytes = pick(opts->max_frame_bytes, d.limits.max_frame_bytes);
    so.limits.max_update_bytes = pick(opts->max_update_bytes, d.limits.max_update_bytes);
    so.limits.max_docs_per_connection =
        pick(opts->max_docs_per_connection, d.limits.max_docs_per_connection);
    so.limits.max_connections = pick(opts->max_connections, d.limits.max_connections);
    so.limits.max_updates_per_second = opts->max_updates_per_second > 0
                                           ? opts->max_updates_per_second
                                           : d.limits.max_updates_per_second;
    so.limits.update_burst = opts->update_burst > 0 ? opts->update_burst : d.limits.update_burst;
    so.limits.max_outbound_bytes = pick(opts->max_outbound_bytes, d.limits.max_outbound_bytes);
    so.limits.max_awareness_bytes = pick(opts->max_awareness_bytes, d.limits.max_awareness_bytes);
    so.idle_unload_ms = pick(opts->idle_unload_ms, d.idle_unload_ms);
    so.awareness_timeout_ms = pick(opts->awareness_timeout_ms, d.awareness_timeout_ms);

    store::StoreOptions sto;
    sto.sync = opts->sync == TANDEM_SYNC_FULL ? store::SyncMode::kFull : store::SyncMode::kNormal;
    store::StoreStatus ss = net::OpenDocumentStore(opts->db_path, sto, &s->store);
    if (!ss.ok()) return FromStore(ss, err);

    auto auth = std::make_shared<AuthState>();
    auth->cb = opts->auth;
    s->auth = auth;
    std::weak_ptr<AuthState> weak = auth;
    so.auth = [weak](std::string_view token, std::string_view doc) {
      auto a = weak.lock();
      return a ? a->Check(token, doc) : net::Permission::kNone;
    };
    // Set last: from here on the server owns the user_data.
    auth->user_data = opts->auth_user_data;
    auth->user_data_free = opts->auth_user_data_free;
    *out = s.release();
    return TANDEM_OK;
  });
}

tandem_status tandem_server_start(tandem_server* server, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(server, "server", err)) return st;
    if (tandem_status st = NotFromCallback("tandem_server_start", err)) return st;
    std::lock_guard<std::mutex> lk(server->mu);
    if (server->running) return Fail(err, TANDEM_E_BUSY, "the server is already running");
    std::unique_ptr<net::LwsServer> started;
    Status st = net::LwsServer::Start(server->options, server->store.get(), &started);
    if (!st.ok()) return Fail(err, TANDEM_E_IO, st.message());
    server->running = std::move(started);
    return TANDEM_OK;
  });
}

namespace {

// Stops `server`'s running LwsServer (if any) without holding its mutex
// while the loop winds down, then forgets it.
void StopRunning(tandem_server* server) {
  std::shared_ptr<net::LwsServer> r = server->Running();
  if (!r) return;
  r->Stop();
  std::lock_guard<std::mutex> lk(server->mu);
  if (server->running == r) server->running.reset();
}

// The running host-driven server, or an error.
tandem_status RunningHostDriven(const tandem_server* server, const char* fn,
                                std::shared_ptr<net::LwsServer>* out, tandem_error* err) {
  if (tandem_status st = NotNull(server, "server", err)) return st;
  auto* s = const_cast<tandem_server*>(server);
  if (s->options.own_thread) {
    return Fail(err, TANDEM_E_INVALID_ARG,
                std::string(fn) +
                    ": the server runs on its own thread (service_mode "
                    "TANDEM_SERVICE_OWN_THREAD)");
  }
  *out = s->Running();
  if (!*out) return Fail(err, TANDEM_E_CLOSED, "the server is not running");
  return TANDEM_OK;
}

tandem_status FromServiceResult(net::LwsServer::ServiceResult r, const char* fn,
                                tandem_error* err) {
  using R = net::LwsServer::ServiceResult;
  switch (r) {
    case R::kOk: return TANDEM_OK;
    case R::kStopped: return Fail(err, TANDEM_E_CLOSED, "the server has stopped");
    case R::kWrongMode:
      return Fail(err, TANDEM_E_INVALID_ARG,
                  std::string(fn) + ": the server runs on its own thread");
    case R::kWrongThread:
      return Fail(err, TANDEM_E_BUSY,
                  std::string(fn) +
                      " called from a thread other than the server's service "
                      "thread (the one that called tandem_server_start)");
  }
  return Fail(err, TANDEM_E_INTERNAL, "unknown service result");
}

}  // namespace

tandem_status tandem_server_stop(tandem_server* server, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(server, "server", err)) return st;
    if (tandem_status st = NotFromCallback("tandem_server_stop", err)) return st;
    StopRunning(server);
    return TANDEM_OK;
  });
}

void tandem_server_free(tandem_server* server) {
  if (!server) return;
  try {
    StopRunning(server);
    if (server->store) server->store->Close();
    server->store.reset();
  } catch (...) {
  }
  delete server;  // the last AuthState reference: auth_user_data_free runs here
}

tandem_status tandem_server_listen_port(const tandem_server* server, uint16_t* out,
                                        tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(server, "server", err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    if (tandem_status st = NotFromCallback("tandem_server_listen_port", err)) return st;
    auto r = const_cast<tandem_server*>(server)->Running();
    if (!r) return Fail(err, TANDEM_E_CLOSED, "the server is not running");
    *out = static_cast<uint16_t>(r->port());
    return TANDEM_OK;
  });
}

tandem_status tandem_server_revoke_token(tandem_server* server, const char* token,
                                         tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(server, "server", err)) return st;
    if (tandem_status st = NotNull(token, "token", err)) return st;
    if (tandem_status st = NotFromCallback("tandem_server_revoke_token", err)) return st;
    {
      std::lock_guard<std::mutex> lk(server->auth->mu);
      server->auth->revoked.insert(token);
    }
    if (auto r = server->Running()) r->Reauthorize();
    return TANDEM_OK;
  });
}

tandem_status tandem_server_reauthorize(tandem_server* server, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(server, "server", err)) return st;
    if (tandem_status st = NotFromCallback("tandem_server_reauthorize", err)) return st;
    if (auto r = server->Running()) r->Reauthorize();
    return TANDEM_OK;
  });
}

tandem_status tandem_server_service(tandem_server* server, int32_t timeout_ms, tandem_error* err) {
  return Guard(err, [&] {
    std::shared_ptr<net::LwsServer> r;
    if (tandem_status st = RunningHostDriven(server, "tandem_server_service", &r, err)) return st;
    if (tandem_status st = NotFromCallback("tandem_server_service", err)) return st;
    return FromServiceResult(r->Service(timeout_ms), "tandem_server_service", err);
  });
}

tandem_status tandem_server_fd(const tandem_server* server, int* out_fd, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(out_fd, "out_fd", err)) return st;
    std::shared_ptr<net::LwsServer> r;
    if (tandem_status st = RunningHostDriven(server, "tandem_server_fd", &r, err)) return st;
    *out_fd = r->fd();
    return TANDEM_OK;
  });
}

tandem_status tandem_server_timeout(tandem_server* server, int32_t* out_ms, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(out_ms, "out_ms", err)) return st;
    std::shared_ptr<net::LwsServer> r;
    if (tandem_status st = RunningHostDriven(server, "tandem_server_timeout", &r, err)) return st;
    int ms = -1;
    if (tandem_status st = FromServiceResult(r->TimeoutMs(&ms), "tandem_server_timeout", err))
      return st;
    *out_ms = ms;
    return TANDEM_OK;
  });
}

}  // extern "C"
