// tandem_store_crash_child: the process crash_recovery_test kills.
//
//   tandem_store_crash_child DB MODE RUN THREADS REPORT_FD
//
// Appends from THREADS threads as fast as group commit allows and, from each
// durable-completion callback, writes one line to REPORT_FD:
//   MODE=bytes:  "<doc> <seq> <payload>"     (opaque payloads, ConcatMerge)
//   MODE=text:   "<doc> <peer> <next>"       (real core updates; after a
//                reload the doc's version vector must reach <next> for <peer>)
// Compaction runs with a small threshold so kills land inside it too.
// Never exits by itself: the parent kills it with SIGKILL.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/log_store.h"
#include "store_test_util.h"
#include "core/text.h"
#include "store/doc_loader.h"

using namespace tandem::store;

namespace {

int g_report_fd = -1;

void Report(const std::string& line) {
  std::string l = line + "\n";
  // One write per line (< PIPE_BUF): lines never interleave.
  ssize_t n = ::write(g_report_fd, l.data(), l.size());
  if (n != static_cast<ssize_t>(l.size())) std::_Exit(3);
}

// Keeps at most `max` appends of one thread in flight.
struct Throttle {
  std::atomic<int> in_flight{0};
  void Acquire(int max) {
    while (in_flight.load() >= max) std::this_thread::sleep_for(std::chrono::microseconds(50));
    ++in_flight;
  }
  void Release() { --in_flight; }
};

std::string DocFor(int thread, uint64_t i) { return "doc" + std::to_string((thread + i) % 3); }

void BytesThread(LogStore* store, int run, int thread) {
  Throttle throttle;
  for (uint64_t i = 0;; ++i) {
    std::string doc = DocFor(thread, i / 7);
    std::string payload =
        "r" + std::to_string(run) + "t" + std::to_string(thread) + "i" + std::to_string(i);
    throttle.Acquire(32);
    StoreStatus st = store->Append(doc, payload, [&throttle, doc, payload](const StoreStatus& s,
                                                                           uint64_t seq) {
      if (s.ok()) Report(doc + " " + std::to_string(seq) + " " + payload);
      throttle.Release();
    });
    if (!st.ok()) std::_Exit(4);
  }
}

void TextThread(LogStore* store, int run, int thread) {
  Throttle throttle;
  tandem::PeerId peer = (static_cast<uint64_t>(run) << 8 | static_cast<uint64_t>(thread)) + 1;
  // One replica per document this thread types into; each sees only its
  // own edits, which is all a peer's updates depend on.
  std::vector<std::unique_ptr<tandem::Text>> texts;
  for (int d = 0; d < 3; ++d) texts.push_back(std::make_unique<tandem::Text>(peer));
  for (uint64_t i = 0;; ++i) {
    int d = static_cast<int>((thread + i / 7) % 3);
    tandem::Text& t = *texts[d];
    std::string update;
    if (!t.BeginTransaction().ok()) std::_Exit(5);
    uint64_t len = t.length();
    if (i % 5 == 4 && len > 0) {
      if (!t.Delete(len - 1, 1).ok()) std::_Exit(5);
    } else {
      if (!t.Insert(len, std::string(1, static_cast<char>('a' + i % 26))).ok()) std::_Exit(5);
    }
    if (!t.CommitTransaction(&update).ok()) std::_Exit(5);
    std::string doc = "doc" + std::to_string(d);
    uint64_t next = t.version().get(peer);
    throttle.Acquire(32);
    StoreStatus st = store->Append(doc, std::move(update),
                                   [&throttle, doc, peer, next](const StoreStatus& s, uint64_t) {
      if (s.ok()) Report(doc + " " + std::to_string(peer) + " " + std::to_string(next));
      throttle.Release();
    });
    if (!st.ok()) std::_Exit(4);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s DB bytes|text RUN THREADS REPORT_FD\n", argv[0]);
    return 2;
  }
  std::string path = argv[1];
  std::string mode = argv[2];
  int run = std::atoi(argv[3]);
  int threads = std::atoi(argv[4]);
  g_report_fd = std::atoi(argv[5]);

  StoreOptions options;
  options.compact_after_rows = 64;
  std::unique_ptr<LogStore> store;
  StoreStatus st;
  if (mode == "bytes") {
    options.merge = tandem::store::testing::ConcatMerge;
    st = LogStore::Open(path, options, &store);
  } else if (mode == "text") {
    st = OpenTextStore(path, options, &store);
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "open: %s\n", st.ToString().c_str());
    return 1;
  }
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      if (mode == "text") return TextThread(store.get(), run, t);
      BytesThread(store.get(), run, t);
    });
  }
  for (auto& w : workers) w.join();  // never returns: killed first
  return 0;
}
