// Doc: bad input. Truncated and bit-flipped document updates and snapshots,
// and hand-built adversarial DocUpdates / DocSnapshotBodies (wire classes of
// tandem.pb.h used directly): each is refused whole with the document exactly
// as it was, or -- where the format defines what happens -- handled the same
// way on every replica whatever the order things arrive in.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "../tools/doc_sim.h"
#include "core/doc.h"
#include "core/format.h"
#include "core/snapshot_envelope.h"
#include "tandem.pb.h"
#include "wire_builder.h"

namespace tandem {
namespace {

using wiretest::DelRun;
using wiretest::Id;
using wiretest::InsRun;

constexpr PeerId kLocal = 0x10CA1;
constexpr PeerId kEvil = 9;  // the peer of the hand-built operations

// Value kinds are one byte each (schema/tandem.proto, Values).
void AddKind(wire::Values* v, uint32_t kind) { v->mutable_kinds()->push_back(static_cast<char>(kind)); }

// ---------------------------------------------------------------- fixtures

// A document of peers 1..3: maps in maps, a list holding scalars, a map, a
// text and a deleted counter element, a text, a counter.
const std::string& BaseSnapshot() {
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

std::unique_ptr<Doc> Fresh(PeerId peer = kLocal, DocLimits limits = {}) {
  std::unique_ptr<Doc> d;
  Status st = Doc::DecodeSnapshot(BaseSnapshot(), peer, &d, limits);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return d;
}

// A valid update from a fourth peer touching every container kind.
const std::string& ValidUpdate() {
  static const std::string u = [] {
    std::unique_ptr<Doc> d = Fresh(4);
    (void)d->BeginTransaction();
    Container m, l, t, c, nl;
    (void)d->root().GetOrCreate("m", ContainerType::kMap, &m);
    (void)m.AsMap().Set("k", Value::String("ü"));
    (void)m.AsMap().Delete("inner");
    l = *d->root().GetContainer("l");
    (void)l.AsList().Delete(1, 2);
    (void)l.AsList().InsertContainer(0, ContainerType::kList, &nl);
    (void)nl.AsList().Push(Value::Double(2.5));
    t = *d->root().GetContainer("t");
    (void)t.AsText().Insert(2, "x😀");
    (void)t.AsText().Delete(0, 1);
    c = *d->root().GetContainer("c");
    (void)c.AsCounter().Add(-7);
    std::string out;
    (void)d->CommitTransaction(&out);
    return out;
  }();
  return u;
}

struct State {
  std::string snapshot, json;
  VersionVector version;
  uint64_t pending = 0;
};

State StateOf(const Doc& d) { return State{d.EncodeSnapshot(), d.ToJson(), d.version(), d.pending_ops()}; }

void ExpectSame(const State& a, const State& b, const std::string& what) {
  EXPECT_EQ(a.snapshot, b.snapshot) << what;
  EXPECT_EQ(a.json, b.json) << what;
  EXPECT_TRUE(a.version == b.version) << what;
  EXPECT_EQ(a.pending, b.pending) << what;
}

// A consistent replica: its snapshot round-trips byte for byte, re-applying
// its operations changes nothing, and it can still be edited.
void ExpectConsistent(Doc& d, const std::string& what, DocLimits limits = {}) {
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

// Applies `bytes` to a fresh base replica: must be refused, nothing changed,
// no event.
void ExpectRefused(const std::string& bytes, const std::string& what, DocLimits limits = {}) {
  std::unique_ptr<Doc> d = Fresh(kLocal, limits);
  const State before = StateOf(*d);
  int events = 0;
  d->Observe(d->root(), true, [&](const ChangeEvent&) { ++events; });
  Status st = d->ApplyUpdate(bytes);
  EXPECT_FALSE(st.ok()) << what << ": accepted";
  ExpectSame(StateOf(*d), before, what);
  EXPECT_EQ(events, 0) << what;
}

// Refused with nothing changed, or accepted and consistent.
void ExpectRefusedOrConsistent(const std::string& bytes, const std::string& what) {
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
  wire::SequenceOps* Sequence(uint32_t container, const std::vector<InsRun>& ins, const std::vector<DelRun>& del = {},
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
      m->add_key(static_cast<uint32_t>(std::lower_bound(keys.begin(), keys.end(), r.key) - keys.begin()));
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
      case Value::Kind::kContainer: AddKind(out, 7 + static_cast<uint32_t>(v.container_type())); break;
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

// ---------------------------------------------------------------- the builder itself

TEST(DocHostile, BuilderMakesUpdatesTheEngineAccepts) {
  // Guards the tests below: a well-formed hand-built update applies.
  DocUpdateBuilder b({kEvil});
  const uint32_t root = b.Root();
  const uint32_t t = b.Child(root, "t", ContainerType::kText);
  const uint32_t l = b.Child(root, "l", ContainerType::kList);
  const uint32_t c = b.Child(root, "c", ContainerType::kCounter);
  b.Sequence(t, {InsRun{kEvil, 0, 2, false, std::nullopt, std::nullopt, "Zé"}});
  b.Sequence(l, {InsRun{kEvil, 2, 2, false, std::nullopt, std::nullopt, ""}}, {},
             {Value::Int(7), Value::Container(ContainerType::kMap)});
  b.MapOps({Row{root, kEvil, 4, 100, "new", Value::String("v")}});
  b.CounterOps({{c, kEvil, 5, 10}});
  b.Noop(kEvil, 6, 3);
  std::unique_ptr<Doc> d = Fresh();
  Status st = d->ApplyUpdate(b.Bytes());
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(d->version().get(kEvil), 9u);
  EXPECT_EQ(d->pending_ops(), 0u);
  // Inserted with no origins: among the other peers' items by the merge
  // rule, together.
  EXPECT_NE(d->root().GetContainer("t")->AsText().ToString().find("Zé"), std::string::npos);
  const std::vector<Value> items = d->root().GetContainer("l")->AsList().ToVector();
  auto seven = std::find(items.begin(), items.end(), Value::Int(7));
  ASSERT_NE(seven, items.end());
  ASSERT_NE(seven + 1, items.end());
  EXPECT_EQ(*(seven + 1), Value::Container(ContainerType::kMap));
  EXPECT_TRUE(d->ItemContainer(OpId{kEvil, 3}).has_value());
  EXPECT_EQ(d->root().Get("new")->as_string(), "v");
  EXPECT_EQ(d->root().GetContainer("c")->AsCounter().value(), 15);
  ExpectConsistent(*d, "hand-built update");
}

// ---------------------------------------------------------------- byte-level damage

TEST(DocHostile, TruncatedUpdateAtEveryLength) {
  const std::string& u = ValidUpdate();
  ASSERT_GT(u.size(), 40u);
  for (size_t n = 0; n < u.size(); ++n) ExpectRefusedOrConsistent(u.substr(0, n), "truncated to " + std::to_string(n));
}

TEST(DocHostile, EverySingleBitFlipOfAnUpdate) {
  const std::string& u = ValidUpdate();
  for (size_t i = 0; i < u.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = u;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      ExpectRefusedOrConsistent(bad, "bit " + std::to_string(bit) + " of byte " + std::to_string(i));
      if (HasFatalFailure()) return;
    }
  }
}

// Decoding damaged snapshot bytes: refused with *out untouched, or a
// consistent replica.
void ExpectSnapshotRefusedOrConsistent(const std::string& bytes, const std::string& what) {
  std::unique_ptr<Doc> out;
  Status st = Doc::DecodeSnapshot(bytes, kLocal, &out);
  if (!st.ok()) {
    EXPECT_EQ(out, nullptr) << what;
    return;
  }
  ASSERT_NE(out, nullptr) << what;
  ExpectConsistent(*out, what);
}

std::string SnapshotBody(const std::string& snap) {
  std::string body;
  EXPECT_TRUE(UnwrapSnapshot(snap, format::kDocSnapshotVersion, &body).ok());
  return body;
}

TEST(DocHostile, TruncatedAndBitFlippedSnapshots) {
  const std::string& snap = BaseSnapshot();
  for (size_t n = 0; n < snap.size(); ++n) ExpectSnapshotRefusedOrConsistent(snap.substr(0, n), "snapshot cut");
  // The body, damaged, in a valid envelope (else deflate refuses most).
  const std::string body = SnapshotBody(snap);
  for (size_t n = 0; n < body.size(); ++n)
    ExpectSnapshotRefusedOrConsistent(WrapSnapshot(body.substr(0, n), format::kDocSnapshotVersion),
                                      "body cut to " + std::to_string(n));
  for (size_t i = 0; i < body.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = body;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      ExpectSnapshotRefusedOrConsistent(WrapSnapshot(bad, format::kDocSnapshotVersion),
                                        "body bit " + std::to_string(bit) + " of byte " + std::to_string(i));
      if (HasFatalFailure()) return;
    }
  }
}

TEST(DocHostile, RandomGarbageIsRefused) {
  sim::Rng rng(99);
  for (int i = 0; i < 300; ++i) {
    std::string junk;
    for (uint64_t n = rng.Below(200); n > 0; --n) junk.push_back(static_cast<char>(rng.Below(256)));
    ExpectRefusedOrConsistent(junk, "garbage");
    ExpectSnapshotRefusedOrConsistent(junk, "garbage snapshot");
  }
}

// ---------------------------------------------------------------- wrong container types

TEST(DocHostile, OperationOnAContainerOfTheWrongType) {
  {  // A map write into a list.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    b.MapOps({Row{l, kEvil, 0, 1, "k", Value::Int(1)}});
    ExpectRefused(b.Bytes(), "map op on a list");
  }
  {  // Sequence ops on a counter.
    DocUpdateBuilder b({kEvil});
    const uint32_t c = b.Child(b.Root(), "c", ContainerType::kCounter);
    b.Sequence(c, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, "a"}});
    ExpectRefused(b.Bytes(), "sequence op on a counter");
  }
  {  // Sequence ops on a map.
    DocUpdateBuilder b({kEvil});
    b.Sequence(b.Root(), {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, "a"}});
    ExpectRefused(b.Bytes(), "sequence op on the root map");
  }
  {  // A counter add on a text.
    DocUpdateBuilder b({kEvil});
    const uint32_t t = b.Child(b.Root(), "t", ContainerType::kText);
    b.CounterOps({{t, kEvil, 0, 1}});
    ExpectRefused(b.Bytes(), "counter op on a text");
  }
  {  // A valid op after a bad one in the same update is refused with it.
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t l = b.Child(root, "l", ContainerType::kList);
    b.MapOps({Row{root, kEvil, 0, 1, "fine", Value::Int(1)}, Row{l, kEvil, 1, 2, "k", Value::Int(1)}});
    ExpectRefused(b.Bytes(), "good and bad map ops");
  }
  {  // Container index out of range.
    DocUpdateBuilder b({kEvil});
    b.Root();
    b.CounterOps({{5, kEvil, 0, 1}});
    ExpectRefused(b.Bytes(), "counter op on container 5 of 1");
  }
}

TEST(DocHostile, ContainerTableCyclesAndForwardRefs) {
  {  // Self parent: the only way to write a cycle.
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t m = b.Child(root, "m", ContainerType::kMap);
    b.ref(m)->set_parent(m);
    b.MapOps({Row{m, kEvil, 0, 1, "k", Value::Int(1)}});
    ExpectRefused(b.Bytes(), "self parent");
  }
  {  // A parent after its child.
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t child = b.Child(root, "x", ContainerType::kMap);
    const uint32_t parent = b.Child(root, "m", ContainerType::kMap);
    b.ref(child)->set_parent(parent);
    b.MapOps({Row{child, kEvil, 0, 1, "k", Value::Int(1)}});
    ExpectRefused(b.Bytes(), "forward parent");
  }
  {  // Two entries naming each other.
    DocUpdateBuilder b({kEvil});
    b.Root();
    const uint32_t x = b.Child(0, "x", ContainerType::kMap);
    const uint32_t y = b.Child(0, "y", ContainerType::kMap);
    b.ref(x)->set_parent(y);
    b.ref(y)->set_parent(x);
    b.MapOps({Row{y, kEvil, 0, 1, "k", Value::Int(1)}});
    ExpectRefused(b.Bytes(), "two-entry cycle");
  }
  {  // A map child of a list.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    const uint32_t m = b.Child(l, "m", ContainerType::kMap);
    b.MapOps({Row{m, kEvil, 0, 1, "k", Value::Int(1)}});
    ExpectRefused(b.Bytes(), "parent not a map");
  }
  {  // A root of another type; unknown kinds and types.
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    b.ref(root)->set_type(static_cast<uint32_t>(ContainerType::kList));
    b.Sequence(root, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {}, {Value::Int(1)});
    ExpectRefused(b.Bytes(), "list root");
  }
  for (uint32_t kind : {3u, 99u}) {
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    b.ref(root)->set_kind(kind);
    b.MapOps({Row{root, kEvil, 0, 1, "k", Value::Int(1)}});
    ExpectRefused(b.Bytes(), "container kind " + std::to_string(kind));
  }
  for (uint32_t type : {0u, 5u, 1000u}) {
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t c = b.Child(root, "c", ContainerType::kCounter);
    b.ref(c)->set_type(type);
    b.CounterOps({{c, kEvil, 0, 1}});
    ExpectRefused(b.Bytes(), "container type " + std::to_string(type));
  }
  {  // An item container naming a peer index out of range.
    DocUpdateBuilder b({kEvil});
    b.Root();
    const uint32_t item = b.Item(kEvil, 0, ContainerType::kCounter);
    b.ref(item)->set_item_peer(4);
    b.CounterOps({{item, kEvil, 0, 1}});
    ExpectRefused(b.Bytes(), "item peer out of range");
  }
  {  // An item counter past the last counter.
    DocUpdateBuilder b({kEvil});
    b.Root();
    const uint32_t item = b.Item(kEvil, kMaxCounter + 1, ContainerType::kCounter);
    b.CounterOps({{item, kEvil, 0, 1}});
    ExpectRefused(b.Bytes(), "item counter out of range");
  }
}

TEST(DocHostile, MapKeysAndStringsMustBeUtf8) {
  for (const std::string& bad : {std::string("\xff"), std::string("a\xc3"), std::string("\xed\xa0\x80")}) {
    {
      DocUpdateBuilder b({kEvil});
      b.MapOps({Row{b.Root(), kEvil, 0, 1, bad, Value::Int(1)}});
      ExpectRefused(b.Bytes(), "map key not UTF-8");
    }
    {
      DocUpdateBuilder b({kEvil});
      const uint32_t m = b.Child(b.Root(), bad, ContainerType::kMap);
      b.MapOps({Row{m, kEvil, 0, 1, "k", Value::Int(1)}});
      ExpectRefused(b.Bytes(), "container key not UTF-8");
    }
    {
      DocUpdateBuilder b({kEvil});
      b.MapOps({Row{b.Root(), kEvil, 0, 1, "k", Value::Int(1)}});
      (*b.msg().mutable_map_ops()->mutable_values()->mutable_kinds())[0] = 5;
      b.msg().mutable_map_ops()->mutable_values()->clear_ints();
      b.msg().mutable_map_ops()->mutable_values()->add_strings(bad);
      ExpectRefused(b.Bytes(), "string value not UTF-8");
    }
  }
  {  // Bytes values need not be UTF-8.
    DocUpdateBuilder b({kEvil});
    b.MapOps({Row{b.Root(), kEvil, 0, 1, "k", Value::Bytes("\xff\x00")}});
    std::unique_ptr<Doc> d = Fresh();
    ASSERT_TRUE(d->ApplyUpdate(b.Bytes()).ok());
    ExpectConsistent(*d, "bytes value");
  }
}

TEST(DocHostile, MapColumnsMustAgree) {
  auto base = [] {
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    b.MapOps({Row{root, kEvil, 0, 1, "a", Value::Int(1)}, Row{root, kEvil, 1, 2, "b", Value::Int(2)}});
    return b;
  };
  {
    DocUpdateBuilder b = base();
    b.msg().mutable_map_ops()->mutable_lamport()->RemoveLast();
    ExpectRefused(b.Bytes(), "lamport column short");
  }
  {
    DocUpdateBuilder b = base();
    AddKind(b.msg().mutable_map_ops()->mutable_values(), 0);
    ExpectRefused(b.Bytes(), "one value too many");
  }
  {
    DocUpdateBuilder b = base();
    b.msg().mutable_map_ops()->set_key(1, 7);
    ExpectRefused(b.Bytes(), "key index out of range");
  }
  {
    DocUpdateBuilder b = base();
    b.msg().mutable_map_ops()->mutable_values()->add_ints(5);
    ExpectRefused(b.Bytes(), "unused int");
  }
  {
    DocUpdateBuilder b = base();
    (*b.msg().mutable_map_ops()->mutable_values()->mutable_kinds())[0] = 99;
    ExpectRefused(b.Bytes(), "unknown value kind");
  }
  {  // Decimal doubles (kinds 13..21) take their digits from `decimals`.
    DocUpdateBuilder b = base();
    wire::Values& v = *b.msg().mutable_map_ops()->mutable_values();
    (*v.mutable_kinds())[0] = 13 + 2;
    ExpectRefused(b.Bytes(), "decimal without its digits");
    v.set_ints(0, 2);
    v.mutable_ints()->RemoveLast();
    v.add_decimals(-1);
    Doc d(kLocal);
    ASSERT_TRUE(d.ApplyUpdate(b.Bytes()).ok());  // a = -1 / 10^2
    EXPECT_EQ(d.root().Get("a"), Value::Double(-0.01));
    EXPECT_EQ(d.root().Get("b"), Value::Int(2));
    v.add_decimals(5);
    ExpectRefused(b.Bytes(), "one decimal too many");
    v.mutable_decimals()->RemoveLast();
    (*v.mutable_kinds())[0] = 13 + 9;
    ExpectRefused(b.Bytes(), "decimal exponent past 8");
  }
  {
    DocUpdateBuilder b = base();
    b.msg().mutable_map_ops()->set_counter(0, -1);
    ExpectRefused(b.Bytes(), "negative counter");
  }
  {
    DocUpdateBuilder b = base();
    b.msg().mutable_map_ops()->set_lamport(1, std::numeric_limits<int64_t>::min());
    ExpectRefused(b.Bytes(), "lamport below zero");
  }
  {  // The delete marker is for map writes only.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    wire::SequenceOps* s = b.Sequence(l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}});
    AddKind(s->mutable_values(), 12);
    ExpectRefused(b.Bytes(), "deleted marker in a list");
  }
}

// ---------------------------------------------------------------- sequences

TEST(DocHostile, ListValuesMustMatchTheVisibleItems) {
  auto build = [](std::vector<Value> values, uint64_t len, bool deleted) {
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    b.Sequence(l, {InsRun{kEvil, 0, len, deleted, std::nullopt, std::nullopt, ""}}, {}, values);
    return b.Bytes();
  };
  ExpectRefused(build({Value::Int(1)}, 2, false), "fewer values than items");
  ExpectRefused(build({Value::Int(1), Value::Int(2), Value::Int(3)}, 2, false), "more values than items");
  ExpectRefused(build({Value::Int(1)}, 1, true), "values for a deleted run");
  ExpectRefused(build({}, uint64_t{1} << 40, false), "huge run without values");
  ExpectRefused(build({Value::Int(1)}, (uint64_t{1} << 62) + 1, false), "huge run, one value");
  {  // A list run carrying text.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    wire::SequenceOps* s = b.Sequence(l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {},
                                      {Value::Int(1)});
    s->mutable_inserts()->set_text("a");
    ExpectRefused(b.Bytes(), "list inserts with text");
  }
  {  // A text run carrying values.
    DocUpdateBuilder b({kEvil});
    const uint32_t t = b.Child(b.Root(), "t", ContainerType::kText);
    b.Sequence(t, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, "a"}}, {}, {Value::Int(1)});
    ExpectRefused(b.Bytes(), "text inserts with values");
  }
  {  // Text shorter than declared, and a huge declared length.
    DocUpdateBuilder b({kEvil});
    const uint32_t t = b.Child(b.Root(), "t", ContainerType::kText);
    b.Sequence(t, {InsRun{kEvil, 0, 3, false, std::nullopt, std::nullopt, "ab"}});
    ExpectRefused(b.Bytes(), "text shorter than its run");
    DocUpdateBuilder h({kEvil});
    const uint32_t t2 = h.Child(h.Root(), "t", ContainerType::kText);
    h.Sequence(t2, {InsRun{kEvil, 0, uint64_t{1} << 61, false, std::nullopt, std::nullopt, "ab"}});
    ExpectRefused(h.Bytes(), "text run of 2^61");
  }
  {  // A second section for the same container is refused or harmless.
    DocUpdateBuilder b({kEvil});
    const uint32_t t = b.Child(b.Root(), "t", ContainerType::kText);
    b.Sequence(t, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, "a"}});
    b.Sequence(t, {InsRun{kEvil, 1, 1, false, std::nullopt, std::nullopt, "b"}});
    ExpectRefusedOrConsistent(b.Bytes(), "two sections for one text");
  }
}

