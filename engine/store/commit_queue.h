// CommitQueue: the store thread and its group commit.
//
// Internal to engine/store. Any thread submits WriteOps; the store thread
// takes everything queued (up to max_batch ops), applies it in ONE
// transaction, commits (fsync per the sync mode), and only then calls each
// op's `done` callback, in submission order. While one batch is being
// fsync'ed the next one accumulates, so the batch size grows with load.
//
// Callbacks run on the store thread: they must be short and must not wait
// for the store (a synchronous store call from a callback would deadlock;
// LogStore refuses such calls with kInvalidArgument).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/log_writer.h"
#include "store/write_op.h"

namespace tandem::store {

class CommitQueue {
 public:
  // Starts the store thread. `on_candidates` (may be empty) is called on the
  // store thread with documents that crossed a compaction threshold.
  // `min_interval_us`, `nice`: StoreOptions::min_commit_interval_us and
  // background_nice.
  CommitQueue(std::unique_ptr<LogWriter> writer, uint32_t max_batch, uint32_t min_interval_us,
              int nice, std::function<void(std::vector<std::string>)> on_candidates);
  // Stop()s.
  ~CommitQueue();
  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  // Queues ops (atomically, so they are committed in one batch if they fit).
  // Returns kClosed after Stop() began; then no callback is ever called.
  StoreStatus Submit(std::vector<WriteOp> ops);
  StoreStatus Submit(WriteOp op);
  // Refuses new ops, commits everything already queued (callbacks fire),
  // joins the store thread and destroys the writer. Idempotent.
  void Stop();
  // True on the store thread (inside a `done` callback).
  bool OnStoreThread() const { return std::this_thread::get_id() == thread_id_; }

  uint64_t batches_committed() const { return batches_.load(std::memory_order_relaxed); }
  uint64_t ops_committed() const { return ops_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void RunBatch(std::vector<WriteOp>& batch);

  std::unique_ptr<LogWriter> writer_;
  const uint32_t max_batch_;
  const std::chrono::microseconds min_interval_;
  std::function<void(std::vector<std::string>)> on_candidates_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteOp> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::mutex stop_mu_;         // serializes Stop()
  std::thread thread_;
  std::thread::id thread_id_;
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> ops_{0};
};

}  // namespace tandem::store
