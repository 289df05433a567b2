// ServerOptions: limits and timings of the sync server, with safe defaults.
//
// Every limit is enforced on untrusted input before it costs memory: frames
// are refused while they are being received, queues are bounded, rates are
// token buckets. See docs/protocol.md ("Limits") for what a peer sees when
// it hits one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "net/auth.h"

namespace tandem::net {

struct ServerLimits {
  uint64_t max_frame_bytes = 4u << 20;          // one WebSocket message, reassembled
  uint64_t max_update_bytes = 32u << 20;        // one update, all its `more` parts
  uint64_t max_unauthenticated_bytes = 64u << 10; // received before Hello is accepted
  uint32_t max_docs_per_connection = 256;
  uint32_t max_connections = 10000;
  double max_updates_per_second = 500;          // per connection, sustained
  double update_burst = 1000;                   // per connection, bucket size
  uint64_t max_outbound_bytes = 16u << 20;      // queued for one connection; over = slow consumer
  uint64_t max_awareness_bytes = 16u << 10;     // one awareness state
};

struct ServerOptions {
  ServerLimits limits;
  // Decides what a token may do with a document (auth.h). Unset: everyone
  // may write everything (for local use and tests).
  AuthHook auth;
  // Initial syncs are cut into Sync parts of at most this many bytes, so a
  // large document never holds the socket (and its keepalive) for long.
  uint64_t sync_part_bytes = 256u << 10;
  // A document with no subscribers and nothing left to store unloads after this.
  uint64_t idle_unload_ms = 30000;
  // An awareness state not renewed for this long is removed.
  uint64_t awareness_timeout_ms = 30000;
};

}  // namespace tandem::net
