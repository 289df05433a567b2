// doc_hostile_util.h: the fixtures of the doc_hostile_*_test files: a base
// document of three peers holding every container kind; the checks of what
// bad input may do to it (refused with the document exactly as it was, or
// accepted with a consistent replica); and DocUpdateBuilder, which writes a
// DocUpdate column by column (wire classes of tandem.pb.h used directly) so a
// test can put exactly the mistake it means into it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tandem.pb.h"

#include "../tools/doc_sim.h"
#include "core/doc.h"
#include "core/format.h"
#include "core/snapshot_envelope.h"
#include "wire_builder.h"

// Not tandem::hostile: hostile_input.h has its own kLocal and BaseSnapshot
// there (of a Text), and two inline definitions of one name in one binary
// would be merged by the linker without a word.
namespace tandem::doc_hostile {

using wiretest::DelRun;
using wiretest::Id;
using wiretest::InsRun;

inline constexpr PeerId kLocal = 0x10CA1;
inline constexpr PeerId kEvil = 9;  // the peer of the hand-built operations

// Value kinds are one byte each (schema/tandem.proto, Values).
inline void AddKind(wire::Values* v, uint32_t kind) {
  v->mutable_kinds()->push_back(static_cast<char>(kind));
}

// ---------------------------------------------------------------- fixtures

// A document of peers 1..3: maps in maps, a list holding scalars, a map, a
// text and a deleted counter element, a text, a counter.
inline const std::string& BaseSnapshot() {
  static const std::string snap = [] {
    Doc a(1), b(2), c(3);
    Container m, inner, l, t, cnt, lm, lt, lc;
    (void)a.root().GetOrCreate("m", ContainerType::kMap, &m);
    (void)m.AsMap().Set("k", Value::Int(1));
    (void)m.AsMap().GetOrCreate("inner", ContainerType::kMap, &inner);
    (void)inner.AsMap().Set("deep", Value::String("é"));
    (void)a.root().GetOrCreate("l", ContainerType::kList, &l);
    const Value vals[] = {Value::Int(1), Value::Int(2), Value::Int(3)};
    (void)l.AsList().Insert(0, vals);
    (void)l.AsList().InsertContainer(1, ContainerType::kMap, &lm);
    (void)lm.AsMap().Set("x", Value::Bool(true));
    (void)b.ApplyUpdate(a.EncodeUpdate({}));
    (void)b.root().GetContainer("l")->AsList().InsertContainer(0, ContainerType::kText, &lt);
    (void)lt.AsText().Insert(0, "héllo 🌍");
    (void)b.root().GetContainer("l")->AsList().InsertContainer(0, ContainerType::kCounter, &lc);
    (void)lc.AsCounter().Add(4);
    (void)b.root().GetContainer("l")->AsList().Delete(0, 1);  // the counter element
    (void)c.ApplyUpdate(b.EncodeUpdate({}));
    (void)c.root().GetOrCreate("t", ContainerType::kText, &t);
    (void)t.AsText().Insert(0, "abc 🌍 déf");
    (void)t.AsText().Delete(1, 2);
    (void)c.root().GetOrCreate("c", ContainerType::kCounter, &cnt);
    (void)cnt.AsCounter().Add(5);
    (void)a.ApplyUpdate(c.EncodeUpdate({}));
    return a.EncodeSnapshot();
  }();
  return snap;
}

inline std::unique_ptr<Doc> Fresh(PeerId peer = kLocal, DocLimits limits = {}) {
  std::unique_ptr<Doc> d;
  Status st = Doc::DecodeSnapshot(BaseSnapshot(), peer, &d, limits);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return d;
}

struct State {
  std::string snapshot, json;
  VersionVector version;
  uint64_t pending = 0;
};

inline State StateOf(const Doc& d) {
  return State{d.EncodeSnapshot(), d.ToJson(), d.version(), d.pending_ops()};
}

inline void ExpectSame(const State& a, const State& b, const std::string& what) {
  EXPECT_EQ(a.snapshot, b.snapshot) << what;
  EXPECT_EQ(a.json, b.json) << what;
  EXPECT_TRUE(a.version == b.version) << what;
  EXPECT_EQ(a.pending, b.pending) << what;
}

// A consistent replica: its snapshot round-trips byte for byte, re-applying
// its operations changes nothing, and it can still be edited.
inline void ExpectConsistent(Doc& d, const std::string& what, DocLimits limits = {}) {
  const State s = StateOf(d);
  std::unique_ptr<Doc> again;
  Status st = Doc::DecodeSnapshot(s.snapshot, kLocal, &again, limits);
  ASSERT_TRUE(st.ok()) << what << ": " << st.ToString();
  ExpectSame(StateOf(*again), s, what + " (snapshot round trip)");
  ASSERT_TRUE(d.ApplyUpdate(d.EncodeUpdate({})).ok()) << what;
  ExpectSame(StateOf(d), s, what + " (re-applied)");
  sim::Rng rng(7);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(sim::RandomDocEdit(d, rng), "") << what;
}

inline wire::DocUpdate ParseDocUpdate(const std::string& bytes) {
  wire::DocUpdate msg;
  EXPECT_TRUE(msg.ParseFromString(bytes));
  return msg;
}

// Applies `msg` to an empty replica: it must read back to `want`, with
// nothing pending.
inline void ExpectReadsAs(const wire::DocUpdate& msg, const Doc& want, const std::string& what) {
  Doc fresh(kLocal);
  Status st = fresh.ApplyUpdate(msg.SerializeAsString());
  ASSERT_TRUE(st.ok()) << what << ": " << st.ToString();
  EXPECT_EQ(fresh.pending_ops(), 0u) << what;
  EXPECT_EQ(fresh.ToJson(), want.ToJson()) << what;
  EXPECT_EQ(fresh.EncodeSnapshot(), want.EncodeSnapshot()) << what;
}

// Applies `bytes` to a fresh base replica: must be refused, nothing changed,
// no event.
inline void ExpectRefused(const std::string& bytes, const std::string& what,
                          DocLimits limits = {}) {
  std::unique_ptr<Doc> d = Fresh(kLocal, limits);
  const State before = StateOf(*d);
  int events = 0;
  d->Observe(d->root(), true, [&](const ChangeEvent&) { ++events; });
  Status st = d->ApplyUpdate(bytes);
  EXPECT_FALSE(st.ok()) << what << ": accepted";
  ExpectSame(StateOf(*d), before, what);
  EXPECT_EQ(events, 0) << what;
}

// A named mistake put into a valid message.
using Damage = std::pair<std::string, std::function<void(wire::DocUpdate*)>>;

// Each damage on its own copy of `msg`: refused whole (ExpectRefused).
inline void ExpectEachRefused(const wire::DocUpdate& msg, const std::vector<Damage>& damage) {
  for (const auto& [what, damage_it] : damage) {
    wire::DocUpdate bad = msg;
    damage_it(&bad);
    ExpectRefused(bad.SerializeAsString(), what);
  }
}

// Refused with nothing changed, or accepted and consistent.
inline void ExpectRefusedOrConsistent(const std::string& bytes, const std::string& what) {
  std::unique_ptr<Doc> d = Fresh();
  const State before = StateOf(*d);
  Status st = d->ApplyUpdate(bytes);
  if (!st.ok()) {
    ExpectSame(StateOf(*d), before, what + ": " + st.ToString());
    return;
  }
  ExpectConsistent(*d, what);
}

// ---------------------------------------------------------------- builder

// A DocUpdate built column by column (schema/tandem.proto).
class DocUpdateBuilder {
 public:
  explicit DocUpdateBuilder(std::vector<uint64_t> peers) : peers_(std::move(peers)) {
    std::sort(peers_.begin(), peers_.end());
    u_.set_format_version(format::kDocUpdateVersion);
    for (uint64_t p : peers_) u_.add_peers(p);
  }
  uint32_t Root() { return Ref(0, ContainerType::kMap); }
  uint32_t Child(uint32_t parent, const std::string& key, ContainerType type) {
    const uint32_t i = Ref(1, type);
    u_.mutable_containers(static_cast<int>(i))->set_parent(parent);
    u_.mutable_containers(static_cast<int>(i))->set_key(key);
    return i;
  }
  uint32_t Item(uint64_t peer, uint64_t counter, ContainerType type) {
    const uint32_t i = Ref(2, type);
    u_.mutable_containers(static_cast<int>(i))->set_item_peer(Index(peer));
    u_.mutable_containers(static_cast<int>(i))->set_item_counter(counter);
    return i;
  }
  wire::ContainerRef* ref(uint32_t i) { return u_.mutable_containers(static_cast<int>(i)); }

