#include "net/lws_server.h"

#include <libwebsockets.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/event_loop.h"
#include "net/lws_inbox.h"
#include "net/metrics_text.h"
#include "net/store_storage.h"

namespace tandem::net {

namespace {

uint64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One WebSocket connection. Lives from ESTABLISHED to CLOSED.
struct Conn {
  ConnId id = 0;
  lws* wsi = nullptr;
  std::string rx;        // message being reassembled
  bool discarding = false;  // refused (too large): drop the rest until close
  std::string inflight;  // last written frame: lws/pmd may still read it
  // Taken from the core but not written (the pipe was choked, or a close
  // followed frames written in the same callback): goes first next time.
  std::string held_frame;
  bool has_held_frame = false;
  bool has_held_close = false;
  uint16_t held_close_code = 0;
  std::string held_close_reason;
  uint64_t confirmed_ms = 0;  // last lws_validity_confirmed
};

// Per-session data of both protocols (lws allocates and zeroes it).
struct Pss {
  Conn* conn;
  std::string* http_body;
  int http_status;
};

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

const lws_protocols kProtocols[] = {
    {"http", Callback, sizeof(Pss), 0, 0, nullptr, 0},
    {"tandem", Callback, sizeof(Pss), 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// Frames written per WRITEABLE callback at most: the socket's send buffer
// usually stops the loop first (lws_partial_buffered); the cap keeps one
// peer with a long queue from holding the loop while others wait.
constexpr int kMaxFramesPerWriteable = 64;

const lws_extension kExtensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
    {nullptr, nullptr, nullptr},
};

}  // namespace

struct LwsServer::Impl {
  LwsServerOptions options;
  store::LogStore* store = nullptr;
  std::shared_ptr<LwsInbox> inbox = std::make_shared<LwsInbox>();
  std::unique_ptr<EventLoop> loop;
  // lws writes nullptr here when its (asynchronous, on a foreign loop)
  // destruction has completed (info.pcontext).
  lws_context* ctx = nullptr;
  lws_vhost* vhost = nullptr;
  int port = 0;
  lws_retry_bo_t keepalive{};
  lws_http_mount mounts[3]{};
  std::unique_ptr<StoreDocStorage> storage;
  std::unique_ptr<ServerCore> core;
  std::unordered_map<ConnId, Conn*> conns;
  ConnId next_conn = 1;
  std::thread thread;  // own_thread only
  std::thread::id service_thread;  // set by Start, constant afterwards
  // Set on the service thread once the shutdown is complete: from then on
  // no posted call runs (the next wake-up destroys instead of draining).
  std::atomic<bool> stop{false};
  bool stopping = false;     // service thread only
  bool destroying = false;   // service thread only
  uint64_t shutdown_deadline = 0;
  std::once_flag released;
  // The loop has ended: lws, its sockets and the loop are gone.
  std::mutex ended_mu;
  std::condition_variable ended_cv;
  std::atomic<bool> ended{false};
  uint64_t start_ms = NowMs();
  // Timers: lws needs the sul inside a standard-layout object to find us.
  struct Timer {
    lws_sorted_usec_list_t sul{};  // must start zeroed (notes §4.8)
    Impl* owner = nullptr;
  };
  Timer tick_sul;
  Timer flush_sul;
  bool flush_scheduled = false;
  // Frames are written by the loop's iteration-end hook, not from
  // WRITEABLE: set when there is such a hook (no flush delay) and no
  // permessage-deflate (notes §4.5). WantWrite then collects here.
  bool direct_writes = false;
  std::vector<ConnId> write_now;

  static void TickCb(lws_sorted_usec_list_t* sul) {
    lws_container_of(sul, Timer, sul)->owner->OnTick();
  }
  static void FlushCb(lws_sorted_usec_list_t* sul) {
    Impl* self = lws_container_of(sul, Timer, sul)->owner;
    self->flush_scheduled = false;
    self->core->Flush();
  }

  void OnTick() {
    core->Tick(NowMs() - start_ms);
    if (stopping && (core->idle() || NowMs() >= shutdown_deadline)) {
      // lws_context_destroy must not run inside an lws callback (this is
      // one): the wake-up handler does it.
      stop = true;
      loop->Wake();
      return;
    }
    lws_sul_schedule(ctx, 0, &tick_sul.sul, TickCb,
                     (stopping ? 10 : options.tick_ms) * LWS_US_PER_MS);
  }

