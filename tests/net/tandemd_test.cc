// tandemd as a process (spawned, "listening on", SIGTERM, kill -9 and
// restart) and its HMAC tokens.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "net/token.h"
#include "net_test_util.h"

namespace tandem::net::testing {
namespace {

constexpr int kWaitMs = 20000;

TEST(Token, MintVerifyScopeExpiryTamper) {
  TokenClaims c{"team/*", Permission::kRead, 2000};
  std::string token;
  ASSERT_TRUE(MintToken("s3cret", c, &token).ok());
  TokenClaims out;
  ASSERT_TRUE(VerifyToken("s3cret", token, 1000, &out).ok());
  EXPECT_EQ(out.doc_pattern, "team/*");
  EXPECT_EQ(out.permission, Permission::kRead);
  EXPECT_FALSE(VerifyToken("other", token, 1000, &out).ok());
  EXPECT_FALSE(VerifyToken("s3cret", token, 2000, &out).ok()) << "expired";
  std::string tampered = token;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyToken("s3cret", tampered, 1000, &out).ok());
  EXPECT_FALSE(VerifyToken("s3cret", "garbage", 1000, &out).ok());
  EXPECT_FALSE(VerifyToken("s3cret", "v1..", 1000, &out).ok());
  TokenAuth auth("s3cret", [] { return int64_t{1000}; });
  EXPECT_EQ(auth.Check(token, ""), Permission::kRead);
  EXPECT_EQ(auth.Check(token, "team/plan"), Permission::kRead);
  EXPECT_EQ(auth.Check(token, "private"), Permission::kNone);
  auth.Revoke(token);
  EXPECT_EQ(auth.Check(token, "team/plan"), Permission::kNone);
}

#ifdef TANDEMD_PATH
// A tandemd child process; stdout is read until "listening on".
struct Daemon {
  pid_t pid = -1;
  int port = 0;
  std::string line;

  bool Start(std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid = fork();
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(TANDEMD_PATH));
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(TANDEMD_PATH, argv.data());
      _exit(127);
    }
    close(fds[1]);
    FILE* f = fdopen(fds[0], "r");
    char buf[256];
    bool ok = fgets(buf, sizeof buf, f) != nullptr;
    fclose(f);
    if (!ok) return false;
    line = buf;
    size_t colon = line.rfind(':');
    port = std::atoi(line.c_str() + colon + 1);
    return line.rfind("listening on 127.0.0.1:", 0) == 0 && port > 0;
  }
  int Signal(int sig) {
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
  ~Daemon() {
    if (pid > 0) Signal(SIGKILL);
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port) + "/sync"; }
};

TEST(Tandemd, ListensServesAndStopsOnSigterm) {
  TempDir dir;
  Daemon d;
  ASSERT_TRUE(d.Start({"--listen", "127.0.0.1:0", "--db", dir.file("t.db"), "--log-level", "error"}))
      << d.line;
  EXPECT_NE(HttpGet(d.port, "/healthz").find("ok"), std::string::npos);
  QuietLws();
  auto c = StartClient(d.url());
  ASSERT_TRUE(c->Open("doc").ok());
  ASSERT_TRUE(c->Edit("doc", [](Document& x) { return InsertTextAt(x, "text", 0, "daemon"); }).ok());
  ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.unacked_total() == 0; }, kWaitMs));
  int status = d.Signal(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto store = OpenStore(dir.file("t.db"));
  std::unique_ptr<Document> doc;
  ASSERT_TRUE(LoadDocument(*store, "doc", 1, &doc).ok());
  EXPECT_EQ(TextAt(*doc, "text"), "daemon");
}

