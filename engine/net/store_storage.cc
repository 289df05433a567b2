#include "net/store_storage.h"

#include <chrono>
#include <memory>

namespace tandem::net {

uint64_t DocumentEpoch(int64_t doc_id, int64_t created_ms) {
  if (doc_id == 0) return 0;
  // splitmix64 of both: any change in either gives an unrelated value.
  uint64_t x = static_cast<uint64_t>(doc_id) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(created_ms);
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x == 0 ? 1 : x;
}

StoreDocStorage::StoreDocStorage(store::LogStore* store, Post post)
    : store_(store), shared_(std::make_shared<Shared>()) {
  shared_->post = std::move(post);
  loader_ = std::thread([this] { LoaderLoop(); });
}

StoreDocStorage::~StoreDocStorage() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  loader_.join();
}

void StoreDocStorage::LoaderLoop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !loads_.empty(); });
      if (stop_) return;
      job = std::move(loads_.front());
      loads_.pop_front();
    }
    job();
  }
}

void StoreDocStorage::Load(const std::string& name, PeerId peer, LoadDone done) {
  std::lock_guard<std::mutex> lk(mu_);
  loads_.push_back([this, name, peer, done = std::move(done)]() mutable {
    auto loaded = std::make_shared<LoadedDocument>();
    bool existed = false;
    store::StoreStatus st = LoadDocument(*store_, name, peer, &loaded->doc, &existed);
    if (st.ok() && existed) {
      store::DocInfo info;
      if (store_->GetDocInfo(name, &info).ok()) loaded->epoch = DocumentEpoch(info.doc_id, info.created_ms);
    }
    shared_->post([done = std::move(done), st, loaded]() { done(st, std::move(*loaded)); });
  });
  cv_.notify_one();
}

void StoreDocStorage::Append(const std::string& name, std::string update, AppendDone done) {
  auto start = std::chrono::steady_clock::now();
  auto shared_done = std::make_shared<AppendDone>(std::move(done));
  store::StoreStatus st = store_->Append(
      name, std::move(update), [shared = shared_, start, shared_done](const store::StoreStatus& s, uint64_t) {
        StoreLatency& latency_ = shared->latency;
        uint64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start).count();
        latency_.count.fetch_add(1, std::memory_order_relaxed);
        latency_.sum_us.fetch_add(us, std::memory_order_relaxed);
        uint64_t prev = latency_.max_us.load(std::memory_order_relaxed);
        while (us > prev && !latency_.max_us.compare_exchange_weak(prev, us)) {}
        shared->post([shared_done, s]() { (*shared_done)(s); });
      });
  if (!st.ok()) shared_->post([shared_done, st]() { (*shared_done)(st); });
}

}  // namespace tandem::net
