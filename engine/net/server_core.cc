#include "net/server_core.h"

#include <algorithm>
#include <vector>

namespace tandem::net {

namespace {

wire::Permission ToWirePermission(Permission p) {
  switch (p) {
    case Permission::kRead: return wire::PERMISSION_READ;
    case Permission::kWrite: return wire::PERMISSION_WRITE;
    case Permission::kNone: break;
  }
  return wire::PERMISSION_NONE;
}

Permission Authorize(const AuthHook& hook, std::string_view token, std::string_view doc) {
  return hook ? hook(token, doc) : Permission::kWrite;
}

}  // namespace

const char* PermissionName(Permission p) {
  switch (p) {
    case Permission::kRead: return "read";
    case Permission::kWrite: return "write";
    case Permission::kNone: break;
  }
  return "none";
}

ServerCore::ServerCore(ServerOptions options, DocStorage* storage,
                       std::function<void(ConnId)> on_output)
    : options_(std::move(options)),
      storage_(storage),
      on_output_(std::move(on_output)),
      alive_(std::make_shared<ServerCore*>(this)) {}

ServerCore::~ServerCore() { *alive_ = nullptr; }

ServerSession* ServerCore::Find(ConnId conn) {
  auto it = sessions_.find(conn);
  return it == sessions_.end() ? nullptr : it->second.get();
}

bool ServerCore::Open(ConnId conn) {
  if (shutting_down_ || sessions_.size() >= options_.limits.max_connections) return false;
  if (sessions_.count(conn) != 0) return false;
  sessions_[conn] = std::make_unique<ServerSession>(conn, options_.limits, now_ms_);
  stats_.connections = sessions_.size();
  ++stats_.connections_total;
  return true;
}

uint64_t ServerCore::MaxIncomingFrame(ConnId conn) const {
  auto it = sessions_.find(conn);
  if (it == sessions_.end()) return 0;
  if (it->second->state() == ServerSession::State::kAwaitHello) {
    return std::min(options_.limits.max_unauthenticated_bytes, options_.limits.max_frame_bytes);
  }
  return options_.limits.max_frame_bytes;
}

void ServerCore::OnOversized(ConnId conn) {
  ServerSession* s = Find(conn);
  if (s == nullptr || s->state() == ServerSession::State::kClosing) return;
  bool unauth = s->state() == ServerSession::State::kAwaitHello;
  Fatal(*s, ErrorCode::kLimit, unauth ? kClosePolicy : kCloseTooBig,
        unauth ? "too many bytes before Hello" : "frame too large");
}

void ServerCore::Send(ServerSession& s, std::string frame, bool exempt) {
  if (s.state() == ServerSession::State::kClosing) return;
  stats_.bytes_out += frame.size();
  ++stats_.frames_out;
  if (!s.Enqueue(std::move(frame), exempt)) {
    ++stats_.slow_consumers;
    DropFromRooms(s);
    s.Abort(kCloseSlowConsumer, "slow consumer",
            MakeError(ErrorCode::kSlowConsumer, "outbound queue over its bound"));
  }
  if (on_output_) on_output_(s.id());
}

void ServerCore::Fatal(ServerSession& s, ErrorCode code, uint16_t close_code, std::string message) {
  ++stats_.protocol_errors;
  DropFromRooms(s);
  s.Abort(close_code, message, MakeError(code, message));
  if (on_output_) on_output_(s.id());
}

void ServerCore::OnFrame(ConnId conn, std::string_view bytes) {
  ServerSession* s = Find(conn);
  if (s == nullptr || s->state() == ServerSession::State::kClosing) return;
  ++stats_.frames_in;
  stats_.bytes_in += bytes.size();
  if (bytes.size() > MaxIncomingFrame(conn)) {
    OnOversized(conn);
    return;
  }
  if (s->state() == ServerSession::State::kAwaitHello && !s->CountUnauthenticated(bytes.size())) {
    Fatal(*s, ErrorCode::kLimit, kClosePolicy, "too many bytes before Hello");
    return;
  }
  wire::Envelope env;
  Status st = Parse(bytes, &env);
  if (!st.ok()) {
    Fatal(*s, ErrorCode::kMalformed, kCloseProtocol, st.message());
    return;
  }
  if (env.protocol_version() != kProtocolVersion) {
    Fatal(*s, ErrorCode::kUnsupportedVersion, kCloseVersion,
          "protocol version " + std::to_string(env.protocol_version()) + " not supported");
    return;
  }
  if (s->state() == ServerSession::State::kAwaitHello) {
    if (env.body_case() != wire::Envelope::kHello) {
      Fatal(*s, ErrorCode::kHandshake, kCloseProtocol, "expected Hello");
      return;
    }
    HandleHello(*s, env.hello());
    return;
  }
  switch (env.body_case()) {
    case wire::Envelope::kSubscribe: HandleSubscribe(*s, env.subscribe()); break;
    case wire::Envelope::kUnsubscribe: HandleUnsubscribe(*s, env.unsubscribe().doc(), true); break;
    case wire::Envelope::kUpdate: HandleUpdate(*s, *env.mutable_update()); break;
    case wire::Envelope::kAwareness: HandleAwareness(*s, env.awareness()); break;
    case wire::Envelope::kHello:
      Fatal(*s, ErrorCode::kHandshake, kCloseProtocol, "Hello sent twice");
      break;
    default:
      Fatal(*s, ErrorCode::kMalformed, kCloseProtocol, "message not accepted from a client");
      break;
  }
}

void ServerCore::HandleHello(ServerSession& s, const wire::Hello& m) {
  if (m.protocol_version() != kProtocolVersion) {
    Fatal(s, ErrorCode::kUnsupportedVersion, kCloseVersion,
          "protocol version " + std::to_string(m.protocol_version()) + " not supported");
    return;
  }
  if (m.peer_id() == 0 || m.peer_id() == kServerPeer) {
    Fatal(s, ErrorCode::kHandshake, kCloseProtocol, "invalid peer id");
    return;
  }
  if (Authorize(options_.auth, m.token(), "") == Permission::kNone) {
    Fatal(s, ErrorCode::kUnauthorized, kCloseUnauthorized, "token refused");
    return;
  }
  s.set_open(m.peer_id(), m.token());
  wire::Envelope env;
  env.mutable_welcome()->set_protocol_version(kProtocolVersion);
  env.mutable_welcome()->set_max_frame_bytes(options_.limits.max_frame_bytes);
  Send(s, Serialize(env));
}

void ServerCore::HandleSubscribe(ServerSession& s, const wire::Subscribe& m) {
  const std::string& name = m.doc();
  Status st = CheckDocName(name);
  if (!st.ok()) {
    Send(s, MakeError(ErrorCode::kForbidden, st.message(), name.substr(0, kMaxDocNameBytes)));
    return;
  }
  VersionVector since;
  st = FromWire(m.version(), &since);
  if (!st.ok()) {
    Fatal(s, ErrorCode::kMalformed, kCloseProtocol, st.message());
    return;
  }
  auto& subs = s.subscriptions();
  if (subs.count(name) != 0) HandleUnsubscribe(s, name, false);  // resubscribe = fresh sync
  if (subs.size() >= options_.limits.max_docs_per_connection) {
    Send(s, MakeError(ErrorCode::kLimit, "too many documents on one connection", name));
    return;
  }
  Permission p = Authorize(options_.auth, s.token(), name);
  if (p == Permission::kNone) {
    Send(s, MakeError(ErrorCode::kForbidden, "no access to this document", name));
    return;
  }
  Room* room = LoadRoom(name);
  if (room == nullptr || room->failed) {
    Send(s, MakeError(ErrorCode::kUnavailable, "document unavailable, retry later", name));
    return;
  }
  subs[name].permission = p;
  if (room->loaded) {
    SendSync(*room, s, since);
  } else {
    room->waiting.push_back(Room::Waiting{s.id(), std::move(since)});
  }
}

Room* ServerCore::LoadRoom(const std::string& name) {
  auto it = rooms_.find(name);
  if (it != rooms_.end()) return it->second.get();
  auto room = std::make_unique<Room>();
  room->name = name;
  room->idle_since_ms = now_ms_;
  Room* r = room.get();
  rooms_[name] = std::move(room);
  stats_.docs_loaded = rooms_.size();
  std::weak_ptr<ServerCore*> alive = alive_;
  storage_->Load(name, kServerPeer,
                 [alive, name](const store::StoreStatus& st, LoadedDocument loaded) {
                   if (auto p = alive.lock(); p && *p) (*p)->OnLoaded(name, st, std::move(loaded));
                 });
  return r;
}

void ServerCore::OnLoaded(const std::string& name, const store::StoreStatus& st,
                          LoadedDocument loaded) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return;
  Room& room = *it->second;
  std::vector<Room::Waiting> waiting = std::move(room.waiting);
  room.waiting.clear();
  if (!st.ok() || loaded.doc == nullptr) {
    for (auto& w : waiting) {
      ServerSession* s = Find(w.conn);
      if (s == nullptr) continue;
      s->subscriptions().erase(name);
      Send(*s, MakeError(ErrorCode::kUnavailable, "document could not be loaded: " + st.ToString(), name));
    }
    rooms_.erase(it);
    stats_.docs_loaded = rooms_.size();
    return;
  }
  room.doc = std::move(loaded.doc);
  room.epoch = loaded.epoch;
  room.loaded = true;
  for (auto& w : waiting) {
    ServerSession* s = Find(w.conn);
    if (s == nullptr || s->state() != ServerSession::State::kOpen) continue;
    auto sub = s->subscriptions().find(name);
    if (sub == s->subscriptions().end() || sub->second.synced) continue;
    SendSync(room, *s, w.version);
  }
}

