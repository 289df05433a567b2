// ClientSession: the sync client's protocol logic, without I/O (sans-I/O).
//
// Holds the local replicas of the documents the client opened, every local
// update not yet acknowledged by the server, and the awareness states. The
// transport tells it when a connection is up or down and hands it received
// frames; it produces frames to send (PopFrame) and events for the host
// (TakeEvents). No sockets, threads or clocks inside.
//
// Resend rule (docs/protocol.md, "Resend"): on every (re)connect the client
// subscribes with its version vector; when the Sync arrives it sends, as
// one update, everything the server's version lacks, with the seq of its
// newest un-acked update. One Ack then covers every older one, because the
// server acks only after everything it stored before is durable. Updates
// are idempotent, so a resend after a lost ack is harmless.
//
// Threading: not thread-safe; one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/version_vector.h"
#include "net/auth.h"
#include "net/document.h"

namespace tandem::net {

struct ClientEvent {
  enum class Type {
    kSynced,        // doc: initial sync done (after each (re)connect)
    kRemoteChange,  // doc: updates from other peers were applied
    kAcked,         // doc, seq: everything up to seq is durable on the server
    kError,         // code, message, doc (maybe empty), seq (refused update)
    kAwareness,     // doc: remote awareness states changed
    kEpochChanged,  // doc: the server's stored document is not the one seen before
    kPermission,    // doc, permission: the server changed our permission
  };
  ClientEvent(Type t, std::string d = {}) : type(t), doc(std::move(d)) {}
  Type type;
  std::string doc;
  uint64_t seq = 0;
  uint32_t code = 0;
  std::string message;
  Permission permission = Permission::kNone;
};

struct ClientSessionOptions {
  std::string token;                       // sent in Hello
  uint64_t max_sync_bytes = 256u << 20;    // one reassembled Sync
  uint64_t max_frame_bytes = 1u << 20;     // local updates are cut to fit
  uint64_t awareness_renew_ms = 10000;     // re-announce before the server expires it
};

class ClientSession {
 public:
  ClientSession(PeerId peer, ClientSessionOptions options);
  ~ClientSession();

  PeerId peer() const { return peer_; }

  // ---- Documents
  // Opens `name` (an empty replica if new) and subscribes when online.
  // The returned document stays owned by the session and valid until
  // Close(name) or the session's destruction.
  Document* Open(const std::string& name);
  // Opens `name` with a replica restored from local storage and the local
  // updates not yet acked (seq, bytes), oldest first.
  Document* Adopt(const std::string& name, std::unique_ptr<Document> doc,
                  std::vector<std::pair<uint64_t, std::string>> unacked);
  Document* Find(const std::string& name);
  // Unsubscribes and forgets the replica (un-acked updates are dropped).
  void Close(const std::string& name);
  std::vector<std::string> documents() const;

  // ---- Local updates
  // Records an update made on the local replica (already applied to it).
  // `seq` must be larger than every earlier seq of this document; NextSeq
  // gives one for callers without their own numbering. Sent now if synced,
  // otherwise covered by the resend after the next Sync.
  void AddLocalUpdate(const std::string& name, std::string bytes, uint64_t seq);
  uint64_t NextSeq(const std::string& name) const;
  size_t unacked(const std::string& name) const;
  size_t unacked_total() const;
  bool synced(const std::string& name) const;
  bool all_synced() const;
  Permission permission(const std::string& name) const;

  // ---- Awareness (ephemeral presence)
  void SetAwareness(const std::string& name, std::string state);
  void ClearAwareness(const std::string& name);
  // Remote peers' states for `name` (peer -> state).
  std::map<PeerId, std::string> RemoteAwareness(const std::string& name) const;

  // ---- Connection
  void OnConnected();
  // A received frame. An error means the server broke the protocol: the
  // caller should close the connection (and reconnect later).
  Status OnFrame(std::string_view bytes);
  void OnDisconnected();
  bool online() const { return online_; }
  // Advances the clock (ms): re-announces awareness before it expires.
  void Tick(uint64_t now_ms);

  bool PopFrame(std::string* frame);
  bool has_frames() const { return !out_.empty(); }
  std::vector<ClientEvent> TakeEvents();

 private:
  struct Doc;
  Doc* FindDoc(const std::string& name) const;
  void Subscribe(Doc& d);
  void SendUpdate(Doc& d, const std::string& bytes, uint64_t seq);
  // The server holds every update of `d` with seq <= `seq` durably.
  void Acked(Doc& d, uint64_t seq);
  void SendAwareness(Doc& d, bool removed);
  void Emit(ClientEvent e) { events_.push_back(std::move(e)); }

  PeerId peer_;
  ClientSessionOptions options_;
  std::map<std::string, std::unique_ptr<Doc>> docs_;
  std::deque<std::string> out_;
  std::vector<ClientEvent> events_;
  bool online_ = false;
  uint64_t now_ms_ = 0;
};

}  // namespace tandem::net
