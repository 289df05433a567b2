// doc_sim.h: the randomized convergence simulation of the whole document
// model (tandem::Doc), behind `tandem-converge --doc` and reused by the fuzz
// scenario (tests/fuzz/fuzz_doc_scenario.h) to build nested documents.
//
// P replicas of one Doc make K random local operations in total on every
// container kind: maps (set, delete, GetOrCreate of every type under a small
// shared key pool, so peers create the same container concurrently), lists
// (scalar inserts, nested containers, range deletes — also of elements that
// hold containers — and moves by delete + insert), texts (ASCII, 2/3-byte and
// astral inserts in every index unit, range deletes) and counters (adds,
// wrapping). Operations also target containers that were deleted meanwhile
// (their handles stay valid). Transactions of 1..4 operations; half the
// replicas publish through SetUpdateListener (some operations outside any
// transaction), the others through CommitTransaction(&update).
//
// Updates travel through per-replica inboxes delivered in random order,
// sometimes twice, sometimes much later (a replica goes offline); replicas
// also catch up with EncodeUpdate(own version) from another, re-apply their
// own full update (idempotency), and are replaced by DecodeSnapshot of their
// own snapshot. At the end everything is delivered and every replica must
// hold the same ToJson(), version vector and snapshot bytes, with no pending
// operation; the snapshot must re-encode byte for byte and EncodeUpdate({})
// must rebuild it on a fresh replica.
//
// Undo/redo: DocSimHooks::step (if set) is called as one more kind of step
// with the replica and the PRNG — the place to drive an UndoManager. Replicas
// are rebuilt on reload; DocSimHooks::attach is called for every new Doc.
//
// Deterministic for a given DocSimOptions (the same seed reproduces a run).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/doc.h"
#include "random_text.h"