void ServerCore::SendSync(Room& room, ServerSession& s, const VersionVector& since) {
  auto& sub = s.subscriptions()[room.name];
  std::string data = room.doc->EncodeUpdate(since);
  const size_t part = std::max<uint64_t>(1024, options_.sync_part_bytes);
  size_t off = 0;
  do {
    size_t n = std::min(part, data.size() - off);
    wire::Envelope env;
    auto* m = env.mutable_sync();
    m->set_doc(room.name);
    m->set_data(data.substr(off, n));
    off += n;
    if (off == data.size()) {
      m->set_final(true);
      ToWire(room.doc->version(), m->mutable_version());
      m->set_permission(ToWirePermission(sub.permission));
      m->set_epoch(room.epoch);
    }
    Send(s, Serialize(env), /*exempt=*/true);
  } while (off < data.size());
  ++stats_.syncs_sent;
  if (s.state() != ServerSession::State::kOpen) return;
  sub.synced = true;
  room.subscribers.insert(s.id());
  if (!room.awareness.empty()) {
    wire::Envelope env;
    auto* a = env.mutable_awareness();
    a->set_doc(room.name);
    for (const auto& [peer, e] : room.awareness) {
      auto* st = a->add_states();
      st->set_peer(peer);
      st->set_clock(e.clock);
      st->set_state(e.state);
    }
    Send(s, Serialize(env), /*exempt=*/true);
  }
}