  // With no coalescing delay the loop's iteration-end hook flushes.
  void MaybeScheduleFlush() {
    if (options.flush_delay_ms == 0 || flush_scheduled || !core->has_pending_flush()) return;
    flush_scheduled = true;
    lws_sul_schedule(ctx, 0, &flush_sul.sul, FlushCb, options.flush_delay_ms * LWS_US_PER_MS);
  }

  void WantWrite(ConnId id) {
    if (direct_writes) {
      write_now.push_back(id);
      return;
    }
    auto it = conns.find(id);
    if (it != conns.end()) lws_callback_on_writable(it->second->wsi);
  }

  // The iteration-end hook runs outside every lws callback, so every frame
  // queued during the iteration (fan-out, acks after a store completion,
  // sync answers, errors) is written at once when the socket takes it,
  // instead of after a POLLOUT: with libuv 1.44 each POLLOUT on/off pair
  // costs up to four epoll_ctl calls plus a loop iteration, 16% of
  // tandemd's CPU at 190,000 deliveries/s.
  void FlushAtIterationEnd() {
    if (destroying) {
      write_now.clear();
      return;
    }
    if (core->has_pending_flush()) core->Flush();
    if (write_now.empty()) return;
    std::sort(write_now.begin(), write_now.end());
    write_now.erase(std::unique(write_now.begin(), write_now.end()), write_now.end());
    for (ConnId id : write_now) {
      auto it = conns.find(id);
      if (it != conns.end()) WriteNow(it->second);
    }
    write_now.clear();
  }

  // What WRITEABLE does, minus the close (only a callback may close).
  // Frames are written until lws holds part of one (lws_partial_buffered):
  // when the kernel's send buffer is full, lws keeps the rest of that one
  // frame and asks for POLLOUT itself, and later frames stay in the
  // session's queue, where its bound and the slow-consumer check see them.
  // So at most one frame per connection waits outside the queue, and no
  // poll(2) of the socket (lws_send_pipe_choked) is made per frame: that
  // was 9% of the service thread at 190,000 deliveries/s. Whatever is left
  // goes through WRITEABLE.
  void WriteNow(Conn* c) {
    if (!c->has_held_frame && !c->has_held_close) {
      for (int i = 0; i < kMaxFramesPerWriteable; ++i) {
        if (lws_partial_buffered(c->wsi)) break;
        std::string frame, reason_text;
        uint16_t code = 0;
        ServerSession::Next next = core->Next(c->id, &frame, &code, &reason_text);
        if (next == ServerSession::Next::kIdle) return;
        if (next == ServerSession::Next::kClose) {
          c->has_held_close = true;
          c->held_close_code = code;
          c->held_close_reason = std::move(reason_text);
          break;
        }
        c->inflight.assign(LWS_PRE, '\0');
        c->inflight += frame;
        const size_t n = frame.size();
        if (lws_write(c->wsi, reinterpret_cast<unsigned char*>(c->inflight.data()) + LWS_PRE, n,
                      LWS_WRITE_BINARY) < static_cast<int>(n)) {
          // The socket failed: lws closes it from its own loop.
          lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
          return;
        }
      }
    }
    lws_callback_on_writable(c->wsi);
  }

  bool OnServiceThread() const { return std::this_thread::get_id() == service_thread; }

  // The loop's wake-up: a plain libuv callback on the service thread.
  void OnWake() {
    if (destroying) return;
    if (stop.load()) {
      BeginDestroy();
      return;
    }
    inbox->Drain();
    MaybeScheduleFlush();
  }

  void BeginDestroy() {
    destroying = true;
    inbox->Close();  // posted work is dropped; no wake-up is in flight now
    lws_sul_cancel(&tick_sul.sul);
    lws_sul_cancel(&flush_sul.sul);
    loop->CloseWake();
    // CLOSED callbacks run now and as lws' libuv handles close; the loop
    // ends when the last one has.
    lws_context_destroy(ctx);
  }