namespace tandem::sim {

// ---------------------------------------------------------------- random edits

struct DocEditOptions {
  uint64_t max_text = 120;        // soft cap on a text's length (code points)
  uint64_t max_list = 40;         // soft cap on a list's length
  uint64_t max_containers = 250;  // fewer new containers once a replica holds this many
  uint64_t keys = 9;              // map keys drawn from the first `keys` of kDocKeys
};

inline constexpr const char* kDocKeys[] = {"a", "b", "c", "shape", "x/y", "~0", "ключ", "🔑", ""};

inline ContainerType RandomContainerType(Rng& rng) {
  return static_cast<ContainerType>(rng.Range(1, 4));
}

inline Value RandomScalar(Rng& rng) {
  switch (rng.Below(9)) {
    case 0: return Value::Null();
    case 1: return Value::Bool(rng.Below(2) == 1);
    case 2: return Value::Int(static_cast<int64_t>(rng.Below(2000)) - 1000);
    case 3: {
      const int64_t edge[] = {0, -1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
      return Value::Int(edge[rng.Below(4)]);
    }
    case 4: {
      const double d[] = {0.5, -0.0, 1e300, std::numeric_limits<double>::infinity(),
                          std::numeric_limits<double>::quiet_NaN(), -3.25};
      return Value::Double(d[rng.Below(6)]);
    }
    case 5: {
      std::string b;
      for (uint64_t n = rng.Below(6); n > 0; --n) b.push_back(static_cast<char>(rng.Below(256)));
      return Value::Bytes(b);
    }
    default: return Value::String(Utf8(RandomText(rng)));
  }
}

// Every container reachable from the root, root first.
inline std::vector<Container> ReachableContainers(Doc& doc) {
  std::vector<Container> out{doc.root()};
  for (size_t i = 0; i < out.size(); ++i) {
    const Container c = out[i];
    if (c.type() == ContainerType::kMap) {
      for (const std::string& k : c.AsMap().Keys())
        if (auto child = c.AsMap().GetContainer(k)) out.push_back(*child);
    } else if (c.type() == ContainerType::kList) {
      const ListRef l = c.AsList();
      for (uint64_t j = 0, n = l.size(); j < n; ++j)
        if (auto child = l.GetContainer(j)) out.push_back(*child);
    }
  }
  return out;
}

// A random container: mostly a reachable one, sometimes any the replica has
// (deleted ones and lost same-key rivals included).
inline Container PickContainer(Doc& doc, Rng& rng) {
  if (rng.PerMille(200)) return Container(&doc, static_cast<uint32_t>(rng.Below(doc.container_count())));
  const std::vector<Container> all = ReachableContainers(doc);
  return all[rng.Below(all.size())];
}

// One random local operation on `doc` (inside or outside a transaction).
// Returns "" or what went wrong (a valid call that was refused).
inline std::string RandomDocEdit(Doc& doc, Rng& rng, const DocEditOptions& o = {}) {
  const Container c = PickContainer(doc, rng);
  const bool may_create = doc.container_count() < o.max_containers || rng.PerMille(50);
  auto bad = [&](const char* what, const Status& s) {
    return std::string(what) + " on " + std::string(ContainerTypeName(c.type())) + " #" + std::to_string(c.index()) +
           ": " + s.ToString();
  };
  switch (c.type()) {
    case ContainerType::kMap: {
      MapRef m = c.AsMap();
      const uint64_t ki = rng.Below(std::min<uint64_t>(o.keys, std::size(kDocKeys)));
      const std::string key = kDocKeys[ki];
      const uint64_t r = rng.Below(100);
      if (r < 40 && may_create) {
        // Mostly the key's own type, so peers make the same container
        // concurrently (and sometimes a rival type under the same key).
        const ContainerType type =
            rng.PerMille(750) ? static_cast<ContainerType>(1 + ki % 4) : RandomContainerType(rng);
        Container out;
        Status s = m.GetOrCreate(key, type, &out);
        if (!s.ok() && s.code() != StatusCode::kLimitExceeded) return bad("GetOrCreate", s);
        if (s.ok() && !out.valid()) return "GetOrCreate gave no container";
      } else if (r < 85) {
        Status s = m.Set(key, RandomScalar(rng));
        if (!s.ok()) return bad("Set", s);
      } else {
        Status s = m.Delete(key);
        if (!s.ok()) return bad("Delete", s);
      }
      return "";
    }
    case ContainerType::kList: {
      ListRef l = c.AsList();
      const uint64_t n = l.size();
      const uint64_t r = rng.Below(100);
      if (n > 0 && (r < 25 || n > o.max_list)) {
        const uint64_t at = rng.Below(n);
        Status s = l.Delete(at, rng.Range(1, std::min<uint64_t>(4, n - at)));
        if (!s.ok()) return bad("List::Delete", s);
      } else if (n > 1 && r < 40) {
        // Move by delete + insert (a container moves as a new, empty one).
        const uint64_t from = rng.Below(n);
        const uint64_t to = rng.Below(n);  // in the list without the element
        const std::optional<Value> v = l.Get(from);
        if (!v) return "List::Get(" + std::to_string(from) + ") of " + std::to_string(n) + " is empty";
        Status s = l.Delete(from, 1);
        if (!s.ok()) return bad("move: List::Delete", s);
        if (v->is_container()) {
          Container out;
          s = l.InsertContainer(to, v->container_type(), &out);
          if (!s.ok() && s.code() != StatusCode::kLimitExceeded) return bad("move: InsertContainer", s);
        } else {
          s = l.Insert(to, std::span<const Value>(&*v, 1));
          if (!s.ok()) return bad("move: List::Insert", s);
        }
      } else if (r < 60 && may_create) {
        Container out;
        Status s = l.InsertContainer(rng.Below(n + 1), RandomContainerType(rng), &out);
        if (!s.ok() && s.code() != StatusCode::kLimitExceeded) return bad("InsertContainer", s);
      } else {
        std::vector<Value> vals;
        for (uint64_t k = rng.Range(1, 3); k > 0; --k) vals.push_back(RandomScalar(rng));
        Status s = l.Insert(rng.Below(n + 1), vals);
        if (!s.ok()) return bad("List::Insert", s);
      }
      return "";
    }
    case ContainerType::kText: {
      TextRef t = c.AsText();
      const uint64_t n = t.length();
      const IndexUnit units[] = {IndexUnit::kCodePoint, IndexUnit::kUtf16, IndexUnit::kUtf8};
      const IndexUnit unit = units[rng.Below(3)];
      if (n > 0 && (rng.PerMille(350) || n > o.max_text)) {
        const uint64_t a = rng.Below(n);
        const uint64_t b = a + rng.Range(1, std::min<uint64_t>(8, n - a));
        uint64_t ua = 0, ub = 0;
        Status s = t.ConvertIndex(a, IndexUnit::kCodePoint, unit, &ua);
        if (s.ok()) s = t.ConvertIndex(b, IndexUnit::kCodePoint, unit, &ub);
        if (s.ok()) s = t.Delete(ua, ub - ua, unit);
        if (!s.ok()) return bad("Text::Delete", s);
      } else {
        const uint64_t at = rng.Below(n + 1);
        const std::string text = Utf8(RandomText(rng));
        uint64_t ua = 0;
        Status s = t.ConvertIndex(at, IndexUnit::kCodePoint, unit, &ua);
        if (s.ok()) s = t.Insert(ua, text, unit);
        if (!s.ok()) return bad("Text::Insert", s);
      }
      return "";
    }
    case ContainerType::kCounter: {
      const int64_t d = rng.PerMille(100) ? std::numeric_limits<int64_t>::max() - static_cast<int64_t>(rng.Below(3))
                                          : static_cast<int64_t>(rng.Below(201)) - 100;
      Status s = c.AsCounter().Add(d);
      if (!s.ok()) return bad("Counter::Add", s);
      return "";
    }
  }
  return "unknown container type";
}

// ---------------------------------------------------------------- simulation

struct DocSimOptions {
  uint64_t seed = 1;
  int peers = 3;
  uint64_t ops = 500;  // local operations in total
  bool verbose = false;
  std::string dump_dir;  // bytes behind a failed snapshot check are written here
  // "default", "offline" (no delivery until the end), "catchup" (sync only by
  // EncodeUpdate(version)), "reload" (frequent snapshot reloads), "shallow"
  // (DocLimits::max_depth = 3: deeper container values become null),
  // "hotspot" (two map keys, few containers: heavy same-key races).
  std::string profile = "default";

  std::string CommandLine() const {
    std::string s = "tandem-converge --doc --seed " + std::to_string(seed) + " --peers " + std::to_string(peers) +
                    " --ops " + std::to_string(ops);
    if (profile != "default") s += " --profile " + profile;
    return s;
  }
};

struct DocSimResult {
  bool converged = false;
  std::string failure;
  uint64_t containers = 0, json_bytes = 0, snapshot_bytes = 0;
  uint64_t steps = 0, edits = 0, updates = 0, deliveries = 0, catchups = 0, reloads = 0, hook_steps = 0;
  double ms = 0;

  std::string Summary(const DocSimOptions& o) const {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%s doc seed=%llu peers=%d ops=%llu containers=%llu json=%llu snapshot=%llu updates=%llu "
                  "deliveries=%llu catchups=%llu reloads=%llu ms=%.0f",
                  converged ? "converged" : "DIVERGED", static_cast<unsigned long long>(o.seed), o.peers,
                  static_cast<unsigned long long>(o.ops), static_cast<unsigned long long>(containers),
                  static_cast<unsigned long long>(json_bytes), static_cast<unsigned long long>(snapshot_bytes),
                  static_cast<unsigned long long>(updates), static_cast<unsigned long long>(deliveries),
                  static_cast<unsigned long long>(catchups), static_cast<unsigned long long>(reloads), ms);
    std::string s = buf;
    if (o.profile != "default") s += " profile=" + o.profile;
    if (!converged) s += ": " + failure;
    return s;
  }
};

struct DocReplica {
  PeerId peer = 0;
  std::unique_ptr<Doc> doc;
  bool use_listener = false;          // publishes through SetUpdateListener
  std::vector<std::string> inbox;     // updates not delivered yet
  uint64_t offline_until = 0;         // no delivery before this step
  // What a hook keeps for this replica's current Doc (an UndoManager, say):
  // released before the Doc is replaced or destroyed (declared after it).
  std::shared_ptr<void> hook_state;
};

// Extension points (undo/redo): `attach` is called for every Doc a replica
// gets (at the start and after each reload); `step`, if set, is offered as one
// more kind of step (about 1 in 12) and returns "" or a failure.
struct DocSimHooks {
  std::function<void(DocReplica&)> attach;
  std::function<std::string(DocReplica&, Rng&)> step;
};

class DocSimulation {
 public:
  DocSimulation(const DocSimOptions& o, DocSimHooks hooks = {}) : o_(o), hooks_(std::move(hooks)), rng_(o.seed) {}