void ServerCore::HandleUnsubscribe(ServerSession& s, const std::string& doc, bool announce) {
  auto& subs = s.subscriptions();
  if (subs.erase(doc) == 0) {
    if (announce) Send(s, MakeError(ErrorCode::kNotSubscribed, "not subscribed", doc));
    return;
  }
  auto it = rooms_.find(doc);
  if (it == rooms_.end()) return;
  Room& room = *it->second;
  room.subscribers.erase(s.id());
  std::erase_if(room.waiting, [&](const Room::Waiting& w) { return w.conn == s.id(); });
  for (auto a = room.awareness.begin(); a != room.awareness.end();) {
    if (a->second.owner == s.id()) {
      wire::AwarenessState& out = room.awareness_out[a->first];
      out.set_peer(a->first);
      out.set_clock(a->second.clock + 1);
      out.clear_state();
      out.set_removed(true);
      a = room.awareness.erase(a);
      MarkDirty(room);
    } else {
      ++a;
    }
  }
  if (room.subscribers.empty() && room.waiting.empty()) room.idle_since_ms = now_ms_;
}

void ServerCore::DropFromRooms(ServerSession& s) {
  std::vector<std::string> docs;
  for (const auto& [doc, sub] : s.subscriptions()) docs.push_back(doc);
  for (const auto& doc : docs) HandleUnsubscribe(s, doc, false);
}

