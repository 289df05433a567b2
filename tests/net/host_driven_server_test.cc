// A host-driven LwsServer (own_thread = false): the test thread is the
// service thread and runs the loop with Service(), the way a host's poll()
// loop would. What can go wrong: clients never converge because nothing
// runs between Service() calls, the fd stays quiet although there is work
// (traffic, a call from another thread), a call from the service thread
// waits for itself, Stop from either thread hangs or leaks with clients
// connected, and misuse (wrong thread, wrong mode) is not refused. Also the
// multi-frame WRITEABLE loop with a tiny socket send buffer (partial writes).
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "net_test_util.h"

namespace tandem::net::testing {
namespace {

constexpr int kWaitMs = 20000;
using Result = LwsServer::ServiceResult;

uint64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

void MakeHostDriven(TestServer& srv, const TempDir& dir) {
  srv.db = dir.file("server.db");
  srv.options.own_thread = false;
}

bool FdReadable(const LwsServer& s, int wait_ms) {
  pollfd p{s.fd(), POLLIN, 0};
  return ::poll(&p, 1, wait_ms) == 1;
}

// One iteration of a host loop: wait on the fd at most as long as the
// server allows (capped), then service without blocking.
Result ServeOnce(LwsServer& s, int cap_ms = 10) {
  int ms = -1;
  Result r = s.TimeoutMs(&ms);
  if (r != Result::kOk) return r;
  pollfd p{s.fd(), POLLIN, 0};
  ::poll(&p, 1, ms < 0 || ms > cap_ms ? cap_ms : ms);
  return s.Service(0);
}

// Serves until `done()` (checked between services) or kWaitMs.
template <typename Pred>
bool ServeUntil(LwsServer& s, Pred done) {
  uint64_t deadline = NowMs() + kWaitMs;
  while (NowMs() < deadline) {
    if (ServeOnce(s) != Result::kOk) return false;
    if (done()) return true;
  }
  return false;
}

bool BothRead(LwsClient& a, LwsClient& b, const std::string& doc, const std::string& want) {
  return TextOf(a, doc) == want && TextOf(b, doc) == want;
}

void TypeAt(LwsClient& c, const std::string& doc, uint64_t pos, const std::string& s) {
  ASSERT_TRUE(c.Edit(doc, [&](Document& d) { return InsertTextAt(d, "text", pos, s); }).ok());
}

TEST(HostDrivenServer, ClientsConvergeOnlyWhileServiced) {
  TempDir dir;
  TestServer srv;
  MakeHostDriven(srv, dir);
  srv.Start();
  auto a = StartClient(srv.url());
  auto b = StartClient(srv.url());
  ASSERT_TRUE(a->Open("notes").ok());
  ASSERT_TRUE(b->Open("notes").ok());
  TypeAt(*a, "notes", 0, "hello");
  // Not serviced: the clients cannot even complete their handshake.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(TextOf(*b, "notes"), "");
  ASSERT_TRUE(ServeUntil(*srv.server, [&] { return BothRead(*a, *b, "notes", "hello"); }));
  TypeAt(*b, "notes", 5, " world");
  ASSERT_TRUE(ServeUntil(*srv.server, [&] { return BothRead(*a, *b, "notes", "hello world"); }));
  // Calls on the service thread run inline (they would deadlock if posted).
  ServerStats st = srv.server->stats();
  EXPECT_EQ(st.connections, 2u);
  EXPECT_EQ(st.updates_applied, 2u);
  EXPECT_NE(srv.server->MetricsText().find("tandem_"), std::string::npos);
  a.reset();
  b.reset();
  srv.Stop();
}

TEST(HostDrivenServer, FdTurnsReadableOnTrafficAndOnCrossThreadCall) {
  TempDir dir;
  TestServer srv;
  MakeHostDriven(srv, dir);
  srv.Start();
  LwsServer& s = *srv.server;
  ASSERT_GE(s.fd(), 0);
  auto a = StartClient(srv.url());
  ASSERT_TRUE(a->Open("notes").ok());
  ASSERT_TRUE(ServeUntil(s, [&] { return a->WaitUntil([](ClientSession& cs) { return cs.all_synced(); }, 0); }));
  // Settle, then the fd is quiet and the timeout is a timer's, not 0.
  for (int i = 0; i < 30; ++i) ServeOnce(s, 2);
  int ms = 0;
  ASSERT_EQ(s.TimeoutMs(&ms), Result::kOk);
  EXPECT_NE(ms, 0);
  EXPECT_FALSE(FdReadable(s, 0));

  // Traffic: an edit makes the fd readable without any service call.
  TypeAt(*a, "notes", 0, "x");
  EXPECT_TRUE(FdReadable(s, kWaitMs));
  ASSERT_TRUE(ServeUntil(s, [&] {
    return a->WaitUntil([](ClientSession& cs) { return cs.unacked_total() == 0; }, 0);
  }));
  for (int i = 0; i < 30; ++i) ServeOnce(s, 2);
  EXPECT_FALSE(FdReadable(s, 0));

  // A call from another thread: readable, and it completes only once the
  // service thread services.
  std::atomic<bool> done{false};
  ServerStats seen;
  std::thread other([&] {
    seen = s.stats();
    done = true;
  });
  EXPECT_TRUE(FdReadable(s, kWaitMs));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(done.load());
  ASSERT_TRUE(ServeUntil(s, [&] { return done.load(); }));
  other.join();
  EXPECT_EQ(seen.updates_applied, 1u);
  a.reset();
  srv.Stop();
}

TEST(HostDrivenServer, StopFromTheServiceThreadWithClientsConnected) {
  TempDir dir;
  TestServer srv;
  MakeHostDriven(srv, dir);
  srv.Start();
  auto a = StartClient(srv.url());
  auto b = StartClient(srv.url());
  ASSERT_TRUE(a->Open("notes").ok());
  ASSERT_TRUE(b->Open("notes").ok());
  TypeAt(*a, "notes", 0, "kept");
  ASSERT_TRUE(ServeUntil(*srv.server, [&] { return BothRead(*a, *b, "notes", "kept"); }));
  uint64_t t0 = NowMs();
  srv.server->Stop();  // drives the loop itself: closes peers, flushes the store
  EXPECT_LT(NowMs() - t0, 6000u);
  EXPECT_EQ(srv.server->Service(0), Result::kStopped);
  int ms;
  EXPECT_EQ(srv.server->TimeoutMs(&ms), Result::kStopped);
  EXPECT_FALSE(srv.server->Call([](ServerCore&) {}));
  srv.server->Stop();  // idempotent
  EXPECT_EQ(srv.StoredText("notes"), "kept");
  a.reset();
  b.reset();
}

TEST(HostDrivenServer, StopFromAnotherThreadCompletesInsideService) {
  TempDir dir;
  TestServer srv;
  MakeHostDriven(srv, dir);
  srv.Start();
  auto a = StartClient(srv.url());
  ASSERT_TRUE(a->Open("notes").ok());
  TypeAt(*a, "notes", 0, "durable");
  ASSERT_TRUE(ServeUntil(*srv.server, [&] {
    return a->WaitUntil([](ClientSession& cs) { return cs.unacked_total() == 0; }, 0);
  }));
  std::atomic<bool> stopped{false};
  std::thread other([&] {
    srv.server->Stop();
    stopped = true;
  });
  Result r = Result::kOk;
  uint64_t deadline = NowMs() + kWaitMs;
  while (r == Result::kOk && NowMs() < deadline) r = ServeOnce(*srv.server);
  EXPECT_EQ(r, Result::kStopped);
  other.join();
  EXPECT_TRUE(stopped.load());
  EXPECT_EQ(srv.StoredText("notes"), "durable");
  a.reset();
}

TEST(HostDrivenServer, WrongThreadAndWrongModeAreRefused) {
  TempDir dir;
  TestServer host;
  MakeHostDriven(host, dir);
  host.Start();
  Result service = Result::kOk, timeout = Result::kOk;
  std::thread other([&] {
    int ms;
    service = host.server->Service(0);
    timeout = host.server->TimeoutMs(&ms);
  });
  other.join();
  EXPECT_EQ(service, Result::kWrongThread);
  EXPECT_EQ(timeout, Result::kWrongThread);
  host.Stop();

  TestServer own;
  own.db = dir.file("own.db");
  own.Start();
  int ms;
  EXPECT_EQ(own.server->Service(0), Result::kWrongMode);
  EXPECT_EQ(own.server->TimeoutMs(&ms), Result::kWrongMode);
  EXPECT_EQ(own.server->fd(), -1);
}

// Many queued frames per peer with a 4 KiB socket send buffer: the
// WRITEABLE handler writes until the pipe chokes, lws buffers the partial
// write, and everything still arrives in order.
TEST(HostDrivenServer, BurstThroughATinySendBufferArrivesWhole) {
  TempDir dir;
  for (bool own_thread : {true, false}) {
    TestServer srv;
    srv.db = dir.file(own_thread ? "own.db" : "host.db");
    srv.options.own_thread = own_thread;
    srv.options.socket_send_buffer = 4096;
    srv.Start();
    auto writer = StartClient(srv.url());
    auto reader = StartClient(srv.url());
    ASSERT_TRUE(writer->Open("burst").ok());
    ASSERT_TRUE(reader->Open("burst").ok());
    std::string want;
    for (int i = 0; i < 300; ++i) {
      std::string word = "w" + std::to_string(i) + std::string(40, 'x') + " ";
      TypeAt(*writer, "burst", want.size(), word);
      want += word;
    }
    auto arrived = [&] { return TextOf(*reader, "burst") == want; };
    if (own_thread) {
      ASSERT_TRUE(reader->WaitUntil(
          [&](ClientSession& s) { return s.Find("burst") && TextAt(*s.Find("burst"), "text") == want; },
          kWaitMs));
    } else {
      ASSERT_TRUE(ServeUntil(*srv.server, arrived));
    }
    writer.reset();
    reader.reset();
    srv.Stop();
  }
}

}  // namespace
}  // namespace tandem::net::testing
