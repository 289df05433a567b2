// The C ABI of the network layer: servers (net::LwsServer over a store the
// handle owns) and clients (net::LwsClient) whose subscriptions are bound to
// documents the host owns.
//
// Client threading (tandem.h, "Clients"): the LwsClient's network thread owns
// the session's replicas; the host's tandem_doc is touched only on the host
// thread. Local commits reach the network thread through
// LwsClient::SubmitLocalUpdate (non-blocking); remote changes are announced
// by queued events and pulled into the host's doc (replica.EncodeUpdate of
// what the doc lacks) when the host takes the event. The event queue's state
// is mirrored by an eventfd that is readable exactly while it is non-empty.
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include <libwebsockets.h>

#include "capi/capi_internal.h"
#include "net/document.h"
#include "net/lws_client.h"
#include "net/lws_server.h"
#include "net/protocol.h"

using namespace tandem;

namespace tandem::capi {
namespace {

// Depth of Tandem callbacks running on a network thread (auth, wake) on this
// thread: blocking calls made from there would wait for the very thread that
// runs them.
thread_local int g_network_callback_depth = 0;

struct NetworkCallbackScope {
  NetworkCallbackScope() { ++g_network_callback_depth; }
  ~NetworkCallbackScope() { --g_network_callback_depth; }
};

tandem_status NotFromCallback(const char* fn, tandem_error* err) {
  if (g_network_callback_depth == 0) return TANDEM_OK;
  return Fail(err, TANDEM_E_BUSY,
              std::string(fn) + " called from a callback on a Tandem network thread (auth or "
                                "wake callback): post the work to another thread");
}

tandem_status CheckName(const char* name, tandem_error* err) {
  if (tandem_status st = CheckUtf8(name, "name", err)) return st;
  if (name[0] == '\0') return Fail(err, TANDEM_E_INVALID_ARG, "document name is empty");
  return TANDEM_OK;
}

// ---------------------------------------------------------------- servers

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

// ---------------------------------------------------------------- clients

namespace tandem::capi {
namespace {

struct QueuedEvent {
  int32_t type = 0;
  int32_t status = 0;
  int32_t permission = 0;
  uint32_t code = 0;
  uint64_t seq = 0;
  std::string doc;
  std::string message;
};

// What the network thread shares with the host: the event queue, its
// eventfd and the wake callback. Outlives the LwsClient's callbacks.
struct EventQueue {
  std::mutex mu;
  std::deque<QueuedEvent> queue;
  int fd = -1;
  bool fd_readable = false;
  tandem_wake_cb wake = nullptr;
  void* wake_user_data = nullptr;

  ~EventQueue() {
    if (fd >= 0) ::close(fd);
  }

  // Network thread (or any): appends; a REMOTE_CHANGE for a document that
  // already has one waiting is merged into it (it pulls everything when it
  // is taken).
  void Push(QueuedEvent e) {
    bool was_empty;
    {
      std::lock_guard<std::mutex> lk(mu);
      if (e.type == TANDEM_EVENT_REMOTE_CHANGE) {
        for (const auto& q : queue)
          if (q.type == TANDEM_EVENT_REMOTE_CHANGE && q.doc == e.doc) return;
      }
      was_empty = queue.empty();
      queue.push_back(std::move(e));
      if (!fd_readable) {
        uint64_t one = 1;
        ssize_t n;
        do n = ::write(fd, &one, sizeof one);
        while (n < 0 && errno == EINTR);
        fd_readable = true;
      }
    }
    if (was_empty && wake) {
      NetworkCallbackScope scope;
      wake(wake_user_data);
    }
  }

  bool Peek(QueuedEvent* out) {
    std::lock_guard<std::mutex> lk(mu);
    if (queue.empty()) return false;
    *out = queue.front();
    return true;
  }

  void PopFront() {
    std::lock_guard<std::mutex> lk(mu);
    if (!queue.empty()) queue.pop_front();
    if (queue.empty()) ResetFd();
  }