TEST(DocHostile, DeadContainersOnlyInsideDeletedRuns) {
  auto build = [](uint64_t dead_counter, bool deleted, ContainerType on, uint32_t type) {
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", on);
    std::vector<Value> vals;
    if (!deleted) vals = {Value::Int(1), Value::Int(2), Value::Int(3)};
    wire::SequenceOps* s =
        b.Sequence(l, {InsRun{kEvil, 0, 3, deleted, std::nullopt, std::nullopt, on == ContainerType::kText && !deleted ? "abc" : ""}},
                   {}, on == ContainerType::kText ? std::vector<Value>{} : vals);
    s->add_dead_container_peer_runs(0);
    s->add_dead_container_peer_runs(1);
    s->add_dead_container_counter(static_cast<int64_t>(dead_counter));
    s->add_dead_container_type(type);
    return b.Bytes();
  };
  // Sanity: inside a deleted run it is accepted and the container exists.
  {
    std::unique_ptr<Doc> d = Fresh();
    Status st = d->ApplyUpdate(build(1, true, ContainerType::kList, 4));
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_TRUE(d->ItemContainer(OpId{kEvil, 1}).has_value());
    EXPECT_EQ(d->ItemContainer(OpId{kEvil, 1})->type(), ContainerType::kCounter);
    ExpectConsistent(*d, "dead container");
  }
  ExpectRefused(build(1, false, ContainerType::kList, 4), "dead container in a visible run");
  ExpectRefused(build(3, true, ContainerType::kList, 4), "dead container past the run");
  ExpectRefused(build(1, true, ContainerType::kText, 4), "dead container in a text");
  ExpectRefused(build(1, true, ContainerType::kList, 0), "dead container of type 0");
  ExpectRefused(build(1, true, ContainerType::kList, 9), "dead container of type 9");
  {  // Unsorted or repeated.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    wire::SequenceOps* s = b.Sequence(l, {InsRun{kEvil, 0, 3, true, std::nullopt, std::nullopt, ""}});
    s->add_dead_container_peer_runs(0);
    s->add_dead_container_peer_runs(2);
    s->add_dead_container_counter(2);
    s->add_dead_container_counter(-1);  // 1: below the previous
    s->add_dead_container_type(1);
    s->add_dead_container_type(1);
    ExpectRefused(b.Bytes(), "dead containers unsorted");
    s->set_dead_container_counter(1, 0);  // 2 again
    ExpectRefused(b.Bytes(), "dead container repeated");
    s->set_dead_container_counter(1, 1);
    s->mutable_dead_container_type()->RemoveLast();
    ExpectRefused(b.Bytes(), "dead container columns differ");
  }
}