void ServerCore::HandleUpdate(ServerSession& s, wire::DocUpdateFrame& m) {
  auto& subs = s.subscriptions();
  auto sub_it = subs.find(m.doc());
  auto room_it = rooms_.find(m.doc());
  if (sub_it == subs.end() || !sub_it->second.synced || room_it == rooms_.end()) {
    Send(s, MakeError(ErrorCode::kNotSubscribed, "update for a document not subscribed",
                      m.doc().substr(0, kMaxDocNameBytes), m.seq()));
    return;
  }
  auto& sub = sub_it->second;
  Room& room = *room_it->second;
  if (!s.TakeUpdateToken(now_ms_)) {
    Fatal(s, ErrorCode::kRateLimited, kClosePolicy, "update rate limit exceeded");
    return;
  }
  if (sub.permission != Permission::kWrite) {
    ++stats_.updates_refused;
    sub.partial.clear();
    Send(s, MakeError(ErrorCode::kForbidden, "read-only: update refused", m.doc(), m.seq()));
    return;
  }
  if (sub.partial.size() + m.data().size() > options_.limits.max_update_bytes) {
    Fatal(s, ErrorCode::kLimit, kCloseTooBig, "update too large");
    return;
  }
  if (m.more()) {
    sub.partial += m.data();
    return;
  }
  std::string bytes;
  if (sub.partial.empty()) {
    bytes = std::move(*m.mutable_data());
  } else {
    bytes = std::move(sub.partial) + m.data();
    sub.partial.clear();
  }
  if (room.failed) {
    Send(s, MakeError(ErrorCode::kUnavailable, "document unavailable, retry later", m.doc(), m.seq()));
    return;
  }
  bool changed = false;
  if (!bytes.empty()) {
    Status st = ApplyDocumentUpdate(*room.doc, bytes, &changed);
    if (!st.ok()) {
      ++stats_.updates_refused;
      Fatal(s, ErrorCode::kInvalidUpdate, kCloseInvalidUpdate, "update refused: " + st.message());
      return;
    }
  }
  if (changed) {
    ++stats_.updates_applied;
    ++stats_.store_appends;
    ++room.appends_issued;
    room.memory_stale = true;
    room.fanout.emplace_back(s.id(), bytes);
    MarkDirty(room);
    std::weak_ptr<ServerCore*> alive = alive_;
    std::string name = room.name;
    storage_->Append(name, std::move(bytes), [alive, name](const store::StoreStatus& st) {
      if (auto p = alive.lock(); p && *p) (*p)->OnAppended(name, st);
    });
  }
  if (m.seq() != 0) {
    room.acks.push_back(Room::PendingAck{room.appends_issued, s.id(), m.seq()});
    SendAcks(room);
  }
}

void ServerCore::SendAcks(Room& room) {
  bool any = false;
  while (!room.acks.empty() && room.acks.front().target <= room.appends_durable) {
    room.acks_out.emplace_back(room.acks.front().conn, room.acks.front().seq);
    room.acks.pop_front();
    any = true;
  }
  if (any) MarkDirty(room);
}

void ServerCore::OnAppended(const std::string& name, const store::StoreStatus& st) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return;
  Room& room = *it->second;
  ++room.appends_durable;
  if (!st.ok()) {
    ++stats_.store_failures;
    FailRoom(room, st.ToString());
    return;
  }
  if (!room.failed) SendAcks(room);
}

void ServerCore::FailRoom(Room& room, const std::string& why) {
  // The document in memory is now ahead of storage. Nobody may be acked
  // for it: every subscriber is disconnected and resends after reconnect
  // to a freshly loaded copy, once the in-flight writes have drained.
  room.failed = true;
  room.acks.clear();
  room.acks_out.clear();
  room.fanout.clear();
  std::vector<ConnId> conns(room.subscribers.begin(), room.subscribers.end());
  for (const auto& w : room.waiting) conns.push_back(w.conn);
  for (ConnId c : conns) {
    ServerSession* s = Find(c);
    if (s != nullptr) {
      Fatal(*s, ErrorCode::kUnavailable, kCloseInternal, "storage failed for '" + room.name + "': " + why);
    }
  }
}

