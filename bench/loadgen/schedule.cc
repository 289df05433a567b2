// tandem-loadgen's timers, on lws' sorted-usec lists: the send schedule
// (each client sends --rate updates per second, from a random phase) and the
// run's phases (connecting, warm-up and measuring, draining, closing).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "loadgen.h"

namespace tandem::loadgen {
namespace {

void SendCb(lws_sorted_usec_list_t* sul);

void ScheduleSend(App& a) {
  if (a.heap.empty()) return;
  int64_t delay_us = (a.heap.top().first - NowNs()) / 1000;
  // Never below 1 ms (lws polls with timeout 0 for sub-ms timers); the send
  // time is taken at lws_write, so this only batches sends, it skews nothing.
  delay_us = std::max<int64_t>(delay_us, 1000);
  lws_sul_schedule(a.ctx, 0, &a.send_sul, SendCb, delay_us);
}

void SendCb(lws_sorted_usec_list_t*) {
  App& a = *g_app;
  if (a.phase != App::Phase::kRunning) return;
  int64_t now = NowNs();
  while (!a.heap.empty() && a.heap.top().first <= now) {
    auto [due, idx] = a.heap.top();
    a.heap.pop();
    if (due >= a.t_end) continue;  // the measured window is over: this client stops
    Conn& c = *a.conns[idx];
    if (c.next_update >= c.ids.size()) continue;
    if (c.ready && c.wsi != nullptr) {
      uint32_t id = c.ids[c.next_update++];
      a.sched_ns[id] = due;
      if (due >= a.t_measure) {
        ++a.window_sent;
        a.expected += static_cast<uint64_t>(a.room_size[c.room] - 1);
      }
      SendUpdate(a, c, a.frames[id], id, due);
    }
    a.heap.push({due + a.period_ns, idx});
  }
  ScheduleSend(a);
}

// Every client closes (from its WRITEABLE callback).
void BeginClosing(App& a, int64_t now) {
  a.phase = App::Phase::kClosing;
  a.t_close = now;
  for (auto& c : a.conns) {
    c->closing = true;
    if (c->wsi != nullptr) lws_callback_on_writable(c->wsi);
  }
}

}  // namespace

void PhaseCb(lws_sorted_usec_list_t*) {
  App& a = *g_app;
  int64_t now = NowNs();
  auto sample = [&](bool start) {
    ProcCpu srv = a.opt.server_pid > 0 ? ReadProcCpu(a.opt.server_pid) : ProcCpu{};
    double self = SelfCpuS();
    if (start) {
      a.srv_cpu0 = srv;
      a.self_cpu0 = self;
      a.cpu_t0 = now;
    } else {
      a.srv_cpu1 = srv;
      a.self_cpu1 = self;
      a.cpu_t1 = now;
    }
  };
  switch (a.phase) {
    case App::Phase::kConnecting: {
      int ready = 0, dead = 0;
      for (auto& c : a.conns) {
        ready += c->ready;
        dead += c->closed;
      }
      if (ready == static_cast<int>(a.conns.size())) {
        a.phase = App::Phase::kRunning;
        a.t_start = now;
        a.t_measure = now + static_cast<int64_t>(a.opt.warmup * 1e9);
        a.t_end = a.t_measure + static_cast<int64_t>(a.opt.seconds * 1e9);
        std::fprintf(stderr,
                     "loadgen: %zu clients ready after %.2f s; warm-up %.1f s, measuring %.1f s\n",
                     a.conns.size(), (now - a.t_connect) / 1e9, a.opt.warmup, a.opt.seconds);
        std::mt19937_64 rng(42);
        std::uniform_real_distribution<double> phase(0, 1);
        for (auto& c : a.conns) {
          a.heap.push({now + static_cast<int64_t>(phase(rng) * a.period_ns), c->idx});
        }
        ScheduleSend(a);
      } else if (dead > 0 || now - a.t_connect > a.opt.connect_timeout_ms * 1000000LL) {
        a.failed = true;
        a.fail_reason = "only " + std::to_string(ready) + " of " + std::to_string(a.conns.size()) +
                        " clients got ready (" + std::to_string(dead) + " failed)";
        BeginClosing(a, now);
      }
      break;
    }
    case App::Phase::kRunning:
      if (!a.measuring_started && now >= a.t_measure) {
        a.measuring_started = true;
        sample(true);
      }
      if (now >= a.t_end) {
        sample(false);
        a.phase = App::Phase::kDraining;
        a.t_drain_end = now + a.opt.drain_ms * 1000000LL;
      }
      break;
    case App::Phase::kDraining: {
      bool queued = false;
      for (auto& c : a.conns) queued |= !c->outq.empty();
      if ((a.delivered >= a.expected && !queued) || now >= a.t_drain_end) {
        BeginClosing(a, now);
      }
      break;
    }
    case App::Phase::kClosing: {
      bool open = false;
      for (auto& c : a.conns) open |= c->wsi != nullptr;
      if (!open || now - a.t_close > 3000000000LL) {
        a.phase = App::Phase::kDone;
        lws_cancel_service(a.ctx);  // a flag set in a timer does not end lws_service by itself
        return;
      }
      break;
    }
    case App::Phase::kDone: return;
  }
  lws_sul_schedule(a.ctx, 0, &a.phase_sul, PhaseCb, 20 * LWS_US_PER_MS);
}

}  // namespace tandem::loadgen