TEST(DocHostile, HugeNoopRangesAndCounters) {
  {
    DocUpdateBuilder b({kEvil});
    b.Noop(kEvil, 0, kMaxCounter + 2);
    ExpectRefused(b.Bytes(), "noop range past the last counter");
  }
  {
    DocUpdateBuilder b({kEvil});
    b.Noop(kEvil, 0, 0);
    ExpectRefused(b.Bytes(), "empty noop range");
  }
  {  // A huge but representable range: ids used up, nothing else, fast.
    DocUpdateBuilder b({kEvil});
    b.Noop(kEvil, 0, uint64_t{1} << 60);
    std::unique_ptr<Doc> d = Fresh();
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(d->ApplyUpdate(b.Bytes()).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
    EXPECT_EQ(d->version().get(kEvil), uint64_t{1} << 60);
    ExpectConsistent(*d, "huge noop");
  }
  {  // A map write at the last counter is fine; one past it is not.
    DocUpdateBuilder b({kEvil});
    b.MapOps({Row{b.Root(), kEvil, kMaxCounter + 1, 1, "k", Value::Int(1)}});
    ExpectRefused(b.Bytes(), "map write counter 2^62");
  }
  {  // Huge lengths of deletes: refused or waiting, bounded.
    DocUpdateBuilder b({kEvil});
    const uint32_t t = b.Child(b.Root(), "t", ContainerType::kText);
    b.Sequence(t, {}, {DelRun{kEvil, 0, uint64_t{1} << 50, false, Id{3, 0}}});
    ExpectRefusedOrConsistent(b.Bytes(), "delete of 2^50 ids");
  }
}

TEST(DocHostile, CounterOverflowWrapsTheSameEverywhere) {
  DocUpdateBuilder b1({kEvil});
  const uint32_t c1 = b1.Child(b1.Root(), "c", ContainerType::kCounter);
  b1.CounterOps({{c1, kEvil, 0, std::numeric_limits<int64_t>::max()}, {c1, kEvil, 1, std::numeric_limits<int64_t>::max()}});
  DocUpdateBuilder b2({kEvil + 1});
  const uint32_t c2 = b2.Child(b2.Root(), "c", ContainerType::kCounter);
  b2.CounterOps({{c2, kEvil + 1, 0, std::numeric_limits<int64_t>::min()}, {c2, kEvil + 1, 1, 3}});
  std::unique_ptr<Doc> x = Fresh(), y = Fresh(kLocal + 1);
  ASSERT_TRUE(x->ApplyUpdate(b1.Bytes()).ok());
  ASSERT_TRUE(x->ApplyUpdate(b2.Bytes()).ok());
  ASSERT_TRUE(y->ApplyUpdate(b2.Bytes()).ok());
  ASSERT_TRUE(y->ApplyUpdate(b1.Bytes()).ok());
  // 5 + 2*MAX + MIN + 3, modulo 2^64.
  const uint64_t want = 5u + 2 * static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) +
                        static_cast<uint64_t>(std::numeric_limits<int64_t>::min()) + 3u;
  EXPECT_EQ(x->root().GetContainer("c")->AsCounter().value(), static_cast<int64_t>(want));
  EXPECT_EQ(x->EncodeSnapshot(), y->EncodeSnapshot());
  ExpectConsistent(*x, "counter overflow");
  // A counter add with an id out of range is refused.
  DocUpdateBuilder b3({kEvil});
  const uint32_t c3 = b3.Child(b3.Root(), "c", ContainerType::kCounter);
  b3.CounterOps({{c3, kEvil, 0, 1}});
  b3.msg().mutable_counter_ops()->set_counter(0, static_cast<int64_t>(kMaxCounter) + 1);
  ExpectRefused(b3.Bytes(), "counter add id 2^62");
  b3.msg().mutable_counter_ops()->add_delta(1);
  ExpectRefused(b3.Bytes(), "counter columns differ");
}