  // The vhost could not be made: nothing has run on the loop yet.
  void DestroyUnstarted() {
    lws_context_destroy(ctx);
    loop->CloseWake();
    for (int i = 0; i < 1000 && loop->RunOnce(0); ++i) {
    }
    FinishDestroy();
  }

  // The loop has no active handle left: lws has closed every socket and
  // timer. On a foreign loop lws 4.1 frees the context itself only when
  // lws_context_destroy is called again now (then it clears `ctx` through
  // info.pcontext); then the loop is closed.
  void FinishDestroy() {
    if (ctx != nullptr) lws_context_destroy(ctx);
    loop->Drain();
  }

  void MarkEnded() {
    std::lock_guard<std::mutex> lk(ended_mu);
    ended = true;
    ended_cv.notify_all();
  }

  void BeginShutdown() {
    if (stopping) return;
    stopping = true;
    shutdown_deadline = NowMs() + options.shutdown_timeout_ms;
    core->Shutdown();
    lws_sul_schedule(ctx, 0, &tick_sul.sul, TickCb, 1 * LWS_US_PER_MS);
  }

  int OnWebSocket(lws* wsi, lws_callback_reasons reason, Pss* pss, void* in, size_t len);
  int OnHttp(lws* wsi, lws_callback_reasons reason, Pss* pss);
};

namespace {

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* impl = static_cast<LwsServer::Impl*>(lws_context_user(lws_get_context(wsi)));
  auto* pss = static_cast<Pss*>(user);
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      // Broadcast to every protocol: act once. Must return 0 (notes §4.4).
      if (impl != nullptr && lws_get_protocol(wsi) != nullptr &&
          std::strcmp(lws_get_protocol(wsi)->name, "tandem") == 0) {
        impl->inbox->Drain();
        impl->MaybeScheduleFlush();
      }
      return 0;
    case LWS_CALLBACK_HTTP:
    case LWS_CALLBACK_HTTP_WRITEABLE:
    case LWS_CALLBACK_CLOSED_HTTP:
      return impl->OnHttp(wsi, reason, pss);
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLOSED:
      return impl->OnWebSocket(wsi, reason, pss, in, len);
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace

int LwsServer::Impl::OnHttp(lws* wsi, lws_callback_reasons reason, Pss* pss) {
  if (reason == LWS_CALLBACK_CLOSED_HTTP) {
    delete pss->http_body;
    pss->http_body = nullptr;
    return 0;
  }
  if (reason == LWS_CALLBACK_HTTP_WRITEABLE) {
    if (pss->http_body == nullptr) return 0;
    std::string buf(LWS_PRE, '\0');
    buf += *pss->http_body;
    delete pss->http_body;
    pss->http_body = nullptr;
    size_t n = buf.size() - LWS_PRE;
    if (lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE, n,
                  LWS_WRITE_HTTP_FINAL) != static_cast<int>(n)) {
      return 1;
    }
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  char uri[256] = {0};
  if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0) uri[0] = 0;
  std::string path(uri);
  int status = HTTP_STATUS_OK;
  std::string body;
  const char* type = "text/plain; charset=utf-8";
  if (path == "/healthz") {
    body = stopping ? "stopping\n" : "ok\n";
    if (stopping) status = HTTP_STATUS_SERVICE_UNAVAILABLE;
  } else if (path == "/metrics") {
    body = FormatMetrics(core->stats(), storage->latency(), store->batches_committed(),
                         (NowMs() - start_ms) / 1000.0);
    type = "text/plain; version=0.0.4; charset=utf-8";
  } else {
    status = HTTP_STATUS_NOT_FOUND;
    body = "not found\n";
  }
  unsigned char hdr[LWS_PRE + 1024];
  unsigned char* start = hdr + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = hdr + sizeof hdr - 1;
  if (lws_add_http_common_headers(wsi, status, type, body.size(), &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    return 1;
  }
  pss->http_body = new std::string(std::move(body));
  lws_callback_on_writable(wsi);
  return 0;
}

int LwsServer::Impl::OnWebSocket(lws* wsi, lws_callback_reasons reason, Pss* pss, void* in,
                                 size_t len) {
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
      ConnId id = next_conn++;
      if (stopping || !core->Open(id)) return -1;
      if (options.socket_send_buffer > 0) {
        int fd = lws_get_socket_fd(wsi);
        int size = options.socket_send_buffer;
        if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
      }
      auto* c = new Conn();
      c->id = id;
      c->wsi = wsi;
      pss->conn = c;
      conns[id] = c;
      return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
      Conn* c = pss->conn;
      if (c == nullptr || c->discarding) return 0;
      if (c->rx.size() + len > core->MaxIncomingFrame(c->id)) {
        // Refuse while receiving; close from WRITEABLE so the close frame
        // gets out (notes §4.6).
        c->discarding = true;
        c->rx.clear();
        c->rx.shrink_to_fit();
        lws_rx_flow_control(wsi, 0);
        core->OnOversized(c->id);
        return 0;
      }
      c->rx.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi)) {
        std::string msg = std::move(c->rx);
        c->rx.clear();
        // Traffic proves the peer alive; telling lws re-sorts its timer
        // list (O(connections)), so at most once a second per connection.
        if (const uint64_t now = NowMs(); now - c->confirmed_ms >= 1000) {
          c->confirmed_ms = now;
          lws_validity_confirmed(wsi);
        }
        core->OnFrame(c->id, msg);
        MaybeScheduleFlush();
      }
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      Conn* c = pss->conn;
      if (c == nullptr) return 0;
      if (c->has_held_close) {
        lws_close_reason(wsi, static_cast<lws_close_status>(c->held_close_code),
                         reinterpret_cast<unsigned char*>(c->held_close_reason.data()),
                         c->held_close_reason.size());
        return -1;
      }
      // Several frames per callback: each callback costs a loop iteration
      // and a POLLOUT on/off pair (epoll_ctl). lws_write copies what the
      // socket did not take into its own buffer and returns the full
      // length; lws_partial_buffered then says so and lws calls back only
      // once that buffer has drained, so a frame is only written when
      // nothing earlier is pending. With
      // permessage-deflate, one frame per callback: the extension may still
      // be reading `inflight` over later POLLOUTs (notes §4.5), and lws
      // 4.1's choked test does not look at that.
      const int max_frames = options.permessage_deflate ? 1 : kMaxFramesPerWriteable;
      for (int i = 0; i < max_frames; ++i) {
        std::string frame, reason_text;
        uint16_t code = 0;
        ServerSession::Next next = ServerSession::Next::kFrame;
        if (c->has_held_frame) {
          frame = std::move(c->held_frame);
          c->has_held_frame = false;
        } else {
          next = core->Next(c->id, &frame, &code, &reason_text);
        }
        if (next == ServerSession::Next::kIdle) return 0;
        if (next == ServerSession::Next::kClose) {
          if (i > 0) {
            // Frames went out in this callback and may sit in lws' buffer:
            // close from the next callback, which comes once it drained.
            c->has_held_close = true;
            c->held_close_code = code;
            c->held_close_reason = std::move(reason_text);
            break;
          }
          lws_close_reason(wsi, static_cast<lws_close_status>(code),
                           reinterpret_cast<unsigned char*>(reason_text.data()),
                           reason_text.size());
          return -1;
        }
        if (i > 0 && lws_partial_buffered(wsi)) {
          c->held_frame = std::move(frame);
          c->has_held_frame = true;
          break;
        }
        c->inflight.assign(LWS_PRE, '\0');
        c->inflight += frame;
        size_t n = frame.size();
        if (lws_write(wsi, reinterpret_cast<unsigned char*>(c->inflight.data()) + LWS_PRE, n,
                      LWS_WRITE_BINARY) < static_cast<int>(n)) {
          return -1;
        }
      }
      lws_callback_on_writable(wsi);  // more may be queued; kIdle ends it
      return 0;
    }
    case LWS_CALLBACK_CLOSED: {
      Conn* c = pss->conn;
      if (c == nullptr) return 0;
      pss->conn = nullptr;
      conns.erase(c->id);
      core->OnClosed(c->id);
      delete c;
      MaybeScheduleFlush();
      return 0;
    }
    default:
      return 0;
  }
}

