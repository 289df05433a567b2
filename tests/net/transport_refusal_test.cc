// The real server refusing things over real sockets: read-only peers, bad
// tokens, runtime revoke, slow consumers, limits; plus /healthz, /metrics
// and loopback-only binding.
#include <gtest/gtest.h>
#include <ifaddrs.h>

#include <atomic>
#include <random>
#include <mutex>
#include <set>

#include "net/protocol.h"
#include "net_test_util.h"

namespace tandem::net::testing {
namespace {

constexpr int kWaitMs = 20000;

struct Revocable {
  std::mutex mu;
  std::set<std::string> revoked;
  AuthHook Hook() {
    return [this](std::string_view token, std::string_view) {
      std::lock_guard<std::mutex> lk(mu);
      if (token == "bad" || revoked.count(std::string(token))) return Permission::kNone;
      return token == "reader" ? Permission::kRead : Permission::kWrite;
    };
  }
};

TEST(TransportRefusal, ReadOnlyBadTokenAndRevoke) {
  TempDir dir;
  Revocable auth;
  TestServer srv;
  srv.db = dir.file("s.db");
  srv.options.server.auth = auth.Hook();
  srv.Start();
  LwsClientOptions wo;
  wo.token = "writer";
  auto writer = StartClient(srv.url(), wo);
  LwsClientOptions ro;
  ro.token = "reader";
  std::atomic<int> reader_errors{0};
  ro.on_event = [&](const ClientEvent& e) {
    if (e.type == ClientEvent::Type::kError && e.code == uint32_t(ErrorCode::kForbidden)) ++reader_errors;
  };
  auto reader = StartClient(srv.url(), ro);
  ASSERT_TRUE(writer->Open("d").ok());
  ASSERT_TRUE(reader->Open("d").ok());
  ASSERT_TRUE(writer->Edit("d", [](Document& d) { return InsertTextAt(d, "text", 0, "w"); }).ok());
  ASSERT_TRUE(reader->WaitUntil([](ClientSession& s) { return TextAt(*s.Find("d"), "text") == "w"; }, kWaitMs));
  EXPECT_EQ(reader->status(), ConnectionStatus::kSynced);
  // A read-only client keeps its edit local: never sent, never stored.
  ASSERT_TRUE(reader->Edit("d", [](Document& d) { return InsertTextAt(d, "text", 0, "R"); }).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(srv.StoredText("d"), "w");

  std::atomic<uint32_t> bad_close{0};
  LwsClientOptions bo;
  bo.token = "bad";
  bo.on_event = [&](const ClientEvent& e) {
    if (e.type == ClientEvent::Type::kError) bad_close = e.code;
  };
  auto bad = StartClient(srv.url(), bo);
  ASSERT_TRUE(bad->Open("d").ok());
  ASSERT_TRUE(bad->WaitUntil([&](ClientSession&) { return bad_close.load() == uint32_t(ErrorCode::kUnauthorized); }, kWaitMs));
  EXPECT_NE(bad->status(), ConnectionStatus::kSynced);
  bad.reset();

  {
    std::lock_guard<std::mutex> lk(auth.mu);
    auth.revoked.insert("writer");
  }
  srv.server->Reauthorize();
  ASSERT_TRUE(writer->WaitUntil([](ClientSession& s) { return !s.synced("d"); }, kWaitMs));
  ASSERT_TRUE(writer->Edit("d", [](Document& d) { return InsertTextAt(d, "text", 0, "after revoke "); }).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(srv.StoredText("d"), "w");
  EXPECT_NE(writer->status(), ConnectionStatus::kSynced);
}

TEST(TransportRefusal, SlowConsumerDisconnectedWithoutStallingOthers) {
  TempDir dir;
  TestServer srv;
  srv.db = dir.file("s.db");
  srv.options.server.limits.max_outbound_bytes = 256 << 10;
  srv.options.socket_send_buffer = 64 << 10;
  srv.options.server.limits.max_updates_per_second = 100000;
  srv.options.server.limits.update_burst = 100000;
  srv.Start();
  auto writer = StartClient(srv.url());
  auto fast = StartClient(srv.url());
  auto slow = StartClient(srv.url());
  for (auto* c : {&writer, &fast, &slow}) ASSERT_TRUE((*c)->Open("room").ok());
  for (auto* c : {&writer, &fast, &slow}) {
    ASSERT_TRUE((*c)->WaitUntil([](ClientSession& s) { return s.all_synced(); }, kWaitMs));
  }
  slow->SetReceivePaused(true);
  // Incompressible enough that permessage-deflate cannot hide the volume:
  // well past the (reduced) socket buffers plus the outbound bound.
  std::mt19937 rng(7);
  const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 300; ++i) {
    std::string chunk(12000, ' ');
    for (auto& ch : chunk) ch = kAlphabet[rng() % 62];
    writer->Edit("room", [&](Document& d) { return InsertTextAt(d, "text", TextLengthAt(d, "text"), chunk); });
  }
  ASSERT_TRUE(writer->WaitUntil([](ClientSession& s) { return s.unacked_total() == 0; }, kWaitMs));
  uint64_t len = 0;
  writer->Call([&](ClientSession& s) { len = TextLengthAt(*s.Find("room"), "text"); });
  ASSERT_TRUE(fast->WaitUntil([&](ClientSession& s) { return TextLengthAt(*s.Find("room"), "text") == len; }, kWaitMs));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 10.0) << "the fast reader was held up";
  for (int i = 0; i < 500 && srv.server->stats().slow_consumers == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(srv.server->stats().slow_consumers, 1u);
  // Once it reads again it reconnects and resyncs.
  slow->SetReceivePaused(false);
  ASSERT_TRUE(slow->WaitUntil([&](ClientSession& s) { return s.synced("room") && TextLengthAt(*s.Find("room"), "text") == len; }, kWaitMs));
}

TEST(TransportRefusal, LimitsFrameSizeAndConnections) {
  TempDir dir;
  TestServer srv;
  srv.db = dir.file("s.db");
  srv.options.server.limits.max_frame_bytes = 16 << 10;
  srv.options.server.limits.max_awareness_bytes = 1 << 20;
  srv.options.server.limits.max_connections = 2;
  srv.Start();
  auto a = StartClient(srv.url());
  auto b = StartClient(srv.url());
  ASSERT_TRUE(a->Open("d").ok());
  ASSERT_TRUE(b->Open("d").ok());
  ASSERT_TRUE(a->WaitUntil([](ClientSession& s) { return s.all_synced(); }, kWaitMs));
  ASSERT_TRUE(b->WaitUntil([](ClientSession& s) { return s.all_synced(); }, kWaitMs));
  // A third connection is refused while two are open.
  auto c = StartClient(srv.url());
  ASSERT_TRUE(c->Open("d").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_NE(c->status(), ConnectionStatus::kSynced);
  EXPECT_EQ(srv.server->stats().connections, 2u);
  c.reset();
  // Large updates are cut to the server's frame limit by the client...
  std::string big(100 << 10, 'q');
  ASSERT_TRUE(a->Edit("d", [&](Document& d) { return InsertTextAt(d, "text", 0, big); }).ok());
  ASSERT_TRUE(b->WaitUntil([&](ClientSession& s) { return TextLengthAt(*s.Find("d"), "text") == big.size(); }, kWaitMs));
  // ...but one oversized message closes only its sender.
  uint64_t errors_before = srv.server->stats().protocol_errors;
  a->SetAwareness("d", std::string(64 << 10, 'x'));
  for (int i = 0; i < 500 && srv.server->stats().protocol_errors == errors_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(srv.server->stats().protocol_errors, errors_before);
  ASSERT_TRUE(b->Edit("d", [](Document& d) { return InsertTextAt(d, "text", 0, "still fine"); }).ok());
  ASSERT_TRUE(b->WaitUntil([](ClientSession& s) { return s.unacked_total() == 0; }, kWaitMs));
}

TEST(TransportHttp, HealthzMetricsAndLoopbackBinding) {
  TempDir dir;
  TestServer srv;
  srv.db = dir.file("s.db");
  srv.Start();
  auto c = StartClient(srv.url());
  ASSERT_TRUE(c->Open("d").ok());
  ASSERT_TRUE(c->Edit("d", [](Document& d) { return InsertTextAt(d, "text", 0, "m"); }).ok());
  ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.unacked_total() == 0; }, kWaitMs));
  std::string health = HttpGet(srv.port, "/healthz");
  EXPECT_NE(health.find("200"), std::string::npos) << health;
  EXPECT_NE(health.find("\r\n\r\nok"), std::string::npos) << health;
  std::string metrics = HttpGet(srv.port, "/metrics");
  EXPECT_NE(metrics.find("tandem_connections 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tandem_updates_applied_total 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("# TYPE tandem_store_latency_seconds_sum counter"), std::string::npos);
  // One append, acked: at least one group commit holds it (the server's own
  // bookkeeping may add more).
  const size_t commits = metrics.find("\ntandem_store_commits_total ");
  ASSERT_NE(commits, std::string::npos) << metrics;
  EXPECT_GE(std::stod(metrics.substr(commits + 28)), 1.0) << metrics;
  EXPECT_NE(HttpGet(srv.port, "/nope").find("404"), std::string::npos);
  // Bound to 127.0.0.1 only: another local address of this host refuses.
  ifaddrs* ifs = nullptr;
  ASSERT_EQ(getifaddrs(&ifs), 0);
  int tried = 0;
  for (ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    char addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, addr, sizeof addr);
    if (std::string(addr).rfind("127.", 0) == 0) continue;
    EXPECT_EQ(HttpGet(srv.port, "/healthz", addr), "") << "reachable on " << addr;
    ++tried;
  }
  freeifaddrs(ifs);
  if (tried == 0) GTEST_LOG_(INFO) << "no non-loopback IPv4 address to probe";
}

}  // namespace
}  // namespace tandem::net::testing
