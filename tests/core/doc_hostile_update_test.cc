// Doc: bad updates, built by hand column by column (DocUpdateBuilder):
// operations on containers of the wrong type, broken container tables,
// columns that disagree, values that are not what their kind says, list and
// text runs that do not match their values, and out-of-range ids, noops and
// counters. Each is refused whole with the document exactly as it was, or --
// where the format defines what happens -- handled the same everywhere.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tandem.pb.h"

#include "core/doc.h"
#include "doc_hostile_util.h"

namespace tandem {
namespace {

using namespace doc_hostile;  // NOLINT: test-local helpers

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
    b.MapOps(
        {Row{root, kEvil, 0, 1, "fine", Value::Int(1)}, Row{l, kEvil, 1, 2, "k", Value::Int(1)}});
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
    b.Sequence(root, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {},
               {Value::Int(1)});
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
  for (const std::string& bad :
       {std::string("\xff"), std::string("a\xc3"), std::string("\xed\xa0\x80")}) {
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
    b.MapOps(
        {Row{root, kEvil, 0, 1, "a", Value::Int(1)}, Row{root, kEvil, 1, 2, "b", Value::Int(2)}});
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
  {  // The same in byte planes (how decimals are written now).
    DocUpdateBuilder b = base();
    wire::Values& v = *b.msg().mutable_map_ops()->mutable_values();
    (*v.mutable_kinds())[0] = 13 + 2;
    v.set_ints(0, 2);
    v.mutable_ints()->RemoveLast();
    v.set_decimal_planes(std::string("\x01\x01", 2));  // width 1, zigzag 1 = -1
    Doc d(kLocal);
    ASSERT_TRUE(d.ApplyUpdate(b.Bytes()).ok());
    EXPECT_EQ(d.root().Get("a"), Value::Double(-0.01));
    v.set_decimal_planes(std::string("\x05\x01", 2));
    ExpectRefused(b.Bytes(), "plane width past 4");
    v.set_decimal_planes(std::string("\x01\x01\x02", 3));
    ExpectRefused(b.Bytes(), "one decimal too many in planes");
    v.set_decimal_planes(std::string("\x01\x01", 2));
    v.add_decimals(-1);
    ExpectRefused(b.Bytes(), "decimals both packed and in planes");
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
    wire::SequenceOps* s =
        b.Sequence(l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}});
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
  ExpectRefused(build({Value::Int(1), Value::Int(2), Value::Int(3)}, 2, false),
                "more values than items");
  ExpectRefused(build({Value::Int(1)}, 1, true), "values for a deleted run");
  ExpectRefused(build({}, uint64_t{1} << 40, false), "huge run without values");
  ExpectRefused(build({Value::Int(1)}, (uint64_t{1} << 62) + 1, false), "huge run, one value");
  {  // A list run carrying text.
    DocUpdateBuilder b({kEvil});
    const uint32_t l = b.Child(b.Root(), "l", ContainerType::kList);
    wire::SequenceOps* s = b.Sequence(
        l, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, ""}}, {}, {Value::Int(1)});
    s->mutable_inserts()->set_text("a");
    ExpectRefused(b.Bytes(), "list inserts with text");
  }
  {  // A text run carrying values.
    DocUpdateBuilder b({kEvil});
    const uint32_t t = b.Child(b.Root(), "t", ContainerType::kText);
    b.Sequence(t, {InsRun{kEvil, 0, 1, false, std::nullopt, std::nullopt, "a"}}, {},
               {Value::Int(1)});
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
    wire::SequenceOps* s = b.Sequence(l,
                                      {InsRun{kEvil, 0, 3, deleted, std::nullopt, std::nullopt,
                                              on == ContainerType::kText && !deleted ? "abc" : ""}},
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
    wire::SequenceOps* s =
        b.Sequence(l, {InsRun{kEvil, 0, 3, true, std::nullopt, std::nullopt, ""}});
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
  b1.CounterOps({{c1, kEvil, 0, std::numeric_limits<int64_t>::max()},
                 {c1, kEvil, 1, std::numeric_limits<int64_t>::max()}});
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

}  // namespace
}  // namespace tandem
