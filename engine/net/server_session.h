// ServerSession: the server's state for one connection, without I/O.
//
// Holds the handshake state, the peer's identity and token, its
// subscriptions with their permissions, the update rate bucket and the
// bounded outbound queue. ServerCore drives it; the transport only pops
// frames from it (ServerCore::Next).
//
// Threading: owned by ServerCore, used on its thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "core/op_id.h"
#include "net/auth.h"
#include "net/server_options.h"

namespace tandem::net {

using ConnId = uint64_t;

class ServerSession {
 public:
  enum class State { kAwaitHello, kOpen, kClosing };

  struct Subscription {
    Permission permission = Permission::kNone;
    bool synced = false;       // Sync sent; receives fan-out
    std::string partial;       // an Update with `more` being reassembled
  };

  ServerSession(ConnId id, const ServerLimits& limits, uint64_t now_ms);

  ConnId id() const { return id_; }
  State state() const { return state_; }
  void set_open(PeerId peer, std::string token);
  PeerId peer() const { return peer_; }
  const std::string& token() const { return token_; }

  std::map<std::string, Subscription>& subscriptions() { return subs_; }

  // Counts bytes received before Hello was accepted; false once over the limit.
  bool CountUnauthenticated(uint64_t bytes);
  // Takes one update from the rate bucket; false when empty.
  bool TakeUpdateToken(uint64_t now_ms);

  // Queues a frame. `exempt` frames (initial sync parts: bounded by the
  // document, not by the peer's reading speed) do not count against the
  // outbound bound. False when the bound would be passed: the caller treats
  // the peer as a slow consumer. Ignored once closing.
  bool Enqueue(std::string frame, bool exempt = false);
  // Drops everything queued, queues `last_frame` (if any), and closes with
  // `code` once it is written.
  void Abort(uint16_t code, std::string reason, std::string last_frame = {});
  // Closes with `code` after everything already queued is written.
  void CloseAfterFlush(uint16_t code, std::string reason);

  enum class Next { kIdle, kFrame, kClose };
  // The next thing the transport should do for this connection.
  Next Pop(std::string* frame, uint16_t* close_code, std::string* close_reason);
  uint64_t queued_bytes() const { return queued_bytes_; }
  bool has_output() const { return !queue_.empty() || state_ == State::kClosing; }

 private:
  const ConnId id_;
  const ServerLimits& limits_;
  State state_ = State::kAwaitHello;
  PeerId peer_ = 0;
  std::string token_;
  std::map<std::string, Subscription> subs_;
  uint64_t unauth_bytes_ = 0;
  double tokens_;
  uint64_t tokens_ms_;
  struct Frame {
    std::string bytes;
    bool exempt;
  };
  std::deque<Frame> queue_;
  uint64_t queued_bytes_ = 0;  // non-exempt bytes queued
  uint16_t close_code_ = 0;
  std::string close_reason_;
};

}  // namespace tandem::net
