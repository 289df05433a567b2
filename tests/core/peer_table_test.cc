// PeerTable: indices in order of first sight, both directions, whether the
// table holds one peer (inline) or many (sorted vectors).
#include "core/peer_table.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(PeerTable, IndicesFollowFirstSightFromOneToManyPeers) {
  PeerTable t;
  PeerIndex i;
  EXPECT_FALSE(t.Find(0, &i));  // an empty table knows no peer, not even 0
  EXPECT_EQ(t.Intern(42), 0u);
  EXPECT_EQ(t.Intern(42), 0u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.id(0), 42u);
  EXPECT_FALSE(t.Find(7, &i));
  EXPECT_EQ(t.MemoryUsage(), 0u);  // one peer: nothing allocated

  std::mt19937_64 rng(3);
  std::vector<PeerId> ids = {42};
  for (int k = 0; k < 200; ++k) {
    const PeerId id = rng() % 300;
    PeerIndex idx;
    if (!t.Find(id, &idx)) {
      idx = t.Intern(id);
      EXPECT_EQ(idx, ids.size());
      ids.push_back(id);
    }
    EXPECT_EQ(t.id(idx), id);
  }
  ASSERT_EQ(t.size(), ids.size());
  for (size_t k = 0; k < ids.size(); ++k) {
    ASSERT_TRUE(t.Find(ids[k], &i));
    EXPECT_EQ(i, k);
    EXPECT_EQ(t.id(static_cast<PeerIndex>(k)), ids[k]);
    EXPECT_EQ(t.Intern(ids[k]), k);
  }
  EXPECT_GT(t.MemoryUsage(), 0u);
}

TEST(PeerTable, TheSecondPeerKeepsTheFirstAtIndexZero) {
  PeerTable t;
  EXPECT_EQ(t.Intern(9), 0u);
  EXPECT_EQ(t.Intern(3), 1u);  // smaller id, later index
  PeerIndex i;
  ASSERT_TRUE(t.Find(9, &i));
  EXPECT_EQ(i, 0u);
  ASSERT_TRUE(t.Find(3, &i));
  EXPECT_EQ(i, 1u);
  EXPECT_EQ(t.id(0), 9u);
  EXPECT_EQ(t.id(1), 3u);
}

}  // namespace
}  // namespace tandem