  DocSimResult Run() {
    const auto t0 = std::chrono::steady_clock::now();
    Setup();
    while (res_.edits < o_.ops && res_.failure.empty()) Step();
    if (res_.failure.empty()) Finish();
    res_.converged = res_.failure.empty();
    res_.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return res_;
  }

 private:
  void Log(const std::string& s) {
    if (o_.verbose) std::fprintf(stderr, "[%llu] %s\n", static_cast<unsigned long long>(res_.steps), s.c_str());
  }
  bool Fail(std::string what) {
    if (res_.failure.empty()) res_.failure = "step " + std::to_string(res_.steps) + ": " + std::move(what);
    return false;
  }
  std::string Name(const DocReplica& r) const { return "replica " + std::to_string(r.peer); }

  void Dump(const std::string& name, const std::string& bytes) {
    if (o_.dump_dir.empty()) return;
    const std::string path = o_.dump_dir + "/" + name;
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
      std::fwrite(bytes.data(), 1, bytes.size(), f);
      std::fclose(f);
      std::fprintf(stderr, "wrote %s\n", path.c_str());
    }
  }

  void Setup() {
    if (o_.profile == "shallow") limits_.max_depth = 3;
    if (o_.profile == "hotspot") {
      edit_.max_containers = 12;
      edit_.keys = 2;
    }
    std::vector<PeerId> ids;
    while (ids.size() < static_cast<size_t>(o_.peers)) {
      PeerId p = rng_.PerMille(300) ? rng_.Range(1, 9) : rng_.Next();
      if (std::find(ids.begin(), ids.end(), p) == ids.end()) ids.push_back(p);
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      auto r = std::make_unique<DocReplica>();
      r->peer = ids[i];
      r->use_listener = i % 2 == 1;
      r->doc = std::make_unique<Doc>(r->peer, limits_);
      Attach(*r);
      replicas_.push_back(std::move(r));
    }
  }

