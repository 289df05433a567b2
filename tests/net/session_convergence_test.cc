// Many in-memory clients editing several documents with random delivery
// order, random storage completion timing and random disconnects converge
// with each other and with what the server stored.
#include <gtest/gtest.h>

#include <random>

#include "memory_net.h"

namespace tandem::net::testing {
namespace {

void RandomEdit(std::mt19937_64& rng, MemoryNet& net, MemoryNet::Peer& p, const std::string& doc) {
  net.Edit(p, doc, [&](Document& d) {
    uint64_t len = TextLengthAt(d, "text");
    if (len > 0 && rng() % 3 == 0) {
      uint64_t at = rng() % len;
      return DeleteTextAt(d, "text", at, 1 + rng() % std::min<uint64_t>(3, len - at));
    }
    static const char* kWords[] = {"a", "bc", "def", "é", "🙂", "xyz "};
    return InsertTextAt(d, "text", len == 0 ? 0 : rng() % (len + 1), kWords[rng() % 6]);
  });
}

class SessionConvergence : public ::testing::TestWithParam<int> {};

TEST_P(SessionConvergence, RandomDeliveryConverges) {
  std::mt19937_64 rng(GetParam());
  MemoryNet net;
  const std::vector<std::string> docs = {"alpha", "beta", "gamma"};
  const int kPeers = 8;
  for (int i = 0; i < kPeers; ++i) {
    auto& p = net.AddPeer(100 + i);
    for (const auto& d : docs) p.session->Open(d);
    net.Connect(p);
  }
  uint64_t now = 0;
  for (int step = 0; step < 6000; ++step) {
    auto& p = *net.peers[rng() % kPeers];
    switch (rng() % 10) {
      case 0:
      case 1: RandomEdit(rng, net, p, docs[rng() % docs.size()]); break;
      case 2:
      case 3: net.Pump(p); net.DeliverToServer(p); break;
      case 4:
      case 5: net.Pump(p); net.DeliverToClient(p); break;
      case 6: net.storage.RunCompletions(1 + rng() % 3); break;
      case 7: net.core.Flush(); break;
      case 8:
        now += rng() % 50;
        net.core.Tick(now);
        break;
      case 9:
        if (rng() % 20 == 0) {
          if (p.connected) net.Disconnect(p); else net.Connect(p);
        }
        break;
    }
  }
  for (auto& p : net.peers) net.Connect(*p);
  net.Settle();
  for (const auto& d : docs) {
    std::string stored = net.StoredText(d);
    const Document* server = net.core.FindDocument(d);
    ASSERT_NE(server, nullptr);
    EXPECT_EQ(TextAt(*server, "text"), stored) << d;
    for (auto& p : net.peers) {
      EXPECT_EQ(TextAt(*p->session->Find(d), "text"), stored) << d << " peer " << p->session->peer();
      EXPECT_EQ(p->session->unacked(d), 0u);
      EXPECT_TRUE(p->session->synced(d));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SessionConvergence, ::testing::Range(1, 9));

TEST(SessionAck, AckOnlyAfterDurable) {
  MemoryNet net;
  auto& a = net.AddPeer(7);
  a.session->Open("d");
  net.Connect(a);
  net.Settle();
  ASSERT_TRUE(a.session->synced("d"));
  net.Edit(a, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "hello"); });
  net.Pump(a);
  while (net.DeliverToServer(a)) {}
  net.Pump(a);
  while (net.DeliverToClient(a)) {}
  EXPECT_EQ(a.session->unacked("d"), 1u) << "acked before the store completed";
  EXPECT_EQ(net.storage.pending(), 1u);
  net.storage.RunCompletions();
  net.core.Flush();  // acks leave with the next flush, like fan-out
  net.Pump(a);
  while (net.DeliverToClient(a)) {}
  EXPECT_EQ(a.session->unacked("d"), 0u);
  EXPECT_TRUE(net.HasEvent(a, ClientEvent::Type::kAcked, "d"));
}

// A connection that gets fan-out in the same flush as its ack gets one
// frame carrying both; one without fan-out gets a plain Ack. Either way
// one ack per connection, with its highest durable seq.
TEST(SessionAck, AckRidesWithFanOutInOneFrame) {
  MemoryNet net;
  auto& a = net.AddSyncedPeer(1, "d");
  auto& b = net.AddSyncedPeer(2, "d");
  net.Edit(a, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "a1"); });
  net.Edit(a, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "a2"); });
  net.Pump(a);
  while (net.DeliverToServer(a)) {}
  net.core.Flush();  // a's updates fan out to b
  net.Pump(b);
  while (net.DeliverToClient(b)) {}
  net.storage.RunCompletions();  // both of a's updates are durable now
  net.Edit(b, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "b"); });
  net.Pump(b);
  while (net.DeliverToServer(b)) {}
  net.core.Flush();
  net.Pump(a);
  ASSERT_EQ(a.to_client.size(), 1u) << "fan-out and ack in one frame";
  wire::Envelope env;
  ASSERT_TRUE(Parse(a.to_client.front(), &env).ok());
  ASSERT_EQ(env.body_case(), wire::Envelope::kUpdate);
  EXPECT_EQ(env.update().updates_size(), 1);
  EXPECT_EQ(env.update().ack(), 2u) << "the highest of a's two seqs";
  while (net.DeliverToClient(a)) {}
  EXPECT_EQ(a.session->unacked("d"), 0u);
  EXPECT_TRUE(net.HasEvent(a, ClientEvent::Type::kAcked, "d"));

  // b's update becomes durable with nothing to fan out to b: a plain Ack.
  net.storage.RunCompletions();
  net.core.Flush();
  net.Pump(b);
  ASSERT_EQ(b.to_client.size(), 1u);
  ASSERT_TRUE(Parse(b.to_client.front(), &env).ok());
  ASSERT_EQ(env.body_case(), wire::Envelope::kAck);
  EXPECT_EQ(env.ack().seq(), 1u);
  while (net.DeliverToClient(b)) {}
  EXPECT_EQ(b.session->unacked("d"), 0u);
  net.Settle();
  EXPECT_EQ(TextAt(*a.session->Find("d"), "text"), "ba2a1");
  EXPECT_EQ(net.StoredText("d"), "ba2a1");
}