// ---------------------------------------------------------------- deterministic handling

// Applies `updates` in the given order to a fresh base replica.
std::unique_ptr<Doc> ApplyAll(const std::vector<std::string>& updates, const std::vector<size_t>& order,
                              DocLimits limits = {}) {
  std::unique_ptr<Doc> d = Fresh(kLocal, limits);
  for (size_t i : order) {
    Status st = d->ApplyUpdate(updates[i]);
    EXPECT_TRUE(st.ok()) << "update " << i << ": " << st.ToString();
  }
  return d;
}

// Every order of `updates` gives the same state; returns it.
std::unique_ptr<Doc> ExpectOrderFree(const std::vector<std::string>& updates, const std::string& what,
                                     DocLimits limits = {}) {
  std::vector<size_t> order(updates.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::unique_ptr<Doc> first = ApplyAll(updates, order, limits);
  const State want = StateOf(*first);
  while (std::next_permutation(order.begin(), order.end())) {
    std::unique_ptr<Doc> d = ApplyAll(updates, order, limits);
    ExpectSame(StateOf(*d), want, what);
  }
  ExpectConsistent(*ApplyAll(updates, order, limits), what, limits);  // edits that copy
  return first;
}

TEST(DocHostile, OpsOnItemContainersNeverCreatedAreNoOps) {
  // Peer kEvil inserts a scalar list element (id kEvil:0) and a counter
  // element (kEvil:1); another update adds to "counters" named by those ids:
  // kEvil:0 made no container, kEvil:1 made a counter, not a map.
  DocUpdateBuilder made({kEvil});
  const uint32_t l = made.Child(made.Root(), "l", ContainerType::kList);
  made.Sequence(l, {InsRun{kEvil, 0, 2, false, std::nullopt, std::nullopt, ""}}, {},
                {Value::Int(5), Value::Container(ContainerType::kCounter)});
  DocUpdateBuilder use({kEvil, kEvil + 1});
  use.Root();
  const uint32_t scalar = use.Item(kEvil, 0, ContainerType::kCounter);
  const uint32_t wrong = use.Item(kEvil, 1, ContainerType::kMap);
  const uint32_t right = use.Item(kEvil, 1, ContainerType::kCounter);
  const uint32_t future = use.Item(kEvil, 7, ContainerType::kCounter);  // not made by anyone yet
  use.CounterOps({{scalar, kEvil + 1, 0, 100}, {right, kEvil + 1, 1, 2}, {future, kEvil + 1, 3, 1000}});
  use.MapOps({Row{wrong, kEvil + 1, 2, 1, "k", Value::Int(1)}});
  // kEvil:2..6 carry nothing; kEvil:7 is a text element, not a counter.
  DocUpdateBuilder later({kEvil});
  const uint32_t l2 = later.Child(later.Root(), "l", ContainerType::kList);
  later.Noop(kEvil, 2, 5);
  later.Sequence(l2, {InsRun{kEvil, 7, 1, false, Id{kEvil, 1}, std::nullopt, ""}}, {},
                 {Value::Container(ContainerType::kText)});
  std::unique_ptr<Doc> d = ExpectOrderFree({made.Bytes(), use.Bytes(), later.Bytes()}, "item containers");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pending_ops(), 0u);
  EXPECT_EQ(d->version().get(kEvil + 1), 4u);  // every id used, applied or not
  EXPECT_EQ(d->ItemContainer(OpId{kEvil, 1})->AsCounter().value(), 2);
  EXPECT_FALSE(d->ItemContainer(OpId{kEvil, 0}).has_value());
  EXPECT_EQ(d->ItemContainer(OpId{kEvil, 7})->type(), ContainerType::kText);
}

