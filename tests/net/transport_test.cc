// The real server and clients over real sockets on 127.0.0.1 (port 0) with
// a temp SQLite file: convergence, offline edits, restarts, epochs.
#include <gtest/gtest.h>

#include <atomic>
#include <random>

#include "net_test_util.h"

namespace tandem::net::testing {
namespace {

constexpr int kWaitMs = 20000;

TEST(Transport, TwentyClientsConvergeWithEachOtherAndTheStore) {
  TempDir dir;
  TestServer srv;
  srv.db = dir.file("server.db");
  srv.Start();
  const std::vector<std::string> docs = {"d0", "d1", "d2", "d3"};
  std::vector<std::unique_ptr<LwsClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(StartClient(srv.url()));
    for (int k = 0; k < 2; ++k) ASSERT_TRUE(clients[i]->Open(docs[(i + k) % docs.size()]).ok());
  }
  for (auto& c : clients) ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.all_synced(); }, kWaitMs));
  // Concurrent random edits from one thread per client.
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 rng(i);
      for (int n = 0; n < 25; ++n) {
        const std::string& doc = docs[(i + rng() % 2) % docs.size()];
        clients[i]->Edit(doc, [&](Document& d) {
          uint64_t len = TextLengthAt(d, "text");
          if (len > 4 && rng() % 3 == 0) return DeleteTextAt(d, "text", rng() % (len - 2), 2);
          return InsertTextAt(d, "text", len == 0 ? 0 : rng() % (len + 1), "c" + std::to_string(i) + " ");
        });
        if (rng() % 4 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 5));
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& c : clients) {
    ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.unacked_total() == 0; }, kWaitMs));
  }
  // Every acked update is stored: the store's state is the reference.
  for (const auto& doc : docs) {
    std::string stored = srv.StoredText(doc);
    EXPECT_FALSE(stored.empty());
    for (int i = 0; i < 20; ++i) {
      bool has = false;
      clients[i]->Call([&](ClientSession& s) { has = s.Find(doc) != nullptr; });
      if (!has) continue;
      ASSERT_TRUE(clients[i]->WaitUntil(
          [&](ClientSession& s) { return TextAt(*s.Find(doc), "text") == stored; }, kWaitMs))
          << doc << " client " << i << ": " << TextOf(*clients[i], doc) << " vs " << stored;
    }
  }
  clients.clear();
  auto m = srv.server->stats();
  EXPECT_EQ(m.updates_applied, 500u);
  EXPECT_GT(m.fanout_frames, 0u);
}

// By default fan-out leaves at the end of each loop iteration; a fixed
// coalescing delay (flush_delay_ms) batches a burst into fewer frames.
TEST(Transport, CoalescingDelayBatchesABurstAndConverges) {
  TempDir dir;
  TestServer srv;
  srv.db = dir.file("server.db");
  srv.options.flush_delay_ms = 50;
  srv.Start();
  std::vector<std::unique_ptr<LwsClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(StartClient(srv.url()));
    ASSERT_TRUE(clients[i]->Open("doc").ok());
  }
  for (auto& c : clients) ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.all_synced(); }, kWaitMs));
  for (int n = 0; n < 20; ++n) {
    for (auto& c : clients) {
      c->Edit("doc", [](Document& d) { return InsertTextAt(d, "text", 0, "x"); });
    }
  }
  for (auto& c : clients) {
    ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.unacked_total() == 0; }, kWaitMs));
  }
  const std::string stored = srv.StoredText("doc");
  EXPECT_EQ(stored, std::string(60, 'x'));
  for (auto& c : clients) {
    ASSERT_TRUE(c->WaitUntil([&](ClientSession& s) { return TextAt(*s.Find("doc"), "text") == stored; },
                             kWaitMs));
  }
  // 60 updates reached 2 other subscribers each: far fewer frames did it.
  EXPECT_EQ(srv.server->stats().updates_applied, 60u);
  EXPECT_LT(srv.server->stats().fanout_frames, 60u);
}

