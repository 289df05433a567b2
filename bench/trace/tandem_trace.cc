// tandem-trace: replays real editing traces through Tandem's Text and prints
// one JSON line per trace (see README.md of ../shared/traces for the input):
//   apply_ms         every txn as one local transaction
//   encode_ms        EncodeSnapshot of the result (full history ids)
//   encoded_bytes    its size
//   decode_ms        DecodeSnapshot into a fresh replica, reading its length
//   remote_apply_ms  the per-transaction updates applied by a remote replica
//   mem_bytes        MemoryUsage() of the replica after the replay
// Times are medians of --runs runs. "ok" is true only if every replica ends
// with endContent byte for byte. `--model doc` runs the same through a Doc
// (the text as the root map's "text" container) to show what the document
// model costs over a lone Text.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/doc.h"
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

// A lone Text.
struct TextReplica {
  std::unique_ptr<Text> text;
  explicit TextReplica(tandem::PeerId peer) : text(std::make_unique<Text>(peer)) {}
  static constexpr const char* kModel = "text";
  tandem::Status Insert(uint64_t pos, std::string_view s) { return text->Insert(pos, s); }
  tandem::Status Delete(uint64_t pos, uint64_t n) { return text->Delete(pos, n); }
  void Begin() { text->BeginTransaction(); }
  void Commit(std::string* u) { text->CommitTransaction(u); }
  std::string Content() const { return text->ToString(); }
  uint64_t Length() const { return text->length(); }
  uint64_t Memory() const { return text->MemoryUsage(); }
  std::string Snapshot() const { return text->EncodeSnapshot(); }
  bool Apply(const std::string& u) { return text->ApplyUpdate(u).ok(); }
  uint64_t Pending() const { return text->pending_ops(); }
  std::string Initial() const { return {}; }
  static bool Decode(const std::string& bytes, tandem::PeerId peer, std::unique_ptr<TextReplica>* out) {
    std::unique_ptr<Text> t;
    if (!Text::DecodeSnapshot(bytes, peer, &t).ok()) return false;
    *out = std::make_unique<TextReplica>(peer);
    (*out)->text = std::move(t);
    return true;
  }
};

// The text inside a Doc.
struct DocReplica {
  std::unique_ptr<tandem::Doc> doc;
  tandem::TextRef text;
  explicit DocReplica(tandem::PeerId peer) : doc(std::make_unique<tandem::Doc>(peer)) { Bind(); }
  static constexpr const char* kModel = "doc";
  void Bind() {
    tandem::Container c;
    doc->root().GetOrCreate("text", tandem::ContainerType::kText, &c);
    text = c.AsText();
  }
  tandem::Status Insert(uint64_t pos, std::string_view s) { return text.Insert(pos, s); }
  tandem::Status Delete(uint64_t pos, uint64_t n) { return text.Delete(pos, n); }
  void Begin() { doc->BeginTransaction(); }
  void Commit(std::string* u) { doc->CommitTransaction(u); }
  std::string Content() const { return text.ToString(); }
  uint64_t Length() const { return text.length(); }
  uint64_t Memory() const { return doc->MemoryUsage(); }
  std::string Snapshot() const { return doc->EncodeSnapshot(); }
  bool Apply(const std::string& u) { return doc->ApplyUpdate(u).ok(); }
  uint64_t Pending() const { return doc->pending_ops(); }
  // The operation that made the text container, before any transaction.
  std::string Initial() const { return doc->EncodeUpdate(); }
  static bool Decode(const std::string& bytes, tandem::PeerId peer, std::unique_ptr<DocReplica>* out) {
    std::unique_ptr<tandem::Doc> d;
    if (!tandem::Doc::DecodeSnapshot(bytes, peer, &d).ok()) return false;
    auto r = std::make_unique<DocReplica>(peer);
    r->doc = std::move(d);
    // The key already holds the text: no operation.
    r->Bind();
    *out = std::move(r);
    return true;
  }
};

