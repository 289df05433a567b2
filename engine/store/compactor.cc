#include "store/compactor.h"

#include "store/thread_priority.h"

namespace tandem::store {

Compactor::Compactor(MergeFn merge, ReadFn read, InstallFn install, int nice)
    : merge_(std::move(merge)), read_(std::move(read)), install_(std::move(install)) {
  thread_ = std::thread([this, nice] {
    LowerThisThreadPriority(nice);
    Run();
  });
}

Compactor::~Compactor() { Stop(); }

void Compactor::Schedule(std::vector<std::string> docs) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    for (std::string& d : docs) {
      if (queued_.insert(d).second) queue_.push_back(std::move(d));
    }
  }
  cv_.notify_one();
}

void Compactor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
    queued_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  idle_cv_.notify_all();
}

void Compactor::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return stopping_ || (queue_.empty() && !running_); });
}

CompactionStats Compactor::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Compactor::Run() {
  for (;;) {
    std::string doc;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      doc = std::move(queue_.front());
      queue_.pop_front();
      queued_.erase(doc);
      running_ = true;
    }
    int64_t id = 0;
    CompactOne(doc, std::nullopt, &id);
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
    }
    idle_cv_.notify_all();
  }
}

StoreStatus Compactor::CompactOne(std::string_view doc, const std::optional<std::string>& label,
                                  int64_t* snapshot_id) {
  *snapshot_id = 0;
  StoreStatus st;
  // A lost race (kAborted) means someone else just compacted: try again on
  // the new state a few times.
  for (int attempt = 0; attempt < 4; ++attempt) {
    st = Attempt(doc, label, snapshot_id);
    if (st.code() != StoreCode::kAborted) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (st.ok()) {
    if (*snapshot_id != 0) ++stats_.completed;
  } else if (st.code() != StoreCode::kNotFound) {  // deleted meanwhile: nothing to do
    ++stats_.failed;
    stats_.last_error = st.ToString();
  }
  return st;
}

StoreStatus Compactor::Attempt(std::string_view doc, const std::optional<std::string>& label,
                               int64_t* snapshot_id) {
  if (!merge_) {
    return StoreStatus::InvalidArgument("document '" + std::string(doc) +
                                        "': compaction needs StoreOptions::merge");
  }
  DocRecord rec;
  StoreStatus st = read_(doc, &rec);
  if (!st.ok()) return st;
  if (rec.log.empty() && !label) return StoreStatus::Ok();  // nothing to fold
  WriteOp op;
  op.kind = WriteOp::Kind::kInstallSnapshot;
  op.doc.assign(doc);
  op.doc_id = rec.doc_id;
  op.base_seq = rec.snapshot ? rec.snapshot->upto_seq : 0;
  op.seq = rec.log.empty() ? op.base_seq : rec.log.back().seq;
  op.label = label;
  if (rec.log.empty() && rec.snapshot) {
    op.data = rec.snapshot->data;  // a version of the state the snapshot already holds
  } else {
    st = merge_(doc, rec.snapshot ? &rec.snapshot->data : nullptr, rec.log, &op.data);
    if (!st.ok()) return st.Prefixed("merge of document '" + std::string(doc) + "'");
  }
  WriteResult result;
  st = install_(std::move(op), &result);
  if (!st.ok()) return st;
  *snapshot_id = result.snapshot_id;
  return StoreStatus::Ok();
}

}  // namespace tandem::store
