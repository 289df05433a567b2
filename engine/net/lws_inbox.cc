#include "net/lws_inbox.h"

#include <libwebsockets.h>

namespace tandem::net {

bool LwsInbox::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!accepting_) return false;
  items_.push_back(std::move(fn));
  lws_cancel_service(ctx_);
  return true;
}

void LwsInbox::Wake() {
  std::lock_guard<std::mutex> lk(mu_);
  if (accepting_) lws_cancel_service(ctx_);
}

}  // namespace tandem::net
