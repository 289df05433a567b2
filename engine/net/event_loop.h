// EventLoop: the epoll-backed loop a server's libwebsockets context runs on.
//
// libwebsockets' own loop poll()s every socket on every iteration; with a
// few hundred peers that scan was most of tandemd's CPU (docs/performance.md,
// "Sync server"). Debian's lws 4.1.6 is built without external-poll hooks
// (LWS_WITH_EXTERNAL_POLL is off: ADD/DEL/CHANGE_MODE_POLL_FD never reach
// protocols[0]), so the loop is libuv's (epoll on Linux: the cost of an
// iteration is the number of ready sockets), handed to lws as a "foreign"
// loop (LWS_SERVER_OPTION_LIBUV + foreign_loops; libwebsockets-notes.md
// §4.14). lws then keeps its sockets, its sul timer and its forced-service
// idle handle in this loop.
//
// The loop has one wake handle of its own: Wake() (any thread) makes it run
// the `on_wake` function soon, as a plain libuv callback — outside every lws
// callback, which is where lws_context_destroy must be called from. It can
// also run a function at the end of every iteration (SetIterationEnd), after
// everything the iteration's epoll wait returned has been handled: the
// natural batch for fan-out, with no timer to wait for.
//
// Two ways to drive it, from one thread at a time:
//  - Run(): blocks until no active handle is left (a thread of its own);
//  - a host's loop: wait until fd() is readable or TimeoutMs() passed, then
//    RunOnce(0). That is libuv's own embedding model (uv_backend_fd,
//    uv_backend_timeout), plus the one thing libuv 1.44 leaves out
//    (TimeoutMs).
// Either way the owner ends with Drain().
//
// Threading: Wake() is thread-safe while the wake handle is open (the
// caller serialises it with CloseWake, as LwsInbox does); fd() is constant;
// everything else runs on the driving thread.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>

#include "core/status.h"

namespace tandem::net {

class EventLoop {
 public:
  // `on_wake` runs on the driving thread after Wake(); several wakes may
  // coalesce into one call.
  static Status Create(std::function<void()> on_wake, std::unique_ptr<EventLoop>* out);
  // Drain()s unless the loop has ended.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  uv_loop_t* uv() { return &loop_; }

  // Any thread, while the wake handle is open.
  void Wake() { uv_async_send(&wake_); }
  // Closes the wake handle and the iteration-end hook (driving thread).
  // After it, Wake() must not be called; the loop ends once lws has closed
  // its handles too.
  void CloseWake();
  // Driving thread, once, before the loop runs: `fn` runs after each
  // iteration's I/O callbacks (a libuv check handle that does not keep the
  // loop alive), until CloseWake.
  Status SetIterationEnd(std::function<void()> fn);

  // The epoll fd: readable whenever a socket, timer-less wake or lws
  // handle of the loop has something to do. Valid until destruction.
  int fd() const { return fd_; }
  // Milliseconds until the loop must run even if fd() stays quiet: -1 none,
  // 0 now (an idle handle is active, or watchers are waiting to be
  // registered with epoll).
  int TimeoutMs();
  // Waits up to `wait_ms` (< 0: as long as TimeoutMs says, which may be
  // forever) for fd() or a timer, then runs everything that is ready
  // without blocking. Returns false once no active handle is left (the
  // owner then finishes with Drain()).
  bool RunOnce(int wait_ms);
  // Runs until no active handle is left.
  void Run();
  // The end: closes the wake handle, runs close callbacks until no handle
  // is left (after a bounded number of rounds, closes what is still open)
  // and closes the loop. fd() is closed from here on.
  void Drain();
  bool ended() const { return ended_; }

 private:
  EventLoop() = default;
  static void OnWake(uv_async_t* handle);
  static void OnIterationEnd(uv_check_t* handle);
  void End();

  uv_loop_t loop_{};
  uv_async_t wake_{};
  bool wake_open_ = false;
  uv_check_t check_{};
  bool check_open_ = false;
  std::function<void()> on_iteration_end_;
  bool ended_ = false;
  int fd_ = -1;
  std::function<void()> on_wake_;
};

}  // namespace tandem::net
