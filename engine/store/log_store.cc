#include "store/log_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "store/commit_queue.h"
#include "store/log_writer.h"
#include "store/reader_pool.h"
#include "store/schema.h"
#include "store/sqlite_db.h"
#include "store/store_reader.h"

namespace tandem::store {

namespace {

StoreStatus LockFile(const std::string& path, int* fd_out) {
  std::string lock_path = path + "-lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return StoreStatus::IoError("open '" + lock_path + "': " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return StoreStatus::Busy("'" + path + "' is open in another LogStore (lock '" + lock_path +
                               "' held)");
    }
    return StoreStatus::IoError("lock '" + lock_path + "': " + std::strerror(err));
  }
  *fd_out = fd;
  return StoreStatus::Ok();
}

StoreStatus OpenWriter(const std::string& path, const StoreOptions& options,
                       std::unique_ptr<SqliteDb>* out) {
  std::unique_ptr<SqliteDb> db;
  int flags = SQLITE_OPEN_READWRITE | (options.create_if_missing ? SQLITE_OPEN_CREATE : 0);
  StoreStatus st = SqliteDb::Open(path, flags, &db, options.busy_timeout_ms);
  if (!st.ok()) return st;
  // Read-only checks first: a newer or foreign file is refused untouched.
  int version = 0;
  st = CheckSchema(*db, &version);
  if (!st.ok()) return st;
  // journal_mode returns the resulting mode as a row.
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db->raw(), "PRAGMA journal_mode = WAL", -1, &s, nullptr) != SQLITE_OK) {
    return db->Error("journal_mode");
  }
  int rc = sqlite3_step(s);
  std::string mode = rc == SQLITE_ROW ? ColumnText(s, 0) : "";
  sqlite3_finalize(s);
  if (mode != "wal") {
    if (rc != SQLITE_ROW) return db->Error("set WAL mode");
    return StoreStatus::IoError("'" + path + "': cannot use WAL mode (got '" + mode + "')");
  }
  st = db->Exec(options.sync == SyncMode::kFull ? "PRAGMA synchronous = FULL"
                                                : "PRAGMA synchronous = NORMAL");
  if (st.ok()) st = db->Exec("PRAGMA cache_size = -16384");  // 16 MiB
  if (st.ok()) st = MigrateSchema(*db, kSchemaVersion);
  if (!st.ok()) return st;
  *out = std::move(db);
  return StoreStatus::Ok();
}

}  // namespace

LogStore::LogStore(std::string path, StoreOptions options, int lock_fd)
    : path_(std::move(path)), options_(std::move(options)), lock_fd_(lock_fd) {}

StoreStatus LogStore::Open(const std::string& path, StoreOptions options,
                           std::unique_ptr<LogStore>* out) {
  if (path.empty() || path == ":memory:" || path.front() == ':') {
    return StoreStatus::InvalidArgument("store path must name a file");
  }
  if (!options.create_if_missing) {
    struct stat sb;
    if (::stat(path.c_str(), &sb) != 0) return StoreStatus::NotFound("'" + path + "' does not exist");
  }
  int lock_fd = -1;
  StoreStatus st = LockFile(path, &lock_fd);
  if (!st.ok()) return st;
  std::unique_ptr<SqliteDb> writer;
  st = OpenWriter(path, options, &writer);
  if (!st.ok()) {
    ::close(lock_fd);
    return st;
  }
  std::unique_ptr<LogStore> store(new LogStore(path, std::move(options), lock_fd));
  st = store->Start(std::move(writer));
  if (!st.ok()) return st;
  *out = std::move(store);
  return StoreStatus::Ok();
}

