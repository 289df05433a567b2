// MemoryNet: ServerCore + MemoryDocStorage + ClientSessions wired by
// in-memory frame queues, for sans-I/O tests. Every delivery is an explicit
// step, so a test can deliver frames, storage completions and ticks in any
// (random) order and still be deterministic for a seed.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "net/client_session.h"
#include "net/memory_storage.h"
#include "net/server_core.h"

namespace tandem::net::testing {

struct MemoryNet {
  struct Peer {
    std::unique_ptr<ClientSession> session;
    ConnId conn = 0;
    bool connected = false;
    bool server_closing = false;     // server sent close: deliver the rest, then drop
    uint16_t last_close_code = 0;
    std::deque<std::string> to_server, to_client;
    std::vector<ClientEvent> events;
  };

  explicit MemoryNet(ServerOptions options = {})
      : core(std::move(options), &storage, [](ConnId) {}) {}

  Peer& AddPeer(PeerId id, std::string token = {}) {
    ClientSessionOptions o;
    o.token = std::move(token);
    auto p = std::make_unique<Peer>();
    p->session = std::make_unique<ClientSession>(id, o);
    peers.push_back(std::move(p));
    return *peers.back();
  }

  // A new peer, connected, subscribed to `doc` and synced.
  Peer& AddSyncedPeer(PeerId id, const std::string& doc) {
    Peer& p = AddPeer(id);
    p.session->Open(doc);
    Connect(p);
    Settle();
    EXPECT_TRUE(p.session->synced(doc));
    return p;
  }

  void Connect(Peer& p) {
    if (p.connected) return;
    p.conn = next_conn++;
    ASSERT_TRUE(core.Open(p.conn));
    p.connected = true;
    p.server_closing = false;
    p.session->OnConnected();
  }

  void Disconnect(Peer& p) {
    if (!p.connected) return;
    core.OnClosed(p.conn);
    p.session->OnDisconnected();
    p.connected = false;
    p.to_server.clear();
    p.to_client.clear();
  }

  // Moves produced frames into the in-flight queues.
  void Pump(Peer& p) {
    if (!p.connected) return;
    std::string f;
    while (p.session->PopFrame(&f)) {
      if (!p.server_closing) p.to_server.push_back(std::move(f));
    }
    uint16_t code = 0;
    std::string reason;
    for (;;) {
      auto n = core.Next(p.conn, &f, &code, &reason);
      if (n == ServerSession::Next::kIdle) break;
      if (n == ServerSession::Next::kFrame) {
        p.to_client.push_back(std::move(f));
      } else {
        p.server_closing = true;
        p.last_close_code = code;
        break;
      }
    }
    Collect(p);
  }

  void Collect(Peer& p) {
    for (auto& e : p.session->TakeEvents()) p.events.push_back(std::move(e));
  }

  bool DeliverToServer(Peer& p) {
    if (!p.connected || p.to_server.empty()) return false;
    std::string f = std::move(p.to_server.front());
    p.to_server.pop_front();
    core.OnFrame(p.conn, f);
    return true;
  }

  bool DeliverToClient(Peer& p) {
    if (!p.connected) return false;
    if (p.to_client.empty()) {
      if (p.server_closing) {
        Disconnect(p);
        return true;
      }
      return false;
    }
    std::string f = std::move(p.to_client.front());
    p.to_client.pop_front();
    Status st = p.session->OnFrame(f);
    Collect(p);
    if (!st.ok()) {
      ADD_FAILURE() << "client refused a server frame: " << st.ToString();
      Disconnect(p);
    }
    return true;
  }

  // Delivers everything until nothing moves. Returns the number of steps.
  size_t Settle(size_t max_steps = 1000000) {
    size_t steps = 0;
    bool moved = true;
    while (moved && steps < max_steps) {
      moved = false;
      for (auto& p : peers) {
        Pump(*p);
        while (DeliverToServer(*p)) moved = true, ++steps;
        Pump(*p);
        while (DeliverToClient(*p)) moved = true, ++steps;
      }
      if (storage.RunCompletions() > 0) moved = true;
      if (core.has_pending_flush()) {
        core.Flush();
        moved = true;
      }
    }
    return steps;
  }

  // Makes a local edit through the adapter and records the update.
  void Edit(Peer& p, const std::string& doc, const std::function<Status(Document&)>& fn) {
    Document* d = p.session->Find(doc);
    ASSERT_NE(d, nullptr);
    std::string update;
    ASSERT_TRUE(EditDocument(*d, fn, &update).ok());
    p.session->AddLocalUpdate(doc, std::move(update), p.session->NextSeq(doc));
  }

  // The stored document, rebuilt from storage.
  std::string StoredText(const std::string& doc) {
    auto d = NewDocument(1);
    for (const auto& u : storage.Updates(doc)) EXPECT_TRUE(ApplyDocumentUpdate(*d, u).ok());
    return TextAt(*d, "text");
  }

  bool HasEvent(const Peer& p, ClientEvent::Type t, const std::string& doc = {}) const {
    for (const auto& e : p.events) {
      if (e.type == t && (doc.empty() || e.doc == doc)) return true;
    }
    return false;
  }

  MemoryDocStorage storage;
  ServerCore core;
  std::vector<std::unique_ptr<Peer>> peers;
  ConnId next_conn = 1;
};

}  // namespace tandem::net::testing
