#include "aoizora/placement/compute_profile.h"

#include <gtest/gtest.h>

namespace aoizora::placement {
namespace {

ComputeConstants Unit() {
  ComputeConstants c;
  c.peak_flops_per_second = 1e12;
  c.hbm_bytes_per_second = 1e9;
  c.mxu_tile = 128;
  c.matmul_efficiency = 1.0;
  c.narrow_matmul_efficiency = 1.0;
  c.hbm_efficiency = 1.0;
  c.fast_memory_bandwidth_ratio = 10.0;
  return c;
}

StepOp Compute(std::string name, double flops, double bytes, double multiplicity,
               bool matmul = false) {
  ComputeOp op;
  op.name = std::move(name);
  op.opcode = "fusion";
  op.flops = flops;
  op.bytes_accessed = bytes;
  if (matmul) op.matmuls.push_back({1, 1024, 1024, 1024});
  return StepOp{op, multiplicity};
}

TEST(ComputeProfileTest, RanksOpsByTotalTimeAndSplitsTheRoofline) {
  StepProgram p;
  // A matmul (2 x 1024^3 FLOPs = 2.1 ms at 1e12) run 4 times, a 1 MB elementwise op run 100
  // times (1 ms each at 1e9 B/s), and a collective that the profile ignores.
  p.ops.push_back(Compute("mm", 2.0 * 1024 * 1024 * 1024, 1e3, 4, /*matmul=*/true));
  p.ops.push_back(Compute("add", 1e3, 1e6, 100));
  CollectiveOp ag;
  ag.name = "all-gather";
  p.ops.push_back(StepOp{ag, 1});
  const ComputeProfile profile = ProfileCompute(p, Unit());
  ASSERT_EQ(profile.ops.size(), 2u);
  EXPECT_EQ(profile.ops[0].name, "add");  // 100 ms beats 8.6 ms
  EXPECT_TRUE(profile.ops[0].memory_bound());
  EXPECT_DOUBLE_EQ(profile.ops[0].seconds, 100 * 1e-3);
  EXPECT_FALSE(profile.ops[1].memory_bound());
  EXPECT_TRUE(profile.ops[1].has_matmul);
  const double mm = 4 * 2.0 * 1024 * 1024 * 1024 / 1e12;
  EXPECT_DOUBLE_EQ(profile.ops[1].seconds, mm);
  EXPECT_DOUBLE_EQ(profile.seconds, 0.1 + mm);
  EXPECT_DOUBLE_EQ(profile.matmul_op_seconds, mm);
  EXPECT_DOUBLE_EQ(profile.memory_bound_seconds, 0.1);
}

TEST(ComputeProfileTest, RepeatedNamesMergeAndFastBytesAreCheaper) {
  StepProgram p;
  StepOp a = Compute("f", 0.0, 1e6, 2);
  std::get<ComputeOp>(a.op).fast_memory_bytes = 1e6;  // all in S(1): 10x cheaper
  p.ops.push_back(a);
  p.ops.push_back(a);
  const ComputeProfile profile = ProfileCompute(p, Unit());
  ASSERT_EQ(profile.ops.size(), 1u);
  EXPECT_DOUBLE_EQ(profile.ops[0].count, 4);
  EXPECT_DOUBLE_EQ(profile.ops[0].each.memory_seconds, 1e6 / 10.0 / 1e9);
  EXPECT_DOUBLE_EQ(profile.seconds, 4 * 1e-4);
  EXPECT_DOUBLE_EQ(profile.ops[0].fast_memory_bytes, 1e6);
}

}  // namespace
}  // namespace aoizora::placement
