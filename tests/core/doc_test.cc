// Doc: containers, merge rules, sync, snapshots, events, paths, positions.
#include "core/doc.h"

#include <gtest/gtest.h>

#include <random>

namespace tandem {
namespace {

// Exchanges everything between two docs.
void Sync(Doc& a, Doc& b) {
  ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate(b.version())).ok());
  ASSERT_TRUE(a.ApplyUpdate(b.EncodeUpdate(a.version())).ok());
}

TEST(DocTest, MapSetGetDelete) {
  Doc d(1);
  MapRef root = d.root();
  ASSERT_TRUE(root.Set("a", Value::Int(5)).ok());
  ASSERT_TRUE(root.Set("b", Value::String("hé")).ok());
  ASSERT_TRUE(root.Set("c", Value::Double(1.5)).ok());
  ASSERT_TRUE(root.Set("d", Value::Bool(true)).ok());
  ASSERT_TRUE(root.Set("e", Value::Null()).ok());
  ASSERT_TRUE(root.Set("f", Value::Bytes(std::string("\0\1", 2))).ok());
  EXPECT_EQ(root.Get("a")->as_int(), 5);
  EXPECT_EQ(root.size(), 6u);
  ASSERT_TRUE(root.Delete("a").ok());
  EXPECT_FALSE(root.Get("a").has_value());
  EXPECT_EQ(d.ToJson(), R"({"b":"hé","c":1.5,"d":true,"e":null,"f":"AAE="})");
  EXPECT_FALSE(root.Set("x", Value::String("\xff")).ok());
  EXPECT_FALSE(root.Set("\xff", Value::Int(1)).ok());
}

TEST(DocTest, MapLastWriterWinsByLamportThenPeer) {
  Doc a(1), b(2);
  a.root().Set("k", Value::Int(1));
  b.root().Set("k", Value::Int(2));
  Sync(a, b);
  // Same Lamport time: the higher peer id wins.
  EXPECT_EQ(a.root().Get("k")->as_int(), 2);
  EXPECT_EQ(b.root().Get("k")->as_int(), 2);
  // A write that saw the other wins whatever the peer id.
  a.root().Set("k", Value::Int(3));
  Sync(a, b);
  EXPECT_EQ(b.root().Get("k")->as_int(), 3);
  EXPECT_EQ(a.EncodeSnapshot(), b.EncodeSnapshot());
}

TEST(DocTest, NestedContainersAndPaths) {
  Doc d(7);
  Container shapes, shape, points, title, votes;
  ASSERT_TRUE(d.root().GetOrCreate("shapes", ContainerType::kMap, &shapes).ok());
  ASSERT_TRUE(shapes.AsMap().GetOrCreate("s/1", ContainerType::kMap, &shape).ok());
  ASSERT_TRUE(shape.AsMap().GetOrCreate("points", ContainerType::kList, &points).ok());
  std::vector<Value> pts = {Value::Int(1), Value::Int(2), Value::Int(3)};
  ASSERT_TRUE(points.AsList().Insert(0, pts).ok());
  ASSERT_TRUE(points.AsList().InsertContainer(1, ContainerType::kText, &title).ok());
  ASSERT_TRUE(title.AsText().Insert(0, "hi").ok());
  ASSERT_TRUE(d.root().GetOrCreate("votes", ContainerType::kCounter, &votes).ok());
  votes.AsCounter().Add(3);
  votes.AsCounter().Add(-1);
  EXPECT_EQ(d.ToJson(), R"({"shapes":{"s/1":{"points":[1,"hi",2,3]}},"votes":2})");
  Container found;
  ASSERT_TRUE(d.Resolve("/shapes/s~11/points", &found).ok());
  EXPECT_EQ(found, points);
  ASSERT_TRUE(d.Resolve("/shapes/s~11/points/1", &found).ok());
  EXPECT_EQ(found, title);
  EXPECT_EQ(*d.PathOf(title), "/shapes/s~11/points/1");
  EXPECT_FALSE(d.Resolve("/nope", &found).ok());
  EXPECT_FALSE(d.Resolve("/shapes/s~11/points/x", &found).ok());

  // Replicate by update and by snapshot.
  Doc e(8);
  ASSERT_TRUE(e.ApplyUpdate(d.EncodeUpdate()).ok());
  EXPECT_EQ(e.ToJson(), d.ToJson());
  EXPECT_EQ(e.version(), d.version());
  EXPECT_EQ(e.EncodeSnapshot(), d.EncodeSnapshot());
  std::unique_ptr<Doc> f;
  ASSERT_TRUE(Doc::DecodeSnapshot(d.EncodeSnapshot(), 9, &f).ok());
  EXPECT_EQ(f->ToJson(), d.ToJson());
  EXPECT_EQ(f->EncodeSnapshot(), d.EncodeSnapshot());
  EXPECT_EQ(f->version(), d.version());
}