  void Clear() {
    std::lock_guard<std::mutex> lk(mu);
    queue.clear();
    ResetFd();
  }

 private:
  void ResetFd() {
    if (!fd_readable) return;
    uint64_t v;
    ssize_t n;
    do n = ::read(fd, &v, sizeof v);
    while (n < 0 && errno == EINTR);
    fd_readable = false;
  }
};

int32_t ToCStatus(net::ConnectionStatus s) {
  switch (s) {
    case net::ConnectionStatus::kConnecting: return TANDEM_CLIENT_CONNECTING;
    case net::ConnectionStatus::kOnline: return TANDEM_CLIENT_ONLINE;
    case net::ConnectionStatus::kSynced: return TANDEM_CLIENT_SYNCED;
    case net::ConnectionStatus::kOffline: return TANDEM_CLIENT_OFFLINE;
  }
  return TANDEM_CLIENT_OFFLINE;
}

QueuedEvent FromClientEvent(const net::ClientEvent& e) {
  QueuedEvent q;
  q.doc = e.doc;
  switch (e.type) {
    case net::ClientEvent::Type::kSynced: q.type = TANDEM_EVENT_SYNCED; break;
    case net::ClientEvent::Type::kRemoteChange: q.type = TANDEM_EVENT_REMOTE_CHANGE; break;
    case net::ClientEvent::Type::kAcked:
      q.type = TANDEM_EVENT_ACKED;
      q.seq = e.seq;
      break;
    case net::ClientEvent::Type::kError:
      q.type = TANDEM_EVENT_ERROR;
      q.code = e.code;
      q.seq = e.seq;
      q.message = e.message;
      break;
    case net::ClientEvent::Type::kAwareness: q.type = TANDEM_EVENT_AWARENESS; break;
    case net::ClientEvent::Type::kEpochChanged: q.type = TANDEM_EVENT_EPOCH_CHANGED; break;
    case net::ClientEvent::Type::kPermission:
      q.type = TANDEM_EVENT_PERMISSION;
      q.permission = static_cast<int32_t>(e.permission);
      break;
  }
  return q;
}

}  // namespace

// A subscription bound to a host document (host thread only).
class ClientBinding final : public DocBinding {
 public:
  ClientBinding(net::LwsClient* client, std::string name, tandem_doc* doc)
      : client_(client), name_(std::move(name)), doc_(doc) {}
  void OnLocalUpdate(std::string_view update) override {
    client_->SubmitLocalUpdate(name_, std::string(update));
  }
  void OnDocFreed() override { doc_ = nullptr; }
  tandem_doc* doc() const { return doc_; }
  const std::string& name() const { return name_; }
  // Detaches from the document (which stays the host's).
  void Unbind() {
    if (doc_ == nullptr) return;
    tandem_doc* d = doc_;
    doc_ = nullptr;
    d->binding = nullptr;
    try {
      RefreshUpdateListener(d);
    } catch (...) {
      // Out of memory while removing a listener: the old one stays but sees
      // binding == nullptr, so it only feeds the host's own listener.
    }
  }