TEST(DocHostile, DeletesOfIdsNeverSeenWaitAndDeletesOfNonItemsAreSkipped) {
  // A delete of peer 77's ids (never seen) waits; one of ids that are map
  // writes, not items of this text, deletes nothing.
  DocUpdateBuilder b({kEvil, 77, 3});
  const uint32_t t = b.Child(b.Root(), "t", ContainerType::kText);
  b.Sequence(t, {}, {DelRun{kEvil, 0, 2, false, Id{77, 4}}});
  std::unique_ptr<Doc> d = Fresh();
  const std::string json0 = d->ToJson();
  ASSERT_TRUE(d->ApplyUpdate(b.Bytes()).ok());
  EXPECT_EQ(d->pending_ops(), 2u);
  EXPECT_EQ(d->ToJson(), json0);
  ExpectConsistent(*d, "pending delete");

  // Peer 1's first ids made the "m" map write and more: not items of "t".
  std::unique_ptr<Doc> base = Fresh();
  DocUpdateBuilder c({kEvil, 1});
  const uint32_t t2 = c.Child(c.Root(), "t", ContainerType::kText);
  c.Sequence(t2, {}, {DelRun{kEvil, 0, 3, false, Id{1, 0}}});
  DocUpdateBuilder e({kEvil});
  e.MapOps({Row{e.Root(), kEvil, 3, 1000, "after", Value::Int(1)}});
  std::unique_ptr<Doc> x = ExpectOrderFree({c.Bytes(), e.Bytes()}, "deletes of non-items");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->root().GetContainer("t")->AsText().ToString(), base->root().GetContainer("t")->AsText().ToString());
  EXPECT_EQ(x->pending_ops(), 0u);
}

