#include "aoizora/program/compiled_analysis.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include "aoizora/hlo/parser.h"
#include "aoizora/program/hlo_cost.h"
#include "aoizora/program/trip_count.h"

namespace aoizora {
namespace {

CompiledModuleAnalysis Analyze(const std::string& text) {
  auto r = AnalyzeCompiledText(text, "test.hlo");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : CompiledModuleAnalysis{};
}

std::vector<CollectiveOp> Collectives(const StepProgram& p) {
  std::vector<CollectiveOp> out;
  for (const auto& op : p.ops)
    if (const auto* c = std::get_if<CollectiveOp>(&op.op)) out.push_back(*c);
  return out;
}

TEST(HloCost, DotIsTwiceOutputTimesContracting) {
  auto a = Analyze(R"(HloModule m
ENTRY e {
  a = f32[4,32,64]{2,1,0} parameter(0)
  b = f32[4,64,16]{2,1,0} parameter(1)
  ROOT d = f32[4,32,16]{2,1,0} dot(a, b), lhs_batch_dims={0}, lhs_contracting_dims={2}, rhs_batch_dims={0}, rhs_contracting_dims={1}
})");
  EXPECT_DOUBLE_EQ(a.flops, 2.0 * 4 * 32 * 16 * 64);
  // bytes = output + operands.
  EXPECT_DOUBLE_EQ(a.bytes_accessed, 4.0 * (4 * 32 * 16 + 4 * 32 * 64 + 4 * 64 * 16));
  ASSERT_EQ(a.program.ops.size(), 1u);
  const auto& mm = std::get<ComputeOp>(a.program.ops[0].op).matmuls.at(0);
  EXPECT_EQ(mm.batch, 4);
  EXPECT_EQ(mm.m, 32);
  EXPECT_EQ(mm.n, 16);
  EXPECT_EQ(mm.k, 64);
}

TEST(HloCost, FastMemoryBytesFollowTheAssignedMemorySpace) {
  // The fusion writes its f32[64,128] result to S(1) and reads one S(1) operand (its layout on
  // the caller's side) and one HBM operand; bytes_accessed still counts all of them.
  auto a = Analyze(R"(HloModule m, is_scheduled=true

%fused (p0: f32[64,128], p1: f32[64,128]) -> f32[64,128] {
  %p0 = f32[64,128]{1,0:T(8,128)} parameter(0)
  %p1 = f32[64,128]{1,0:T(8,128)} parameter(1)
  ROOT %add = f32[64,128]{1,0:T(8,128)S(1)} add(%p0, %p1)
}

ENTRY %e (a: f32[64,128], b: f32[64,128]) -> f32[64,128] {
  %a = f32[64,128]{1,0:T(8,128)} parameter(0)
  %b = f32[64,128]{1,0:T(8,128)} parameter(1)
  %c = f32[64,128]{1,0:T(8,128)S(1)} copy(%a)
  ROOT %f = f32[64,128]{1,0:T(8,128)S(1)} fusion(%c, %b), kind=kLoop, calls=%fused
})");
  const double array = 4.0 * 64 * 128;
  ASSERT_EQ(a.program.ops.size(), 2u);
  const auto& copy = std::get<ComputeOp>(a.program.ops[0].op);
  EXPECT_DOUBLE_EQ(copy.bytes_accessed, 2 * array);
  EXPECT_DOUBLE_EQ(copy.fast_memory_bytes, array);  // the S(1) result, not the HBM source
  const auto& fusion = std::get<ComputeOp>(a.program.ops[1].op);
  EXPECT_DOUBLE_EQ(fusion.bytes_accessed, 3 * array);
  EXPECT_DOUBLE_EQ(fusion.fast_memory_bytes, 2 * array);  // output and operand %c
}

TEST(HloCost, ConvolutionCountsValidPositions) {
  // 3x3 SAME conv over 16x16: per spatial dim 16*3 - 2 = 46 valid (kernel, output) pairs.
  auto a = Analyze(R"(HloModule m
ENTRY e {
  x = f32[4,16,16,32]{3,2,1,0} parameter(0)
  k = f32[3,3,32,16]{3,2,1,0} parameter(1)
  ROOT c = f32[4,16,16,16]{3,2,1,0} convolution(x, k), window={size=3x3 pad=1_1x1_1}, dim_labels=b01f_01io->b01f
})");
  EXPECT_DOUBLE_EQ(a.flops, 2.0 * 32 * 16 * 4 * 46 * 46);
  const auto& mm = std::get<ComputeOp>(a.program.ops[0].op).matmuls.at(0);
  EXPECT_EQ(mm.m, 4 * 16 * 16);
  EXPECT_EQ(mm.k, 32 * 9);
  EXPECT_EQ(mm.n, 16);
}

TEST(HloCost, BaseDilatedAttentionConvolutionIsOneMatmulPerHead) {
  // How libtpu prints q.k^T (bqhd,bkhd->bhqk) with 2 heads in a spatial dim: window size 2,
  // lhs_dilate 2, so each output pairs with one kernel position. The matmul must carry the same
  // FLOPs as the op (k = d = 64, not 64 x 2 heads).
  auto a = Analyze(R"(HloModule m
ENTRY e {
  q = f32[2,60,2,64]{3,2,1,0} parameter(0)
  k = f32[2,60,2,64]{3,2,1,0} parameter(1)
  ROOT c = f32[2,2,60,60]{3,2,1,0} convolution(q, k), window={size=2x2 lhs_dilate=2x2}, dim_labels=0b1f_0o1i->01bf
})");
  const auto& mm = std::get<ComputeOp>(a.program.ops[0].op).matmuls.at(0);
  EXPECT_DOUBLE_EQ(2.0 * mm.batch * mm.m * mm.n * mm.k, a.flops);
  EXPECT_EQ(mm.k, 64);
}

TEST(HloCost, PaddedHeadWindowConvolutionIsOneMatmulPerHead) {
  // How libtpu prints a linear layer into 12 heads of 128 (bf16[1,16380,1536] @
  // bf16[12,128,1536]): a size-1 spatial input padded by 11 on both sides under a size-12
  // reversed window, so each of the 12 outputs meets one kernel position. k is the 1536 input
  // features, not 1536 x 12 (which charged such layers 12x on the MXU).
  auto a = Analyze(R"(HloModule m
ENTRY e {
  x = bf16[16380,1536,1]{0,1,2} parameter(0)
  w = bf16[12,128,1536]{2,1,0} parameter(1)
  ROOT c = f32[16380,12,128]{2,0,1} convolution(x, w), window={size=12 pad=11_11 rhs_reversal=1}, dim_labels=bf0_0oi->b0f
})");
  EXPECT_DOUBLE_EQ(a.flops, 2.0 * 16380 * 12 * 128 * 1536);
  const auto& mm = std::get<ComputeOp>(a.program.ops[0].op).matmuls.at(0);
  EXPECT_EQ(mm.k, 1536);
  EXPECT_DOUBLE_EQ(2.0 * mm.batch * mm.m * mm.n * mm.k, a.flops);
}

TEST(HloCost, MatmulAsConvolutionHasNoWindow) {
  auto a = Analyze(R"(HloModule m
ENTRY e {
  x = bf16[128,256]{1,0} parameter(0)
  w = bf16[256,512]{1,0} parameter(1)
  ROOT c = f32[128,512]{1,0} convolution(x, w), dim_labels=bf_io->bf
})");
  EXPECT_DOUBLE_EQ(a.flops, 2.0 * 128 * 512 * 256);
}

TEST(HloCost, FusionAtBoundaryWithInnerFlopsAndTranscendentals) {
  // Inner: multiply (flops) and tanh (transcendental) on 8x8; one operand only sliced.
  auto a = Analyze(R"(HloModule m
fused {
  p0 = f32[8,8]{1,0} parameter(0)
  p1 = f32[64,8]{1,0} parameter(1)
  s = f32[8,8]{1,0} slice(p1), slice={[0:8], [0:8]}
  m = f32[8,8]{1,0} multiply(p0, s)
  ROOT t = f32[8,8]{1,0} tanh(m)
}
ENTRY e {
  a = f32[8,8]{1,0} parameter(0)
  b = f32[64,8]{1,0} parameter(1)
  ROOT f = f32[8,8]{1,0} fusion(a, b), kind=kLoop, calls=fused
})");
  EXPECT_DOUBLE_EQ(a.flops, 64.0);
  EXPECT_DOUBLE_EQ(a.transcendentals, 64.0);
  // output 256 + p0 256 + only the 8x8 slice of p1 (256), not its 2048 bytes.
  EXPECT_DOUBLE_EQ(a.bytes_accessed, 768.0);
}

TEST(HloCost, FusionWithDynamicUpdateSliceRootWritesTheUpdateOnly) {
  auto a = Analyze(R"(HloModule m
fused {
  buf = f32[1024]{0} parameter(0)
  upd = f32[16]{0} parameter(1)
  i = s32[] parameter(2)
  ROOT d = f32[1024]{0} dynamic-update-slice(buf, upd, i)
}
ENTRY e {
  b = f32[1024]{0} parameter(0)
  u = f32[16]{0} parameter(1)
  i = s32[] parameter(2)
  ROOT f = f32[1024]{0} fusion(b, u, i), kind=kLoop, calls=fused
})");
  // output: the 64-byte update; params: buf 4096 (used by the DUS, not a slice) + 64 + 4.
  EXPECT_DOUBLE_EQ(a.bytes_accessed, 64.0 + 4096.0 + 64.0 + 4.0);
}

TEST(HloCost, TranscendentalsUseHloOpcodeSpellings) {
  auto a = Analyze(R"(HloModule m
ENTRY e {
  p = f32[10]{0} parameter(0)
  e = f32[10]{0} exponential(p)
  s = f32[10]{0} sine(e)
  l = f32[10]{0} log-plus-one(s)
  ROOT n = f32[10]{0} negate(l)
})");
  EXPECT_DOUBLE_EQ(a.transcendentals, 30.0);
  EXPECT_DOUBLE_EQ(a.flops, 10.0);
}

TEST(HloCost, ReduceCountsReducerFlopsPerReducedElement) {
  auto a = Analyze(R"(HloModule m
add {
  x = f32[] parameter(0)
  y = f32[] parameter(1)
  ROOT s = f32[] add(x, y)
}
ENTRY e {
  p = f32[32,128]{1,0} parameter(0)
  z = f32[] constant(0)
  ROOT r = f32[32]{0} reduce(p, z), dimensions={1}, to_apply=add
})");
  EXPECT_DOUBLE_EQ(a.flops, 32.0 * 128 - 32);
}

TEST(TripCount, InductionFormulas) {
  EXPECT_EQ(InductionTripCount(0, 10, 1, "LT"), 10);
  EXPECT_EQ(InductionTripCount(0, 10, 3, "LT"), 4);
  EXPECT_EQ(InductionTripCount(0, 10, 1, "LE"), 11);
  EXPECT_EQ(InductionTripCount(10, 0, -2, "GT"), 5);
  EXPECT_EQ(InductionTripCount(5, 5, 1, "LT"), 0);
  EXPECT_EQ(InductionTripCount(0, 10, -1, "LT"), std::nullopt);
  EXPECT_EQ(InductionTripCount(0, 9, 2, "NE"), std::nullopt);
}

const char kLoopModule[] = R"(HloModule m, num_partitions=4
add {
  x = f32[] parameter(0)
  y = f32[] parameter(1)
  ROOT s = f32[] add(x, y)
}
inner_body {
  p = (s32[], f32[64]) parameter(0)
  i = s32[] get-tuple-element(p), index=0
  one = s32[] constant(1)
  n = s32[] add(i, one)
  v = f32[64]{0} get-tuple-element(p), index=1
  ar = f32[64]{0} all-reduce(v), channel_id=1, replica_groups={{0,1},{2,3}}, use_global_device_ids=true, to_apply=add
  ROOT t = (s32[], f32[64]) tuple(n, ar)
}
inner_cond {
  p = (s32[], f32[64]) parameter(0)
  i = s32[] get-tuple-element(p), index=0
  b = s32[] constant(3)
  ROOT lt = pred[] compare(i, b), direction=LT
}
outer_body {
  p = (s32[], f32[64]) parameter(0)
  i = s32[] get-tuple-element(p), index=0
  v = f32[64]{0} get-tuple-element(p), index=1
  zero = s32[] constant(0)
  init = (s32[], f32[64]) tuple(zero, v)
  w = (s32[], f32[64]) while(init), condition=inner_cond, body=inner_body
  v2 = f32[64]{0} get-tuple-element(w), index=1
  ROOT t = (s32[], f32[64]) tuple(i, v2)
}
outer_cond {
  p = (s32[], f32[64]) parameter(0)
  ROOT c = pred[] constant(true)
}
ENTRY e {
  x = f32[64]{0} parameter(0)
  zero = s32[] constant(0)
  init = (s32[], f32[64]) tuple(zero, x)
  w = (s32[], f32[64]) while(init), condition=outer_cond, body=outer_body, backend_config={"known_trip_count":{"n":"5"}}
  ROOT r = f32[64]{0} get-tuple-element(w), index=1
})";

TEST(CompiledAnalysis, NestedLoopsMultiplyTripCounts) {
  auto a = Analyze(kLoopModule);
  auto cs = Collectives(a.program);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].kind, CollectiveKind::kAllReduce);
  EXPECT_DOUBLE_EQ(cs[0].payload_bytes, 256.0);
  EXPECT_EQ(cs[0].groups, (DeviceGroups{{0, 1}, {2, 3}}));
  for (const auto& op : a.program.ops) {
    if (std::holds_alternative<CollectiveOp>(op.op)) {
      EXPECT_DOUBLE_EQ(op.multiplicity, 15.0);
    }
  }
  EXPECT_TRUE(a.program.warnings.empty());
  EXPECT_EQ(a.while_loops, 2);
}

