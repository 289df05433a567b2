// The C ABI of sync clients (net::LwsClient) whose subscriptions are bound
// to documents the host owns.
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
#include "capi/capi_net_internal.h"
#include "net/document.h"
#include "net/lws_client.h"
#include "net/protocol.h"

using namespace tandem;

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

using namespace tandem::capi;

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
  if (!st.ok())
    *apply_error = "applying remote changes to the bound document failed: " + st.ToString();
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

tandem_status tandem_client_peer_id(const tandem_client* client, uint64_t* out, tandem_error* err) {
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
