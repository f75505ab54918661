#include "aoizora/placement/q2_model.h"

#include <gtest/gtest.h>

#include "aoizora/placement/q2_test_programs.h"

namespace aoizora::placement {
namespace {

using testing::Async;
using testing::AxisGroups;
using testing::CollectiveStep;
using testing::ComputeSeconds;

ComputeConstants UnitHbm() {
  ComputeConstants c;
  c.peak_flops_per_second = 1e15;
  c.hbm_bytes_per_second = 1e9;
  c.hbm_efficiency = 1.0;
  return c;
}

Topology Slice(const char* spec) {
  auto t = ParseSliceSpec(spec);
  EXPECT_TRUE(t.ok());
  return *t;
}

double CommSeconds(const CommModel& comm, const StepOp& step, const DeviceIds& placement) {
  auto cost = comm.Cost(std::get<CollectiveOp>(step.op).ToCollective(), placement);
  EXPECT_TRUE(cost.ok());
  return cost->seconds;
}

double Get(const std::vector<std::pair<std::string, double>>& buckets, const std::string& key) {
  for (const auto& [name, value] : buckets) {
    if (name == key) return value;
  }
  return -1.0;
}

class Q2ModelTest : public ::testing::Test {
 protected:
  Topology topo_ = Slice("v5e:2x4");
  CommModel comm_{topo_};
  std::vector<int64_t> mesh_{2, 4};
  DeviceIds identity_ = IdentityPlacement(8);
  StepOp gather_ =
      CollectiveStep("all-gather.1", CollectiveKind::kAllGather, 8e6, AxisGroups({2, 4}, 1));
  StepOp reduce_ =
      CollectiveStep("all-reduce.2", CollectiveKind::kAllReduce, 2e6, AxisGroups({2, 4}, 0));