TEST(CompiledAnalysis, UnknownTripCountWarns) {
  auto a = Analyze(R"(HloModule m
body {
  p = (f32[8]) parameter(0)
  v = f32[8]{0} get-tuple-element(p), index=0
  e = f32[8]{0} exponential(v)
  ROOT t = (f32[8]) tuple(e)
}
cond {
  p = (f32[8]) parameter(0)
  ROOT c = pred[] constant(true)
}
ENTRY e {
  x = f32[8]{0} parameter(0)
  init = (f32[8]) tuple(x)
  ROOT w = (f32[8]) while(init), condition=cond, body=body
})");
  ASSERT_EQ(a.program.warnings.size(), 1u);
  EXPECT_NE(a.program.warnings[0].find("'w'"), std::string::npos);
}

TEST(CompiledAnalysis, AsyncWindowCoversOpsBetweenStartAndDone) {
  auto a = Analyze(R"(HloModule m, num_partitions=4
ENTRY e {
  x = bf16[8,512]{1,0} parameter(0)
  y = f32[128]{0} parameter(1)
  ags = (bf16[8,512]{1,0}, bf16[32,512]{1,0}) all-gather-start(x), channel_id=4, replica_groups=[1,4]<=[4], dimensions={0}, use_global_device_ids=true
  m1 = f32[128]{0} multiply(y, y)
  m2 = f32[128]{0} add(m1, y)
  agd = bf16[32,512]{1,0} all-gather-done(ags)
  ROOT m3 = f32[128]{0} add(m2, y)
})");
  ASSERT_EQ(a.program.ops.size(), 4u);
  const auto& c = std::get<CollectiveOp>(a.program.ops[0].op);
  EXPECT_TRUE(c.is_async);
  EXPECT_DOUBLE_EQ(c.payload_bytes, 32.0 * 512 * 2);  // the gathered result
  EXPECT_EQ(c.group_size, 4);
  EXPECT_EQ(c.window_begin, 1);
  EXPECT_EQ(c.window_end, 3);
}

