// Awareness: relayed to the other subscribers (coalesced per flush), sent
// to late joiners, removed when its peer leaves, expired when not renewed.
#include <gtest/gtest.h>

#include "memory_net.h"

namespace tandem::net::testing {
namespace {

TEST(SessionAwareness, RelayJoinLeaveExpire) {
  ServerOptions o;
  o.awareness_timeout_ms = 1000;
  MemoryNet net(o);
  auto& a = net.AddPeer(1);
  auto& b = net.AddPeer(2);
  a.session->Open("d");
  b.session->Open("d");
  net.Connect(a);
  net.Connect(b);
  net.Settle();
  for (int i = 0; i < 10; ++i) a.session->SetAwareness("d", "{\"cursor\":" + std::to_string(i) + "}");
  net.Pump(a);
  while (net.DeliverToServer(a)) {}
  net.core.Flush();
  net.Pump(b);
  EXPECT_EQ(b.to_client.size(), 1u) << "ten changes, one coalesced frame";
  net.Settle();
  EXPECT_EQ(b.session->RemoteAwareness("d").at(1), "{\"cursor\":9}");
  // A late joiner gets the current states with its sync.
  auto& c = net.AddPeer(3);
  c.session->Open("d");
  net.Connect(c);
  net.Settle();
  EXPECT_EQ(c.session->RemoteAwareness("d").count(1), 1u);
  // Leaving removes the state everywhere.
  net.Disconnect(a);
  net.Settle();
  EXPECT_EQ(b.session->RemoteAwareness("d").count(1), 0u);
  EXPECT_EQ(c.session->RemoteAwareness("d").count(1), 0u);
  // A state not renewed expires.
  b.session->SetAwareness("d", "here");
  net.Settle();
  EXPECT_EQ(c.session->RemoteAwareness("d").count(2), 1u);
  net.core.Tick(net.core.now_ms() + 5000);
  net.Settle();
  EXPECT_EQ(c.session->RemoteAwareness("d").count(2), 0u);
}

TEST(SessionAwareness, CannotSpeakForAnotherPeer) {
  MemoryNet net;
  auto& a = net.AddSyncedPeer(1, "d");
  auto& b = net.AddSyncedPeer(2, "d");
  wire::Envelope env;
  env.mutable_awareness()->set_doc("d");
  auto* s = env.mutable_awareness()->add_states();
  s->set_peer(2);
  s->set_clock(5);
  s->set_state("spoofed");
  a.to_server.push_back(Serialize(env));
  net.Settle();
  EXPECT_TRUE(b.session->RemoteAwareness("d").empty());
  EXPECT_TRUE(net.HasEvent(a, ClientEvent::Type::kError));
}

TEST(SessionIdle, UnloadsIdleDocumentsAfterFlush) {
  ServerOptions o;
  o.idle_unload_ms = 100;
  MemoryNet net(o);
  auto& a = net.AddPeer(1);
  a.session->Open("d");
  net.Connect(a);
  net.Settle();
  net.Edit(a, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "x"); });
  net.Pump(a);
  while (net.DeliverToServer(a)) {}
  net.Disconnect(a);
  net.core.Tick(1000);
  EXPECT_NE(net.core.FindDocument("d"), nullptr) << "unloaded with a write in flight";
  net.storage.RunCompletions();
  net.core.Tick(1001);
  EXPECT_EQ(net.core.FindDocument("d"), nullptr);
  EXPECT_EQ(net.core.stats().docs_loaded, 0u);
  EXPECT_EQ(net.StoredText("d"), "x");
}

}  // namespace
}  // namespace tandem::net::testing