  // A section of text inserts / deletes (or list inserts with `values`).
  wire::SequenceOps* Sequence(uint32_t container, const std::vector<InsRun>& ins,
                              const std::vector<DelRun>& del = {},
                              const std::vector<Value>& values = {}) {
    wire::SequenceOps* s = u_.add_sequences();
    s->set_container(container);
    if (!ins.empty()) wiretest::EncodeRuns(ins, peers_, s->mutable_inserts(), /*neighbours=*/false);
    if (!del.empty()) wiretest::EncodeDeletes(del, peers_, s->mutable_deletes());
    for (const Value& v : values) PutValue(v, s->mutable_values());
    return s;
  }

  struct MapRow {
    uint32_t container;
    uint64_t peer, counter, lamport;
    std::string key;
    std::optional<Value> value;  // nullopt: a delete
  };
  // Rows must be sorted by (peer, counter).
  void MapOps(const std::vector<MapRow>& rows) {
    wire::MapOps* m = u_.mutable_map_ops();
    std::vector<std::string> keys;
    for (const MapRow& r : rows) keys.push_back(r.key);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const std::string& k : keys) m->add_keys(k);
    std::vector<uint32_t> cont, rp;
    uint64_t last_peer = UINT64_MAX, last = 0, lamport = 0;
    for (const MapRow& r : rows) {
      cont.push_back(r.container);
      rp.push_back(Index(r.peer));
      m->add_key(
          static_cast<uint32_t>(std::lower_bound(keys.begin(), keys.end(), r.key) - keys.begin()));
      m->add_counter(static_cast<int64_t>(r.counter - (r.peer == last_peer ? last : 0)));
      last_peer = r.peer;
      last = r.counter;
      m->add_lamport(static_cast<int64_t>(r.lamport - lamport));
      lamport = r.lamport;
      if (r.value) {
        PutValue(*r.value, m->mutable_values());
      } else {
        AddKind(m->mutable_values(), 12);
      }
    }
    wiretest::PutRuns(cont, m->mutable_container_runs());
    wiretest::PutRuns(rp, m->mutable_peer_runs());
  }