  void Attach(DocReplica& r) {
    if (r.use_listener) {
      DocReplica* rp = &r;
      r.doc->SetUpdateListener([this, rp](std::string_view u) { Broadcast(*rp, std::string(u)); });
    }
    if (hooks_.attach) hooks_.attach(r);
  }

  void Broadcast(const DocReplica& from, std::string u) {
    if (u.empty()) return;
    ++res_.updates;
    for (auto& r : replicas_)
      if (r.get() != &from) r->inbox.push_back(u);
  }

  void Step() {
    ++res_.steps;
    DocReplica& r = *replicas_[rng_.Below(replicas_.size())];
    const uint64_t k = rng_.Below(1000);
    const bool offline = o_.profile == "offline";
    const bool catchup_only = o_.profile == "catchup";
    const uint64_t reload_pm = o_.profile == "reload" ? 60 : 8;
    if (k < 520) {
      LocalTransaction(r);
    } else if (k < 800) {
      if (!offline && !catchup_only && res_.steps >= r.offline_until) Deliver(r, rng_.Range(1, 6));
    } else if (k < 830) {
      if (!offline && rng_.PerMille(catchup_only ? 1000 : 500)) CatchUp(r);
    } else if (k < 830 + reload_pm) {
      Reload(r);
    } else if (k < 860 + reload_pm) {
      if (!offline) r.offline_until = res_.steps + rng_.Range(20, 300);
    } else if (k < 880 + reload_pm) {
      ReapplyOwn(r);
    } else if (hooks_.step && k < 960 + reload_pm) {
      ++res_.hook_steps;
      const VersionVector before = r.doc->version();
      std::string f = hooks_.step(r, rng_);
      if (!f.empty()) Fail(Name(r) + ": " + f);
      // What the hook did locally travels like any local transaction
      // (listener replicas have sent it already).
      if (!r.use_listener && !(r.doc->version() == before)) Broadcast(r, r.doc->EncodeUpdate(before));
    } else {
      LocalTransaction(r);
    }
  }