LwsServer::LwsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LwsServer::~LwsServer() { Stop(); }

Status LwsServer::Start(LwsServerOptions options, store::LogStore* store,
                        std::unique_ptr<LwsServer>* out) {
  if (store == nullptr) return Status::InvalidArgument("a store is required");
  if (options.keepalive_hangup_s <= options.keepalive_ping_s) {
    return Status::InvalidArgument("keepalive hangup must be longer than the ping interval");
  }
  auto impl = std::make_unique<Impl>();
  Impl* I = impl.get();
  if (Status st = EventLoop::Create([I] { I->OnWake(); }, &I->loop); !st.ok()) return st;
  I->options = std::move(options);
  I->store = store;
  I->tick_sul.owner = I;
  I->flush_sul.owner = I;
  std::weak_ptr<LwsInbox> inbox = I->inbox;
  I->storage = std::make_unique<StoreDocStorage>(store, [inbox](std::function<void()> fn) {
    if (auto in = inbox.lock()) in->Post(std::move(fn));
  });
  I->core = std::make_unique<ServerCore>(I->options.server, I->storage.get(),
                                         [I](ConnId id) { I->WantWrite(id); });
  if (I->options.flush_delay_ms == 0) {
    // Everything one epoll wait returned (reads, store completions) leaves
    // in one flush: batches grow with the load, and a quiet room pays no
    // timer wait.
    Status st = I->loop->SetIterationEnd([I] { I->FlushAtIterationEnd(); });
    if (!st.ok()) return st;
    I->direct_writes = !I->options.permessage_deflate;
  }

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  // libuv (the lws evlib plugin) on our loop: see event_loop.h for why.
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBUV;
  void* foreign_loops[1] = {I->loop->uv()};
  info.foreign_loops = foreign_loops;
  info.pcontext = &I->ctx;
  info.user = I;
  I->ctx = lws_create_context(&info);
  if (I->ctx == nullptr) {
    return Status::InvalidArgument(
        "lws_create_context failed (is the libwebsockets libuv plugin, Debian package "
        "libwebsockets-evlib-uv, installed?)");
  }

  I->keepalive.secs_since_valid_ping = I->options.keepalive_ping_s;
  I->keepalive.secs_since_valid_hangup = I->options.keepalive_hangup_s;

  // /healthz and /metrics are answered by the "http" protocol's callback;
  // static files (if any) by lws' file mount at "/".
  lws_http_mount* m = I->mounts;
  const lws_http_mount* first = nullptr;
  auto add_callback_mount = [&](lws_http_mount* mt, const char* path, lws_http_mount* next) {
    mt->mount_next = next;
    mt->mountpoint = path;
    mt->origin = "http";
    mt->origin_protocol = LWSMPRO_CALLBACK;
    mt->mountpoint_len = static_cast<unsigned char>(std::strlen(path));
  };
  if (!I->options.static_dir.empty()) {
    m[2].mountpoint = "/";
    m[2].origin = I->options.static_dir.c_str();
    m[2].def = "index.html";
    m[2].origin_protocol = LWSMPRO_FILE;
    m[2].mountpoint_len = 1;
    add_callback_mount(&m[1], "/metrics", &m[2]);
  } else {
    add_callback_mount(&m[1], "/metrics", nullptr);
  }
  add_callback_mount(&m[0], "/healthz", &m[1]);
  first = &m[0];

  std::memset(&info, 0, sizeof info);
  info.vhost_name = "tandem";
  info.iface = I->options.host.empty() ? nullptr : I->options.host.c_str();
  info.port = I->options.port;
  info.protocols = kProtocols;
  info.mounts = first;
  info.extensions = I->options.permessage_deflate ? kExtensions : nullptr;
  info.retry_and_idle_policy = &I->keepalive;
  info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
  // Without this an IPv4 address binds every interface (notes §4.2).
  if (I->options.host.find(':') == std::string::npos && !I->options.host.empty()) {
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  }
  I->vhost = lws_create_vhost(I->ctx, &info);
  if (I->vhost == nullptr) {
    I->DestroyUnstarted();
    return Status::InvalidArgument("cannot listen on " + I->options.host + ":" +
                                   std::to_string(I->options.port));
  }
  I->port = lws_get_vhost_listen_port(I->vhost);
  I->inbox->Open([I] { I->loop->Wake(); });
  lws_sul_schedule(I->ctx, 0, &I->tick_sul.sul, Impl::TickCb, I->options.tick_ms * LWS_US_PER_MS);
  if (I->options.own_thread) {
    // Readers are callers of the public methods, which run after Start
    // returns (the loop thread itself never asks).
    I->thread = std::thread([I] {
      I->loop->Run();
      I->FinishDestroy();
      I->MarkEnded();
    });
    I->service_thread = I->thread.get_id();
  } else {
    I->service_thread = std::this_thread::get_id();
  }
  out->reset(new LwsServer(std::move(impl)));
  return Status::Ok();
}