TEST(CompiledAnalysis, SugaredAndExplicitAsyncCountedOnce) {
  auto a = Analyze(R"(HloModule m, num_partitions=8
add {
  x = f32[] parameter(0)
  y = f32[] parameter(1)
  ROOT s = f32[] add(x, y)
}
wrapped {
  p = f32[64,16]{1,0} parameter(0)
  ROOT rs = f32[16,16]{1,0} reduce-scatter(p), channel_id=2, replica_groups=[2,4]<=[8], dimensions={0}, use_global_device_ids=true, to_apply=add
}
ENTRY e {
  x = f32[64,16]{1,0} parameter(0)
  s1 = ((f32[64,16]{1,0}), f32[64,16]{1,0}) all-to-all-start(x), channel_id=1, replica_groups=[4,2]<=[2,4]T(1,0), dimensions={0}
  d1 = f32[64,16]{1,0} all-to-all-done(s1)
  s2 = ((f32[64,16]{1,0}), f32[16,16]{1,0}, s32[]) async-start(x), calls=wrapped
  u2 = ((f32[64,16]{1,0}), f32[16,16]{1,0}, s32[]) async-update(s2)
  ROOT d2 = f32[16,16]{1,0} async-done(u2)
})");
  auto cs = Collectives(a.program);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].kind, CollectiveKind::kAllToAll);
  EXPECT_DOUBLE_EQ(cs[0].payload_bytes, 4096.0);
  EXPECT_EQ(cs[0].groups, (DeviceGroups{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
  EXPECT_EQ(cs[1].kind, CollectiveKind::kReduceScatter);
  EXPECT_DOUBLE_EQ(cs[1].payload_bytes, 4096.0);  // the operand
  EXPECT_EQ(cs[1].groups, (DeviceGroups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_TRUE(cs[1].is_async);
}

TEST(CompiledAnalysis, SparseCoreCallsAreAsyncAndOffTheTensorCore) {
  // As libtpu prints TPU7x modules: an all-gather and a copy offloaded to the SparseCore through
  // call-start/call-done (to_apply=, async_execution_thread). The all-gather is an async
  // collective whose window covers the multiply; the copy is not TensorCore compute.
  auto a = Analyze(R"(HloModule m, num_partitions=8
%gather (p: bf16[1,1280]) -> bf16[4,1280] {
  %p = bf16[1,1280]{1,0} parameter(0)
  ROOT %ag = bf16[4,1280]{1,0} all-gather(%p), channel_id=1, replica_groups={{0,1,2,3},{4,5,6,7}}, dimensions={0}, use_global_device_ids=true
}, execution_thread="sparsecore"
%relayout (q: bf16[4096,1280]) -> bf16[4096,1280] {
  %q = bf16[4096,1280]{1,0} parameter(0)
  ROOT %c = bf16[4096,1280]{0,1} copy(%q)
}, execution_thread="sparsecore"
ENTRY %e (x: bf16[1,1280], w: bf16[4096,1280], y: f32[128]) -> f32[128] {
  %x = bf16[1,1280]{1,0} parameter(0)
  %w = bf16[4096,1280]{1,0} parameter(1)
  %y = f32[128]{0} parameter(2)
  %ags = ((bf16[1,1280]{1,0}), bf16[4,1280]{1,0}) call-start(%x), async_execution_thread="sparsecore", to_apply=%gather
  %cs = ((bf16[4096,1280]{1,0}), bf16[4096,1280]{0,1}) call-start(%w), async_execution_thread="sparsecore", to_apply=%relayout
  %m = f32[128]{0} multiply(%y, %y)
  %agd = bf16[4,1280]{1,0} call-done(%ags)
  %cd = bf16[4096,1280]{0,1} call-done(%cs)
  ROOT %r = f32[128]{0} add(%m, %y)
})");
  auto cs = Collectives(a.program);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].kind, CollectiveKind::kAllGather);
  EXPECT_TRUE(cs[0].is_async);
  EXPECT_DOUBLE_EQ(cs[0].payload_bytes, 4.0 * 1280 * 2);
  EXPECT_EQ(cs[0].groups, (DeviceGroups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  ASSERT_EQ(a.program.ops.size(), 3u);  // the all-gather, multiply, add: no copy, no call-done
  EXPECT_EQ(cs[0].window_begin, 1);
  EXPECT_EQ(cs[0].window_end, 2);
}

TEST(CompiledAnalysis, DeviceIdModes) {
  // replica_count=2, num_partitions=2: logical id = replica * 2 + partition.
  auto a = Analyze(R"(HloModule m, replica_count=2, num_partitions=2
add {
  x = f32[] parameter(0)
  y = f32[] parameter(1)
  ROOT s = f32[] add(x, y)
}
ENTRY e {
  x = f32[4]{0} parameter(0)
  cross_replica = f32[4]{0} all-reduce(x), replica_groups={{0,1}}, to_apply=add
  cross_partition = f32[4]{0} all-reduce(x), channel_id=1, replica_groups={{0,1}}, to_apply=add
  replica_and_partition = f32[4]{0} all-reduce(x), channel_id=2, replica_groups={{0,1}}, use_global_device_ids=false, to_apply=add
  ROOT flattened = f32[4]{0} all-reduce(x), channel_id=3, replica_groups={{0,3},{1,2}}, use_global_device_ids=true, to_apply=add
})");
  auto cs = Collectives(a.program);
  ASSERT_EQ(cs.size(), 4u);
  EXPECT_EQ(cs[0].groups, (DeviceGroups{{0, 2}, {1, 3}}));  // replicas 0,1 of each partition
  EXPECT_EQ(cs[1].groups, (DeviceGroups{{0, 1}, {2, 3}}));  // partitions 0,1 of each replica
  EXPECT_EQ(cs[2].groups, (DeviceGroups{{0, 1, 2, 3}}));    // all partitions of replicas 0,1
  EXPECT_EQ(cs[3].groups, (DeviceGroups{{0, 3}, {1, 2}}));
}

TEST(CompiledAnalysis, PermutePairsAndPayload) {
  auto a = Analyze(R"(HloModule m, num_partitions=4
ENTRY e {
  x = f32[32,64]{1,0} parameter(0)
  s = (f32[32,64]{1,0}, f32[32,64]{1,0}, u32[], u32[]) collective-permute-start(x), channel_id=1, source_target_pairs={{0,1},{1,2},{2,3},{3,0}}
  ROOT d = f32[32,64]{1,0} collective-permute-done(s)
})");
  auto cs = Collectives(a.program);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_DOUBLE_EQ(cs[0].payload_bytes, 8192.0);
  EXPECT_EQ(cs[0].pairs.size(), 4u);
  EXPECT_EQ(cs[0].pairs[3], (std::pair<int64_t, int64_t>{3, 0}));
}

TEST(CompiledAnalysis, ConditionalTakesTheMostExpensiveBranch) {
  auto a = Analyze(R"(HloModule m
cheap {
  p = f32[16]{0} parameter(0)
  ROOT n = f32[16]{0} negate(p)
}
dear {
  p = f32[16]{0} parameter(0)
  m = f32[16]{0} multiply(p, p)
  ROOT a = f32[16]{0} add(m, p)
}
ENTRY e {
  i = s32[] parameter(0)
  x = f32[16]{0} parameter(1)
  ROOT c = f32[16]{0} conditional(i, x, x), branch_computations={cheap, dear}
})");
  EXPECT_DOUBLE_EQ(a.flops, 32.0);
}

TEST(CompiledAnalysis, MalformedTextKeepsLineAndColumn) {
  auto r = AnalyzeCompiledText("HloModule m\nENTRY e {\n  x = f32[4 parameter(0)\n}\n", "bad.hlo");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("bad.hlo:3:"), std::string::npos) << r.error().message();
}

// --- Strictness (issue 13): reproducers in cpp/aoizora/hlo/testdata/hostile/. ---

std::string ReadHostile(const std::string& name) {
  const char* root = std::getenv("AOIZORA_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/cpp/aoizora/hlo/testdata/hostile/" + name);
  EXPECT_TRUE(in.good()) << "missing fixture " << name << " (AOIZORA_SOURCE_DIR unset?)";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(StrictAnalysis, UnknownOpcodeIsAnErrorByDefault) {
  auto r = AnalyzeCompiledText(ReadHostile("unknown_opcode.hlo"), "unknown_opcode.hlo");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find(
                "unknown_opcode.hlo:7:3: instruction 'typo' (dott): unknown opcode 'dott'"),
            std::string::npos)
      << r.error().message();
  // The module-only entry point is strict too (no caret, still file:line:col).
  auto module = hlo::ParseModule(ReadHostile("unknown_opcode.hlo"), "unknown_opcode.hlo");
  ASSERT_TRUE(module.ok());
  auto m = AnalyzeCompiledModule(*module);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message().rfind("unknown_opcode.hlo:7:3: instruction 'typo'", 0), 0u);
}

TEST(StrictAnalysis, LenientCountsTheKnownDotAndWarnsAboutTheUnknownOne) {
  AnalysisOptions lenient;
  lenient.strict = false;
  auto r = AnalyzeCompiledText(ReadHostile("unknown_opcode.hlo"), "unknown_opcode.hlo", lenient);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_DOUBLE_EQ(r->flops, 2.0 * 64 * 32 * 128 + 64 * 32);  // the dot and the add
  ASSERT_FALSE(r->program.warnings.empty());
  EXPECT_NE(r->program.warnings[0].find("unknown opcode 'dott' (1 instruction, the first 'typo')"),
            std::string::npos)
      << r->program.warnings[0];
}

TEST(StrictAnalysis, MalformedTripCounts) {
  for (const char* name : {"trip_count_beyond_int64.hlo", "trip_count_exponent.hlo"}) {
    auto strict = AnalyzeCompiledText(ReadHostile(name), name);
    ASSERT_FALSE(strict.ok()) << name;
    EXPECT_NE(
        strict.error().message().find(std::string(name) + ":24:3: instruction 'loop' (while)"),
        std::string::npos)
        << strict.error().message();
    // Lenient: the count is ignored (never truncated or read as 1), so the induction pattern
    // gives the real 6 trips, and the warning says why.
    AnalysisOptions lenient;
    lenient.strict = false;
    auto r = AnalyzeCompiledText(ReadHostile(name), name, lenient);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_DOUBLE_EQ(r->flops, 6.0 * (8 + 1) + 7.0 * 1);  // body: multiply + add; cond: compare
    ASSERT_FALSE(r->program.warnings.empty());
    EXPECT_NE(r->program.warnings[0].find("known_trip_count n="), std::string::npos);
  }
}

TEST(StrictAnalysis, OutOfRangeValuesAreErrorsInBothModes) {
  const std::pair<const char*, const char*> cases[] = {
      {"permute_pair_beyond_partitions.hlo",
       "partition id 9 is outside the module's "
       "num_partitions=4"},
      {"sharding_device_beyond_partitions.hlo", "device id 7 is outside"},
      {"sharding_iota_beyond_partitions.hlo", "its 8 devices are more than the module's"},
      {"tuple_index_out_of_range.hlo", "index=5 is out of range for the 2-element tuple 't'"},
      {"absurd_parameter_shape.hlo", "f32[4294967296,4294967296] has more elements than an int64"},
  };
  for (bool strict : {true, false}) {
    for (const auto& [name, expected] : cases) {
      AnalysisOptions options;
      options.strict = strict;
      auto r = AnalyzeCompiledText(ReadHostile(name), name, options);
      ASSERT_FALSE(r.ok()) << name;
      EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << name;
      EXPECT_NE(r.error().message().find(std::string(name) + ":"), std::string::npos)
          << r.error().message();
      EXPECT_NE(r.error().message().find(expected), std::string::npos) << r.error().message();
    }
  }
}

TEST(StrictAnalysis, LoopNestsRunningBodiesMoreThan2To53TimesAreErrors) {
  // Valid int64 trip counts whose product would overflow a double's exact range (and reach
  // infinity, then NaN, in the totals of deeper nests).
  std::string text = ReadHostile("trip_count_beyond_int64.hlo");
  const std::string big = R"("n":"12345678901234567890")";
  text.replace(text.find(big), big.size(), R"("n":"10000000000000000")");
  auto r = AnalyzeCompiledText(text, "loops.hlo");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("loops.hlo:24:3: while loop 'loop': trip count "
                                     "10000000000000000 makes its body run 1e+16 times per "
                                     "step, more than 2^53"),
            std::string::npos)
      << r.error().message();
  text.replace(text.find("10000000000000000"), 17, "9007199254740992");
  EXPECT_TRUE(AnalyzeCompiledText(text, "loops.hlo").ok());
}

TEST(TripCount, InductionNeverOverflows) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(InductionTripCount(kMin, kMax, 1, "LT"), std::nullopt);  // 2^64 - 1 trips
  EXPECT_EQ(InductionTripCount(0, kMax, 1, "LT"), kMax);
  EXPECT_EQ(InductionTripCount(0, kMax, 1, "LE"), std::nullopt);
  EXPECT_EQ(InductionTripCount(kMax, kMin, -1, "GT"), std::nullopt);
  EXPECT_EQ(InductionTripCount(kMax, kMin, kMin, "GE"), 2);
  EXPECT_EQ(InductionTripCount(kMin, kMax, kMax, "NE"), std::nullopt);  // (2^64-1)/(2^63-1)
  EXPECT_EQ(InductionTripCount(kMin, kMax, 1, "NE"), std::nullopt);
  EXPECT_EQ(InductionTripCount(0, 10, 3, "LT"), 4);
}

}  // namespace
}  // namespace aoizora
