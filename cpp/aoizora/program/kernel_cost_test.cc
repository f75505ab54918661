#include "aoizora/program/kernel_cost.h"

#include <gtest/gtest.h>

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