// Replays `trace` locally; fills `updates` with one update per txn if given.
template <typename Replica>
bool Replay(const Trace& trace, Replica* text, std::vector<std::string>* updates) {
  if (!trace.start_content.empty() && !text->Insert(0, trace.start_content).ok()) return false;
  std::string update;
  for (const auto& txn : trace.txns) {
    text->Begin();
    for (const auto& p : txn) {
      if (p.del && !text->Delete(p.pos, p.del).ok()) return false;
      if (!p.ins.empty() && !text->Insert(p.pos, p.ins).ok()) return false;
    }
    text->Commit(updates ? &update : nullptr);
    if (updates) updates->push_back(update);
  }
  return true;
}

// Which measurements to take (--only, for profiling one phase).
enum Phase { kAll, kApply, kRemote };

template <typename Replica>
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
    auto text = std::make_unique<Replica>(0x7a6e);
    auto t0 = Clock::now();
    ok &= Replay(trace, text.get(), nullptr);
    auto t1 = Clock::now();
    apply.push_back(Ms(t0, t1));
    ok &= text->Content() == trace.end_content;
    mem = text->Memory();

    t0 = Clock::now();
    snapshot = text->Snapshot();
    t1 = Clock::now();
    encode.push_back(Ms(t0, t1));

    std::unique_ptr<Replica> loaded;
    t0 = Clock::now();
    ok &= Replica::Decode(snapshot, 0xbeef, &loaded);
    volatile uint64_t len = loaded ? loaded->Length() : 0;
    t1 = Clock::now();
    (void)len;
    decode.push_back(Ms(t0, t1));
    ok &= loaded && loaded->Content() == trace.end_content && loaded->Snapshot() == snapshot;
  }
  // Remote: capture per-transaction updates once, then time applying them.
  std::vector<std::string> updates;
  if (phase != kApply) {
    Replica source(0x7a6e);
    const std::string initial = source.Initial();
    if (!initial.empty()) updates.push_back(initial);
    ok &= Replay(trace, &source, &updates);
  }
  for (int r = 0; r < runs && phase != kApply; ++r) {
    Replica remote_text(0xbeef);
    auto t0 = Clock::now();
    for (const std::string& u : updates) ok &= remote_text.Apply(u);
    auto t1 = Clock::now();
    remote.push_back(Ms(t0, t1));
    ok &= remote_text.Content() == trace.end_content && remote_text.Pending() == 0;
  }
  std::printf(
      "{\"trace\":\"%s\",%s\"edits\":%llu,\"ok\":%s,\"apply_ms\":%.2f,\"encode_ms\":%.2f,"
      "\"encoded_bytes\":%zu,\"decode_ms\":%.2f,\"remote_apply_ms\":%.2f,\"mem_bytes\":%llu}\n",
      trace.name.c_str(),
      std::string(Replica::kModel) == "doc" ? "\"model\":\"doc\"," : "",
      static_cast<unsigned long long>(trace.patches()), ok ? "true" : "false",
      Median(apply), Median(encode), snapshot.size(), Median(decode), Median(remote),
      static_cast<unsigned long long>(mem));
  std::fflush(stdout);
  return ok ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  Phase phase = kAll;
  bool doc = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      ++i;
      phase = !std::strcmp(argv[i], "apply")    ? kApply
              : !std::strcmp(argv[i], "remote") ? kRemote
                                                : kAll;
    } else if (!std::strcmp(argv[i], "--model") && i + 1 < argc) {
      doc = !std::strcmp(argv[++i], "doc");
    } else if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::printf("usage: tandem-trace [--runs N] [--only apply|remote] [--model text|doc] TRACE.json.gz...\n");
      return 0;
    } else {
      files.push_back(argv[i]);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: tandem-trace [--runs N] [--only apply|remote] [--model text|doc] TRACE.json.gz...\n");
    return 1;
  }
  int status = 0;
  for (const auto& f : files) status = std::max(status, doc ? Run<DocReplica>(f, runs, phase) : Run<TextReplica>(f, runs, phase));
  return status;
}
