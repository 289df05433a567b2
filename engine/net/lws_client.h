// LwsClient: the sync client over libwebsockets.
//
// One lws context and one service thread per client; the ClientSession and
// its documents live on that thread. Connects to ws://HOST:PORT/PATH,
// subscribes to the documents opened, sends local edits, keeps every
// un-acked edit and resends after a reconnect, reconnects with exponential
// backoff and jitter, relays awareness. With `offline_store` set, every
// local edit is stored (in the store's outbox) before it is sent, remote
// changes are stored too, and un-acked edits survive a client restart: the
// next client that opens the same document from the same store resends them.
//
// Threading: public methods are thread-safe (except the destructor). The
// on_event/on_status callbacks run on the service thread: they must be
// quick and must not call blocking methods of this client (Call, Edit,
// WaitUntil) — post elsewhere instead. Documents are reached only through
// Call/Edit, which run on the service thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "net/client_session.h"
#include "store/log_store.h"

namespace tandem::net {

enum class ConnectionStatus { kConnecting, kOnline, kSynced, kOffline };
const char* ConnectionStatusName(ConnectionStatus s);

struct LwsClientOptions {
  std::string url;             // ws://host:port/path
  PeerId peer = 0;             // 0: a random id (a fresh one per client is safest)
  std::string token;           // sent in Hello
  store::LogStore* offline_store = nullptr;  // optional; caller-owned, outlives the client
  std::vector<uint32_t> backoff_ms = {200, 400, 800, 1600, 3200, 5000};
  int jitter_percent = 30;     // each delay is scaled by 1 ± jitter
  uint16_t keepalive_ping_s = 20;
  uint16_t keepalive_hangup_s = 30;
  uint64_t max_incoming_bytes = 64u << 20;  // one received message
  bool connect = true;         // false: start offline (SetConnected(true) later)
  std::function<void(const ClientEvent&)> on_event;
  std::function<void(ConnectionStatus)> on_status;
};

class LwsClient {
 public:
  // Errors: kInvalidArgument for a URL that is not ws://host:port/path.
  static Status Start(LwsClientOptions options, std::unique_ptr<LwsClient>* out);
  ~LwsClient();
  LwsClient(const LwsClient&) = delete;
  LwsClient& operator=(const LwsClient&) = delete;

  PeerId peer() const;
  ConnectionStatus status() const;

  // Opens a document (subscribes when online). With an offline store, the
  // stored replica and its un-acked edits are loaded first (on the calling
  // thread). Errors: a corrupt stored document.
  Status Open(const std::string& doc);
  // Runs `edit` on the document as one transaction and sends the update.
  // Blocks until the edit is made (not until it is acked).
  Status Edit(const std::string& doc, const std::function<Status(Document&)>& edit);
  // Queues update bytes made on another replica of `doc` (a host's own
  // copy): on the service thread they are applied to the session's replica,
  // stored in the offline outbox (if any) and sent like an Edit. Returns at
  // once (false if stopped); never blocks, so it may be called from
  // on_event/on_status. A refused update becomes a kError event, and so
  // does an edit of a document the server made read-only (kForbidden: the
  // session keeps it and does not send it).
  bool SubmitLocalUpdate(const std::string& doc, std::string update);
  // Runs `fn` on the service thread and waits. False if stopped.
  bool Call(const std::function<void(ClientSession&)>& fn);
  // Polls `pred` on the service thread until true or `timeout_ms` passes.
  bool WaitUntil(const std::function<bool(ClientSession&)>& pred, int timeout_ms);
  void SetAwareness(const std::string& doc, std::string state);
  // false: close the connection and stay offline; true: connect again.
  void SetConnected(bool connected);
  // Stops reading from the socket (to test a slow consumer).
  void SetReceivePaused(bool paused);
  // Closes the connection and ends the thread. Un-acked edits are kept in
  // the offline store if there is one. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit LwsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::net
