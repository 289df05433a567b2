// tandem-doc-bench: the document-model benchmark of issue 3. Two deterministic
// workloads (fixed seed; bench/compare/doc_bench.mjs mirrors them draw for draw
// in Yjs and Loro), one JSON line per workload, times are medians of --runs runs.
//
// whiteboard: 10,000 shapes under the root map key "shapes". Shape i is a Map
//   stored under a 10-character random id [0-9a-z], built in its own
//   transaction: GetOrCreate(id, Map), then Set "type" (one of 4 strings), "x",
//   "y" (doubles), "color" (one of 8 "#rrggbb" strings), then GetOrCreate
//   "points" (List) and 50 points, each pushed as two doubles x,y by
//   Insert(size(), {x, y}) — 100 numbers per shape. Every double is
//   (draw % 100000) / 100, i.e. 0.00..999.99.
//     build_ms         the 10,001 transactions (the first creates "shapes")
//     encode_ms        EncodeSnapshot()
//     snapshot_bytes   its size
//     decode_ms        DecodeSnapshot() into a fresh replica, then reading the
//                      shape count and the last shape's point count
//     update_encode_ms EncodeUpdate() (everything since the empty version)
//     update_bytes     its size
//     update_apply_ms  ApplyUpdate() of it into a fresh replica
//     mem_bytes        MemoryUsage() of the built document
//     rss_bytes        process RSS growth across the first build (glibc
//                      malloc; informational)
//
// mapwrites: 10 peers (Docs), 100,000 writes in total to the root map. Write i
//   picks a peer (draw % 10), a key "k<draw % 1000>" and a value: an int
//   (draw % 1,000,000) or an 8-character string [a-z] (draw % 2 picks which).
//   Each write is its own transaction producing one update. The peers never
//   hear from each other (all writes of different peers are concurrent).
//     gen_ms           the 100,000 transactions with their updates
//     update_bytes     total size of the 100,000 updates
//     apply_ms         a fresh replica applying all updates in generation
//                      order (interleaved across peers, each peer's own
//                      order kept)
//     snapshot_bytes   EncodeSnapshot() of that replica
//     mem_bytes        MemoryUsage() of that replica
//
// "ok" is true only if the checks hold: the decoded and update-applied
// replicas re-encode the same snapshot and JSON as the original; the map
// replica converges with one that got the updates peer by peer; nothing is
// pending. "workload_hash" (FNV-1a of every random draw) lets the JS side
// prove it drew the same workload.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/doc.h"

namespace {

using tandem::Container;
using tandem::ContainerType;
using tandem::Doc;
using tandem::Value;
using Clock = std::chrono::steady_clock;

// --shapes / --writes / --keys change the workloads for profiling (the hash
// then differs; doc_bench.mjs has no such flags).
int kShapes = 10000;
constexpr int kPointsPerShape = 50;
constexpr int kPeers = 10;
int kWrites = 100000;
int kKeySpace = 1000;
// --with-updates: whiteboard transactions also produce their update (profiling).
bool kWithUpdates = false;
constexpr uint32_t kWhiteboardSeed = 0x7a6e0001;
constexpr uint32_t kMapSeed = 0x7a6e0002;
// Peer ids are random 64-bit values in practice (docs/architecture.md).
constexpr tandem::PeerId kLocalPeer = 0x5be0cd19137e2179ull;
constexpr tandem::PeerId kRemotePeer = 0x1f83d9abfb41bd6bull;

const char* const kTypes[] = {"rect", "ellipse", "line", "freehand"};
const char* const kColors[] = {"#1e1e1e", "#e03131", "#2f9e44", "#1971c2",
                               "#f08c00", "#6741d9", "#0c8599", "#868e96"};

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// mulberry32, the same generator as doc_bench.mjs; every draw is hashed.
class Rng {
 public:
  explicit Rng(uint32_t seed) : s_(seed) {}
  uint32_t Next() {
    uint32_t t = s_ += 0x6D2B79F5u;
    t = (t ^ (t >> 15)) * (t | 1u);
    t = (t + (t ^ (t >> 7)) * (t | 61u)) ^ t;
    t ^= t >> 14;
    hash_ = (hash_ ^ t) * 16777619u;
    return t;
  }
  double Coord() { return static_cast<double>(Next() % 100000) / 100; }
  std::string Chars(int n, const char* alphabet, uint32_t size) {
    std::string s;
    for (int i = 0; i < n; ++i) s += alphabet[Next() % size];
    return s;
  }
  uint32_t hash() const { return hash_; }