  struct CounterRow {
    uint32_t container;
    uint64_t peer, counter;
    int64_t delta;
  };
  void CounterOps(const std::vector<CounterRow>& rows) {
    wire::CounterOps* c = u_.mutable_counter_ops();
    std::vector<uint32_t> cont, rp;
    uint64_t last_peer = UINT64_MAX, last = 0;
    for (const CounterRow& r : rows) {
      cont.push_back(r.container);
      rp.push_back(Index(r.peer));
      c->add_counter(static_cast<int64_t>(r.counter - (r.peer == last_peer ? last : 0)));
      last_peer = r.peer;
      last = r.counter;
      c->add_delta(r.delta);
    }
    wiretest::PutRuns(cont, c->mutable_container_runs());
    wiretest::PutRuns(rp, c->mutable_peer_runs());
  }

  void Noop(uint64_t peer, uint64_t counter, uint64_t len) {
    wire::IdRanges* n = u_.mutable_noops();
    n->add_peer_runs(Index(peer));
    n->add_peer_runs(1);
    n->add_counter(static_cast<int64_t>(counter));
    n->add_len(len);
  }

  static void PutValue(const Value& v, wire::Values* out) {
    switch (v.kind()) {
      case Value::Kind::kNull: AddKind(out, 0); break;
      case Value::Kind::kBool: AddKind(out, v.as_bool() ? 2 : 1); break;
      case Value::Kind::kInt:
        AddKind(out, 3);
        out->add_ints(v.as_int());
        break;
      case Value::Kind::kDouble:
        AddKind(out, 4);
        out->add_doubles(v.as_double());
        break;
      case Value::Kind::kString:
        AddKind(out, 5);
        out->add_strings(std::string(v.as_string()));
        break;
      case Value::Kind::kBytes:
        AddKind(out, 6);
        out->add_strings(std::string(v.as_string()));
        break;
      case Value::Kind::kContainer:
        AddKind(out, 7 + static_cast<uint32_t>(v.container_type()));
        break;
    }
  }

  wire::DocUpdate& msg() { return u_; }
  std::string Bytes() const { return u_.SerializeAsString(); }
  // As the state of a snapshot (an uncompressed-or-deflated envelope).
  std::string SnapshotBytes() const {
    wire::DocSnapshotBody body;
    *body.mutable_state() = u_;
    return WrapSnapshot(body.SerializeAsString(), format::kDocSnapshotVersion);
  }

 private:
  uint32_t Ref(uint32_t kind, ContainerType type) {
    wire::ContainerRef* r = u_.add_containers();
    r->set_kind(kind);
    r->set_type(static_cast<uint32_t>(type));
    return static_cast<uint32_t>(u_.containers_size() - 1);
  }
  uint32_t Index(uint64_t peer) const {
    return static_cast<uint32_t>(std::find(peers_.begin(), peers_.end(), peer) - peers_.begin());
  }
  std::vector<uint64_t> peers_;
  wire::DocUpdate u_;
};

using Row = DocUpdateBuilder::MapRow;

}  // namespace tandem::doc_hostile