  void LocalTransaction(DocReplica& r) {
    Doc& d = *r.doc;
    const int n = static_cast<int>(rng_.Range(1, 4));
    // Listener replicas sometimes edit outside a transaction (one implicit
    // transaction, one update per operation).
    const bool explicit_txn = !r.use_listener || rng_.PerMille(600);
    if (explicit_txn) {
      Status s = d.BeginTransaction(rng_.PerMille(500) ? "sim" : "");
      if (!s.ok()) {
        Fail(Name(r) + ": BeginTransaction: " + s.ToString());
        return;
      }
    }
    for (int i = 0; i < n && res_.edits < o_.ops; ++i) {
      std::string f = RandomDocEdit(d, rng_, edit_);
      ++res_.edits;
      if (!f.empty()) {
        Fail(Name(r) + ": " + f);
        if (explicit_txn) (void)d.CommitTransaction(nullptr);
        return;
      }
    }
    if (explicit_txn) {
      std::string u;
      Status s = d.CommitTransaction(r.use_listener ? nullptr : &u);
      if (!s.ok()) {
        Fail(Name(r) + ": CommitTransaction: " + s.ToString());
        return;
      }
      if (!r.use_listener) Broadcast(r, std::move(u));
    }
    Log(Name(r) + " edited, json " + std::to_string(d.ToJson().size()) + " bytes");
  }

  bool Apply(DocReplica& r, const std::string& bytes, const char* what) {
    Status s = r.doc->ApplyUpdate(bytes, "remote");
    if (!s.ok()) return Fail(Name(r) + ": " + what + " refused: " + s.ToString());
    return true;
  }

  bool Deliver(DocReplica& r, uint64_t count) {
    for (uint64_t i = 0; i < count && !r.inbox.empty(); ++i) {
      const size_t at = rng_.Below(r.inbox.size());
      std::string u = r.inbox[at];
      if (!rng_.PerMille(80)) {  // else delivered again later: a duplicate
        r.inbox[at] = std::move(r.inbox.back());
        r.inbox.pop_back();
      }
      ++res_.deliveries;
      if (!Apply(r, u, "update")) return false;
    }
    return true;
  }

  void CatchUp(DocReplica& r) {
    DocReplica& from = *replicas_[rng_.Below(replicas_.size())];
    if (&from == &r) return;
    ++res_.catchups;
    Log(Name(r) + " catches up from " + Name(from));
    Apply(r, from.doc->EncodeUpdate(r.doc->version()), "EncodeUpdate(version)");
  }

  void ReapplyOwn(DocReplica& r) {
    const std::string snap = r.doc->EncodeSnapshot();
    if (!Apply(r, r.doc->EncodeUpdate({}), "its own EncodeUpdate({})")) return;
    if (r.doc->EncodeSnapshot() != snap) Fail(Name(r) + ": re-applying its own operations changed the snapshot");
  }