 private:
  net::LwsClient* client_;
  std::string name_;
  tandem_doc* doc_;
};

}  // namespace tandem::capi

struct tandem_client {
  std::shared_ptr<EventQueue> events = std::make_shared<EventQueue>();
  std::unique_ptr<store::LogStore> offline;
  std::unique_ptr<net::LwsClient> lws;
  std::atomic<bool> closed{false};
  std::map<std::string, std::unique_ptr<ClientBinding>> bindings;  // host thread
  void* wake_user_data = nullptr;
  void (*wake_user_data_free)(void*) = nullptr;
};

namespace {

tandem_status CheckOpen(const tandem_client* c, tandem_error* err) {
  if (tandem_status st = NotNull(c, "client", err)) return st;
  if (c->closed.load()) return Fail(err, TANDEM_E_CLOSED, "the client is closed");
  return TANDEM_OK;
}

// Gives the bound doc of `name` (if any) what the client's replica holds
// and it lacks. Host thread.
tandem_status PullInto(tandem_client* c, const std::string& name, std::string* apply_error,
                       tandem_error* err) {
  auto it = c->bindings.find(name);
  if (it == c->bindings.end() || it->second->doc() == nullptr) return TANDEM_OK;
  tandem_doc* d = it->second->doc();
  VersionVector have = d->doc->version();
  std::string delta;
  bool ran = c->lws->Call([&](net::ClientSession& s) {
    if (net::Document* replica = s.Find(name)) {
      if (!have.includes(replica->version())) delta = replica->EncodeUpdate(have);
    }
  });
  if (!ran) return Fail(err, TANDEM_E_CLOSED, "the client's network thread has stopped");
  if (delta.empty()) return TANDEM_OK;
  Status st = d->doc->ApplyUpdate(delta, "remote");
  if (!st.ok()) *apply_error = "applying remote changes to the bound document failed: " + st.ToString();
  return TANDEM_OK;
}

// Takes the front event into *out (already cleared by the caller).
tandem_status TakeEvent(tandem_client* c, tandem_event* out, tandem_error* err) {
  QueuedEvent e;
  if (!c->events->Peek(&e)) return Fail(err, TANDEM_E_AGAIN, "no event pending");
  bool pull = e.type == TANDEM_EVENT_SYNCED || e.type == TANDEM_EVENT_REMOTE_CHANGE;
  if (pull) {
    auto it = c->bindings.find(e.doc);
    if (it != c->bindings.end() && it->second->doc() != nullptr &&
        it->second->doc()->doc->in_transaction()) {
      return Fail(err, TANDEM_E_BUSY,
                  "the document bound to '" + e.doc +
                      "' has a transaction open: commit it, then take the event");
    }
  }
  // Popped before pulling: a change arriving meanwhile queues a new event.
  c->events->PopFront();
  if (pull) {
    std::string apply_error;
    if (tandem_status st = PullInto(c, e.doc, &apply_error, err)) return st;
    if (!apply_error.empty()) {
      e.type = TANDEM_EVENT_ERROR;
      e.code = 0;
      e.message = apply_error;
    }
  }
  tandem_event ev;
  tandem_event_init(&ev);
  ev.type = e.type;
  ev.status = e.status;
  ev.permission = e.permission;
  ev.code = e.code;
  ev.seq = e.seq;
  SetBuf(e.doc, &ev.doc);
  try {
    SetBuf(e.message, &ev.message);
  } catch (...) {
    tandem_buf_free(&ev.doc);
    throw;
  }
  *out = ev;
  return TANDEM_OK;
}

void CloseClient(tandem_client* c) {
  c->closed = true;
  if (c->lws) c->lws->Stop();  // joins the network thread: no callback after this
  for (auto& [name, b] : c->bindings) b->Unbind();
  c->bindings.clear();
  c->events->Clear();
  if (c->offline) c->offline->Close();
}

}  // namespace

extern "C" {

tandem_status tandem_set_network_log_level(int32_t level, tandem_error* err) {
  int lws_level = 0;
  switch (level) {
    case TANDEM_LOG_NONE: break;
    case TANDEM_LOG_ERROR: lws_level = LLL_ERR; break;
    case TANDEM_LOG_WARN: lws_level = LLL_ERR | LLL_WARN; break;
    case TANDEM_LOG_NOTICE: lws_level = LLL_ERR | LLL_WARN | LLL_NOTICE; break;
    default: return Fail(err, TANDEM_E_INVALID_ARG, "unknown log level (use TANDEM_LOG_*)");
  }
  lws_set_log_level(lws_level, nullptr);
  return TANDEM_OK;
}

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
    so.limits.max_updates_per_second =
        opts->max_updates_per_second > 0 ? opts->max_updates_per_second
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
                std::string(fn) + ": the server runs on its own thread (service_mode "
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
                  std::string(fn) + " called from a thread other than the server's service "
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

// ---------------------------------------------------------------- clients

void tandem_client_options_init(tandem_client_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof *opts);
  opts->struct_size = sizeof *opts;
  const net::LwsClientOptions d;
  opts->connect = 1;
  opts->peer_id = TANDEM_PEER_RANDOM;
  opts->jitter_percent = d.jitter_percent;
  opts->max_incoming_bytes = d.max_incoming_bytes;
}

tandem_status tandem_client_new(tandem_client** out, const tandem_client_options* opts,
                                tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = nullptr;
    if (tandem_status st = NotNull(opts, "opts", err)) return st;
    if (tandem_status st =
            CheckStructSize(opts->struct_size, sizeof *opts, "tandem_client_options", err))
      return st;
    if (tandem_status st = CheckUtf8(opts->url, "url", err)) return st;
    if (opts->token) {
      if (tandem_status st = CheckUtf8(opts->token, "token", err)) return st;
    }
    if (opts->offline_db_path) {
      if (tandem_status st = CheckUtf8(opts->offline_db_path, "offline_db_path", err)) return st;
    }
    if (opts->jitter_percent < 0 || opts->jitter_percent > 100)
      return Fail(err, TANDEM_E_INVALID_ARG, "jitter_percent is not in 0..100");
    if (opts->backoff_count > 0 && opts->backoff_ms == nullptr)
      return Fail(err, TANDEM_E_INVALID_ARG, "backoff_ms is NULL with a non-zero backoff_count");

    auto c = std::make_unique<tandem_client>();
    c->events->fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->events->fd < 0)
      return Fail(err, TANDEM_E_IO, std::string("eventfd: ") + std::strerror(errno));