void ServerCore::HandleAwareness(ServerSession& s, const wire::Awareness& m) {
  auto sub = s.subscriptions().find(m.doc());
  auto it = rooms_.find(m.doc());
  if (sub == s.subscriptions().end() || !sub->second.synced || it == rooms_.end()) {
    Send(s, MakeError(ErrorCode::kNotSubscribed, "awareness for a document not subscribed",
                      m.doc().substr(0, kMaxDocNameBytes)));
    return;
  }
  Room& room = *it->second;
  for (const auto& st : m.states()) {
    if (st.peer() != s.peer()) {
      Send(s, MakeError(ErrorCode::kForbidden, "awareness for another peer", m.doc()));
      continue;
    }
    if (st.state().size() > options_.limits.max_awareness_bytes) {
      Send(s, MakeError(ErrorCode::kLimit, "awareness state too large", m.doc()));
      continue;
    }
    auto a = room.awareness.find(st.peer());
    if (a != room.awareness.end() && st.clock() <= a->second.clock) continue;
    if (st.removed()) {
      if (a != room.awareness.end()) room.awareness.erase(a);
    } else {
      Room::AwarenessEntry& e = room.awareness[st.peer()];
      e.clock = st.clock();
      e.state = st.state();
      e.owner = s.id();
      e.expires_ms = now_ms_ + options_.awareness_timeout_ms;
    }
    room.awareness_out[st.peer()] = st;
    MarkDirty(room);
  }
}

void ServerCore::OnClosed(ConnId conn) {
  auto it = sessions_.find(conn);
  if (it == sessions_.end()) return;
  DropFromRooms(*it->second);
  sessions_.erase(it);
  stats_.connections = sessions_.size();
}

ServerSession::Next ServerCore::Next(ConnId conn, std::string* frame, uint16_t* close_code,
                                     std::string* close_reason) {
  ServerSession* s = Find(conn);
  if (s == nullptr) return ServerSession::Next::kIdle;
  return s->Pop(frame, close_code, close_reason);
}

void ServerCore::FlushRoom(Room& room) {
  const uint64_t max_chunk = std::max<uint64_t>(1024, options_.limits.max_frame_bytes / 2);
  // An Ack covers every lower seq: one per connection, the highest, sorted
  // by connection so the fan-out below can take each one along.
  std::vector<std::pair<ConnId, uint64_t>> acks = std::move(room.acks_out);
  room.acks_out.clear();
  std::sort(acks.begin(), acks.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first < y.first : x.second > y.second;
  });
  acks.erase(std::unique(acks.begin(), acks.end(),
                         [](const auto& x, const auto& y) { return x.first == y.first; }),
             acks.end());
  // The ack for `c` (0 if none), which then counts as sent.
  auto take_ack = [&](ConnId c) -> uint64_t {
    auto it = std::lower_bound(acks.begin(), acks.end(), std::pair<ConnId, uint64_t>(c, UINT64_MAX),
                               [](const auto& x, const auto& y) { return x.first < y.first; });
    if (it == acks.end() || it->first != c) return 0;
    return std::exchange(it->second, 0);
  };
  if (!room.fanout.empty()) {
    std::vector<std::pair<ConnId, std::string>> fanout = std::move(room.fanout);
    room.fanout.clear();
    std::vector<ConnId> subs(room.subscribers.begin(), room.subscribers.end());
    for (ConnId c : subs) {
      ServerSession* s = Find(c);
      if (s == nullptr) continue;
      wire::Envelope env;
      uint64_t size = 0;
      bool acked = false;
      auto emit = [&] {
        if (env.update().updates_size() == 0) return;
        env.mutable_update()->set_doc(room.name);
        if (!acked) {
          acked = true;
          if (const uint64_t ack = take_ack(c); ack != 0) {
            env.mutable_update()->set_ack(ack);
            ++stats_.acks_sent;
          }
        }
        ++stats_.fanout_frames;
        Send(*s, Serialize(env));
        env.Clear();
        size = 0;
      };
      for (const auto& [from, bytes] : fanout) {
        if (from == c) continue;
        if (size + bytes.size() > max_chunk) emit();
        env.mutable_update()->add_updates(bytes);
        size += bytes.size();
      }
      emit();
    }
  }
  if (!room.awareness_out.empty()) {
    std::map<PeerId, wire::AwarenessState> out = std::move(room.awareness_out);
    room.awareness_out.clear();
    std::vector<ConnId> subs(room.subscribers.begin(), room.subscribers.end());
    for (ConnId c : subs) {
      ServerSession* s = Find(c);
      if (s == nullptr) continue;
      wire::Envelope env;
      env.mutable_awareness()->set_doc(room.name);
      for (const auto& [peer, st] : out) {
        if (peer != s->peer()) *env.mutable_awareness()->add_states() = st;
      }
      if (env.awareness().states_size() > 0) Send(*s, Serialize(env));
    }
  }
  for (const auto& [conn, seq] : acks) {
    if (seq == 0) continue;  // went with the fan-out
    ServerSession* s = Find(conn);
    if (s == nullptr) continue;
    wire::Envelope env;
    env.mutable_ack()->set_doc(room.name);
    env.mutable_ack()->set_seq(seq);
    ++stats_.acks_sent;
    Send(*s, Serialize(env));
  }
}