TEST(Tandemd, KillNineMidTrafficLosesNoAckedUpdate) {
  TempDir dir;
  auto d = std::make_unique<Daemon>();
  // Commits spaced 2 ms apart, store threads at the lowest priority: an
  // ack still means durable.
  ASSERT_TRUE(d->Start({"--listen", "127.0.0.1:0", "--db", dir.file("k.db"), "--log-level", "error",
                        "--commit-interval-us", "2000", "--store-nice", "19"}));
  int port = d->port;
  QuietLws();
  // Each client records what the server acked: its text at the last ack.
  std::vector<std::unique_ptr<LwsClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(StartClient(d->url()));
    ASSERT_TRUE(clients[i]->Open("doc").ok());
    ASSERT_TRUE(clients[i]->WaitUntil([](ClientSession& s) { return s.synced("doc"); }, kWaitMs));
  }
  std::vector<std::string> acked_marks;
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 3; ++i) {
      std::string mark = "<" + std::to_string(i) + "." + std::to_string(round) + ">";
      clients[i]->Edit("doc", [&](Document& x) { return InsertTextAt(x, "text", TextLengthAt(x, "text"), mark); });
      if (round < 20) acked_marks.push_back(mark);
    }
    if (round == 19) {
      for (auto& c : clients) {
        ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.unacked_total() == 0; }, kWaitMs));
      }
    }
  }
  d->Signal(SIGKILL);  // mid-traffic: rounds 20.. may or may not be stored
  d.reset();
  Daemon again;
  ASSERT_TRUE(again.Start({"--listen", "127.0.0.1:" + std::to_string(port), "--db", dir.file("k.db"),
                           "--log-level", "error"}));
  for (auto& c : clients) {
    ASSERT_TRUE(c->WaitUntil([](ClientSession& s) { return s.synced("doc") && s.unacked_total() == 0; }, kWaitMs));
  }
  // Every client's last marks were resent after the restart; wait until each
  // client holds all of them (the others' arrive by fan-out, after the acks).
  for (auto& c : clients) {
    ASSERT_TRUE(c->WaitUntil(
        [](ClientSession& s) {
          std::string t = TextAt(*s.Find("doc"), "text");
          return t.find("<0.29>") != std::string::npos && t.find("<1.29>") != std::string::npos &&
                 t.find("<2.29>") != std::string::npos;
        },
        kWaitMs));
  }
  std::string text = TextOf(*clients[0], "doc");
  for (const auto& m : acked_marks) EXPECT_NE(text.find(m), std::string::npos) << m;
  for (auto& c : clients) {
    ASSERT_TRUE(c->WaitUntil([&](ClientSession& s) { return TextAt(*s.Find("doc"), "text") == text; }, kWaitMs));
  }
}

TEST(Tandemd, RefusesBadArguments) {
  TempDir dir;
  for (std::vector<std::string> bad : {std::vector<std::string>{"--commit-interval-us", "-1"},
                                       {"--commit-interval-us", "2ms"},
                                       {"--commit-interval-us", "5000000"},
                                       {"--commit-interval-us"},
                                       {"--store-nice", "20"},
                                       {"--store-nice", "-1"},
                                       {"--no-such-flag"}}) {
    Daemon d;
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--db", dir.file("b.db")};
    args.insert(args.end(), bad.begin(), bad.end());
    EXPECT_FALSE(d.Start(args)) << bad[0];
  }
}

TEST(Tandemd, TokensFromSecretFile) {
  TempDir dir;
  std::ofstream(dir.file("secret")) << "topsecret\n";
  Daemon d;
  ASSERT_TRUE(d.Start({"--listen", "127.0.0.1:0", "--db", dir.file("a.db"), "--auth-secret",
                       dir.file("secret"), "--log-level", "error"}));
  QuietLws();
  int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count() + 600;
  std::string writer_token, reader_token, wrong_token;
  ASSERT_TRUE(MintToken("topsecret", {"team/*", Permission::kWrite, exp}, &writer_token).ok());
  ASSERT_TRUE(MintToken("topsecret", {"*", Permission::kRead, exp}, &reader_token).ok());
  ASSERT_TRUE(MintToken("not-the-secret", {"*", Permission::kWrite, exp}, &wrong_token).ok());
  LwsClientOptions wo;
  wo.token = writer_token;
  auto w = StartClient(d.url(), wo);
  ASSERT_TRUE(w->Open("team/plan").ok());
  ASSERT_TRUE(w->Open("private").ok());
  ASSERT_TRUE(w->WaitUntil([](ClientSession& s) { return s.synced("team/plan"); }, kWaitMs));
  ASSERT_TRUE(w->Edit("team/plan", [](Document& x) { return InsertTextAt(x, "text", 0, "plan"); }).ok());
  ASSERT_TRUE(w->WaitUntil([](ClientSession& s) { return s.unacked("team/plan") == 0; }, kWaitMs));
  bool private_synced = true;
  w->Call([&](ClientSession& s) { private_synced = s.synced("private"); });
  EXPECT_FALSE(private_synced);
  LwsClientOptions ro;
  ro.token = reader_token;
  auto r = StartClient(d.url(), ro);
  ASSERT_TRUE(r->Open("team/plan").ok());
  ASSERT_TRUE(r->WaitUntil([](ClientSession& s) { return TextAt(*s.Find("team/plan"), "text") == "plan"; }, kWaitMs));
  EXPECT_EQ(r->status(), ConnectionStatus::kSynced);
  Permission p = Permission::kNone;
  r->Call([&](ClientSession& s) { p = s.permission("team/plan"); });
  EXPECT_EQ(p, Permission::kRead);
  LwsClientOptions bo;
  bo.token = wrong_token;
  auto b = StartClient(d.url(), bo);
  ASSERT_TRUE(b->Open("team/plan").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_NE(b->status(), ConnectionStatus::kSynced);
}
#endif

}  // namespace
}  // namespace tandem::net::testing
