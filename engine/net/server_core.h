// ServerCore: the sync server's protocol logic, without I/O (sans-I/O).
//
// Owns one ServerSession per connection and one Room per loaded document.
// The transport feeds it connection events, received frames and clock
// ticks, and pops outgoing frames per connection; storage completions come
// back through DocStorage's callbacks. Nothing here blocks, sleeps, reads a
// clock or touches a socket, so it runs the same over libwebsockets, in a
// browser host, or in an in-memory test.
//
// What it does: Hello/auth, lazy document loading on Subscribe, Sync in
// bounded parts, validating and applying updates, storing them, acking once
// durable, coalesced fan-out (one frame per subscriber per Flush), awareness
// relay with expiry, limits, slow-consumer detection, idle unloading,
// runtime re-authorization and shutdown. docs/protocol.md is the contract.
//
// Threading: not thread-safe; every call (and every storage completion)
// must come from one thread. Callbacks it makes (on_output) run inside the
// call that caused them and must not call back into the core.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/doc_storage.h"
#include "net/protocol.h"
#include "net/room.h"
#include "net/server_options.h"
#include "net/server_session.h"
#include "tandem.pb.h"

namespace tandem::net {

// Counters for /metrics. Monotonic unless noted.
struct ServerStats {
  uint64_t connections = 0;       // gauge
  uint64_t docs_loaded = 0;       // gauge
  uint64_t docs_memory_bytes = 0; // gauge, as of the last Tick
  uint64_t connections_total = 0;
  uint64_t frames_in = 0;
  uint64_t bytes_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_out = 0;
  uint64_t updates_applied = 0;
  uint64_t updates_refused = 0;
  uint64_t acks_sent = 0;
  uint64_t syncs_sent = 0;
  uint64_t fanout_frames = 0;
  uint64_t store_appends = 0;
  uint64_t store_failures = 0;
  uint64_t slow_consumers = 0;
  uint64_t protocol_errors = 0;
  uint64_t docs_unloaded = 0;
};

class ServerCore {
 public:
  // `storage` must outlive the core. `on_output(conn)` is called when a
  // connection gets something to send (frames or a close): the transport
  // then calls Next(conn) until kIdle.
  ServerCore(ServerOptions options, DocStorage* storage,
             std::function<void(ConnId)> on_output);
  ~ServerCore();
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  // A new connection. False (and nothing kept) when at max_connections:
  // the transport should refuse it.
  bool Open(ConnId conn);
  // Largest frame the transport should accept from `conn` right now
  // (smaller before Hello). Frames larger than this are refused while
  // being received: call OnOversized then.
  uint64_t MaxIncomingFrame(ConnId conn) const;
  void OnOversized(ConnId conn);
  // One complete received message.
  void OnFrame(ConnId conn, std::string_view bytes);
  // The connection is gone (closed by either side or failed).
  void OnClosed(ConnId conn);

  ServerSession::Next Next(ConnId conn, std::string* frame, uint16_t* close_code,
                           std::string* close_reason);

  // Sends everything coalesced since the last flush (update fan-out,
  // awareness). Cheap when nothing is pending; call it often (e.g. a few ms
  // after the first change).
  void Flush();
  bool has_pending_flush() const { return !dirty_rooms_.empty(); }
  // Advances the clock (ms, any monotonic origin), then flushes, expires
  // awareness states and unloads idle documents.
  void Tick(uint64_t now_ms);

  // Asks the auth hook again for every connection and subscription and
  // applies changes now: a token refused outright closes its connections
  // (4003), a document refused is unsubscribed with an Error, a changed
  // permission is announced with an Error of code kPermissionChanged.
  void Reauthorize();
  // Closes every connection with 1001 after what is queued is written.
  // New connections are refused from now on.
  void Shutdown();

  bool idle() const;  // no connection, nothing waiting for storage
  const ServerStats& stats() const { return stats_; }
  uint64_t now_ms() const { return now_ms_; }
  // For tests and tools: the loaded document (null if not loaded).
  const Document* FindDocument(const std::string& name) const;

 private:
  ServerSession* Find(ConnId conn);
  void Send(ServerSession& s, std::string frame, bool exempt = false);
  void Fatal(ServerSession& s, ErrorCode code, uint16_t close_code, std::string message);
  void HandleHello(ServerSession& s, const wire::Hello& m);
  void HandleSubscribe(ServerSession& s, const wire::Subscribe& m);
  void HandleUnsubscribe(ServerSession& s, const std::string& doc, bool announce);
  void HandleUpdate(ServerSession& s, wire::DocUpdateFrame& m);
  void HandleAwareness(ServerSession& s, const wire::Awareness& m);
  Room* LoadRoom(const std::string& name);
  void OnLoaded(const std::string& name, const store::StoreStatus& st, LoadedDocument loaded);
  void OnAppended(const std::string& name, const store::StoreStatus& st);
  void SendSync(Room& room, ServerSession& s, const VersionVector& since);
  void SendAcks(Room& room);
  void FailRoom(Room& room, const std::string& why);
  void DropFromRooms(ServerSession& s);
  void FlushRoom(Room& room);
  void MarkDirty(Room& room) { dirty_rooms_.insert(room.name); }

  ServerOptions options_;
  DocStorage* storage_;
  std::function<void(ConnId)> on_output_;
  std::unordered_map<ConnId, std::unique_ptr<ServerSession>> sessions_;
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
  std::set<std::string> dirty_rooms_;
  uint64_t now_ms_ = 0;
  bool shutting_down_ = false;
  ServerStats stats_;
  // Completions hold this: they outlive nothing once the core is gone.
  std::shared_ptr<ServerCore*> alive_;
};

// The peer id of the server's own replicas (they never edit).
inline constexpr PeerId kServerPeer = 0x5E2BE2D0C0DEull;

}  // namespace tandem::net
