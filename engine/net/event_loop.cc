#include "net/event_loop.h"

#include <poll.h>

#include <cerrno>
#include <string>

namespace tandem::net {

Status EventLoop::Create(std::function<void()> on_wake, std::unique_ptr<EventLoop>* out) {
  std::unique_ptr<EventLoop> l(new EventLoop());
  l->on_wake_ = std::move(on_wake);
  if (int rc = uv_loop_init(&l->loop_)) {
    l->ended_ = true;  // nothing to close
    return Status::InvalidArgument(std::string("uv_loop_init: ") + uv_strerror(rc));
  }
  if (int rc = uv_async_init(&l->loop_, &l->wake_, &EventLoop::OnWake)) {
    l->End();
    return Status::InvalidArgument(std::string("uv_async_init: ") + uv_strerror(rc));
  }
  l->wake_.data = l.get();
  l->wake_open_ = true;
  l->fd_ = uv_backend_fd(&l->loop_);
  *out = std::move(l);
  return Status::Ok();
}

namespace {

// Rounds of close callbacks a loop being torn down gets before whatever is
// still open is closed by force.
constexpr int kDrainRounds = 1000;

bool WatchersPending(const uv_loop_t& loop) {
  // libuv registers a started watcher with epoll only at its next poll
  // phase, and uv_backend_timeout (1.44, Debian 12) does not count such
  // pending registrations (libuv issue 1565): a socket lws asked to watch for
  // POLLOUT inside a callback would not make the epoll fd readable. The
  // queue is a public field of uv_loop_t; empty means it points at itself.
#if UV_VERSION_HEX < 0x012D00
  return loop.watcher_queue[0] != static_cast<const void*>(&loop.watcher_queue);
#else
  return loop.watcher_queue.next != &loop.watcher_queue;
#endif
}

}  // namespace

EventLoop::~EventLoop() {
  if (!ended_) Drain();
}

void EventLoop::Drain() {
  if (ended_) return;
  CloseWake();
  // Whatever is still open (nothing, when the owner let the loop end) gets
  // its close callbacks; a handle lws failed to close is closed here, as
  // the loop's memory goes away with us.
  for (int i = 0; i < kDrainRounds && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) {
  }
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  for (int i = 0; i < kDrainRounds && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) {
  }
  End();
}

void EventLoop::OnWake(uv_async_t* handle) {
  auto* self = static_cast<EventLoop*>(handle->data);
  if (self->on_wake_) self->on_wake_();
}

void EventLoop::OnIterationEnd(uv_check_t* handle) {
  auto* self = static_cast<EventLoop*>(handle->data);
  self->on_iteration_end_();
}

Status EventLoop::SetIterationEnd(std::function<void()> fn) {
  if (check_open_ || ended_) return Status::InvalidArgument("iteration-end hook already set");
  if (int rc = uv_check_init(&loop_, &check_))
    return Status::InvalidArgument(std::string("uv_check_init: ") + uv_strerror(rc));
  check_open_ = true;
  check_.data = this;
  on_iteration_end_ = std::move(fn);
  uv_check_start(&check_, &EventLoop::OnIterationEnd);
  // Only sockets, timers and the wake handle keep the loop running.
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
  return Status::Ok();
}

void EventLoop::CloseWake() {
  if (check_open_) {
    check_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  }
  if (!wake_open_) return;
  wake_open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
}

int EventLoop::TimeoutMs() {
  if (ended_) return -1;
  if (WatchersPending(loop_)) return 0;
  uv_update_time(&loop_);
  return uv_backend_timeout(&loop_);
}

bool EventLoop::RunOnce(int wait_ms) {
  if (ended_) return false;
  int t = TimeoutMs();
  int wait = wait_ms < 0 ? t : (t < 0 || wait_ms < t ? wait_ms : t);
  if (wait != 0) {
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, wait) < 0 && errno == EINTR) {
    }
  }
  return uv_run(&loop_, UV_RUN_NOWAIT) != 0;
}

void EventLoop::Run() {
  if (ended_) return;
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void EventLoop::End() {
  if (ended_) return;
  ended_ = true;
  uv_loop_close(&loop_);
}

}  // namespace tandem::net