TEST(DocHostile, ContainersDeeperThanMaxDepth) {
  DocLimits limits;
  limits.max_depth = 3;
  // A chain of map children 5 deep with a write at the bottom, and a
  // container value made at depth 3 (its container would be at depth 4).
  DocUpdateBuilder b({kEvil});
  uint32_t c = b.Root();
  std::vector<uint32_t> chain;
  for (int i = 0; i < 5; ++i) chain.push_back(c = b.Child(c, "d" + std::to_string(i), ContainerType::kMap));
  const Value map = Value::Container(ContainerType::kMap);
  b.MapOps({Row{0, kEvil, 0, 1, "d0", map}, Row{chain[0], kEvil, 1, 2, "d1", map},
            Row{chain[1], kEvil, 2, 3, "d2", map}, Row{chain[2], kEvil, 3, 4, "deep", map},
            Row{chain[4], kEvil, 4, 5, "bottom", Value::Int(1)}, Row{chain[1], kEvil, 5, 6, "ok", Value::Int(2)}});
  DocUpdateBuilder other({kEvil + 1});
  other.MapOps({Row{other.Root(), kEvil + 1, 0, 4, "z", Value::Int(3)}});
  std::unique_ptr<Doc> d = ExpectOrderFree({b.Bytes(), other.Bytes()}, "too deep", limits);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version().get(kEvil), 6u);
  EXPECT_NE(d->ToJson().find(R"("d0":{"d1":{"d2":{"deep":null},"ok":2}})"), std::string::npos) << d->ToJson();
  Container at2;
  ASSERT_TRUE(d->Resolve("/d0/d1", &at2).ok());
  EXPECT_EQ(at2.AsMap().Get("ok")->as_int(), 2);
  // The too-deep container value is null, the write 5 deep is not anywhere.
  Container at3;
  ASSERT_TRUE(d->Resolve("/d0/d1/d2", &at3).ok());
  ASSERT_TRUE(at3.AsMap().Get("deep").has_value());
  EXPECT_TRUE(at3.AsMap().Get("deep")->is_null());
  EXPECT_EQ(d->ToJson().find("bottom"), std::string::npos);

  // A snapshot nesting deeper than the reader's max_depth is refused.
  Doc deep(1);
  Container cur = deep.root();
  for (int i = 0; i < 6; ++i) {
    Container next;
    ASSERT_TRUE(cur.AsMap().GetOrCreate("n", ContainerType::kMap, &next).ok());
    cur = next;
  }
  ASSERT_TRUE(cur.AsMap().Set("leaf", Value::Int(1)).ok());
  std::unique_ptr<Doc> out;
  EXPECT_FALSE(Doc::DecodeSnapshot(deep.EncodeSnapshot(), 2, &out, limits).ok());
  EXPECT_EQ(out, nullptr);
  ASSERT_TRUE(Doc::DecodeSnapshot(deep.EncodeSnapshot(), 2, &out).ok());
}

