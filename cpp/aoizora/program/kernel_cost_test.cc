#include "aoizora/program/kernel_cost.h"

#include <gtest/gtest.h>

#include "aoizora/hlo/parser.h"

namespace aoizora {
namespace {

TEST(KernelCostTest, ReadsTheCompiledForm) {
  // As libtpu prints a Pallas call's backend_config (numbers quoted, one line).
  const auto c = ParseKernelCostEstimate(
      R"({"flag_configs":[],"custom_call_config":{"body":"TUzvUg","cost_estimate":{"flops":)"
      R"("270008320","transcendentals":"524288","bytes_accessed":"1048576",)"
      R"("remote_bytes_transferred":"0"},"needs_layout_passes":true}})");
  ASSERT_TRUE(c.has_value());
  EXPECT_DOUBLE_EQ(c->flops, 270008320.0);
  EXPECT_DOUBLE_EQ(c->transcendentals, 524288.0);
  EXPECT_DOUBLE_EQ(c->bytes_accessed, 1048576.0);
}

TEST(KernelCostTest, ReadsThePrecompileForm) {
  // As the lowered module prints it: spaces, bare numbers, one key per line, other key order.
  const auto c = ParseKernelCostEstimate(
      "{\"custom_call_config\": {\"body\": \"x\", \"cost_estimate\": {\n\"bytes_accessed\":1048576,"
      "\n\"flops\":270008320,\n\"remote_bytes_transferred\":0,\n\"transcendentals\":524288\n}, "
      "\"serialization_format\": 1}}");
  ASSERT_TRUE(c.has_value());
  EXPECT_DOUBLE_EQ(c->flops, 270008320.0);
  EXPECT_DOUBLE_EQ(c->bytes_accessed, 1048576.0);
}

TEST(KernelCostTest, MissingOrMalformedEstimatesAreAbsent) {
  EXPECT_FALSE(ParseKernelCostEstimate("").has_value());
  EXPECT_FALSE(ParseKernelCostEstimate(R"({"known_trip_count":{"n":"4"}})").has_value());
  EXPECT_FALSE(ParseKernelCostEstimate(R"({"cost_estimate":{"flops":"12"}})").has_value());
  EXPECT_FALSE(ParseKernelCostEstimate(
                   R"({"cost_estimate":{"flops":"-1","transcendentals":"0","bytes_accessed":"0"}})")
                   .has_value());
  EXPECT_FALSE(ParseKernelCostEstimate(R"({"cost_estimate" "flops"})").has_value());
  EXPECT_FALSE(ParseKernelCostEstimate(R"({"cost_estimate":{"flops":"1","transcendentals":"2")")
                   .has_value());  // no closing brace
}

}  // namespace
}  // namespace aoizora

namespace aoizora {
namespace {

// The compiled form of a vmapped splash call: q, k, v are [batch, heads, length, d]; the kernel
// is known by its name (compiled modules) or by splash's BlockSizes in kernel_metadata (lowered).
constexpr const char* kSplash = R"(HloModule m
ENTRY e {
  mask = s8[1,2,2]{2,1,0} parameter(0)
  q = bf16[2,2,1024,128]{3,2,1,0} parameter(1)
  k = bf16[2,2,512,128]{3,2,1,0} parameter(2)
  v = bf16[2,2,512,64]{3,2,1,0} parameter(3)
  ROOT %splash_mha_fwd_segmented_residuals.1 = (bf16[2,2,1024,64]{3,2,1,0}) custom-call(mask, q, k, v), custom_call_target="tpu_custom_call"
}
)";

const hlo::Instruction& Root(const hlo::Module& module) {
  return module.entry->instructions.back();
}

TEST(InferAttentionKernelCostTest, SplashIsDenseAttentionOverItsOperands) {
  auto module = hlo::ParseModule(kSplash);
  ASSERT_TRUE(module.ok()) << module.error().message();
  const auto cost = InferAttentionKernelCost(Root(*module));
  ASSERT_TRUE(cost.has_value());
  const double scores = 2.0 * 2 * 1024 * 512;  // batch x heads x Lq x Lk
  EXPECT_DOUBLE_EQ(cost->flops, 2.0 * scores * (128 + 64));
  EXPECT_DOUBLE_EQ(cost->transcendentals, scores);
}

TEST(InferAttentionKernelCostTest, LoweredFormIsKnownByItsBlockSizes) {
  std::string text = kSplash;
  const std::string name = "%splash_mha_fwd_segmented_residuals.1";
  text.replace(text.find(name), name.size(), "pallas_call.6");
  auto plain = hlo::ParseModule(text);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(InferAttentionKernelCost(Root(*plain)).has_value());  // an unknown kernel
  const std::string tail = R"(custom_call_target="tpu_custom_call")";
  text.replace(text.find(tail), tail.size(),
               tail + R"(, frontend_attributes={kernel_metadata="{\"block_q\": 512, )"
                      R"(\"block_kv_compute\": 512, \"use_fused_bwd_kernel\": false}"})");
  auto lowered = hlo::ParseModule(text);
  ASSERT_TRUE(lowered.ok()) << lowered.error().message();
  EXPECT_TRUE(InferAttentionKernelCost(Root(*lowered)).has_value());
}

TEST(InferAttentionKernelCostTest, MismatchedHeadsAreNotGuessed) {
  std::string text = kSplash;
  text.replace(text.find("k = bf16[2,2,512"), 16, "k = bf16[2,4,512");
  auto module = hlo::ParseModule(text);
  ASSERT_TRUE(module.ok());
  EXPECT_FALSE(InferAttentionKernelCost(Root(*module)).has_value());
}

}  // namespace
}  // namespace aoizora