    net::LwsClientOptions o;
    o.url = opts->url;
    o.peer = opts->peer_id;
    if (opts->token) o.token = opts->token;
    if (opts->backoff_count > 0)
      o.backoff_ms.assign(opts->backoff_ms, opts->backoff_ms + opts->backoff_count);
    o.jitter_percent = opts->jitter_percent;
    if (opts->max_incoming_bytes) o.max_incoming_bytes = opts->max_incoming_bytes;
    o.connect = opts->connect != 0;
    if (opts->offline_db_path) {
      store::StoreStatus ss =
          net::OpenDocumentStore(opts->offline_db_path, store::StoreOptions{}, &c->offline);
      if (!ss.ok()) return FromStore(ss, err);
      o.offline_store = c->offline.get();
    }
    std::shared_ptr<EventQueue> q = c->events;
    q->wake = opts->wake;
    q->wake_user_data = opts->wake_user_data;
    o.on_event = [q](const net::ClientEvent& e) { q->Push(FromClientEvent(e)); };
    o.on_status = [q](net::ConnectionStatus s) {
      QueuedEvent e;
      e.type = TANDEM_EVENT_STATUS;
      e.status = ToCStatus(s);
      q->Push(std::move(e));
    };
    Status st = net::LwsClient::Start(std::move(o), &c->lws);
    if (!st.ok()) {
      if (c->offline) c->offline->Close();
      return FromCore(st, err);
    }
    c->wake_user_data = opts->wake_user_data;
    c->wake_user_data_free = opts->wake_user_data_free;
    *out = c.release();
    return TANDEM_OK;
  });
}

void tandem_client_free(tandem_client* client) {
  if (!client) return;
  try {
    if (!client->closed.load()) CloseClient(client);
    client->lws.reset();
    client->offline.reset();
  } catch (...) {
  }
  auto free_fn = client->wake_user_data_free;
  void* ud = client->wake_user_data;
  delete client;
  if (free_fn) free_fn(ud);
}

tandem_status tandem_client_connect(tandem_client* client, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    client->lws->SetConnected(true);
    return TANDEM_OK;
  });
}

tandem_status tandem_client_disconnect(tandem_client* client, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    client->lws->SetConnected(false);
    return TANDEM_OK;
  });
}

tandem_status tandem_client_close(tandem_client* client, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = NotFromCallback("tandem_client_close", err)) return st;
    CloseClient(client);
    return TANDEM_OK;
  });
}