 private:
  uint32_t s_;
  uint32_t hash_ = 2166136261u;
};

long RssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages = 0, rss = 0;
  if (std::fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
  std::fclose(f);
  return rss * 4096;
}

// ---- whiteboard

struct Shape {
  std::string id, type, color;
  double x, y;
  std::vector<Value> points;  // 2 * kPointsPerShape doubles
};

std::vector<Shape> MakeShapes(uint32_t* hash) {
  Rng rng(kWhiteboardSeed);
  std::vector<Shape> shapes(kShapes);
  for (Shape& s : shapes) {
    s.id = rng.Chars(10, "0123456789abcdefghijklmnopqrstuvwxyz", 36);
    s.type = kTypes[rng.Next() % 4];
    s.color = kColors[rng.Next() % 8];
    s.x = rng.Coord();
    s.y = rng.Coord();
    for (int k = 0; k < 2 * kPointsPerShape; ++k) s.points.push_back(Value::Double(rng.Coord()));
  }
  *hash = rng.hash();
  return shapes;
}

bool Build(const std::vector<Shape>& shapes, Doc* doc) {
  bool ok = true;
  Container root_shapes;
  ok &= doc->BeginTransaction().ok();
  ok &= doc->root().GetOrCreate("shapes", ContainerType::kMap, &root_shapes).ok();
  ok &= doc->CommitTransaction().ok();
  tandem::MapRef shapes_map = root_shapes.AsMap();
  std::string update;
  for (const Shape& s : shapes) {
    ok &= doc->BeginTransaction().ok();
    Container shape, points;
    ok &= shapes_map.GetOrCreate(s.id, ContainerType::kMap, &shape).ok();
    tandem::MapRef m = shape.AsMap();
    ok &= m.Set("type", Value::String(s.type)).ok();
    ok &= m.Set("x", Value::Double(s.x)).ok();
    ok &= m.Set("y", Value::Double(s.y)).ok();
    ok &= m.Set("color", Value::String(s.color)).ok();
    ok &= m.GetOrCreate("points", ContainerType::kList, &points).ok();
    tandem::ListRef list = points.AsList();
    for (size_t k = 0; k < s.points.size(); k += 2) {
      ok &= list.Insert(list.size(), std::span<const Value>(&s.points[k], 2)).ok();
    }
    ok &= doc->CommitTransaction(kWithUpdates ? &update : nullptr).ok();
  }
  return ok;
}

// Shape count and the last shape's point count, as a reader would look.
bool Read(Doc& doc, const std::vector<Shape>& shapes) {
  auto c = doc.root().GetContainer("shapes");
  if (!c || c->type() != ContainerType::kMap) return false;
  tandem::MapRef m = c->AsMap();
  auto shape = m.GetContainer(shapes.back().id);
  if (!shape || shape->type() != ContainerType::kMap) return false;
  auto points = shape->AsMap().GetContainer("points");
  if (!points || points->type() != ContainerType::kList) return false;
  return m.size() == shapes.size() && points->AsList().size() == 2u * kPointsPerShape;
}

bool Whiteboard(int runs) {
  uint32_t hash = 0;
  const std::vector<Shape> shapes = MakeShapes(&hash);
  bool ok = true;
  std::vector<double> build, encode, decode, uencode, uapply;
  std::string snapshot, update;
  uint64_t mem = 0;
  long rss = 0;
  for (int r = 0; r < runs; ++r) {
    long rss0 = RssBytes();
    auto doc = std::make_unique<Doc>(kLocalPeer);
    auto t0 = Clock::now();
    ok &= Build(shapes, doc.get());
    auto t1 = Clock::now();
    build.push_back(Ms(t0, t1));
    if (r == 0) rss = RssBytes() - rss0;
    mem = doc->MemoryUsage();
    ok &= Read(*doc, shapes);

    t0 = Clock::now();
    snapshot = doc->EncodeSnapshot();
    t1 = Clock::now();
    encode.push_back(Ms(t0, t1));

    std::unique_ptr<Doc> loaded;
    t0 = Clock::now();
    ok &= Doc::DecodeSnapshot(snapshot, kRemotePeer, &loaded).ok();
    bool read = loaded && Read(*loaded, shapes);
    t1 = Clock::now();
    decode.push_back(Ms(t0, t1));
    ok &= read;

    t0 = Clock::now();
    update = doc->EncodeUpdate();
    t1 = Clock::now();
    uencode.push_back(Ms(t0, t1));

    auto fresh = std::make_unique<Doc>(kRemotePeer);
    t0 = Clock::now();
    ok &= fresh->ApplyUpdate(update).ok();
    t1 = Clock::now();
    uapply.push_back(Ms(t0, t1));
    ok &= Read(*fresh, shapes) && fresh->pending_ops() == 0;

    if (r == 0) {  // full checks once: they are slow and deterministic
      std::string json = doc->ToJson();
      ok &= loaded->EncodeSnapshot() == snapshot && loaded->ToJson() == json;
      ok &= fresh->EncodeSnapshot() == snapshot && fresh->ToJson() == json;
    }
  }
  std::printf(
      "{\"workload\":\"whiteboard\",\"shapes\":%d,\"points_per_shape\":%d,\"ok\":%s,"
      "\"workload_hash\":%u,\"runs\":%d,\"build_ms\":%.2f,\"encode_ms\":%.2f,\"snapshot_bytes\":%zu,"
      "\"decode_ms\":%.2f,\"update_encode_ms\":%.2f,\"update_bytes\":%zu,\"update_apply_ms\":%.2f,"
      "\"mem_bytes\":%llu,\"rss_bytes\":%ld}\n",
      kShapes, kPointsPerShape, ok ? "true" : "false", hash, runs, Median(build), Median(encode),
      snapshot.size(), Median(decode), Median(uencode), update.size(), Median(uapply),
      static_cast<unsigned long long>(mem), rss);
  std::fflush(stdout);
  return ok;
}

// ---- map writes

struct Write {
  int peer;
  std::string key;
  Value value;
};

std::vector<Write> MakeWrites(uint32_t* hash) {
  Rng rng(kMapSeed);
  std::vector<Write> writes(kWrites);
  for (Write& w : writes) {
    w.peer = static_cast<int>(rng.Next() % kPeers);
    w.key = "k" + std::to_string(rng.Next() % kKeySpace);
    if (rng.Next() % 2 == 0) {
      w.value = Value::Int(rng.Next() % 1000000);
    } else {
      w.value = Value::String(rng.Chars(8, "abcdefghijklmnopqrstuvwxyz", 26));
    }
  }
  *hash = rng.hash();
  return writes;
}

tandem::PeerId PeerIdOf(int p) {
  // Distinct random-looking 64-bit ids (splitmix64 of p + 1).
  uint64_t z = (static_cast<uint64_t>(p) + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

bool MapWrites(int runs) {
  uint32_t hash = 0;
  const std::vector<Write> writes = MakeWrites(&hash);
  bool ok = true;
  std::vector<double> gen, apply;
  std::vector<std::string> updates;
  std::string snapshot;
  uint64_t mem = 0, update_bytes = 0;
  for (int r = 0; r < runs; ++r) {
    updates.clear();
    updates.reserve(kWrites);
    std::vector<std::unique_ptr<Doc>> peers;
    for (int p = 0; p < kPeers; ++p) peers.push_back(std::make_unique<Doc>(PeerIdOf(p)));
    std::string update;
    auto t0 = Clock::now();
    for (const Write& w : writes) {
      Doc& d = *peers[w.peer];
      ok &= d.BeginTransaction().ok();
      ok &= d.root().Set(w.key, w.value).ok();
      ok &= d.CommitTransaction(&update).ok();
      updates.push_back(update);
    }
    auto t1 = Clock::now();
    gen.push_back(Ms(t0, t1));
    peers.clear();
    update_bytes = 0;
    for (const auto& u : updates) update_bytes += u.size();

    auto replica = std::make_unique<Doc>(kRemotePeer);
    t0 = Clock::now();
    for (const auto& u : updates) ok &= replica->ApplyUpdate(u).ok();
    t1 = Clock::now();
    apply.push_back(Ms(t0, t1));
    ok &= replica->pending_ops() == 0;
    snapshot = replica->EncodeSnapshot();
    mem = replica->MemoryUsage();

    if (r == 0) {  // another delivery order (peer by peer) must converge
      Doc other(kLocalPeer);
      for (int p = 0; p < kPeers; ++p) {
        for (size_t i = 0; i < writes.size(); ++i) {
          if (writes[i].peer == p) ok &= other.ApplyUpdate(updates[i]).ok();
        }
      }
      ok &= other.EncodeSnapshot() == snapshot && other.ToJson() == replica->ToJson();
    }
  }
  std::printf(
      "{\"workload\":\"mapwrites\",\"peers\":%d,\"writes\":%d,\"keys\":%d,\"ok\":%s,"
      "\"workload_hash\":%u,\"runs\":%d,\"gen_ms\":%.2f,\"update_bytes\":%llu,\"apply_ms\":%.2f,"
      "\"snapshot_bytes\":%zu,\"mem_bytes\":%llu}\n",
      kPeers, kWrites, kKeySpace, ok ? "true" : "false", hash, runs, Median(gen),
      static_cast<unsigned long long>(update_bytes), Median(apply), snapshot.size(),
      static_cast<unsigned long long>(mem));
  std::fflush(stdout);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  bool whiteboard = true, mapwrites = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--shapes") && i + 1 < argc) {
      kShapes = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--with-updates")) {
      kWithUpdates = true;
    } else if (!std::strcmp(argv[i], "--keys") && i + 1 < argc) {
      kKeySpace = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--writes") && i + 1 < argc) {
      kWrites = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      ++i;
      whiteboard = !std::strcmp(argv[i], "whiteboard");
      mapwrites = !std::strcmp(argv[i], "mapwrites");
      if (!whiteboard && !mapwrites) {
        std::fprintf(stderr, "tandem-doc-bench: unknown workload %s\n", argv[i]);
        return 1;
      }
    } else {
      std::printf(
          "usage: tandem-doc-bench [--runs N] [--only whiteboard|mapwrites] [--shapes N] "
          "[--writes N] [--keys N] [--with-updates]\n");
      return std::strcmp(argv[i], "--help") && std::strcmp(argv[i], "-h") ? 1 : 0;
    }
  }
  bool ok = true;
  if (whiteboard) ok &= Whiteboard(runs);
  if (mapwrites) ok &= MapWrites(runs);
  return ok ? 0 : 2;
}