  bool Reload(DocReplica& r) {
    ++res_.reloads;
    const std::string snap = r.doc->EncodeSnapshot();
    std::unique_ptr<Doc> fresh;
    Status s = Doc::DecodeSnapshot(snap, r.peer, &fresh, limits_);
    if (!s.ok() || !fresh) return Fail(Name(r) + ": DecodeSnapshot of its own snapshot: " + s.ToString());
    if (fresh->EncodeSnapshot() != snap) return Fail(Name(r) + ": reloaded snapshot re-encodes differently");
    if (fresh->ToJson() != r.doc->ToJson()) return Fail(Name(r) + ": reloaded JSON differs");
    if (!(fresh->version() == r.doc->version())) return Fail(Name(r) + ": reloaded version differs");
    if (fresh->pending_ops() != r.doc->pending_ops()) return Fail(Name(r) + ": reloaded pending ops differ");
    Log(Name(r) + " reloaded (" + std::to_string(snap.size()) + " bytes)");
    r.hook_state.reset();  // it may point into the old Doc
    r.doc = std::move(fresh);
    Attach(r);
    return true;
  }

  void Finish() {
    // Everyone comes online and gets everything, in random order.
    for (;;) {
      std::vector<DocReplica*> waiting;
      for (auto& r : replicas_)
        if (!r->inbox.empty()) waiting.push_back(r.get());
      if (waiting.empty()) break;
      DocReplica& r = *waiting[rng_.Below(waiting.size())];
      r.offline_until = 0;
      if (!Deliver(r, 1)) return;
    }
    if (o_.profile == "catchup" || o_.profile == "offline") {
      // Nothing went through the inboxes' order alone: a full mesh of catch-ups too.
      for (auto& a : replicas_)
        for (auto& b : replicas_)
          if (a != b && !Apply(*a, b->doc->EncodeUpdate(a->doc->version()), "final EncodeUpdate(version)")) return;
    }
    const DocReplica& ref = *replicas_[0];
    const std::string json = ref.doc->ToJson();
    const std::string snap = ref.doc->EncodeSnapshot();
    for (auto& r : replicas_) {
      if (r->doc->pending_ops() != 0)
        return (void)Fail(Name(*r) + " still holds " + std::to_string(r->doc->pending_ops()) + " pending ops");
      if (r->doc->ToJson() != json)
        return (void)Fail(Name(*r) + " JSON differs from " + Name(ref) + ":\n  " + r->doc->ToJson() + "\n  " + json);
      if (!(r->doc->version() == ref.doc->version())) return (void)Fail(Name(*r) + " version differs from " + Name(ref));
      if (r->doc->EncodeSnapshot() != snap) {
        Dump("failure-snapshot-a.bin", snap);
        Dump("failure-snapshot-b.bin", r->doc->EncodeSnapshot());
        return (void)Fail(Name(*r) + " snapshot bytes differ from " + Name(ref));
      }
    }
    std::unique_ptr<Doc> decoded;
    Status s = Doc::DecodeSnapshot(snap, ~ref.peer, &decoded, limits_);
    if (!s.ok() || !decoded) return (void)Fail("DecodeSnapshot of the final snapshot: " + s.ToString());
    if (decoded->EncodeSnapshot() != snap) return (void)Fail("final snapshot: encode -> decode -> encode differs");
    if (decoded->ToJson() != json) return (void)Fail("final snapshot decodes to other JSON");
    Doc fresh(~ref.peer, limits_);
    s = fresh.ApplyUpdate(ref.doc->EncodeUpdate({}));
    if (!s.ok()) return (void)Fail("EncodeUpdate({}) refused by a fresh replica: " + s.ToString());
    if (fresh.EncodeSnapshot() != snap) return (void)Fail("EncodeUpdate({}) rebuilds other snapshot bytes");
    res_.containers = ref.doc->container_count();
    res_.json_bytes = json.size();
    res_.snapshot_bytes = snap.size();
  }

  DocSimOptions o_;
  DocSimHooks hooks_;
  Rng rng_;
  DocLimits limits_;
  DocEditOptions edit_;
  DocSimResult res_;
  std::vector<std::unique_ptr<DocReplica>> replicas_;
};

inline DocSimResult RunDocSimulation(const DocSimOptions& o, DocSimHooks hooks = {}) {
  return DocSimulation(o, std::move(hooks)).Run();
}

}  // namespace tandem::sim
