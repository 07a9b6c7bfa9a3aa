#include <gtest/gtest.h>

#include "tests/consensus/cluster.h"

namespace aethel::consensus::testing {
namespace {

TEST(ClusterSmoke, FourReplicasCommit) {
  for (VotePattern pattern : {VotePattern::kAllToAll, VotePattern::kCollector}) {
    Cluster cluster(cluster_options(4, pattern));
    cluster.start();
    ASSERT_TRUE(cluster.run_until_committed(40, 60'000)) << cluster.trace_text();
    for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(cluster.committed(0), cluster.committed(i));
    EXPECT_TRUE(cluster.double_signs().empty());
  }
}

}  // namespace
}  // namespace aethel::consensus::testing
