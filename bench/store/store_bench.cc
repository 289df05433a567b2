// tandem-store-bench: measures the store the way the server uses it.
//
//   tandem-store-bench [--dir DIR] [--seconds S] [--load-updates N]
//
// Prints one JSON line per measurement on stdout (details on stderr):
//   {"bench":"append","sync":"FULL"|"NORMAL","batch":1|16|256,"updates_per_s":N}
//     durable appends through LogStore's group commit: the bench thread
//     submits `batch` updates with AppendBatch and waits for every
//     completion callback (= committed per the sync mode) before the next.
//     Each run lasts --seconds; its first quarter is warm-up, not counted.
//   {"bench":"sqlite-baseline","sync":...,"batch":...,"updates_per_s":N}
//     the same rows inserted by plain SQLite (same WAL mode and synchronous
//     setting, one prepared INSERT, one transaction per `batch` rows).
//   {"bench":"load","updates":100000,"compacted":false|true,"load_ms":N}
//     LoadText of a document made of N one-character updates, replaying the
//     whole log, then again after Compact (snapshot decode only).
// The updates are real core updates: a Text typing one character per
// transaction, captured with CommitTransaction(&update).
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "core/text.h"
#include "store/doc_loader.h"
#include "store/log_store.h"

using namespace tandem;
using namespace tandem::store;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void Die(const std::string& what, const StoreStatus& st) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), st.ToString().c_str());
  std::exit(1);
}

// `n` updates of a peer typing one character each (with a backspace now and
// then), as a real editor sends them.
std::vector<std::string> TypingUpdates(size_t n, PeerId peer) {
  Text t(peer);
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string update;
    if (!t.BeginTransaction().ok()) std::exit(1);
    if (i % 10 == 9 && t.length() > 0) {
      t.Delete(t.length() - 1, 1);
    } else {
      t.Insert(t.length(), std::string(1, static_cast<char>('a' + i % 26)));
    }
    if (!t.CommitTransaction(&update).ok()) std::exit(1);
    out.push_back(std::move(update));
  }
  return out;
}

const char* SyncName(SyncMode m) { return m == SyncMode::kFull ? "FULL" : "NORMAL"; }

constexpr int kDocs = 8;  // the updates are spread over a few documents

double BenchAppend(const std::string& path, SyncMode sync, int batch,
                   const std::vector<std::string>& updates, double seconds) {
  StoreOptions opts;
  opts.sync = sync;
  std::unique_ptr<LogStore> store;
  StoreStatus st = LogStore::Open(path, opts, &store);
  if (!st.ok()) Die("open", st);
  std::vector<std::string> doc_names;
  for (int d = 0; d < kDocs; ++d) doc_names.push_back("doc" + std::to_string(d));
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int> pending{0};
  std::atomic<bool> failed{false};
  auto on_done = [&](const StoreStatus& s, uint64_t) {
    if (!s.ok()) failed = true;
    if (pending.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_one();
    }
  };
  size_t next = 0, done = 0;
  // The next batch is built while the previous one commits, as a server
  // receives updates while the store thread is busy.
  auto build = [&] {
    std::vector<LogStore::AppendRequest> reqs;
    reqs.reserve(batch);
    for (int i = 0; i < batch; ++i, ++next) {
      reqs.push_back({doc_names[next % kDocs], updates[next % updates.size()], on_done, false});
    }
    return reqs;
  };
  std::vector<LogStore::AppendRequest> reqs = build();
  auto start = Clock::now();
  bool warming = true;  // the first quarter is unmeasured: the WAL reaches steady size
  while (Seconds(Clock::now() - start) < seconds) {
    if (warming && Seconds(Clock::now() - start) >= seconds / 4) {
      warming = false;
      start = Clock::now();
      done = 0;
    }
    pending = batch;
    st = store->AppendBatch(std::move(reqs));
    if (!st.ok()) Die("append", st);
    reqs = build();
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return pending.load() == 0; });
    done += batch;
  }
  double rate = done / Seconds(Clock::now() - start);
  if (failed) Die("append callback", StoreStatus::IoError("an append failed"));
  std::fprintf(stderr, "  append %s batch %d: %zu updates in %llu transactions\n", SyncName(sync),
               batch, done, static_cast<unsigned long long>(store->batches_committed()));
  store.reset();
  std::filesystem::remove(path);
  return rate;
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

double BenchBaseline(const std::string& path, SyncMode sync, int batch,
                     const std::vector<std::string>& updates, double seconds) {
  sqlite3* db = nullptr;
  Check(sqlite3_open(path.c_str(), &db), db, "open");
  Check(sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr), db, "wal");
  Check(sqlite3_exec(db, sync == SyncMode::kFull ? "PRAGMA synchronous=FULL"
                                                 : "PRAGMA synchronous=NORMAL",
                     nullptr, nullptr, nullptr), db, "sync");
  Check(sqlite3_exec(db, "CREATE TABLE log(doc_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
                         "data BLOB NOT NULL, PRIMARY KEY(doc_id, seq)) WITHOUT ROWID",
                     nullptr, nullptr, nullptr), db, "create");
  sqlite3_stmt* ins = nullptr;
  Check(sqlite3_prepare_v2(db, "INSERT INTO log VALUES(?1, ?2, ?3)", -1, &ins, nullptr), db, "prep");
  std::vector<int64_t> seqs(kDocs, 0);
  size_t next = 0, done = 0;
  auto start = Clock::now();
  bool warming = true;
  while (Seconds(Clock::now() - start) < seconds) {
    if (warming && Seconds(Clock::now() - start) >= seconds / 4) {
      warming = false;
      start = Clock::now();
      done = 0;
    }
    Check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
    for (int i = 0; i < batch; ++i, ++next) {
      const std::string& u = updates[next % updates.size()];
      int doc = static_cast<int>(next % kDocs);
      sqlite3_bind_int64(ins, 1, doc + 1);
      sqlite3_bind_int64(ins, 2, ++seqs[doc]);
      sqlite3_bind_blob(ins, 3, u.data(), static_cast<int>(u.size()), SQLITE_STATIC);
      Check(sqlite3_step(ins), db, "insert");
      sqlite3_reset(ins);
    }
    Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
    done += batch;
  }
  double rate = done / Seconds(Clock::now() - start);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  std::filesystem::remove(path);
  return rate;
}

