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

TEST(ComputeModelTest, VectorAndTranscendentalSidesBoundElementwiseWork) {
  ComputeConstants c = Unit();
  c.vector_ops_per_second = 1e9;
  c.transcendentals_per_second = 1e8;
  ComputeOp op;  // a softmax-like fusion: 4e6 VPU FLOPs, 1e6 exps, little traffic
  op.flops = 4e6;
  op.transcendentals = 1e6;
  op.bytes_accessed = 8e3;
  ComputeTime t = ComputeOpTime(op, c);
  EXPECT_DOUBLE_EQ(t.vector_seconds, 4e6 / 1e9);
  EXPECT_DOUBLE_EQ(t.transcendental_seconds, 1e6 / 1e8);
  EXPECT_DOUBLE_EQ(t.flop_seconds, 0.0);  // no matmul: the MXU side is idle
  EXPECT_DOUBLE_EQ(t.seconds, 1e6 / 1e8);
  EXPECT_EQ(t.bound(), "eup");
  op.transcendentals = 0.0;
  EXPECT_EQ(ComputeOpTime(op, c).bound(), "vpu");
  // A kernel's transcendentals are part of its measured efficiency, not charged again.
  op.transcendentals = 1e6;
  op.kernel_flops = 4e6;
  t = ComputeOpTime(op, c);
  EXPECT_DOUBLE_EQ(t.transcendental_seconds, 0.0);
  EXPECT_DOUBLE_EQ(t.seconds, 4e6 / (1e12 * 0.25));
}

TEST(ComputeModelTest, CompilerSourceUsesTheEstimateWhereThereIsOne) {
  ComputeConstants c = Unit();
  c.clock_hz = 1e9;
  ComputeOp op;
  op.matmuls.push_back({1, 1024, 1024, 1024});
  op.flops = MatmulFlops(op.matmuls[0]);
  op.estimated_cycles = 3e6;
  const ComputeTime roofline = ComputeOpTime(op, c);
  EXPECT_FALSE(roofline.from_compiler);
  EXPECT_DOUBLE_EQ(roofline.compiler_seconds, 3e-3);  // reported by both sources
  EXPECT_DOUBLE_EQ(roofline.seconds, roofline.roofline_seconds);
  c.source = ComputeSource::kCompiler;
  const ComputeTime compiler = ComputeOpTime(op, c);
  EXPECT_TRUE(compiler.from_compiler);
  EXPECT_DOUBLE_EQ(compiler.seconds, 3e-3);
  EXPECT_DOUBLE_EQ(compiler.roofline_seconds, roofline.roofline_seconds);
  op.estimated_cycles = -1.0;  // no estimate (a Pallas kernel): the roofline answers
  const ComputeTime fallback = ComputeOpTime(op, c);
  EXPECT_FALSE(fallback.from_compiler);
  EXPECT_LT(fallback.compiler_seconds, 0.0);
  EXPECT_DOUBLE_EQ(fallback.seconds, roofline.roofline_seconds);
}

TEST(ComputeModelTest, ParsesComputeSources) {
  EXPECT_EQ(ParseComputeSource("compiler").value(), ComputeSource::kCompiler);
  EXPECT_EQ(ParseComputeSource("roofline").value(), ComputeSource::kRoofline);
  const auto bad = ParseComputeSource("cycles");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("'cycles'"), std::string::npos);
  EXPECT_EQ(ComputeSourceName(ComputeSource::kCompiler), "compiler");
}

TEST(ComputeModelTest, ClocksAgreeWithPeakOverMxuThroughput) {
  // The derivation in chip_spec.cc: peak = cores x 4 MXUs x tile^2 x 2 FLOPs x clock (within 1%).
  for (const ChipSpec& chip : AllChipSpecs()) {
    const double per_cycle = chip.tensorcores_per_chip * 4.0 * chip.mxu_tile * chip.mxu_tile * 2.0;
    EXPECT_NEAR(chip.bf16_peak.flops_per_second / per_cycle / chip.tensorcore_clock.hertz, 1.0,
                0.01)
        << chip.name;
  }
  // A megacore device owns both TensorCores' vector units; a tpu7x device one of two.
  const ChipSpec& v5p = GetChipSpec(Generation::kV5p);
  EXPECT_DOUBLE_EQ(ComputeConstants::FromChip(v5p).vector_ops_per_second,
                   2 * v5p.vpu_ops_per_cycle * v5p.tensorcore_clock.hertz);
  const ChipSpec& ironwood = GetChipSpec(Generation::kTpu7x);
  EXPECT_DOUBLE_EQ(ComputeConstants::FromChip(ironwood).vector_ops_per_second,
                   ironwood.vpu_ops_per_cycle * ironwood.tensorcore_clock.hertz);
}

}  // namespace
}  // namespace aoizora::placement
