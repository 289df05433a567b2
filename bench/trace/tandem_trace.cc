// tandem-trace: replays real editing traces through Tandem's Text and prints
// one JSON line per trace (see README.md of ../shared/traces for the input):
//   apply_ms         every txn as one local transaction
//   encode_ms        EncodeSnapshot of the result (full history ids)
//   encoded_bytes    its size
//   decode_ms        DecodeSnapshot into a fresh replica, reading its length
//   remote_apply_ms  the per-transaction updates applied by a remote replica
//   mem_bytes        MemoryUsage() of the replica after the replay
// Times are medians of --runs runs. "ok" is true only if every replica ends
// with endContent byte for byte.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/text.h"
#include "trace_reader.h"

namespace {

using tandem::Text;
using tandem::bench::Trace;
using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Replays `trace` locally; fills `updates` with one update per txn if given.
bool Replay(const Trace& trace, Text* text, std::vector<std::string>* updates) {
  if (!trace.start_content.empty() && !text->Insert(0, trace.start_content).ok()) return false;
  std::string update;
  for (const auto& txn : trace.txns) {
    text->BeginTransaction();
    for (const auto& p : txn) {
      if (p.del && !text->Delete(p.pos, p.del).ok()) return false;
      if (!p.ins.empty() && !text->Insert(p.pos, p.ins).ok()) return false;
    }
    text->CommitTransaction(updates ? &update : nullptr);
    if (updates) updates->push_back(update);
  }
  return true;
}

// Which measurements to take (--only, for profiling one phase).
enum Phase { kAll, kApply, kRemote };

int Run(const std::string& path, int runs, Phase phase) {
  Trace trace;
  std::string error;
  if (!tandem::bench::LoadTrace(path, &trace, &error)) {
    std::fprintf(stderr, "tandem-trace: %s\n", error.c_str());
    return 1;
  }
  bool ok = true;
  std::vector<double> apply, encode, decode, remote;
  std::string snapshot;
  uint64_t mem = 0;
  for (int r = 0; r < runs && phase != kRemote; ++r) {
    auto text = std::make_unique<Text>(0x7a6e);
    auto t0 = Clock::now();
    ok &= Replay(trace, text.get(), nullptr);
    auto t1 = Clock::now();
    apply.push_back(Ms(t0, t1));
    ok &= text->ToString() == trace.end_content;
    mem = text->MemoryUsage();

    t0 = Clock::now();
    snapshot = text->EncodeSnapshot();
    t1 = Clock::now();
    encode.push_back(Ms(t0, t1));

    std::unique_ptr<Text> loaded;
    t0 = Clock::now();
    ok &= Text::DecodeSnapshot(snapshot, 0xbeef, &loaded).ok();
    volatile uint64_t len = loaded ? loaded->length() : 0;
    t1 = Clock::now();
    (void)len;
    decode.push_back(Ms(t0, t1));
    ok &= loaded && loaded->ToString() == trace.end_content && loaded->EncodeSnapshot() == snapshot;
  }
  // Remote: capture per-transaction updates once, then time applying them.
  std::vector<std::string> updates;
  if (phase != kApply) {
    Text source(0x7a6e);
    ok &= Replay(trace, &source, &updates);
  }
  for (int r = 0; r < runs && phase != kApply; ++r) {
    Text remote_text(0xbeef);
    auto t0 = Clock::now();
    for (const std::string& u : updates) ok &= remote_text.ApplyUpdate(u).ok();
    auto t1 = Clock::now();
    remote.push_back(Ms(t0, t1));
    ok &= remote_text.ToString() == trace.end_content && remote_text.pending_ops() == 0;
  }
  std::printf(
      "{\"trace\":\"%s\",\"edits\":%llu,\"ok\":%s,\"apply_ms\":%.2f,\"encode_ms\":%.2f,"
      "\"encoded_bytes\":%zu,\"decode_ms\":%.2f,\"remote_apply_ms\":%.2f,\"mem_bytes\":%llu}\n",
      trace.name.c_str(), static_cast<unsigned long long>(trace.patches()), ok ? "true" : "false",
      Median(apply), Median(encode), snapshot.size(), Median(decode), Median(remote),
      static_cast<unsigned long long>(mem));
  std::fflush(stdout);
  return ok ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  Phase phase = kAll;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      ++i;
      phase = !std::strcmp(argv[i], "apply")    ? kApply
              : !std::strcmp(argv[i], "remote") ? kRemote
                                                : kAll;
    } else if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::printf("usage: tandem-trace [--runs N] [--only apply|remote] TRACE.json.gz...\n");
      return 0;
    } else {
      files.push_back(argv[i]);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: tandem-trace [--runs N] [--only apply|remote] TRACE.json.gz...\n");
    return 1;
  }
  int status = 0;
  for (const auto& f : files) status = std::max(status, Run(f, runs, phase));
  return status;
}