tandem_status tandem_client_status(const tandem_client* client, int32_t* out, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = ToCStatus(client->lws->status());
    return TANDEM_OK;
  });
}

tandem_status tandem_client_peer_id(const tandem_client* client, uint64_t* out,
                                    tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = client->lws->peer();
    return TANDEM_OK;
  });
}

tandem_status tandem_client_subscribe(tandem_client* client, const char* name, tandem_doc* doc,
                                      tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (tandem_status st = NotFromCallback("tandem_client_subscribe", err)) return st;
    std::string n(name);
    if (client->bindings.count(n))
      return Fail(err, TANDEM_E_INVALID_ARG, "'" + n + "' is already subscribed on this client");
    if (doc->binding)
      return Fail(err, TANDEM_E_INVALID_ARG, "the document is already bound to a subscription");
    if (doc->doc->in_transaction())
      return Fail(err, TANDEM_E_INVALID_ARG, "the document has a transaction open");
    Status st = client->lws->Open(n);
    if (!st.ok()) return Fail(err, TANDEM_E_STORAGE, st.message());
    if (client->closed.load()) return Fail(err, TANDEM_E_CLOSED, "the client is closed");
    auto b = std::make_unique<ClientBinding>(client->lws.get(), n, doc);
    ClientBinding* raw = b.get();
    client->bindings.emplace(n, std::move(b));
    doc->binding = raw;
    try {
      RefreshUpdateListener(doc);
    } catch (...) {
      raw->Unbind();
      client->bindings.erase(n);
      client->lws->Call([&](net::ClientSession& s) { s.Close(n); });
      throw;
    }
    // What the host's doc already holds joins the shared document; what the
    // client's replica holds (an offline store's) joins the host's doc.
    if (!doc->doc->version().empty()) client->lws->SubmitLocalUpdate(n, doc->doc->EncodeUpdate());
    std::string apply_error;
    if (tandem_status ps = PullInto(client, n, &apply_error, err)) return ps;
    if (!apply_error.empty()) {
      QueuedEvent e;
      e.type = TANDEM_EVENT_ERROR;
      e.doc = n;
      e.message = apply_error;
      client->events->Push(std::move(e));
    }
    return TANDEM_OK;
  });
}

tandem_status tandem_client_unsubscribe(tandem_client* client, const char* name,
                                        tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = NotNull(name, "name", err)) return st;
    if (tandem_status st = NotFromCallback("tandem_client_unsubscribe", err)) return st;
    auto it = client->bindings.find(name);
    if (it == client->bindings.end())
      return Fail(err, TANDEM_E_NOT_FOUND, std::string("'") + name + "' is not subscribed");
    std::string n = it->first;
    it->second->Unbind();
    client->bindings.erase(it);
    client->lws->Call([&](net::ClientSession& s) { s.Close(n); });
    return TANDEM_OK;
  });
}

tandem_status tandem_client_set_awareness(tandem_client* client, const char* name,
                                          const uint8_t* state, size_t len, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    if (!state && len > 0) return Fail(err, TANDEM_E_INVALID_ARG, "state is NULL");
    if (tandem_status st = NotFromCallback("tandem_client_set_awareness", err)) return st;
    std::string n(name);
    std::string bytes(state ? reinterpret_cast<const char*>(state) : "", len);
    bool found = false;
    bool ran = client->lws->Call([&](net::ClientSession& s) {
      if (s.Find(n) == nullptr) return;
      found = true;
      if (bytes.empty()) {
        s.ClearAwareness(n);
      } else {
        s.SetAwareness(n, std::move(bytes));
      }
    });
    if (!ran) return Fail(err, TANDEM_E_CLOSED, "the client is closed");
    if (!found) return Fail(err, TANDEM_E_NOT_FOUND, "'" + n + "' is not subscribed");
    return TANDEM_OK;
  });
}

void tandem_awareness_free(tandem_awareness* list) {
  if (!list) return;
  for (size_t i = 0; list->items && i < list->count; ++i) std::free(list->items[i].state.data);
  std::free(list->items);
  list->items = nullptr;
  list->count = 0;
}