TEST(Transport, OfflineEditsMergeAndSurviveClientRestart) {
  TempDir dir;
  TestServer srv;
  srv.db = dir.file("server.db");
  srv.Start();
  auto other = StartClient(srv.url());
  ASSERT_TRUE(other->Open("notes").ok());
  ASSERT_TRUE(other->Edit("notes", [](Document& d) { return InsertTextAt(d, "text", 0, "shared "); }).ok());
  ASSERT_TRUE(other->WaitUntil([](ClientSession& s) { return s.unacked_total() == 0; }, kWaitMs));
  {
    auto local = OpenStore(dir.file("client.db"));
    LwsClientOptions o;
    o.offline_store = local.get();
    o.connect = false;  // offline from the start
    auto c = StartClient(srv.url(), o);
    ASSERT_TRUE(c->Open("notes").ok());
    ASSERT_TRUE(c->Edit("notes", [](Document& d) { return InsertTextAt(d, "text", 0, "offline "); }).ok());
    ASSERT_TRUE(c->Edit("notes", [](Document& d) { return InsertTextAt(d, "text", TextLengthAt(d, "text"), "edits"); }).ok());
    ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.unacked("notes") == 2; }, kWaitMs));
    c->Stop();  // the client "crashes" with its edits un-acked
    c.reset();
    std::vector<store::LogEntry> rows;
    ASSERT_TRUE(local->ListUnacked("notes", &rows).ok());
    EXPECT_EQ(rows.size(), 2u);
  }
  // A new client process on the same offline store resends them.
  auto local = OpenStore(dir.file("client.db"));
  LwsClientOptions o;
  o.offline_store = local.get();
  o.connect = false;
  auto c = StartClient(srv.url(), o);
  ASSERT_TRUE(c->Open("notes").ok());
  EXPECT_EQ(TextOf(*c, "notes"), "offline edits");
  c->SetConnected(true);
  ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.synced("notes") && s.unacked_total() == 0; }, kWaitMs));
  std::string merged = TextOf(*c, "notes");
  EXPECT_NE(merged.find("shared"), std::string::npos);
  EXPECT_NE(merged.find("offline"), std::string::npos);
  ASSERT_TRUE(other->WaitUntil([&](ClientSession& s) { return TextAt(*s.Find("notes"), "text") == merged; }, kWaitMs));
  EXPECT_EQ(srv.StoredText("notes"), merged);
  // The outbox is emptied once acked.
  c->Stop();
  std::vector<store::LogEntry> rows;
  ASSERT_TRUE(local->ListUnacked("notes", &rows).ok());
  EXPECT_TRUE(rows.empty());
}

TEST(Transport, ServerRestartLosesNoAckedUpdate) {
  TempDir dir;
  TestServer srv;
  srv.db = dir.file("server.db");
  srv.Start();
  std::vector<std::unique_ptr<LwsClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(StartClient(srv.url()));
    ASSERT_TRUE(clients[i]->Open("doc").ok());
  }
  std::atomic<bool> go{true};
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&, i] {
      int n = 0;
      while (go) {
        clients[i]->Edit("doc", [&](Document& d) { return InsertTextAt(d, "text", TextLengthAt(d, "text"), std::to_string(i)); });
        if (++n % 5 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  srv.Stop();  // graceful, mid-traffic
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  srv.Start();  // same port, same file
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  go = false;
  for (auto& t : writers) t.join();
  for (auto& c : clients) {
    ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.synced("doc") && s.unacked_total() == 0; }, kWaitMs));
  }
  std::string stored = srv.StoredText("doc");
  for (auto& c : clients) {
    ASSERT_TRUE(c->WaitUntil([&](ClientSession& s) { return TextAt(*s.Find("doc"), "text") == stored; }, kWaitMs));
  }
  EXPECT_GT(stored.size(), 20u);
}

TEST(Transport, EpochChangeDetectedAfterServerReset) {
  TempDir dir;
  TestServer srv;
  srv.db = dir.file("a.db");
  srv.Start();
  std::atomic<int> epoch_changes{0};
  LwsClientOptions o;
  o.on_event = [&](const ClientEvent& e) {
    if (e.type == ClientEvent::Type::kEpochChanged) ++epoch_changes;
  };
  auto c = StartClient(srv.url(), o);
  ASSERT_TRUE(c->Open("doc").ok());
  ASSERT_TRUE(c->Edit("doc", [](Document& d) { return InsertTextAt(d, "text", 0, "precious"); }).ok());
  ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.unacked_total() == 0; }, kWaitMs));
  // Reconnect once so the client learns the stored epoch.
  srv.Stop();
  srv.Start();
  ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.synced("doc"); }, kWaitMs));
  EXPECT_EQ(epoch_changes.load(), 0);
  // The server comes back with an empty database.
  srv.Stop();
  srv.db = dir.file("b.db");
  srv.Start();
  ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.synced("doc"); }, kWaitMs));
  ASSERT_TRUE(c->WaitUntil([&](ClientSession&) { return epoch_changes.load() == 1; }, kWaitMs));
  // The client's state is restored to the new server, not duplicated.
  for (int i = 0; i < 200 && srv.StoredText("doc") != "precious"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(srv.StoredText("doc"), "precious");
}

}  // namespace
}  // namespace tandem::net::testing
