// Doc: regressions found by the randomized tools rather than by hand-built
// bad input, kept beside the hostile-input tests (suite DocHostile) because
// they too end in replicas that disagree or cannot reload their own snapshot.
#include <memory>

#include <gtest/gtest.h>

#include "core/doc.h"

namespace tandem {
namespace {

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