  Q2Model Model(std::vector<StepOp> ops) {
    StepProgram p;
    p.num_partitions = 8;
    p.ops = std::move(ops);
    auto m = Q2Model::Create(p, comm_, UnitHbm(), mesh_, {"cfg", "sp"});
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().ToString());
    return std::move(m).value();
  }
};

TEST_F(Q2ModelTest, SyncCollectiveAddsItsFullTime) {
  const double comm = CommSeconds(comm_, gather_, identity_);
  ASSERT_GT(comm, 0.0);
  Q2Model model = Model({ComputeSeconds(1e-3), gather_, ComputeSeconds(2e-3)});
  Q2Scorer scorer(model);
  EXPECT_DOUBLE_EQ(model.compute_seconds(), 3e-3);
  EXPECT_DOUBLE_EQ(scorer.Score(identity_), 3e-3 + comm);
  Q2Breakdown b = scorer.Breakdown(identity_);
  EXPECT_DOUBLE_EQ(b.seconds, 3e-3 + comm);
  EXPECT_DOUBLE_EQ(b.exposed_comm_seconds, b.seconds - 3e-3);
  EXPECT_DOUBLE_EQ(Get(b.exposed_by_kind, "all-gather"), comm);
  EXPECT_DOUBLE_EQ(Get(b.exposed_by_axes, "sp"), comm);
  ASSERT_EQ(b.collectives.size(), 1u);
  EXPECT_EQ(b.collectives[0].name, "all-gather.1");
  EXPECT_EQ(b.collectives[0].axes, "sp");
  EXPECT_EQ(b.label, "model prediction");
}

TEST_F(Q2ModelTest, AsyncCollectiveHidesBehindALongWindow) {
  const double comm = CommSeconds(comm_, gather_, identity_);
  // start at op 0, window = op 1 (10x the collective), done before op 2.
  Q2Model model = Model({Async(gather_, 1, 2), ComputeSeconds(10 * comm), ComputeSeconds(1e-3)});
  Q2Scorer scorer(model);
  EXPECT_DOUBLE_EQ(scorer.Score(identity_), 10 * comm + 1e-3);
  Q2Breakdown b = scorer.Breakdown(identity_);
  EXPECT_DOUBLE_EQ(b.exposed_comm_seconds, 0.0);
  EXPECT_DOUBLE_EQ(b.comm_seconds, comm);
  EXPECT_TRUE(b.collectives[0].is_async);
}

TEST_F(Q2ModelTest, AsyncCollectiveExposesWhatItsWindowCannotHide) {
  const double comm = CommSeconds(comm_, gather_, identity_);
  Q2Model model = Model({Async(gather_, 1, 2), ComputeSeconds(0.25 * comm), ComputeSeconds(1e-3)});
  Q2Scorer scorer(model);
  EXPECT_NEAR(scorer.Score(identity_), comm + 1e-3, 1e-15);
  Q2Breakdown b = scorer.Breakdown(identity_);
  EXPECT_NEAR(Get(b.exposed_by_kind, "all-gather"), 0.75 * comm, 1e-15);
}

TEST_F(Q2ModelTest, OverlappingAsyncCollectivesShareTheQueue) {
  const double c1 = CommSeconds(comm_, gather_, identity_);
  const double c2 = CommSeconds(comm_, reduce_, identity_);
  const double window = 0.5 * (c1 + c2);
  // Both start before the window; the second waits for the first on the ICI queue.
  Q2Model model = Model({Async(gather_, 2, 3), Async(reduce_, 2, 3), ComputeSeconds(window)});
  Q2Scorer scorer(model);
  EXPECT_NEAR(scorer.Score(identity_), c1 + c2, 1e-15);
}

TEST_F(Q2ModelTest, MultiplicityScalesALoopBody) {
  const double comm = CommSeconds(comm_, reduce_, identity_);
  StepOp body_reduce = reduce_;
  body_reduce.multiplicity = 40;
  Q2Model model =
      Model({ComputeSeconds(1e-3), ComputeSeconds(2e-4, 40), body_reduce, ComputeSeconds(1e-3)});
  Q2Scorer scorer(model);
  EXPECT_NEAR(scorer.Score(identity_), 2e-3 + 40 * (2e-4 + comm), 1e-12);
  Q2Breakdown b = scorer.Breakdown(identity_);
  EXPECT_DOUBLE_EQ(b.collectives[0].count, 40);
  EXPECT_EQ(b.collectives[0].axes, "cfg");
}

TEST_F(Q2ModelTest, IdenticalCollectivesAreCostedOnce) {
  Q2Model model = Model({gather_, ComputeSeconds(1e-3), gather_, reduce_});
  EXPECT_EQ(model.distinct_collective_count(), 2);
  EXPECT_EQ(model.collective_event_count(), 3);
  Q2Scorer scorer(model);
  const double c1 = CommSeconds(comm_, gather_, identity_);
  const double c2 = CommSeconds(comm_, reduce_, identity_);
  EXPECT_NEAR(scorer.Score(identity_), 1e-3 + 2 * c1 + c2, 1e-15);
  std::vector<int32_t> order(identity_.begin(), identity_.end());
  EXPECT_DOUBLE_EQ(scorer.Score(order.data()), scorer.Score(identity_));
}

TEST_F(Q2ModelTest, PlacementChangesOnlyTheCommunication) {
  Q2Model model = Model({ComputeSeconds(1e-3), reduce_});
  Q2Scorer scorer(model);
  // cfg pairs (i, i+4) are 2 hops apart along y under the identity (x = i % 2, y = i / 2), and
  // adjacent along x when logical i and i+4 sit on chips 2k and 2k+1.
  const DeviceIds adjacent = {0, 2, 4, 6, 1, 3, 5, 7};
  EXPECT_LT(scorer.Score(adjacent), scorer.Score(identity_));
  EXPECT_NEAR(scorer.Score(adjacent), 1e-3 + CommSeconds(comm_, reduce_, adjacent), 1e-15);
}

TEST_F(Q2ModelTest, BadInputNamesTheValue) {
  StepProgram p;
  p.num_partitions = 8;
  p.ops = {gather_};
  auto bad_mesh = Q2Model::Create(p, comm_, std::vector<int64_t>{2, 2});
  ASSERT_FALSE(bad_mesh.ok());
  EXPECT_NE(bad_mesh.error().message().find("2,2"), std::string::npos);
  p.ops = {CollectiveStep("all-gather.9", CollectiveKind::kAllGather, 8e6, {{0, 9}})};
  auto bad_group = Q2Model::Create(p, comm_, mesh_);
  ASSERT_FALSE(bad_group.ok());
  EXPECT_NE(bad_group.error().message().find("all-gather.9"), std::string::npos);
  auto bad_names = Q2Model::Create(p, comm_, mesh_, {"only"});
  ASSERT_FALSE(bad_names.ok());
  p.ops = {gather_};
  auto ok = Q2Model::Create(p, comm_, mesh_);
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->ValidatePlacement({0, 1, 2, 3, 4, 5, 6, 6}).ok());
  EXPECT_FALSE(ok->ValidatePlacement({0, 1, 2}).ok());
}

TEST_F(Q2ModelTest, AsyncWithABadWindowIsReplayedSynchronouslyWithAWarning) {
  const double comm = CommSeconds(comm_, gather_, identity_);
  Q2Model model = Model({ComputeSeconds(1e-3), Async(gather_, 0, 0)});
  ASSERT_EQ(model.warnings().size(), 1u);
  Q2Scorer scorer(model);
  EXPECT_DOUBLE_EQ(scorer.Score(identity_), 1e-3 + comm);
}

}  // namespace
}  // namespace aoizora::placement