void ServerCore::Flush() {
  std::set<std::string> dirty = std::move(dirty_rooms_);
  dirty_rooms_.clear();
  for (const auto& name : dirty) {
    auto it = rooms_.find(name);
    if (it != rooms_.end()) FlushRoom(*it->second);
  }
}

void ServerCore::Tick(uint64_t now_ms) {
  now_ms_ = std::max(now_ms_, now_ms);
  for (auto& [name, room] : rooms_) {
    for (auto a = room->awareness.begin(); a != room->awareness.end();) {
      if (a->second.expires_ms <= now_ms_) {
        wire::AwarenessState& out = room->awareness_out[a->first];
        out.set_peer(a->first);
        out.set_clock(a->second.clock + 1);
        out.clear_state();
        out.set_removed(true);
        a = room->awareness.erase(a);
        MarkDirty(*room);
      } else {
        ++a;
      }
    }
  }
  Flush();
  uint64_t memory = 0;
  for (auto it = rooms_.begin(); it != rooms_.end();) {
    Room& room = *it->second;
    bool drained = room.appends_durable == room.appends_issued;
    bool unused = room.subscribers.empty() && room.waiting.empty();
    if (room.loaded && drained &&
        (room.failed || (unused && now_ms_ - room.idle_since_ms >= options_.idle_unload_ms))) {
      ++stats_.docs_unloaded;
      dirty_rooms_.erase(room.name);
      it = rooms_.erase(it);
      continue;
    }
    if (room.loaded && room.memory_stale) {
      room.memory_bytes = room.doc->MemoryUsage();
      room.memory_stale = false;
    }
    memory += room.memory_bytes;
    ++it;
  }
  stats_.docs_loaded = rooms_.size();
  stats_.docs_memory_bytes = memory;
}

void ServerCore::Reauthorize() {
  std::vector<ConnId> conns;
  for (const auto& [id, s] : sessions_) conns.push_back(id);
  for (ConnId c : conns) {
    ServerSession* s = Find(c);
    if (s == nullptr || s->state() != ServerSession::State::kOpen) continue;
    if (Authorize(options_.auth, s->token(), "") == Permission::kNone) {
      Fatal(*s, ErrorCode::kUnauthorized, kCloseRevoked, "access revoked");
      continue;
    }
    std::vector<std::pair<std::string, Permission>> changes;
    for (auto& [doc, sub] : s->subscriptions()) {
      Permission p = Authorize(options_.auth, s->token(), doc);
      if (p != sub.permission) changes.emplace_back(doc, p);
    }
    for (const auto& [doc, p] : changes) {
      wire::Envelope env;
      auto* e = env.mutable_error();
      e->set_code(static_cast<uint32_t>(ErrorCode::kPermissionChanged));
      e->set_message(std::string("permission is now ") + PermissionName(p));
      e->set_doc(doc);
      e->set_permission(ToWirePermission(p));
      if (p == Permission::kNone) {
        HandleUnsubscribe(*s, doc, false);
      } else {
        s->subscriptions()[doc].permission = p;
      }
      Send(*s, Serialize(env));
    }
  }
}

void ServerCore::Shutdown() {
  shutting_down_ = true;
  Flush();
  for (auto& [id, s] : sessions_) {
    if (s->state() == ServerSession::State::kClosing) continue;
    s->CloseAfterFlush(kCloseGoingAway, "server shutting down");
    if (on_output_) on_output_(id);
  }
}

bool ServerCore::idle() const {
  if (!sessions_.empty()) return false;
  for (const auto& [name, room] : rooms_) {
    if (!room->loaded || room->appends_durable != room->appends_issued) return false;
  }
  return true;
}

const Document* ServerCore::FindDocument(const std::string& name) const {
  auto it = rooms_.find(name);
  return it == rooms_.end() || !it->second->loaded ? nullptr : it->second->doc.get();
}

}  // namespace tandem::net