// ---------------------------------------------------------------- snapshots

void ExpectSnapshotRefused(const std::string& bytes, const std::string& what) {
  std::unique_ptr<Doc> out;
  Status st = Doc::DecodeSnapshot(bytes, kLocal, &out);
  EXPECT_FALSE(st.ok()) << what << ": accepted";
  EXPECT_EQ(out, nullptr) << what;
}

TEST(DocHostile, SnapshotWithDuplicateWinners) {
  DocUpdateBuilder b({kEvil});
  const uint32_t root = b.Root();
  b.MapOps({Row{root, kEvil, 0, 1, "k", Value::Int(1)}, Row{root, kEvil, 1, 2, "k", Value::Int(2)}});
  ExpectSnapshotRefused(b.SnapshotBytes(), "two writes of one key");
  // As an update, the same rows are fine: the later one wins.
  std::unique_ptr<Doc> d = Fresh();
  ASSERT_TRUE(d->ApplyUpdate(b.Bytes()).ok());
  EXPECT_EQ(d->root().Get("k")->as_int(), 2);
}

TEST(DocHostile, SnapshotOpsMustBeContiguous) {
  {
    DocUpdateBuilder b({kEvil});
    b.MapOps({Row{b.Root(), kEvil, 1, 1, "k", Value::Int(1)}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "first op at counter 1");
  }
  {
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    b.MapOps({Row{root, kEvil, 0, 1, "a", Value::Int(1)}, Row{root, kEvil, 2, 2, "b", Value::Int(2)}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "gap at counter 1");
  }
  {
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t c = b.Child(root, "c", ContainerType::kCounter);
    b.MapOps({Row{root, kEvil, 0, 1, "a", Value::Int(1)}});
    b.CounterOps({{c, kEvil, 0, 5}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "two ops with one id");
  }
  {  // Contiguous: accepted.
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t c = b.Child(root, "c", ContainerType::kCounter);
    b.MapOps({Row{root, kEvil, 0, 1, "a", Value::Int(1)}});
    b.CounterOps({{c, kEvil, 1, 5}});
    b.Noop(kEvil, 2, 3);
    std::unique_ptr<Doc> out;
    Status st = Doc::DecodeSnapshot(b.SnapshotBytes(), kLocal, &out);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(out->version().get(kEvil), 5u);
    // "c" holds no write: its counter exists but is not in the JSON.
    EXPECT_EQ(out->ToJson(), R"({"a":1})");
  }
}

TEST(DocHostile, SnapshotContainerTableMistakes) {
  {  // Names an item container that no list element made.
    DocUpdateBuilder b({kEvil});
    b.Root();
    const uint32_t item = b.Item(kEvil, 0, ContainerType::kCounter);
    b.CounterOps({{item, kEvil, 0, 5}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "item container never made");
  }
  {  // An element's container of another type than its value.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    b.Sequence(l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {},
               {Value::Container(ContainerType::kCounter)});
    const uint32_t item = b.Item(kEvil, 0, ContainerType::kMap);
    b.MapOps({Row{item, kEvil, 1, 1, "k", Value::Int(1)}});
    ExpectSnapshotRefused(b.SnapshotBytes(), "item container of another type");
  }
  {  // Two sections for one list.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    b.Sequence(l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {}, {Value::Int(1)});
    b.Sequence(l, {InsRun{kEvil, 1, 1, false, std::nullopt, std::nullopt, ""}}, {}, {Value::Int(2)});
    ExpectSnapshotRefused(b.SnapshotBytes(), "two sections for one list");
  }
  {  // The same element id made twice (once visible, once dead).
    DocUpdateBuilder b({kEvil});
    const uint32_t root = b.Root();
    const uint32_t l = b.Child(root, "l", ContainerType::kList);
    const uint32_t l2 = b.Child(root, "l2", ContainerType::kList);
    b.Sequence(l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {},
               {Value::Container(ContainerType::kMap)});
    wire::SequenceOps* s = b.Sequence(l2, {InsRun{kEvil, 0, 1, true, std::nullopt, std::nullopt, ""}});
    s->add_dead_container_peer_runs(0);
    s->add_dead_container_peer_runs(1);
    s->add_dead_container_counter(0);
    s->add_dead_container_type(1);
    ExpectSnapshotRefused(b.SnapshotBytes(), "an element id made twice");
  }
  {  // Wrong envelope version; update bytes given as a snapshot.
    DocUpdateBuilder b({kEvil});
    b.MapOps({Row{b.Root(), kEvil, 0, 1, "k", Value::Int(1)}});
    wire::DocSnapshotBody body;
    *body.mutable_state() = b.msg();
    ExpectSnapshotRefused(WrapSnapshot(body.SerializeAsString(), format::kSnapshotVersion), "text snapshot version");
    ExpectSnapshotRefused(b.Bytes(), "update bytes");
  }
  {  // Pending operations that fail validation.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    b.MapOps({Row{l, kEvil, 0, 1, "k", Value::Int(1)}});
    wire::DocSnapshotBody body;
    body.mutable_state()->set_format_version(format::kDocUpdateVersion);  // an empty, valid state
    *body.mutable_pending() = b.msg();
    ExpectSnapshotRefused(WrapSnapshot(body.SerializeAsString(), format::kDocSnapshotVersion), "bad pending ops");
  }
}

// Found by fuzz_doc_snapshot_decode: a snapshot whose runs hold an item
// visible that one of its deletes targets was accepted; EncodeUpdate({}) of
// it then built another document elsewhere (the delete replayed).
TEST(DocHostile, SnapshotDeletingAVisibleItem) {
  auto build = [](bool deleted, uint64_t target) {
    DocUpdateBuilder b({kEvil});
    const uint32_t t = b.Child(b.Root(), "t", ContainerType::kText);
    b.Sequence(t, {InsRun{kEvil, 0, 3, deleted, std::nullopt, std::nullopt, deleted ? "" : "abc"}},
               {DelRun{kEvil, 3, 1, false, Id{kEvil, target}}});
    return b.SnapshotBytes();
  };
  ExpectSnapshotRefused(build(false, 1), "delete of a visible middle item");
  ExpectSnapshotRefused(build(false, 0), "delete of a visible first item");
  ExpectSnapshotRefused(build(false, 2), "delete of a visible last item");
  std::unique_ptr<Doc> out;
  Status st = Doc::DecodeSnapshot(build(true, 1), kLocal, &out);  // the run deleted: fine
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out->version().get(kEvil), 4u);
}

// ---------------------------------------------------------------- regressions

// Found by tandem-converge --doc (seed 1, 4 peers): two peers deleting the
// same list element made ListValues count it dead twice, so the chunk of
// values around it was dropped while items in it were still visible (or
// still held a dead element's container): values vanished, replicas
// disagreed on snapshots, and a replica's own snapshot could not be decoded.
TEST(DocHostile, ConcurrentDeletesOfOneListElementKeepTheOtherValues) {
  Doc a(1), b(2), c(3);
  Container l;
  ASSERT_TRUE(a.root().GetOrCreate("l", ContainerType::kList, &l).ok());
  const Value vals[] = {Value::Int(10), Value::Int(11), Value::Int(12)};
  ASSERT_TRUE(l.AsList().Insert(0, vals).ok());
  ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate({})).ok());
  ASSERT_TRUE(c.ApplyUpdate(a.EncodeUpdate({})).ok());
  // b and c both delete element 0 (10).
  ASSERT_TRUE(b.root().GetContainer("l")->AsList().Delete(0, 1).ok());
  ASSERT_TRUE(c.root().GetContainer("l")->AsList().Delete(0, 1).ok());
  ASSERT_TRUE(a.ApplyUpdate(b.EncodeUpdate(a.version())).ok());
  ASSERT_TRUE(a.ApplyUpdate(c.EncodeUpdate(a.version())).ok());
  // a deletes 11: 12 must keep its value.
  ASSERT_TRUE(a.root().GetContainer("l")->AsList().Delete(0, 1).ok());
  ListRef la = a.root().GetContainer("l")->AsList();
  ASSERT_EQ(la.size(), 1u);
  ASSERT_TRUE(la.Get(0).has_value());
  EXPECT_EQ(la.Get(0)->as_int(), 12);
  // Everyone converges, with the same bytes.
  for (Doc* x : {&b, &c}) {
    ASSERT_TRUE(x->ApplyUpdate(a.EncodeUpdate({})).ok());
  }
  ASSERT_TRUE(a.ApplyUpdate(b.EncodeUpdate({})).ok());
  ASSERT_TRUE(a.ApplyUpdate(c.EncodeUpdate({})).ok());
  EXPECT_EQ(a.ToJson(), R"({"l":[12]})");
  EXPECT_EQ(a.EncodeSnapshot(), b.EncodeSnapshot());
  EXPECT_EQ(a.EncodeSnapshot(), c.EncodeSnapshot());
  // And when the doubly deleted element held a container, it survives.
  Doc p(4), q(5), r(6);
  Container pl, pc;
  ASSERT_TRUE(p.root().GetOrCreate("l", ContainerType::kList, &pl).ok());
  const Value two[] = {Value::Int(1), Value::Int(2)};
  ASSERT_TRUE(pl.AsList().Insert(0, two).ok());
  ASSERT_TRUE(pl.AsList().InsertContainer(1, ContainerType::kCounter, &pc).ok());
  ASSERT_TRUE(pc.AsCounter().Add(9).ok());
  ASSERT_TRUE(q.ApplyUpdate(p.EncodeUpdate({})).ok());
  ASSERT_TRUE(r.ApplyUpdate(p.EncodeUpdate({})).ok());
  ASSERT_TRUE(q.root().GetContainer("l")->AsList().Delete(0, 3).ok());
  ASSERT_TRUE(r.root().GetContainer("l")->AsList().Delete(0, 3).ok());
  ASSERT_TRUE(p.ApplyUpdate(q.EncodeUpdate({})).ok());
  ASSERT_TRUE(p.ApplyUpdate(r.EncodeUpdate({})).ok());
  ASSERT_TRUE(q.ApplyUpdate(r.EncodeUpdate({})).ok());
  ASSERT_TRUE(r.ApplyUpdate(q.EncodeUpdate({})).ok());
  EXPECT_EQ(p.EncodeSnapshot(), q.EncodeSnapshot());
  EXPECT_EQ(p.EncodeSnapshot(), r.EncodeSnapshot());
  std::unique_ptr<Doc> fresh;
  ASSERT_TRUE(Doc::DecodeSnapshot(p.EncodeSnapshot(), 7, &fresh).ok());
  EXPECT_EQ(fresh->EncodeSnapshot(), p.EncodeSnapshot());
}

}  // namespace
}  // namespace tandem