int LwsServer::port() const { return impl_->port; }

void LwsServer::Stop() {
  Impl* I = impl_.get();
  if (I == nullptr) return;
  if (!I->options.own_thread && I->OnServiceThread()) {
    if (!I->ended.load()) {
      if (!I->stopping) I->BeginShutdown();
      while (I->loop->RunOnce(-1)) {
      }
      I->FinishDestroy();
      I->MarkEnded();
    }
  } else if (!I->ended.load()) {
    // Refused only once the loop is already being torn down.
    I->inbox->Post([I] { I->BeginShutdown(); });
    std::unique_lock<std::mutex> lk(I->ended_mu);
    I->ended_cv.wait(lk, [I] { return I->ended.load(); });
  }
  // Several threads may stop at once (the service thread among them):
  // whoever gets here first releases what the loop used.
  std::call_once(I->released, [I] {
    if (I->thread.joinable()) I->thread.join();
    I->storage.reset();  // joins the loader; late store callbacks find the inbox closed
    I->core.reset();
  });
}

bool LwsServer::Call(const std::function<void(ServerCore&)>& fn) {
  Impl* I = impl_.get();
  if (I->OnServiceThread()) {
    // The host's own thread, between Service() calls (or inside one, from
    // a hook): posting would wait for itself.
    if (I->stop.load() || I->destroying || I->ended.load()) return false;
    fn(*I->core);
    I->MaybeScheduleFlush();
    return true;
  }
  std::promise<void> done;
  if (!I->inbox->Post([&] {
        fn(*I->core);
        I->MaybeScheduleFlush();
        done.set_value();
      })) {
    return false;
  }
  // Once `stop` is set no posted call runs (OnWake destroys instead of
  // draining), so giving up then cannot leave `done` to a later run.
  auto f = done.get_future();
  while (f.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (I->stop.load()) return false;
  }
  return true;
}

