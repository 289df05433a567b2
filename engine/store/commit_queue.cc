#include "store/commit_queue.h"

#include <algorithm>

#include "store/thread_priority.h"

namespace tandem::store {

CommitQueue::CommitQueue(std::unique_ptr<LogWriter> writer, uint32_t max_batch,
                         uint32_t min_interval_us, int nice,
                         std::function<void(std::vector<std::string>)> on_candidates)
    : writer_(std::move(writer)),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      min_interval_(min_interval_us),
      on_candidates_(std::move(on_candidates)) {
  thread_ = std::thread([this, nice] {
    LowerThisThreadPriority(nice);
    Run();
  });
  thread_id_ = thread_.get_id();
}

CommitQueue::~CommitQueue() { Stop(); }

StoreStatus CommitQueue::Submit(WriteOp op) {
  std::vector<WriteOp> ops;
  ops.push_back(std::move(op));
  return Submit(std::move(ops));
}

StoreStatus CommitQueue::Submit(std::vector<WriteOp> ops) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return StoreStatus::Closed("store is closed");
    for (WriteOp& op : ops) queue_.push_back(std::move(op));
  }
  cv_.notify_one();
  return StoreStatus::Ok();
}

void CommitQueue::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  writer_.reset();
}

void CommitQueue::Run() {
  std::vector<WriteOp> batch;
  std::chrono::steady_clock::time_point last_start{};
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      if (min_interval_.count() > 0) {
        // In the past when the store was idle: then no wait at all.
        cv_.wait_until(lock, last_start + min_interval_,
                       [this] { return stopping_ || queue_.size() >= max_batch_; });
        last_start = std::chrono::steady_clock::now();
      }
      size_t n = std::min<size_t>(queue_.size(), max_batch_);
      batch.clear();
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
  }
}

void CommitQueue::RunBatch(std::vector<WriteOp>& batch) {
  std::vector<StoreStatus> statuses(batch.size());
  std::vector<WriteResult> results(batch.size());
  StoreStatus st = writer_->Begin();
  for (size_t i = 0; st.ok() && i < batch.size(); ++i) {
    st = writer_->Apply(batch[i], &statuses[i], &results[i]);
  }
  if (st.ok()) st = writer_->Commit();
  if (!st.ok()) {
    writer_->Rollback();
    StoreStatus failed = st.Prefixed("batch of " + std::to_string(batch.size()) + " writes rolled back");
    for (size_t i = 0; i < batch.size(); ++i) {
      statuses[i] = failed;
      results[i] = WriteResult{};
    }
  } else {
    batches_.fetch_add(1, std::memory_order_relaxed);
    ops_.fetch_add(batch.size(), std::memory_order_relaxed);
  }
  // Schedule compactions before acking, so that a caller who saw its
  // callback and then waits for compactions also waits for these.
  if (st.ok() && on_candidates_) {
    std::vector<std::string> docs = writer_->TakeCompactionCandidates();
    if (!docs.empty()) on_candidates_(std::move(docs));
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done(statuses[i], results[i]);
    if (batch[i].append_done) batch[i].append_done(statuses[i], results[i].seq);
  }
}

}  // namespace tandem::store
