#include "aoizora/placement/compute_model.h"

#include <gtest/gtest.h>

namespace aoizora::placement {
namespace {

ComputeConstants Unit() {
  ComputeConstants c;
  c.peak_flops_per_second = 1e12;
  c.hbm_bytes_per_second = 1e9;
  c.mxu_tile = 128;
  c.matmul_efficiency = 0.5;
  c.narrow_matmul_efficiency = 0.25;
  c.hbm_efficiency = 0.8;
  return c;
}

TEST(ComputeModelTest, RoundsUpToTheTile) {
  EXPECT_EQ(RoundUpToTile(1, 128), 128);
  EXPECT_EQ(RoundUpToTile(128, 128), 128);
  EXPECT_EQ(RoundUpToTile(129, 128), 256);
  EXPECT_EQ(RoundUpToTile(640, 256), 768);
  EXPECT_EQ(RoundUpToTile(0, 128), 128);
}

TEST(ComputeModelTest, PaddedFlopsOfANarrowShard) {
  // 40 heads over 16 devices leaves 2.5 -> a 320-wide shard: k padded to 384 on v5e, 512 on v6e.
  MatmulDims d{1, 1024, 320, 5120};
  EXPECT_DOUBLE_EQ(MatmulFlops(d), 2.0 * 1024 * 320 * 5120);
  EXPECT_DOUBLE_EQ(PaddedMatmulFlops(d, 128), 2.0 * 1024 * 384 * 5120);
  EXPECT_DOUBLE_EQ(PaddedMatmulFlops(d, 256), 2.0 * 1024 * 512 * 5120);
}

TEST(ComputeModelTest, ComputeBoundMatmulUsesPaddedFlopsAtMatmulEfficiency) {
  ComputeOp op;
  op.matmuls.push_back({2, 1000, 1000, 300});  // k = 300 -> 384, m, n = 1000 -> 1024
  op.flops = MatmulFlops(op.matmuls[0]);
  op.bytes_accessed = 1000.0;
  const ComputeTime t = ComputeOpTime(op, Unit());
  const double padded = 2.0 * 2 * 1024 * 1024 * 384;
  EXPECT_DOUBLE_EQ(t.padded_flops, padded);
  EXPECT_DOUBLE_EQ(t.flop_seconds, padded / (1e12 * 0.5));
  EXPECT_DOUBLE_EQ(t.memory_seconds, 1000.0 / (1e9 * 0.8));
  EXPECT_DOUBLE_EQ(t.seconds, t.flop_seconds);
}

TEST(ComputeModelTest, NarrowContractionRunsAtTheNarrowEfficiency) {
  ComputeOp op;
  op.matmuls.push_back({1, 4096, 4096, 128});  // head dim 128 contraction (QK^T)
  op.flops = MatmulFlops(op.matmuls[0]);
  const ComputeTime t = ComputeOpTime(op, Unit());
  EXPECT_DOUBLE_EQ(t.seconds, 2.0 * 4096 * 4096 * 128 / (1e12 * 0.25));
}

TEST(ComputeModelTest, MemoryBoundOpAndOtherFlops) {
  ComputeOp op;
  op.flops = 1e6;  // elementwise: no matmul dims
  op.bytes_accessed = 8e6;
  const ComputeTime t = ComputeOpTime(op, Unit());
  EXPECT_DOUBLE_EQ(t.flop_seconds, 1e6 / (1e12 * 0.5));
  EXPECT_DOUBLE_EQ(t.seconds, 8e6 / (1e9 * 0.8));
}

TEST(ComputeModelTest, FastMemoryBytesMoveAtTheFastRate) {
  ComputeOp op;
  op.flops = 1e3;
  op.bytes_accessed = 8e6;
  op.fast_memory_bytes = 6e6;  // e.g. a score block XLA kept in VMEM
  ComputeConstants c = Unit();
  c.fast_memory_bandwidth_ratio = 20.0;
  const ComputeTime t = ComputeOpTime(op, c);
  EXPECT_DOUBLE_EQ(t.memory_seconds, (2e6 + 6e6 / 20.0) / (1e9 * 0.8));
  // A ratio below one, or more fast bytes than bytes, never makes memory cheaper than all-HBM
  // traffic at the fast rate.
  c.fast_memory_bandwidth_ratio = 0.5;
  EXPECT_DOUBLE_EQ(ComputeOpTime(op, c).memory_seconds, 8e6 / (1e9 * 0.8));
  op.fast_memory_bytes = 1e9;
  c.fast_memory_bandwidth_ratio = 20.0;
  EXPECT_DOUBLE_EQ(ComputeOpTime(op, c).memory_seconds, 8e6 / 20.0 / (1e9 * 0.8));
}

TEST(ComputeModelTest, KernelFlopsRunAtTheAttentionEfficiency) {
  ComputeOp op;
  op.flops = 3e9;
  op.kernel_flops = 2e9;  // a Pallas attention kernel's declared FLOPs; 1e9 other FLOPs
  op.bytes_accessed = 1.0;
  const ComputeTime t = ComputeOpTime(op, Unit());
  EXPECT_DOUBLE_EQ(t.flop_seconds, 2e9 / (1e12 * 0.25) + 1e9 / (1e12 * 0.5));
  op.kernel_flops = 5e9;  // more than the op's FLOPs: clamped, never negative other FLOPs
  EXPECT_DOUBLE_EQ(ComputeOpTime(op, Unit()).flop_seconds, 3e9 / (1e12 * 0.25));
}

TEST(ComputeModelTest, PerDeviceConstantsSplitTheChip) {
  ComputeConstants v5e = ComputeConstants::FromChip(GetChipSpec(Generation::kV5e));
  EXPECT_EQ(v5e.mxu_tile, 128);
  EXPECT_DOUBLE_EQ(v5e.fast_memory_bandwidth_ratio,
                   GetChipSpec(Generation::kV5e).fast_memory_bandwidth_ratio);
  EXPECT_GT(v5e.fast_memory_bandwidth_ratio, 1.0);
  EXPECT_DOUBLE_EQ(v5e.peak_flops_per_second,
                   GetChipSpec(Generation::kV5e).bf16_peak.flops_per_second);
  ComputeConstants v6e = ComputeConstants::FromChip(GetChipSpec(Generation::kV6e));
  EXPECT_EQ(v6e.mxu_tile, 256);
  const ChipSpec& ironwood = GetChipSpec(Generation::kTpu7x);
  ComputeConstants tpu7x = ComputeConstants::FromChip(ironwood);
  EXPECT_DOUBLE_EQ(tpu7x.peak_flops_per_second, ironwood.bf16_peak.flops_per_second / 2);
  EXPECT_DOUBLE_EQ(tpu7x.hbm_bytes_per_second, ironwood.hbm_bandwidth.bytes_per_second / 2);
}

}  // namespace
}  // namespace aoizora::placement
