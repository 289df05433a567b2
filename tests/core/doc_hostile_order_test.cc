// Doc: updates that are odd but valid, whose handling the format defines:
// operations on item containers never created (or of another type), deletes
// of ids never seen or of ids that are not items, containers nested deeper
// than DocLimits::max_depth. Every replica must end the same whatever the
// order the updates arrive in, so each case is applied in every order.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/doc.h"
#include "doc_hostile_util.h"

namespace tandem {
namespace {

using namespace doc_hostile;  // NOLINT: test-local helpers

// Applies `updates` in the given order to a fresh base replica.
std::unique_ptr<Doc> ApplyAll(const std::vector<std::string>& updates,
                              const std::vector<size_t>& order, DocLimits limits = {}) {
  std::unique_ptr<Doc> d = Fresh(kLocal, limits);
  for (size_t i : order) {
    Status st = d->ApplyUpdate(updates[i]);
    EXPECT_TRUE(st.ok()) << "update " << i << ": " << st.ToString();
  }
  return d;
}

// Every order of `updates` gives the same state; returns it.
std::unique_ptr<Doc> ExpectOrderFree(const std::vector<std::string>& updates,
                                     const std::string& what, DocLimits limits = {}) {
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
  use.CounterOps(
      {{scalar, kEvil + 1, 0, 100}, {right, kEvil + 1, 1, 2}, {future, kEvil + 1, 3, 1000}});
  use.MapOps({Row{wrong, kEvil + 1, 2, 1, "k", Value::Int(1)}});
  // kEvil:2..6 carry nothing; kEvil:7 is a text element, not a counter.
  DocUpdateBuilder later({kEvil});
  const uint32_t l2 = later.Child(later.Root(), "l", ContainerType::kList);
  later.Noop(kEvil, 2, 5);
  later.Sequence(l2, {InsRun{kEvil, 7, 1, false, Id{kEvil, 1}, std::nullopt, ""}}, {},
                 {Value::Container(ContainerType::kText)});
  std::unique_ptr<Doc> d =
      ExpectOrderFree({made.Bytes(), use.Bytes(), later.Bytes()}, "item containers");
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
  EXPECT_EQ(x->root().GetContainer("t")->AsText().ToString(),
            base->root().GetContainer("t")->AsText().ToString());
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
  for (int i = 0; i < 5; ++i)
    chain.push_back(c = b.Child(c, "d" + std::to_string(i), ContainerType::kMap));
  const Value map = Value::Container(ContainerType::kMap);
  b.MapOps({Row{0, kEvil, 0, 1, "d0", map}, Row{chain[0], kEvil, 1, 2, "d1", map},
            Row{chain[1], kEvil, 2, 3, "d2", map}, Row{chain[2], kEvil, 3, 4, "deep", map},
            Row{chain[4], kEvil, 4, 5, "bottom", Value::Int(1)},
            Row{chain[1], kEvil, 5, 6, "ok", Value::Int(2)}});
  DocUpdateBuilder other({kEvil + 1});
  other.MapOps({Row{other.Root(), kEvil + 1, 0, 4, "z", Value::Int(3)}});
  std::unique_ptr<Doc> d = ExpectOrderFree({b.Bytes(), other.Bytes()}, "too deep", limits);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version().get(kEvil), 6u);
  EXPECT_NE(d->ToJson().find(R"("d0":{"d1":{"d2":{"deep":null},"ok":2}})"), std::string::npos)
      << d->ToJson();
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

}  // namespace
}  // namespace tandem