StoreStatus LogStore::Start(std::unique_ptr<SqliteDb> writer) {
  readers_ = std::make_unique<ReaderPool>(path_, 8, options_.busy_timeout_ms);
  compactor_ = std::make_unique<Compactor>(
      options_.merge,
      [this](std::string_view doc, DocRecord* out) { return ReadDoc(doc, out); },
      [this](WriteOp op, WriteResult* result) { return SubmitSync(std::move(op), result); },
      options_.background_nice);
  std::function<void(std::vector<std::string>)> on_candidates;
  if (options_.merge) {
    on_candidates = [this](std::vector<std::string> docs) { compactor_->Schedule(std::move(docs)); };
  }
  queue_ = std::make_unique<CommitQueue>(std::make_unique<LogWriter>(std::move(writer), options_),
                                         options_.max_batch, options_.min_commit_interval_us,
                                         options_.background_nice, std::move(on_candidates));
  return StoreStatus::Ok();
}

LogStore::~LogStore() { Close(); }

void LogStore::Close() {
  if (closed_.exchange(true)) return;
  // Compactor first: its in-flight install still needs the store thread.
  if (compactor_) compactor_->Stop();
  // Readers before the writer, so the writer is the last connection and
  // checkpoints the WAL into the main file as it closes.
  if (readers_) readers_->Close();
  if (queue_) queue_->Stop();  // commits what is queued, closes the writer
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  lock_fd_ = -1;
}

StoreStatus LogStore::CheckOpen(std::string_view doc) const {
  if (closed_.load()) return StoreStatus::Closed("store '" + path_ + "' is closed");
  if (doc.empty()) return StoreStatus::InvalidArgument("empty document name");
  return StoreStatus::Ok();
}

StoreStatus LogStore::SubmitSync(WriteOp op, WriteResult* result) {
  if (queue_->OnStoreThread()) {
    return StoreStatus::InvalidArgument("synchronous store call from a store callback");
  }
  std::promise<std::pair<StoreStatus, WriteResult>> done;
  auto future = done.get_future();
  op.done = [&done](const StoreStatus& st, const WriteResult& r) { done.set_value({st, r}); };
  StoreStatus st = queue_->Submit(std::move(op));
  if (!st.ok()) return st;
  auto [status, r] = future.get();
  if (result != nullptr) *result = r;
  return status;
}

StoreStatus LogStore::Append(std::string doc, std::string update, AppendCallback done,
                             bool outbox) {
  std::vector<AppendRequest> one;
  one.push_back(AppendRequest{std::move(doc), std::move(update), std::move(done), outbox});
  return AppendBatch(std::move(one));
}

StoreStatus LogStore::AppendBatch(std::vector<AppendRequest> requests) {
  for (const AppendRequest& r : requests) {
    StoreStatus st = CheckOpen(r.doc);
    if (!st.ok()) return st;
  }
  std::vector<WriteOp> ops(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    WriteOp& op = ops[i];
    op.kind = WriteOp::Kind::kAppend;
    op.doc = std::move(requests[i].doc);
    op.data = std::move(requests[i].update);
    op.outbox = requests[i].outbox;
    op.append_done = std::move(requests[i].done);
  }
  return queue_->Submit(std::move(ops));
}

StoreStatus LogStore::AppendSync(std::string doc, std::string update, uint64_t* seq,
                                 bool outbox) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  WriteOp op;
  op.kind = WriteOp::Kind::kAppend;
  op.doc = std::move(doc);
  op.data = std::move(update);
  op.outbox = outbox;
  WriteResult r;
  st = SubmitSync(std::move(op), &r);
  if (st.ok() && seq != nullptr) *seq = r.seq;
  return st;
}

StoreStatus LogStore::Flush() {
  if (closed_.load()) return StoreStatus::Closed("store '" + path_ + "' is closed");
  return SubmitSync(WriteOp{}, nullptr);
}

StoreStatus LogStore::ReadDoc(std::string_view doc, DocRecord* out) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  ReaderLease lease(*readers_);
  if (!lease.status().ok()) return lease.status();
  return ReadDocRecord(lease.db(), doc, out);
}

StoreStatus LogStore::ListDocs(std::vector<std::string>* out) {
  if (closed_.load()) return StoreStatus::Closed("store '" + path_ + "' is closed");
  ReaderLease lease(*readers_);
  if (!lease.status().ok()) return lease.status();
  return ReadDocNames(lease.db(), out);
}

