// tandem-loadgen's connections: the lws context on the libuv loop, one
// client connection per simulated user, its queue of frames to write and the
// lws callback that drives it all.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "loadgen.h"

namespace tandem::loadgen {

App* g_app = nullptr;

namespace {

std::string WithHeadroom(std::string_view payload) {
  std::string b(LWS_PRE, '\0');
  b.append(payload);
  return b;
}

// Writes one frame (its buffer stays in c.inflight, which lws may still
// read with permessage-deflate). False when the socket failed.
bool Write(App& a, Conn& c, Out o) {
  c.inflight = std::move(o.buf);
  if (o.id != kNoId) {
    int64_t now = NowNs();
    a.sent_ns[o.id] = now;
    if (o.sched_ns >= a.t_measure && o.sched_ns < a.t_end) {
      a.lag_us.push_back(static_cast<uint32_t>(std::max<int64_t>(0, now - o.sched_ns) / 1000));
    }
  }
  size_t n = c.inflight.size() - LWS_PRE;
  int w = lws_write(c.wsi, reinterpret_cast<unsigned char*>(c.inflight.data()) + LWS_PRE, n,
                    LWS_WRITE_BINARY);
  if (w < static_cast<int>(n)) {
    a.Note("lws_write failed");
    return false;
  }
  ++a.tx_messages;
  return true;
}

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  App& a = *g_app;
  Conn* c = static_cast<Conn*>(user);
  switch (reason) {
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
      // The server's handshake answer is readable only here (by ESTABLISHED
      // lws has dropped it): no Sec-WebSocket-Extensions, no extension.
      if (c != nullptr) {
        c->direct = !a.opt.deflate || lws_hdr_total_length(wsi, WSI_TOKEN_EXTENSIONS) <= 0;
      }
      return 0;
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
      if (!Write(a, *c, std::move(o))) return -1;
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
    default: return 0;  // includes EVENT_WAIT_CANCELLED: must be 0
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

}  // namespace

void Enqueue(Conn& c, std::string_view payload, uint32_t id, int64_t sched) {
  c.outq.push_back(Out{WithHeadroom(payload), id, sched});
  if (c.wsi != nullptr) lws_callback_on_writable(c.wsi);
}

void SendUpdate(App& a, Conn& c, std::string_view payload, uint32_t id, int64_t sched) {
  // lws_partial_buffered: lws still holds part of the previous frame (the
  // socket was full); then this one waits for WRITEABLE like any other.
  if (c.direct && c.wsi != nullptr && c.outq.empty() && !lws_partial_buffered(c.wsi)) {
    if (!Write(a, c, Out{WithHeadroom(payload), id, sched})) {
      lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    return;
  }
  Enqueue(c, payload, id, sched);
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

bool CreateContext(App& a, void* uv_loop) {
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_LIBUV;
  void* foreign_loops[1] = {uv_loop};
  info.foreign_loops = foreign_loops;
  info.pcontext = &a.ctx;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.extensions = a.opt.deflate ? kExtensions : nullptr;
  info.fd_limit_per_thread = static_cast<unsigned>(a.opt.clients + 64);
  a.ctx = lws_create_context(&info);
  if (a.ctx == nullptr) {
    std::fprintf(stderr, "loadgen: lws_create_context failed\n");
    return false;
  }
  return true;
}

}  // namespace tandem::loadgen