double TimeLoad(LogStore& store, const std::string& doc, std::string* text_out) {
  double best = 1e18;
  for (int i = 0; i < 3; ++i) {
    auto start = Clock::now();
    std::unique_ptr<Text> text;
    StoreStatus st = LoadText(store, doc, 42, &text);
    if (!st.ok()) Die("load", st);
    best = std::min(best, Seconds(Clock::now() - start) * 1000.0);
    *text_out = text->ToString();
  }
  return best;
}

void BenchLoad(const std::string& path, size_t n) {
  StoreOptions opts;
  opts.sync = SyncMode::kNormal;
  opts.compact_after_rows = UINT64_MAX;  // compaction only when asked
  opts.compact_after_bytes = UINT64_MAX;
  std::unique_ptr<LogStore> store;
  StoreStatus st = OpenTextStore(path, opts, &store);
  if (!st.ok()) Die("open", st);
  std::vector<std::string> updates = TypingUpdates(n, 7);
  size_t bytes = 0;
  for (size_t i = 0; i < updates.size(); i += 1000) {
    std::vector<LogStore::AppendRequest> reqs;
    for (size_t j = i; j < std::min(i + 1000, updates.size()); ++j) {
      bytes += updates[j].size();
      reqs.push_back({"big", std::move(updates[j]), nullptr, false});
    }
    st = store->AppendBatch(std::move(reqs));
    if (!st.ok()) Die("append", st);
  }
  st = store->Flush();
  if (!st.ok()) Die("flush", st);
  std::fprintf(stderr, "  load: %zu updates, %zu log bytes (%.1f bytes/update)\n", n, bytes,
               static_cast<double>(bytes) / static_cast<double>(n));
  std::string replayed, compacted;
  double replay_ms = TimeLoad(*store, "big", &replayed);
  std::printf("{\"bench\":\"load\",\"updates\":%zu,\"compacted\":false,\"load_ms\":%.2f}\n", n,
              replay_ms);
  std::fflush(stdout);
  auto start = Clock::now();
  st = store->Compact("big");
  if (!st.ok()) Die("compact", st);
  DocInfo info;
  store->GetDocInfo("big", &info);
  std::fprintf(stderr, "  compaction took %.1f ms; snapshot %llu bytes\n",
               Seconds(Clock::now() - start) * 1000.0,
               static_cast<unsigned long long>(info.snapshot_bytes));
  double snap_ms = TimeLoad(*store, "big", &compacted);
  if (compacted != replayed) Die("load", StoreStatus::Corrupt("compacted load differs"));
  std::printf("{\"bench\":\"load\",\"updates\":%zu,\"compacted\":true,\"load_ms\":%.2f}\n", n,
              snap_ms);
  std::fprintf(stderr, "  compacted load is %.1fx faster\n", replay_ms / snap_ms);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  double seconds = 2.0;
  size_t load_updates = 100000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (a == "--load-updates" && i + 1 < argc) load_updates = std::strtoull(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--seconds S] [--load-updates N]\n", argv[0]);
      return 2;
    }
  }
  bool own_dir = dir.empty();
  if (own_dir) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tandem-store-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return 1;
    dir = tmpl;
  }
  std::vector<std::string> updates = TypingUpdates(20000, 3);
  size_t total = 0;
  for (const auto& u : updates) total += u.size();
  std::fprintf(stderr, "updates: real core typing updates, %.1f bytes on average\n",
               static_cast<double>(total) / static_cast<double>(updates.size()));
  for (SyncMode sync : {SyncMode::kFull, SyncMode::kNormal}) {
    for (int batch : {1, 16, 256}) {
      double store_rate = BenchAppend(dir + "/append.db", sync, batch, updates, seconds);
      std::printf("{\"bench\":\"append\",\"sync\":\"%s\",\"batch\":%d,\"updates_per_s\":%.0f}\n",
                  SyncName(sync), batch, store_rate);
      std::fflush(stdout);
      double base_rate = BenchBaseline(dir + "/baseline.db", sync, batch, updates, seconds);
      std::printf(
          "{\"bench\":\"sqlite-baseline\",\"sync\":\"%s\",\"batch\":%d,\"updates_per_s\":%.0f}\n",
          SyncName(sync), batch, base_rate);
      std::fflush(stdout);
      std::fprintf(stderr, "  store/baseline = %.2f\n", store_rate / base_rate);
    }
  }
  BenchLoad(dir + "/load.db", load_updates);
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
