#include "net/lws_inbox.h"

#include <libwebsockets.h>

namespace tandem::net {

void LwsInbox::Open(lws_context* ctx) {
  Open([ctx] { lws_cancel_service(ctx); });
}

bool LwsInbox::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!accepting_) return false;
  items_.push_back(std::move(fn));
  wake_();
  return true;
}

void LwsInbox::Wake() {
  std::lock_guard<std::mutex> lk(mu_);
  if (accepting_) wake_();
}

}  // namespace tandem::net