TEST(SessionAck, StorageFailureNeverAcksAndResendsAfterReconnect) {
  MemoryNet net;
  auto& a = net.AddPeer(7);
  a.session->Open("d");
  net.Connect(a);
  net.Settle();
  net.storage.set_fail_appends(true);
  net.Edit(a, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "lost?"); });
  net.Settle();
  EXPECT_FALSE(a.connected) << "a storage failure closes the room's connections";
  EXPECT_EQ(a.last_close_code, kCloseInternal);
  EXPECT_EQ(a.session->unacked("d"), 1u);
  net.storage.set_fail_appends(false);
  net.core.Tick(1);  // the failed room unloads once drained
  net.Connect(a);
  net.Settle();
  EXPECT_EQ(a.session->unacked("d"), 0u);
  EXPECT_EQ(net.StoredText("d"), "lost?");
}

TEST(SessionOffline, OfflineEditsMergeOnReconnect) {
  MemoryNet net;
  auto& a = net.AddPeer(1);
  auto& b = net.AddPeer(2);
  a.session->Open("d");
  b.session->Open("d");
  net.Connect(a);
  net.Connect(b);
  net.Edit(a, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "base "); });
  net.Settle();
  net.Disconnect(b);
  net.Edit(b, "d", [](Document& d) { return InsertTextAt(d, "text", TextLengthAt(d, "text"), "offline-b "); });
  net.Edit(a, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "online-a "); });
  net.Settle();
  EXPECT_EQ(b.session->unacked("d"), 1u);
  net.Connect(b);
  net.Settle();
  EXPECT_EQ(TextAt(*a.session->Find("d"), "text"), TextAt(*b.session->Find("d"), "text"));
  EXPECT_EQ(net.StoredText("d"), TextAt(*a.session->Find("d"), "text"));
  EXPECT_NE(TextAt(*a.session->Find("d"), "text").find("offline-b"), std::string::npos);
  EXPECT_EQ(b.session->unacked("d"), 0u);
}

TEST(SessionEpoch, ResetStorageIsDetected) {
  MemoryNet net;
  auto& a = net.AddPeer(1);
  a.session->Open("d");
  net.Connect(a);
  net.Edit(a, "d", [](Document& d) { return InsertTextAt(d, "text", 0, "kept by the client"); });
  net.Settle();
  net.Disconnect(a);
  net.core.Tick(1000000);  // unload
  ASSERT_EQ(net.core.FindDocument("d"), nullptr);
  net.Connect(a);
  net.Settle();  // now the client knows the stored epoch
  net.Disconnect(a);
  net.core.Tick(2000000);
  net.storage.Reset();
  net.Connect(a);
  net.Settle();
  EXPECT_TRUE(net.HasEvent(a, ClientEvent::Type::kEpochChanged, "d"));
  // The client's state is pushed back rather than lost or duplicated.
  EXPECT_EQ(net.StoredText("d"), "kept by the client");
}

TEST(SessionSync, LargeSyncIsSplitIntoBoundedParts) {
  ServerOptions o;
  o.sync_part_bytes = 4096;
  MemoryNet net(o);
  auto& a = net.AddPeer(1);
  a.session->Open("big");
  net.Connect(a);
  net.Settle();
  std::string chunk(1000, 'x');
  for (int i = 0; i < 100; ++i) {
    net.Edit(a, "big", [&](Document& d) { return InsertTextAt(d, "text", TextLengthAt(d, "text"), chunk + std::to_string(i)); });
  }
  net.Settle();
  auto& b = net.AddPeer(2);
  b.session->Open("big");
  net.Connect(b);
  net.Pump(b);
  while (net.DeliverToServer(b)) {}
  net.Pump(b);
  size_t sync_frames = 0;
  for (const auto& f : b.to_client) {
    EXPECT_LE(f.size(), 4096u + 1024u);
    wire::Envelope env;
    ASSERT_TRUE(env.ParseFromString(f));
    if (env.has_sync()) ++sync_frames;
  }
  EXPECT_GT(sync_frames, 10u);
  net.Settle();
  EXPECT_EQ(TextAt(*b.session->Find("big"), "text"), TextAt(*a.session->Find("big"), "text"));
}

}  // namespace
}  // namespace tandem::net::testing
