// LwsInbox: how other threads hand work to a libwebsockets service thread.
//
// The only call made off the service thread is the wake-up (lws_cancel_service,
// or the EventLoop's Wake for a server on an EventLoop), and it is made
// under the inbox mutex while `accepting` is set, so it can never race the
// destruction of what it wakes (the service thread clears `accepting`
// before destroying; libwebsockets-notes.md §4.4). Shared ownership lets
// late posters (store callbacks) outlive the transport safely: after
// Close() their work is dropped.
//
// Threading: Post and Close are thread-safe; Drain runs on the service thread.
#pragma once

#include <deque>
#include <functional>
#include <utility>
#include <mutex>

struct lws_context;

namespace tandem::net {

class LwsInbox {
 public:
  // Wakes with lws_cancel_service(ctx): Drain from EVENT_WAIT_CANCELLED.
  void Open(lws_context* ctx);
  // Wakes with `wake` (called under the inbox mutex, from any thread).
  void Open(std::function<void()> wake) {
    std::lock_guard<std::mutex> lk(mu_);
    wake_ = std::move(wake);
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
  std::function<void()> wake_;
  bool accepting_ = false;
  std::deque<std::function<void()>> items_;
};

}  // namespace tandem::net