tandem_status tandem_client_get_awareness(tandem_client* client, const char* name,
                                          tandem_awareness* out, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = CheckName(name, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    if (tandem_status st = NotFromCallback("tandem_client_get_awareness", err)) return st;
    std::string n(name);
    bool found = false;
    std::map<PeerId, std::string> states;
    bool ran = client->lws->Call([&](net::ClientSession& s) {
      if (s.Find(n) == nullptr) return;
      found = true;
      states = s.RemoteAwareness(n);
    });
    if (!ran) return Fail(err, TANDEM_E_CLOSED, "the client is closed");
    if (!found) return Fail(err, TANDEM_E_NOT_FOUND, "'" + n + "' is not subscribed");
    tandem_awareness r{nullptr, 0};
    if (!states.empty()) {
      r.items = static_cast<tandem_awareness_entry*>(
          std::calloc(states.size(), sizeof(tandem_awareness_entry)));
      if (!r.items) throw std::bad_alloc();
      try {
        for (const auto& [peer, state] : states) {
          tandem_awareness_entry& e = r.items[r.count];
          e.peer_id = peer;
          SetBuf(state, &e.state);
          ++r.count;
        }
      } catch (...) {
        tandem_awareness_free(&r);
        throw;
      }
    }
    *out = r;
    return TANDEM_OK;
  });
}

void tandem_event_init(tandem_event* ev) {
  if (!ev) return;
  std::memset(ev, 0, sizeof *ev);
  ev->struct_size = sizeof *ev;
}

void tandem_event_clear(tandem_event* ev) {
  if (!ev) return;
  tandem_buf_free(&ev->doc);
  tandem_buf_free(&ev->message);
  tandem_event_init(ev);
}

tandem_status tandem_client_poll_event(tandem_client* client, tandem_event* out,
                                       tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = NotNull(out, "out", err)) return st;
    if (tandem_status st = CheckStructSize(out->struct_size, sizeof *out, "tandem_event", err))
      return st;
    if (tandem_status st = NotFromCallback("tandem_client_poll_event", err)) return st;
    tandem_event ev;
    tandem_event_init(&ev);
    if (tandem_status st = TakeEvent(client, &ev, err)) return st;
    tandem_event_clear(out);
    *out = ev;
    return TANDEM_OK;
  });
}

tandem_status tandem_client_dispatch(tandem_client* client, tandem_event_cb cb, void* user_data,
                                     size_t max, size_t* out_count, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = NotNull(reinterpret_cast<const void*>(cb), "cb", err)) return st;
    if (tandem_status st = NotFromCallback("tandem_client_dispatch", err)) return st;
    size_t limit = max;
    if (limit == 0) {
      std::lock_guard<std::mutex> lk(client->events->mu);
      limit = client->events->queue.size();
    }
    size_t n = 0;
    if (out_count) *out_count = 0;
    while (n < limit) {
      if (client->closed.load()) break;  // cb closed the client
      tandem_event ev;
      tandem_event_init(&ev);
      tandem_error e = {TANDEM_OK, nullptr};
      tandem_status st = TakeEvent(client, &ev, &e);
      if (st != TANDEM_OK) {
        std::string message = e.message ? e.message : "";
        tandem_error_clear(&e);
        if (st == TANDEM_E_AGAIN) break;  // the queue emptied: that is success here
        return Fail(err, st, message);
      }
      ++n;
      if (out_count) *out_count = n;
      int32_t stop = cb(user_data, &ev);
      tandem_event_clear(&ev);
      if (stop != 0) return Fail(err, TANDEM_E_USER, "the event callback asked to stop");
    }
    return TANDEM_OK;
  });
}

tandem_status tandem_client_event_fd(const tandem_client* client, int* out_fd, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckOpen(client, err)) return st;
    if (tandem_status st = NotNull(out_fd, "out_fd", err)) return st;
    *out_fd = client->events->fd;
    return TANDEM_OK;
  });
}

}  // extern "C"