TEST(DocTest, ConcurrentSameKeyContainersMerge) {
  Doc a(1), b(2);
  Container la, lb;
  a.root().GetOrCreate("items", ContainerType::kList, &la);
  b.root().GetOrCreate("items", ContainerType::kList, &lb);
  la.AsList().Push(Value::String("from a"));
  lb.AsList().Push(Value::String("from b"));
  Sync(a, b);
  EXPECT_EQ(a.ToJson(), b.ToJson());
  EXPECT_EQ(a.root().GetContainer("items")->AsList().size(), 2u);
}

TEST(DocTest, TransactionsMakeOneUpdateAndOneEvent) {
  Doc a(1), b(2);
  Container t;
  a.root().GetOrCreate("t", ContainerType::kText, &t);
  Sync(a, b);
  int events = 0;
  ChangeEvent last;
  b.Observe(b.root(), /*deep=*/true, [&](const ChangeEvent& ev) {
    ++events;
    last = ev;
  });
  std::string update;
  a.BeginTransaction("typing");
  t.AsText().Insert(0, "hello");
  t.AsText().Delete(0, 1);
  a.root().Set("n", Value::Int(1));
  a.CommitTransaction(&update);
  ASSERT_FALSE(update.empty());
  ASSERT_TRUE(b.ApplyUpdate(update, "net").ok());
  EXPECT_EQ(events, 1);
  EXPECT_FALSE(last.local);
  EXPECT_EQ(last.origin, "net");
  ASSERT_EQ(last.changes.size(), 2u);
  EXPECT_EQ(last.changes[0].type, ContainerType::kMap);
  EXPECT_EQ(last.changes[0].keys[0].key, "n");
  EXPECT_EQ(last.changes[1].path, "/t");
  EXPECT_EQ(last.changes[1].text.ToString(), "[insert \"ello\"]");
  EXPECT_EQ(a.ToJson(), b.ToJson());
}

TEST(DocTest, ListEventsCarryValues) {
  Doc a(1);
  Container l;
  a.root().GetOrCreate("l", ContainerType::kList, &l);
  std::vector<Value> v = {Value::Int(1), Value::Int(2), Value::Int(3)};
  l.AsList().Insert(0, v);
  std::vector<ListStep> steps;
  a.Observe(l, false, [&](const ChangeEvent& ev) { steps = ev.changes[0].list; });
  a.BeginTransaction();
  l.AsList().Delete(1, 1);
  std::vector<Value> w = {Value::String("x")};
  l.AsList().Insert(0, w);
  a.CommitTransaction();
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].kind, ListStep::kInsert);
  EXPECT_EQ(steps[0].values[0].as_string(), "x");
  EXPECT_EQ(steps[1].kind, ListStep::kRetain);
  EXPECT_EQ(steps[2].kind, ListStep::kDelete);
}

TEST(DocTest, PendingAcrossContainers) {
  Doc a(1), b(2);
  std::vector<std::string> updates;
  a.SetUpdateListener([&](std::string_view u) { updates.emplace_back(u); });
  Container l, m;
  a.root().GetOrCreate("l", ContainerType::kList, &l);
  l.AsList().InsertContainer(0, ContainerType::kMap, &m);
  m.AsMap().Set("x", Value::Int(1));
  ASSERT_EQ(updates.size(), 3u);
  // Deliver in reverse: everything waits until the first arrives.
  ASSERT_TRUE(b.ApplyUpdate(updates[2]).ok());
  ASSERT_TRUE(b.ApplyUpdate(updates[1]).ok());
  EXPECT_GT(b.pending_ops(), 0u);
  std::unique_ptr<Doc> c;
  ASSERT_TRUE(Doc::DecodeSnapshot(b.EncodeSnapshot(), 3, &c).ok());
  EXPECT_EQ(c->EncodeSnapshot(), b.EncodeSnapshot());
  ASSERT_TRUE(b.ApplyUpdate(updates[0]).ok());
  ASSERT_TRUE(c->ApplyUpdate(updates[0]).ok());
  EXPECT_EQ(b.pending_ops(), 0u);
  EXPECT_EQ(b.ToJson(), R"({"l":[{"x":1}]})");
  EXPECT_EQ(c->ToJson(), b.ToJson());
  EXPECT_EQ(c->EncodeSnapshot(), a.EncodeSnapshot());
}

