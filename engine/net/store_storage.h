// StoreDocStorage: DocStorage over the SQLite LogStore, for a server whose
// core runs on a network thread.
//
// Appends go straight to LogStore::Append (queued, group-committed on the
// store's own thread; never a disk wait on the caller). Loads run on a
// loader thread of this class. Every completion is handed to `post`, which
// must run it on the core's thread (the transport's inbox).
//
// Also measures store latency (Append call to durable completion) for
// /metrics.
//
// Threading: Load/Append are called on the core's thread. The destructor
// joins the loader; completions not yet run by `post` are the poster's
// to drop. The LogStore must outlive this object.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "net/doc_storage.h"
#include "store/log_store.h"

namespace tandem::net {

struct StoreLatency {
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_us{0};
  std::atomic<uint64_t> max_us{0};
};

class StoreDocStorage final : public DocStorage {
 public:
  using Post = std::function<void(std::function<void()>)>;
  StoreDocStorage(store::LogStore* store, Post post);
  ~StoreDocStorage() override;

  void Load(const std::string& name, PeerId peer, LoadDone done) override;
  void Append(const std::string& name, std::string update, AppendDone done) override;

  const StoreLatency& latency() const { return shared_->latency; }

 private:
  void LoaderLoop();
  // Store callbacks may fire after this object is gone (the LogStore
  // outlives it): they hold this, never `this`.
  struct Shared {
    StoreLatency latency;
    Post post;
  };

  store::LogStore* store_;
  std::shared_ptr<Shared> shared_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> loads_;
  bool stop_ = false;
  std::thread loader_;
};

// The epoch of a stored document: its row id and creation time mixed, so a
// recreated file or document gets a different value. 0 when not stored.
uint64_t DocumentEpoch(int64_t doc_id, int64_t created_ms);

}  // namespace tandem::net