StoreStatus LogStore::GetDocInfo(std::string_view doc, DocInfo* out) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  ReaderLease lease(*readers_);
  if (!lease.status().ok()) return lease.status();
  return ReadDocInfo(lease.db(), doc, out);
}

StoreStatus LogStore::Inspect(StoreInfo* out) {
  if (closed_.load()) return StoreStatus::Closed("store '" + path_ + "' is closed");
  ReaderLease lease(*readers_);
  if (!lease.status().ok()) return lease.status();
  return ReadStoreInfo(lease.db(), out);
}

StoreStatus LogStore::DeleteDoc(std::string_view doc) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  WriteOp op;
  op.kind = WriteOp::Kind::kDeleteDoc;
  op.doc.assign(doc);
  return SubmitSync(std::move(op), nullptr);
}

StoreStatus LogStore::Compact(std::string_view doc) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  if (queue_->OnStoreThread()) {
    return StoreStatus::InvalidArgument("synchronous store call from a store callback");
  }
  int64_t id = 0;
  return compactor_->CompactOne(doc, std::nullopt, &id);
}

StoreStatus LogStore::CreateVersion(std::string_view doc, std::string label, int64_t* id) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  if (queue_->OnStoreThread()) {
    return StoreStatus::InvalidArgument("synchronous store call from a store callback");
  }
  int64_t sid = 0;
  st = compactor_->CompactOne(doc, std::move(label), &sid);
  if (st.ok() && id != nullptr) *id = sid;
  return st;
}

StoreStatus LogStore::ListVersions(std::string_view doc, std::vector<VersionInfo>* out) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  ReaderLease lease(*readers_);
  if (!lease.status().ok()) return lease.status();
  return ReadVersionList(lease.db(), doc, out);
}

StoreStatus LogStore::ReadVersion(std::string_view doc, int64_t id, SnapshotRecord* out) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  ReaderLease lease(*readers_);
  if (!lease.status().ok()) return lease.status();
  return ReadSnapshot(lease.db(), doc, id, out);
}

StoreStatus LogStore::DeleteVersion(std::string_view doc, int64_t id) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  WriteOp op;
  op.kind = WriteOp::Kind::kDeleteVersion;
  op.doc.assign(doc);
  op.id = id;
  return SubmitSync(std::move(op), nullptr);
}

StoreStatus LogStore::ApplyRetention(uint64_t* removed) {
  if (closed_.load()) return StoreStatus::Closed("store '" + path_ + "' is closed");
  WriteOp op;
  op.kind = WriteOp::Kind::kApplyRetention;
  WriteResult r;
  StoreStatus st = SubmitSync(std::move(op), &r);
  if (st.ok() && removed != nullptr) *removed = r.removed;
  return st;
}

void LogStore::WaitForCompactions() {
  if (compactor_) compactor_->WaitIdle();
}

CompactionStats LogStore::compaction_stats() const { return compactor_->stats(); }

StoreStatus LogStore::ListUnacked(std::string_view doc, std::vector<LogEntry>* out) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  ReaderLease lease(*readers_);
  if (!lease.status().ok()) return lease.status();
  return ReadOutbox(lease.db(), doc, out);
}

StoreStatus LogStore::ListDocsWithUnacked(std::vector<std::string>* out) {
  if (closed_.load()) return StoreStatus::Closed("store '" + path_ + "' is closed");
  ReaderLease lease(*readers_);
  if (!lease.status().ok()) return lease.status();
  return ReadOutboxDocs(lease.db(), out);
}

StoreStatus LogStore::AckUpTo(std::string_view doc, uint64_t seq, uint64_t* removed) {
  StoreStatus st = CheckOpen(doc);
  if (!st.ok()) return st;
  WriteOp op;
  op.kind = WriteOp::Kind::kRemoveOutbox;
  op.doc.assign(doc);
  op.seq = seq;
  WriteResult r;
  st = SubmitSync(std::move(op), &r);
  if (st.ok() && removed != nullptr) *removed = r.removed;
  return st;
}

uint64_t LogStore::batches_committed() const { return queue_->batches_committed(); }
uint64_t LogStore::writes_committed() const { return queue_->ops_committed(); }

}  // namespace tandem::store
