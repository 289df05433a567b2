#include "net/client_session.h"

#include <algorithm>

#include "net/protocol.h"
#include "tandem.pb.h"

namespace tandem::net {

namespace {

Permission FromWirePermission(wire::Permission p) {
  switch (p) {
    case wire::PERMISSION_READ: return Permission::kRead;
    case wire::PERMISSION_WRITE: return Permission::kWrite;
    default: break;
  }
  return Permission::kNone;
}

}  // namespace

struct ClientSession::Doc {
  std::string name;
  std::unique_ptr<Document> doc;
  std::deque<std::pair<uint64_t, std::string>> unacked;
  uint64_t max_seq = 0;
  bool subscribed = false;  // Subscribe sent on this connection
  bool synced = false;
  std::string sync_buf;
  Permission permission = Permission::kNone;
  uint64_t known_epoch = 0;
  // Local awareness.
  bool aware = false;
  uint64_t aware_clock = 0;
  std::string aware_state;
  uint64_t aware_sent_ms = 0;
  struct Remote {
    uint64_t clock;
    std::string state;
  };
  std::map<PeerId, Remote> remote;
};

ClientSession::ClientSession(PeerId peer, ClientSessionOptions options)
    : peer_(peer), options_(std::move(options)) {}

ClientSession::~ClientSession() = default;

ClientSession::Doc* ClientSession::FindDoc(const std::string& name) const {
  auto it = docs_.find(name);
  return it == docs_.end() ? nullptr : it->second.get();
}

Document* ClientSession::Find(const std::string& name) {
  Doc* d = FindDoc(name);
  return d == nullptr ? nullptr : d->doc.get();
}

Document* ClientSession::Open(const std::string& name) {
  if (Doc* d = FindDoc(name)) return d->doc.get();
  return Adopt(name, NewDocument(peer_), {});
}

Document* ClientSession::Adopt(const std::string& name, std::unique_ptr<Document> doc,
                               std::vector<std::pair<uint64_t, std::string>> unacked) {
  auto d = std::make_unique<Doc>();
  d->name = name;
  d->doc = std::move(doc);
  for (auto& u : unacked) {
    d->max_seq = std::max(d->max_seq, u.first);
    d->unacked.push_back(std::move(u));
  }
  Doc* raw = d.get();
  docs_[name] = std::move(d);
  if (online_) Subscribe(*raw);
  return raw->doc.get();
}

void ClientSession::Close(const std::string& name) {
  Doc* d = FindDoc(name);
  if (d == nullptr) return;
  if (online_ && d->subscribed) {
    wire::Envelope env;
    env.mutable_unsubscribe()->set_doc(name);
    out_.push_back(Serialize(env));
  }
  docs_.erase(name);
}

std::vector<std::string> ClientSession::documents() const {
  std::vector<std::string> names;
  for (const auto& [name, d] : docs_) names.push_back(name);
  return names;
}

void ClientSession::AddLocalUpdate(const std::string& name, std::string bytes, uint64_t seq) {
  Doc* d = FindDoc(name);
  if (d == nullptr || bytes.empty()) return;
  seq = std::max(seq, d->max_seq + 1);
  d->max_seq = seq;
  d->unacked.emplace_back(seq, bytes);
  if (online_ && d->synced && d->permission == Permission::kWrite) SendUpdate(*d, bytes, seq);
}

uint64_t ClientSession::NextSeq(const std::string& name) const {
  Doc* d = FindDoc(name);
  return d == nullptr ? 1 : d->max_seq + 1;
}

size_t ClientSession::unacked(const std::string& name) const {
  Doc* d = FindDoc(name);
  return d == nullptr ? 0 : d->unacked.size();
}

size_t ClientSession::unacked_total() const {
  size_t n = 0;
  for (const auto& [name, d] : docs_) n += d->unacked.size();
  return n;
}

bool ClientSession::synced(const std::string& name) const {
  Doc* d = FindDoc(name);
  return d != nullptr && d->synced;
}

bool ClientSession::all_synced() const {
  for (const auto& [name, d] : docs_) {
    if (!d->synced) return false;
  }
  return online_;
}

Permission ClientSession::permission(const std::string& name) const {
  Doc* d = FindDoc(name);
  return d == nullptr ? Permission::kNone : d->permission;
}

void ClientSession::Acked(Doc& d, uint64_t seq) {
  while (!d.unacked.empty() && d.unacked.front().first <= seq) d.unacked.pop_front();
  ClientEvent e{ClientEvent::Type::kAcked, d.name};
  e.seq = seq;
  Emit(std::move(e));
}

void ClientSession::SendUpdate(Doc& d, const std::string& bytes, uint64_t seq) {
  // Cut to fit the server's frame limit, leaving room for the envelope.
  const size_t chunk = std::max<uint64_t>(1024, options_.max_frame_bytes - 1024 - d.name.size());
  size_t off = 0;
  do {
    size_t n = std::min(chunk, bytes.size() - off);
    wire::Envelope env;
    auto* u = env.mutable_update();
    u->set_doc(d.name);
    u->set_data(bytes.substr(off, n));
    off += n;
    if (off < bytes.size()) {
      u->set_more(true);
    } else {
      u->set_seq(seq);
    }
    out_.push_back(Serialize(env));
  } while (off < bytes.size());
}

void ClientSession::Subscribe(Doc& d) {
  wire::Envelope env;
  auto* s = env.mutable_subscribe();
  s->set_doc(d.name);
  ToWire(d.doc->version(), s->mutable_version());
  s->set_known_epoch(d.known_epoch);
  out_.push_back(Serialize(env));
  d.subscribed = true;
  d.synced = false;
  d.sync_buf.clear();
}

void ClientSession::OnConnected() {
  online_ = true;
  out_.clear();
  wire::Envelope env;
  auto* h = env.mutable_hello();
  h->set_protocol_version(kProtocolVersion);
  h->set_peer_id(peer_);
  h->set_token(options_.token);
  out_.push_back(Serialize(env));
  for (auto& [name, d] : docs_) Subscribe(*d);
}

void ClientSession::OnDisconnected() {
  online_ = false;
  out_.clear();
  for (auto& [name, d] : docs_) {
    d->subscribed = false;
    d->synced = false;
    d->sync_buf.clear();
    if (!d->remote.empty()) {
      d->remote.clear();
      Emit({ClientEvent::Type::kAwareness, name});
    }
  }
}

Status ClientSession::OnFrame(std::string_view bytes) {
  wire::Envelope env;
  Status st = Parse(bytes, &env);
  if (!st.ok()) return st;
  if (env.protocol_version() != kProtocolVersion) {
    return Status::Unsupported("server speaks protocol version " +
                               std::to_string(env.protocol_version()));
  }
  switch (env.body_case()) {
    case wire::Envelope::kWelcome:
      if (env.welcome().max_frame_bytes() >= 4096) {
        options_.max_frame_bytes = std::min<uint64_t>(options_.max_frame_bytes,
                                                      env.welcome().max_frame_bytes());
      }
      return Status::Ok();
    case wire::Envelope::kSync: {
      wire::Sync& m = *env.mutable_sync();
      Doc* d = FindDoc(m.doc());
      if (d == nullptr || !d->subscribed || d->synced) return Status::Ok();  // closed meanwhile
      if (d->sync_buf.size() + m.data().size() > options_.max_sync_bytes) {
        return Status::LimitExceeded("initial sync larger than max_sync_bytes");
      }
      d->sync_buf += m.data();
      if (!m.final()) return Status::Ok();
      VersionVector server_version;
      st = FromWire(m.version(), &server_version);
      if (!st.ok()) return st;
      std::string data = std::move(d->sync_buf);
      d->sync_buf.clear();
      bool changed = false;
      if (!data.empty()) {
        st = ApplyDocumentUpdate(*d->doc, data, &changed);
        if (!st.ok()) return Status::Corrupt("sync refused: " + st.message());
      }
      d->permission = FromWirePermission(m.permission());
      if (d->known_epoch != 0 && m.epoch() != d->known_epoch) {
        Emit({ClientEvent::Type::kEpochChanged, d->name});
      }
      d->known_epoch = m.epoch();
      d->synced = true;
      if (changed) Emit({ClientEvent::Type::kRemoteChange, d->name});
      if (d->permission == Permission::kWrite &&
          (!server_version.includes(d->doc->version()) || !d->unacked.empty())) {
        uint64_t seq = d->unacked.empty() ? 0 : d->unacked.back().first;
        std::string diff = d->doc->EncodeUpdate(server_version);
        SendUpdate(*d, diff, seq);
      }
      if (d->aware) SendAwareness(*d, false);
      Emit({ClientEvent::Type::kSynced, d->name});
      return Status::Ok();
    }
    case wire::Envelope::kUpdate: {
      const wire::DocUpdateFrame& m = env.update();
      Doc* d = FindDoc(m.doc());
      if (d == nullptr) return Status::Ok();
      if (d->synced) {
        bool any = false;
        for (const auto& u : m.updates()) {
          bool changed = false;
          st = ApplyDocumentUpdate(*d->doc, u, &changed);
          if (!st.ok()) return Status::Corrupt("update from server refused: " + st.message());
          any = any || changed;
        }
        if (any) Emit({ClientEvent::Type::kRemoteChange, d->name});
      }
      if (m.ack() != 0) Acked(*d, m.ack());
      return Status::Ok();
    }
    case wire::Envelope::kAck: {
      Doc* d = FindDoc(env.ack().doc());
      if (d != nullptr) Acked(*d, env.ack().seq());
      return Status::Ok();
    }
    case wire::Envelope::kAwareness: {
      Doc* d = FindDoc(env.awareness().doc());
      if (d == nullptr) return Status::Ok();
      bool any = false;
      for (const auto& s : env.awareness().states()) {
        if (s.peer() == peer_) continue;
        auto it = d->remote.find(s.peer());
        if (it != d->remote.end() && s.clock() <= it->second.clock) continue;
        if (s.removed()) {
          if (it != d->remote.end()) d->remote.erase(it);
        } else {
          d->remote[s.peer()] = Doc::Remote{s.clock(), s.state()};
        }
        any = true;
      }
      if (any) Emit({ClientEvent::Type::kAwareness, d->name});
      return Status::Ok();
    }
    case wire::Envelope::kError: {
      const wire::Error& m = env.error();
      ClientEvent e{ClientEvent::Type::kError, m.doc()};
      e.code = m.code();
      e.message = m.message();
      e.seq = m.seq();
      Doc* d = FindDoc(m.doc());
      if (d != nullptr && m.code() == static_cast<uint32_t>(ErrorCode::kPermissionChanged)) {
        d->permission = FromWirePermission(m.permission());
        if (d->permission == Permission::kNone) {
          d->subscribed = false;
          d->synced = false;
        }
        ClientEvent p{ClientEvent::Type::kPermission, d->name};
        p.permission = d->permission;
        Emit(std::move(p));
      } else if (d != nullptr && m.code() == static_cast<uint32_t>(ErrorCode::kForbidden)) {
        if (m.seq() != 0) {
          // A refused write stays local: resending it would be refused again.
          while (!d->unacked.empty() && d->unacked.front().first <= m.seq()) d->unacked.pop_front();
        } else {
          d->subscribed = false;
        }
      }
      Emit(std::move(e));
      return Status::Ok();
    }
    default:
      return Status::Corrupt("message not expected from a server");
  }
}

void ClientSession::SendAwareness(Doc& d, bool removed) {
  wire::Envelope env;
  auto* a = env.mutable_awareness();
  a->set_doc(d.name);
  auto* s = a->add_states();
  s->set_peer(peer_);
  s->set_clock(++d.aware_clock);
  if (removed) {
    s->set_removed(true);
  } else {
    s->set_state(d.aware_state);
  }
  d.aware_sent_ms = now_ms_;
  out_.push_back(Serialize(env));
}

void ClientSession::SetAwareness(const std::string& name, std::string state) {
  Doc* d = FindDoc(name);
  if (d == nullptr) return;
  d->aware = true;
  d->aware_state = std::move(state);
  if (online_ && d->synced) SendAwareness(*d, false);
}

void ClientSession::ClearAwareness(const std::string& name) {
  Doc* d = FindDoc(name);
  if (d == nullptr || !d->aware) return;
  d->aware = false;
  d->aware_state.clear();
  if (online_ && d->synced) SendAwareness(*d, true);
}

std::map<PeerId, std::string> ClientSession::RemoteAwareness(const std::string& name) const {
  std::map<PeerId, std::string> out;
  if (Doc* d = FindDoc(name)) {
    for (const auto& [peer, r] : d->remote) out[peer] = r.state;
  }
  return out;
}

void ClientSession::Tick(uint64_t now_ms) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (!online_) return;
  for (auto& [name, d] : docs_) {
    if (d->aware && d->synced && now_ms_ - d->aware_sent_ms >= options_.awareness_renew_ms) {
      SendAwareness(*d, false);
    }
  }
}

bool ClientSession::PopFrame(std::string* frame) {
  if (out_.empty()) return false;
  *frame = std::move(out_.front());
  out_.pop_front();
  return true;
}

std::vector<ClientEvent> ClientSession::TakeEvents() {
  std::vector<ClientEvent> e = std::move(events_);
  events_.clear();
  return e;
}

}  // namespace tandem::net
