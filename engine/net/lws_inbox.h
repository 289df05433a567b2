// LwsInbox: how other threads hand work to a libwebsockets service thread.
//
// The only lws call made off the service thread is lws_cancel_service, and
// it is made under the inbox mutex while `accepting` is set, so it can never
// race lws_context_destroy (the service thread clears `accepting` before
// destroying; libwebsockets-notes.md §4.4). Shared ownership lets late
// posters (store callbacks) outlive the transport safely: after Close()
// their work is dropped.
//
// Threading: Post and Close are thread-safe; Drain runs on the service thread.
#pragma once

#include <deque>
#include <functional>
#include <mutex>

struct lws_context;

namespace tandem::net {

class LwsInbox {
 public:
  void Open(lws_context* ctx) {
    std::lock_guard<std::mutex> lk(mu_);
    ctx_ = ctx;
    accepting_ = true;
  }
  // False (and `fn` dropped) once closed.
  bool Post(std::function<void()> fn);
  // Stops accepting; after it returns no lws_cancel_service is in flight.
  void Close() {
    std::lock_guard<std::mutex> lk(mu_);
    accepting_ = false;
    items_.clear();
  }
  // Wakes the service loop (e.g. to notice a stop flag).
  void Wake();
  // Runs everything posted so far. Several wake-ups may coalesce into one
  // call, so it takes the whole queue.
  void Drain() {
    std::deque<std::function<void()>> items;
    {
      std::lock_guard<std::mutex> lk(mu_);
      items.swap(items_);
    }
    for (auto& f : items) f();
  }

 private:
  std::mutex mu_;
  lws_context* ctx_ = nullptr;
  bool accepting_ = false;
  std::deque<std::function<void()>> items_;
};

}  // namespace tandem::net
