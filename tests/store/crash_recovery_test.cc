// kill -9 at random instants: no reported (durable) update is ever lost and
// every document still loads.
//
// The child (crash_child.cc) appends from several threads and writes a line
// to a pipe from each durable-completion callback. The parent kills it with
// SIGKILL after a random delay, reopens the file, and checks every reported
// update. Kill points: 30 per mode by default; set TANDEM_CRASH_KILLS=N for
// more.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "store/log_store.h"
#include "store_test_util.h"
#include "store/doc_loader.h"

namespace tandem::store {
namespace {

using testing::TempDir;

int KillPoints() {
  const char* env = std::getenv("TANDEM_CRASH_KILLS");
  int n = env ? std::atoi(env) : 0;
  return n > 0 ? n : 30;
}

// Runs the child for `delay_ms`, SIGKILLs it, returns every line it reported.
std::vector<std::string> RunAndKill(const std::string& db, const char* mode, int run,
                                    int delay_ms) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string run_s = std::to_string(run), fd_s = std::to_string(fds[1]);
    ::execl(TANDEM_CRASH_CHILD, TANDEM_CRASH_CHILD, db.c_str(), mode, run_s.c_str(), "3",
            fd_s.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  EXPECT_GT(pid, 0);
  ::close(fds[1]);
  std::string buf;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  char chunk[65536];
  bool eof = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 || eof) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) > 0) {
      ssize_t n = ::read(fds[0], chunk, sizeof chunk);
      if (n <= 0) eof = true; else buf.append(chunk, static_cast<size_t>(n));
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // Lines written before death are still in the pipe: they count too.
  ssize_t n;
  while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0) buf.append(chunk, static_cast<size_t>(n));
  ::close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child exited by itself (status " << status << ") in run " << run;
  std::vector<std::string> lines;
  std::istringstream in(buf);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

int RandomDelay(std::mt19937& rng) { return 20 + static_cast<int>(rng() % 280); }

TEST(CrashRecoveryTest, KillNineLosesNoReportedUpdateBytes) {
  TempDir dir;
  std::string db = dir.file("crash.db");
  std::mt19937 rng(std::random_device{}());
  std::map<std::string, std::map<uint64_t, std::string>> reported;  // doc -> seq -> payload
  size_t total = 0;
  for (int run = 0; run < KillPoints(); ++run) {
    for (const std::string& line : RunAndKill(db, "bytes", run, RandomDelay(rng))) {
      std::istringstream in(line);
      std::string doc, payload;
      uint64_t seq = 0;
      in >> doc >> seq >> payload;
      ASSERT_FALSE(payload.empty()) << line;
      reported[doc][seq] = payload;
      ++total;
    }
    SCOPED_TRACE("after kill " + std::to_string(run));
    std::unique_ptr<LogStore> store;
    StoreStatus st = LogStore::Open(db, testing::ConcatOptions(), &store);
    ASSERT_TRUE(st.ok()) << st.ToString();
    std::vector<std::string> names;
    ASSERT_TRUE(store->ListDocs(&names).ok());
    for (const std::string& name : names) {
      DocRecord rec;
      st = store->ReadDoc(name, &rec);
      ASSERT_TRUE(st.ok()) << st.ToString();
      std::string flat = testing::Flatten(rec);
      std::set<std::string> present;
      std::istringstream parts(flat);
      std::string part;
      while (std::getline(parts, part, '|')) present.insert(part);
      for (const auto& [seq, payload] : reported[name]) {
        ASSERT_TRUE(present.count(payload)) << name << " lost reported seq " << seq << " "
                                            << payload;
      }
    }
    for (const auto& [doc, rows] : reported) {
      if (!rows.empty()) {
        ASSERT_TRUE(std::find(names.begin(), names.end(), doc) != names.end()) << doc;
      }
    }
  }
  EXPECT_GT(total, 0u) << "the child never reported a durable update";
  std::printf("[ crash bytes ] %d kill points, %zu durable updates verified\n", KillPoints(), total);
}

TEST(CrashRecoveryTest, KillNineLosesNoReportedUpdateText) {
  TempDir dir;
  std::string db = dir.file("crash-text.db");
  std::mt19937 rng(std::random_device{}());
  std::map<std::string, std::map<uint64_t, uint64_t>> reported;  // doc -> peer -> next counter
  size_t total = 0;
  for (int run = 0; run < KillPoints(); ++run) {
    for (const std::string& line : RunAndKill(db, "text", run, RandomDelay(rng))) {
      std::istringstream in(line);
      std::string doc;
      uint64_t peer = 0, next = 0;
      in >> doc >> peer >> next;
      ASSERT_GT(next, 0u) << line;
      uint64_t& slot = reported[doc][peer];
      slot = std::max(slot, next);
      ++total;
    }
    SCOPED_TRACE("after kill " + std::to_string(run));
    std::unique_ptr<LogStore> store;
    StoreStatus st = OpenTextStore(db, {}, &store);
    ASSERT_TRUE(st.ok()) << st.ToString();
    std::vector<std::string> names;
    ASSERT_TRUE(store->ListDocs(&names).ok());
    for (const std::string& name : names) {
      std::unique_ptr<Text> text;
      st = LoadText(*store, name, 1, &text);
      ASSERT_TRUE(st.ok()) << st.ToString();
      ASSERT_TRUE(text->CheckInvariants().ok());
      for (const auto& [peer, next] : reported[name]) {
        ASSERT_GE(text->version().get(peer), next) << name << " lost updates of peer " << peer;
      }
    }
    for (const auto& [doc, peers] : reported) {
      ASSERT_TRUE(std::find(names.begin(), names.end(), doc) != names.end()) << doc;
    }
  }
  EXPECT_GT(total, 0u) << "the child never reported a durable update";
  std::printf("[ crash text  ] %d kill points, %zu durable updates verified\n", KillPoints(), total);
}

}  // namespace
}  // namespace tandem::store
