#include "net/lws_client.h"

#include <libwebsockets.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "net/lws_inbox.h"
#include "net/protocol.h"
#include "net/ws_url.h"

namespace tandem::net {

const char* ConnectionStatusName(ConnectionStatus s) {
  switch (s) {
    case ConnectionStatus::kConnecting: return "connecting";
    case ConnectionStatus::kOnline: return "online";
    case ConnectionStatus::kSynced: return "synced";
    case ConnectionStatus::kOffline: return "offline";
  }
  return "?";
}

namespace {

uint64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

int ClientCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

const lws_protocols kClientProtocols[] = {
    {"tandem-client", ClientCallback, 0, 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

const lws_extension kClientExtensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
    {nullptr, nullptr, nullptr},
};

// Store work that waits for disk (AckUpTo) runs here, off the service thread.
class StoreWorker {
 public:
  StoreWorker() : thread_([this] { Loop(); }) {}
  ~StoreWorker() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Post(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      jobs_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stop requested and drained
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

struct LwsClient::Impl {
  LwsClientOptions options;
  std::string host, path;
  int port = 0;
  std::shared_ptr<LwsInbox> inbox = std::make_shared<LwsInbox>();
  lws_context* ctx = nullptr;
  lws* wsi = nullptr;
  std::unique_ptr<ClientSession> session;
  std::thread thread;
  std::atomic<bool> stop{false};
  std::atomic<ConnectionStatus> status{ConnectionStatus::kOffline};
  // Set (under exited_mu) when the service thread has ended: from then on
  // no posted job runs any more.
  std::mutex exited_mu;
  std::condition_variable exited_cv;
  bool exited = false;
  bool stopping = false;
  bool want_connected = true;
  bool paused = false;
  uint16_t close_code = 0;  // set: close the connection from WRITEABLE
  uint32_t attempt = 0;
  std::string rx;
  std::string inflight;
  lws_retry_bo_t keepalive{};
  std::mt19937_64 rng{std::random_device{}()};
  std::map<std::string, VersionVector> persisted;  // offline store: what it holds
  std::unique_ptr<StoreWorker> worker;

  struct Timer {
    lws_sorted_usec_list_t sul{};
    Impl* owner = nullptr;
  };
  Timer connect_sul, tick_sul;

  void SetStatus(ConnectionStatus s) {
    if (status.exchange(s) != s && options.on_status) options.on_status(s);
  }

  static void ConnectCb(lws_sorted_usec_list_t* sul) {
    lws_container_of(sul, Timer, sul)->owner->Connect();
  }
  static void TickCb(lws_sorted_usec_list_t* sul) {
    Impl* self = lws_container_of(sul, Timer, sul)->owner;
    self->session->Tick(NowMs());
    self->Kick();
    lws_sul_schedule(self->ctx, 0, &self->tick_sul.sul, TickCb, 1000 * LWS_US_PER_MS);
  }

  void Connect() {
    if (stopping || !want_connected || wsi != nullptr) return;
    SetStatus(ConnectionStatus::kConnecting);
    lws_client_connect_info i;
    std::memset(&i, 0, sizeof i);
    i.context = ctx;
    i.address = host.c_str();
    i.port = port;
    i.path = path.c_str();
    i.host = host.c_str();
    i.origin = host.c_str();
    i.protocol = "tandem";
    i.local_protocol_name = "tandem-client";
    i.retry_and_idle_policy = &keepalive;
    i.pwsi = &wsi;
    if (lws_client_connect_via_info(&i) == nullptr) {
      wsi = nullptr;
      ScheduleReconnect();
    }
  }

  void ScheduleReconnect() {
    SetStatus(ConnectionStatus::kOffline);
    if (stopping || !want_connected) return;
    const auto& table = options.backoff_ms;
    uint64_t base = table.empty() ? 1000 : table[std::min<size_t>(attempt, table.size() - 1)];
    ++attempt;
    double jitter = options.jitter_percent / 100.0;
    std::uniform_real_distribution<double> dist(1.0 - jitter, 1.0 + jitter);
    uint64_t delay = std::max<uint64_t>(10, static_cast<uint64_t>(base * dist(rng)));
    lws_sul_schedule(ctx, 0, &connect_sul.sul, ConnectCb, delay * LWS_US_PER_MS);
  }

  // Frames or a close are pending: ask for WRITEABLE.
  void Kick() {
    if (wsi != nullptr && (session->has_frames() || close_code != 0)) lws_callback_on_writable(wsi);
  }

  void PersistRemote(const std::string& doc) {
    store::LogStore* st = options.offline_store;
    Document* d = session->Find(doc);
    if (st == nullptr || d == nullptr) return;
    VersionVector& have = persisted[doc];
    if (have.includes(d->version())) return;
    st->Append(doc, d->EncodeUpdate(have), nullptr, /*outbox=*/false);
    have = d->version();
  }

  void DispatchEvents() {
    for (auto& e : session->TakeEvents()) {
      if (options.offline_store != nullptr) {
        if (e.type == ClientEvent::Type::kRemoteChange || e.type == ClientEvent::Type::kSynced) {
          PersistRemote(e.doc);
        } else if (e.type == ClientEvent::Type::kAcked) {
          store::LogStore* st = options.offline_store;
          std::string doc = e.doc;
          uint64_t seq = e.seq;
          worker->Post([st, doc, seq] { st->AckUpTo(doc, seq); });
        }
      }
      if (options.on_event) options.on_event(e);
      if (e.type == ClientEvent::Type::kSynced && session->all_synced()) {
        SetStatus(ConnectionStatus::kSynced);
      }
    }
  }

  Status LocalEdit(const std::string& doc, const std::function<Status(Document&)>& edit) {
    Document* d = session->Find(doc);
    if (d == nullptr) return Status::InvalidArgument("document not open: " + doc);
    if (options.offline_store != nullptr) PersistRemote(doc);
    std::string update;
    Status st = EditDocument(*d, edit, &update);
    RecordLocal(doc, *d, std::move(update));
    return st;
  }

  // A local update already applied to the replica `d` of `doc`: stored in
  // the offline outbox (if any) before it is recorded for sending.
  void RecordLocal(const std::string& doc, Document& d, std::string update) {
    if (!update.empty()) {
      if (options.offline_store != nullptr) {
        // Stored (in the outbox) before it is sent; the store's seq is the
        // client seq, so AckUpTo(seq) clears exactly what the server has.
        persisted[doc] = d.version();
        std::weak_ptr<LwsInbox> weak = inbox;
        Impl* self = this;
        store::StoreStatus ss = options.offline_store->Append(
            doc, update,
            [weak, self, doc, update](const store::StoreStatus& s, uint64_t seq) {
              if (!s.ok()) return;
              if (auto in = weak.lock()) {
                in->Post([self, doc, update, seq] {
                  self->session->AddLocalUpdate(doc, update, seq);
                  self->Kick();
                });
              }
            },
            /*outbox=*/true);
        if (!ss.ok()) session->AddLocalUpdate(doc, update, session->NextSeq(doc));
      } else {
        session->AddLocalUpdate(doc, std::move(update), session->NextSeq(doc));
      }
      Kick();
    }
  }

  // Update bytes made on another replica of `doc` (e.g. a host's own copy):
  // applied to the session's replica, then stored and sent like a local edit.
  void SubmitLocal(const std::string& doc, const std::string& update) {
    Document* d = session->Find(doc);
    if (d == nullptr) return;  // unsubscribed meanwhile: nothing to send
    if (options.offline_store != nullptr) PersistRemote(doc);
    bool changed = false;
    Status st = ApplyDocumentUpdate(*d, update, &changed);
    if (!st.ok()) {
      ClientEvent e(ClientEvent::Type::kError, doc);
      e.message = "local update refused: " + st.ToString();
      if (options.on_event) options.on_event(e);
      return;
    }
    if (!changed) return;
    RecordLocal(doc, *d, update);
    if (session->synced(doc) && session->permission(doc) != Permission::kWrite) {
      // The session keeps edits of a read-only document and never sends
      // them; say so, since the host cannot tell otherwise.
      ClientEvent e(ClientEvent::Type::kError, doc);
      e.code = static_cast<uint32_t>(ErrorCode::kForbidden);
      e.message = "read-only: the edit stays local and is not sent";
      if (options.on_event) options.on_event(e);
    }
  }

  int OnCallback(lws* w, lws_callback_reasons reason, void* in, size_t len) {
    switch (reason) {
      case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        inbox->Drain();
        DispatchEvents();
        Kick();
        return 0;  // must be 0 (notes §4.4)
      case LWS_CALLBACK_CLIENT_ESTABLISHED:
        attempt = 0;
        rx.clear();
        close_code = 0;
        if (paused) lws_rx_flow_control(w, 0);
        session->OnConnected();
        SetStatus(ConnectionStatus::kOnline);
        Kick();
        return 0;
      case LWS_CALLBACK_CLIENT_RECEIVE: {
        if (close_code != 0) return 0;
        if (rx.size() + len > options.max_incoming_bytes) {
          close_code = kCloseTooBig;
          Kick();
          return 0;
        }
        rx.append(static_cast<const char*>(in), len);
        if (!lws_is_final_fragment(w)) return 0;
        std::string msg = std::move(rx);
        rx.clear();
        lws_validity_confirmed(w);
        Status st = session->OnFrame(msg);
        if (!st.ok()) {
          close_code = kCloseProtocol;
          ClientEvent e(ClientEvent::Type::kError);
          e.message = "server frame refused: " + st.ToString();
          if (options.on_event) options.on_event(e);
        }
        DispatchEvents();
        Kick();
        return 0;
      }
      case LWS_CALLBACK_CLIENT_WRITEABLE: {
        inflight.clear();
        if (close_code != 0) {
          lws_close_reason(w, static_cast<lws_close_status>(close_code), nullptr, 0);
          return -1;
        }
        std::string frame;
        if (!session->PopFrame(&frame)) return 0;
        inflight.assign(LWS_PRE, '\0');
        inflight += frame;  // lws masks this copy in place
        if (lws_write(w, reinterpret_cast<unsigned char*>(inflight.data()) + LWS_PRE, frame.size(),
                      LWS_WRITE_BINARY) < static_cast<int>(frame.size())) {
          return -1;
        }
        Kick();
        return 0;
      }
      case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      case LWS_CALLBACK_CLIENT_CLOSED:
        if (w != wsi && wsi != nullptr) return 0;
        wsi = nullptr;
        inflight.clear();
        rx.clear();
        session->OnDisconnected();
        DispatchEvents();
        ScheduleReconnect();
        return 0;
      default:
        break;
    }
    return 0;
  }
};

namespace {

int ClientCallback(lws* wsi, lws_callback_reasons reason, void*, void* in, size_t len) {
  auto* impl = static_cast<LwsClient::Impl*>(lws_context_user(lws_get_context(wsi)));
  if (impl == nullptr) return 0;
  return impl->OnCallback(wsi, reason, in, len);
}

}  // namespace

LwsClient::LwsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LwsClient::~LwsClient() { Stop(); }

Status LwsClient::Start(LwsClientOptions options, std::unique_ptr<LwsClient>* out) {
  auto impl = std::make_unique<Impl>();
  Impl* I = impl.get();
  I->options = std::move(options);
  if (!ParseWsUrl(I->options.url, &I->host, &I->port, &I->path)) {
    return Status::InvalidArgument("not a ws://host:port/path URL: " + I->options.url);
  }
  if (I->options.keepalive_hangup_s <= I->options.keepalive_ping_s) {
    return Status::InvalidArgument("keepalive hangup must be longer than the ping interval");
  }
  PeerId peer = I->options.peer;
  while (peer == 0) peer = I->rng() >> 1;
  ClientSessionOptions so;
  so.token = I->options.token;
  I->session = std::make_unique<ClientSession>(peer, so);
  I->want_connected = I->options.connect;
  I->keepalive.secs_since_valid_ping = I->options.keepalive_ping_s;
  I->keepalive.secs_since_valid_hangup = I->options.keepalive_hangup_s;
  I->connect_sul.owner = I;
  I->tick_sul.owner = I;
  if (I->options.offline_store != nullptr) I->worker = std::make_unique<StoreWorker>();

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kClientProtocols;
  info.extensions = kClientExtensions;
  info.user = I;
  I->ctx = lws_create_context(&info);
  if (I->ctx == nullptr) return Status::InvalidArgument("lws_create_context failed");
  I->inbox->Open(I->ctx);
  lws_sul_schedule(I->ctx, 0, &I->tick_sul.sul, Impl::TickCb, 1000 * LWS_US_PER_MS);
  if (I->want_connected) lws_sul_schedule(I->ctx, 0, &I->connect_sul.sul, Impl::ConnectCb, 1);
  I->thread = std::thread([I] {
    int n = 0;
    while (n >= 0 && !I->stop.load()) n = lws_service(I->ctx, 0);
    // Work posted before Stop() still runs: a host's last edit (handed over
    // by SubmitLocalUpdate just before closing) must reach the offline
    // outbox, not vanish with the queue.
    I->inbox->Drain();
    I->inbox->Close();
    I->stopping = true;  // CLIENT_CLOSED during destroy must not reconnect
    lws_sul_cancel(&I->connect_sul.sul);
    lws_sul_cancel(&I->tick_sul.sul);
    lws_context_destroy(I->ctx);
    I->ctx = nullptr;
    {
      std::lock_guard<std::mutex> lk(I->exited_mu);
      I->exited = true;
    }
    I->exited_cv.notify_all();
  });
  out->reset(new LwsClient(std::move(impl)));
  return Status::Ok();
}

PeerId LwsClient::peer() const { return impl_->session->peer(); }

ConnectionStatus LwsClient::status() const { return impl_->status.load(); }

bool LwsClient::Call(const std::function<void(ClientSession&)>& fn) {
  Impl* I = impl_.get();
  std::promise<void> done;
  auto f = done.get_future();
  if (!I->inbox->Post([&] {
        fn(*I->session);
        I->DispatchEvents();
        I->Kick();
        done.set_value();
      })) {
    return false;
  }
  while (f.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    std::unique_lock<std::mutex> lk(I->exited_mu);
    if (I->stop.load() || I->exited) {
      // Stopping (tandem_client_close racing a thread-safe call) or the
      // loop failed: the job may still run in the service thread's last
      // Drain, and it refers to `fn` and `done` on this stack. Return only
      // once the thread has ended, when the job has either run or been
      // dropped.
      I->exited_cv.wait(lk, [I] { return I->exited; });
      return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    }
  }
  return true;
}

Status LwsClient::Open(const std::string& doc) {
  Impl* I = impl_.get();
  if (I->options.offline_store == nullptr) {
    Call([&](ClientSession& s) { s.Open(doc); });
    return Status::Ok();
  }
  std::unique_ptr<Document> replica;
  store::StoreStatus st = LoadDocument(*I->options.offline_store, doc, peer(), &replica);
  if (!st.ok()) return Status::Corrupt("offline store: " + st.ToString());
  std::vector<store::LogEntry> rows;
  st = I->options.offline_store->ListUnacked(doc, &rows);
  if (st.code() == store::StoreCode::kNotFound) st = store::StoreStatus::Ok();
  if (!st.ok()) return Status::Corrupt("offline store: " + st.ToString());
  std::vector<std::pair<uint64_t, std::string>> unacked;
  for (auto& r : rows) unacked.emplace_back(r.seq, std::move(r.data));
  auto shared = std::make_shared<std::unique_ptr<Document>>(std::move(replica));
  Call([&](ClientSession& s) {
    I->persisted[doc] = (*shared)->version();
    s.Adopt(doc, std::move(*shared), std::move(unacked));
  });
  return Status::Ok();
}

Status LwsClient::Edit(const std::string& doc, const std::function<Status(Document&)>& edit) {
  Status result = Status::InvalidArgument("client stopped");
  Impl* I = impl_.get();
  Call([&](ClientSession&) { result = I->LocalEdit(doc, edit); });
  return result;
}

bool LwsClient::WaitUntil(const std::function<bool(ClientSession&)>& pred, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    bool ok = false;
    if (!Call([&](ClientSession& s) { ok = pred(s); })) return false;
    if (ok) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool LwsClient::SubmitLocalUpdate(const std::string& doc, std::string update) {
  Impl* I = impl_.get();
  auto shared = std::make_shared<std::string>(std::move(update));
  return I->inbox->Post([I, doc, shared] {
    I->SubmitLocal(doc, *shared);
    I->DispatchEvents();
    I->Kick();
  });
}

void LwsClient::SetAwareness(const std::string& doc, std::string state) {
  auto shared = std::make_shared<std::string>(std::move(state));
  Impl* I = impl_.get();
  I->inbox->Post([I, doc, shared] {
    I->session->SetAwareness(doc, std::move(*shared));
    I->Kick();
  });
}

void LwsClient::SetConnected(bool connected) {
  Impl* I = impl_.get();
  I->inbox->Post([I, connected] {
    I->want_connected = connected;
    if (connected) {
      I->attempt = 0;
      lws_sul_schedule(I->ctx, 0, &I->connect_sul.sul, Impl::ConnectCb, 1);
    } else {
      lws_sul_cancel(&I->connect_sul.sul);
      if (I->wsi != nullptr) {
        I->close_code = kCloseNormal;
        lws_callback_on_writable(I->wsi);
      }
    }
  });
}

void LwsClient::SetReceivePaused(bool paused) {
  Impl* I = impl_.get();
  I->inbox->Post([I, paused] {
    I->paused = paused;
    if (I->wsi != nullptr) lws_rx_flow_control(I->wsi, paused ? 0 : 1);
  });
}

void LwsClient::Stop() {
  Impl* I = impl_.get();
  if (I == nullptr || !I->thread.joinable()) return;
  I->stop = true;
  I->inbox->Wake();
  I->thread.join();
  I->worker.reset();  // finishes queued AckUpTo calls
}

}  // namespace tandem::net