void LwsServer::Reauthorize() {
  Call([](ServerCore& core) { core.Reauthorize(); });
}

ServerStats LwsServer::stats() {
  ServerStats s;
  Call([&](ServerCore& core) { s = core.stats(); });
  return s;
}

std::string LwsServer::MetricsText() {
  std::string text;
  Impl* I = impl_.get();
  Call([&](ServerCore& core) {
    text = FormatMetrics(core.stats(), I->storage->latency(), I->store->batches_committed(),
                         (NowMs() - I->start_ms) / 1000.0);
  });
  return text;
}

LwsServer::ServiceResult LwsServer::Service(int timeout_ms) {
  Impl* I = impl_.get();
  if (I->options.own_thread) return ServiceResult::kWrongMode;
  if (!I->OnServiceThread()) return ServiceResult::kWrongThread;
  if (I->ended.load()) return ServiceResult::kStopped;
  if (!I->loop->RunOnce(timeout_ms)) {
    I->FinishDestroy();
    I->MarkEnded();
    return ServiceResult::kStopped;
  }
  return ServiceResult::kOk;
}

int LwsServer::fd() const {
  const Impl* I = impl_.get();
  return I->options.own_thread ? -1 : I->loop->fd();
}

LwsServer::ServiceResult LwsServer::TimeoutMs(int* ms) {
  Impl* I = impl_.get();
  if (I->options.own_thread) return ServiceResult::kWrongMode;
  if (!I->OnServiceThread()) return ServiceResult::kWrongThread;
  if (I->ended.load()) return ServiceResult::kStopped;
  *ms = I->loop->TimeoutMs();
  return ServiceResult::kOk;
}

}  // namespace tandem::net
