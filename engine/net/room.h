// Room: one loaded document on the server and who is watching it.
//
// Internal to ServerCore (server_core.cc); a plain struct so the core's
// invariants live in one place:
// - a room is never unloaded while it is loading or while an Append has no
//   completion yet (appends_durable < appends_issued): completions find it;
// - every subscriber in `subscribers` has been sent a Sync and gets fan-out;
// - acks leave in append order: an ack waits for every append issued
//   before it (target), so "acked" implies everything before is durable.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/version_vector.h"
#include "net/document.h"
#include "net/server_session.h"
#include "tandem.pb.h"

namespace tandem::net {

struct Room {
  struct Waiting {
    ConnId conn;
    VersionVector version;
  };
  struct PendingAck {
    uint64_t target;  // appends_durable must reach this
    ConnId conn;
    uint64_t seq;
  };
  struct AwarenessEntry {
    uint64_t clock = 0;
    std::string state;
    ConnId owner = 0;
    uint64_t expires_ms = 0;
  };

  std::string name;
  bool loaded = false;
  bool failed = false;  // a store write failed: drain, then unload
  std::unique_ptr<Document> doc;
  uint64_t epoch = 0;
  std::vector<Waiting> waiting;  // subscribed while loading
  std::set<ConnId> subscribers;
  std::vector<std::pair<ConnId, std::string>> fanout;  // applied since the last flush
  uint64_t appends_issued = 0;
  uint64_t appends_durable = 0;
  std::deque<PendingAck> acks;
  // Durable, not yet sent (connection, seq): they leave with the next flush,
  // inside the connection's fan-out frame when it gets one.
  std::vector<std::pair<ConnId, uint64_t>> acks_out;
  std::map<PeerId, AwarenessEntry> awareness;
  std::map<PeerId, wire::AwarenessState> awareness_out;  // changed since the last flush
  uint64_t idle_since_ms = 0;
  uint64_t memory_bytes = 0;
  bool memory_stale = true;
};

}  // namespace tandem::net