TEST(DocTest, DeletedElementKeepsItsContainer) {
  Doc a(1), b(2);
  Container l, t;
  a.root().GetOrCreate("l", ContainerType::kList, &l);
  l.AsList().InsertContainer(0, ContainerType::kText, &t);
  t.AsText().Insert(0, "abc");
  l.AsList().Delete(0, 1);
  ASSERT_TRUE(b.ApplyUpdate(a.EncodeUpdate()).ok());
  EXPECT_EQ(b.ToJson(), R"({"l":[]})");
  EXPECT_EQ(b.EncodeSnapshot(), a.EncodeSnapshot());
  EXPECT_EQ(b.version(), a.version());
}

TEST(DocTest, StickyPositionsFollowEdits) {
  Doc a(1), b(2);
  Container t;
  a.root().GetOrCreate("t", ContainerType::kText, &t);
  t.AsText().Insert(0, "hello world");
  Sync(a, b);
  StickyPosition p;
  ASSERT_TRUE(a.StickyAt(t, 6, StickyPosition::kBefore, &p).ok());  // before 'w'
  std::string wire = a.EncodeSticky(p);
  b.root().GetContainer("t")->AsText().Insert(0, ">> ");
  Sync(a, b);
  uint64_t idx;
  ASSERT_TRUE(a.ResolveSticky(p, &idx).ok());
  EXPECT_EQ(idx, 9u);
  StickyPosition q;
  ASSERT_TRUE(b.DecodeSticky(wire, &q).ok());
  ASSERT_TRUE(b.ResolveSticky(q, &idx).ok());
  EXPECT_EQ(idx, 9u);
  t.AsText().Delete(8, 3);  // deletes " wo"
  ASSERT_TRUE(a.ResolveSticky(p, &idx).ok());
  EXPECT_EQ(idx, 8u);
}

TEST(DocTest, RandomConcurrentEditsConverge) {
  std::mt19937_64 rng(42);
  std::vector<std::unique_ptr<Doc>> docs;
  for (int i = 0; i < 4; ++i) docs.push_back(std::make_unique<Doc>(100 + i));
  for (int round = 0; round < 30; ++round) {
    for (auto& d : docs) {
      for (int k = 0; k < 5; ++k) {
        Container l, t, c, m;
        switch (rng() % 6) {
          case 0: d->root().Set("k" + std::to_string(rng() % 5), Value::Int(int64_t(rng() % 100))); break;
          case 1:
            d->root().GetOrCreate("list", ContainerType::kList, &l);
            l.AsList().Push(Value::Int(int64_t(rng() % 100)));
            break;
          case 2:
            d->root().GetOrCreate("list", ContainerType::kList, &l);
            if (l.AsList().size() > 0) l.AsList().Delete(rng() % l.AsList().size(), 1);
            break;
          case 3:
            d->root().GetOrCreate("text", ContainerType::kText, &t);
            t.AsText().Insert(rng() % (t.AsText().length() + 1), "xy");
            break;
          case 4:
            d->root().GetOrCreate("n", ContainerType::kCounter, &c);
            c.AsCounter().Add(1);
            break;
          case 5:
            d->root().GetOrCreate("list", ContainerType::kList, &l);
            l.AsList().InsertContainer(rng() % (l.AsList().size() + 1), ContainerType::kMap, &m);
            m.AsMap().Set("v", Value::Int(round));
            break;
        }
      }
    }
    // Random pairwise syncs.
    for (int s = 0; s < 3; ++s) {
      Doc& x = *docs[rng() % docs.size()];
      Doc& y = *docs[rng() % docs.size()];
      if (&x != &y) Sync(x, y);
    }
  }
  for (size_t i = 1; i < docs.size(); ++i) Sync(*docs[0], *docs[i]);
  for (size_t i = 1; i < docs.size(); ++i) Sync(*docs[0], *docs[i]);
  for (size_t i = 0; i < docs.size(); ++i) EXPECT_TRUE(docs[i]->CheckInvariants().ok());
  for (size_t i = 1; i < docs.size(); ++i) {
    EXPECT_EQ(docs[i]->ToJson(), docs[0]->ToJson());
    EXPECT_EQ(docs[i]->version(), docs[0]->version());
    EXPECT_EQ(docs[i]->EncodeSnapshot(), docs[0]->EncodeSnapshot());
  }
  std::unique_ptr<Doc> r;
  ASSERT_TRUE(Doc::DecodeSnapshot(docs[0]->EncodeSnapshot(), 9, &r).ok());
  EXPECT_EQ(r->EncodeSnapshot(), docs[0]->EncodeSnapshot());
}

}  // namespace
}  // namespace tandem
