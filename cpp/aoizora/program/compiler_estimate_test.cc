#include "aoizora/program/compiler_estimate.h"

#include <gtest/gtest.h>

namespace aoizora {
namespace {

TEST(CompilerEstimateTest, ReadsTheQuotedFormLibtpuPrints) {
  // Cut from a v5e fusion (compiler-estimates.md section 1).
  const auto c = ParseEstimatedCycles(
      R"({"outer_dimension_partitions":[],"window_config":{"kernel_window_bounds":["8","128"],)"
      R"("estimated_cycles":"1077088","iteration_bounds":["4","16"],)"
      R"("cost_model_type":"COST_MODEL_TYPE_CLASSIC","ml_estimated_microseconds":0}})");
  ASSERT_TRUE(c.has_value());
  EXPECT_DOUBLE_EQ(*c, 1077088.0);
}

TEST(CompilerEstimateTest, ReadsTheBareForm) {
  EXPECT_DOUBLE_EQ(ParseEstimatedCycles(R"({"estimated_cycles": 42 ,"x":1})").value(), 42.0);
  EXPECT_DOUBLE_EQ(ParseEstimatedCycles(R"({"estimated_cycles":7})").value(), 7.0);
  EXPECT_DOUBLE_EQ(ParseEstimatedCycles(R"({"estimated_cycles":"0"})").value(), 0.0);
}

TEST(CompilerEstimateTest, MalformedValuesAreAbsentNotGuessed) {
  EXPECT_FALSE(ParseEstimatedCycles("").has_value());
  EXPECT_FALSE(ParseEstimatedCycles(R"({"known_trip_count":{"n":"4"}})").has_value());
  EXPECT_FALSE(ParseEstimatedCycles(R"({"estimated_cycles":"-5"})").has_value());
  EXPECT_FALSE(ParseEstimatedCycles(R"({"estimated_cycles":"1e3"})").has_value());
  EXPECT_FALSE(ParseEstimatedCycles(R"({"estimated_cycles":12.5})").has_value());
  EXPECT_FALSE(ParseEstimatedCycles(R"({"estimated_cycles":"12)").has_value());  // unterminated
  EXPECT_FALSE(ParseEstimatedCycles(R"({"estimated_cycles" "12"})").has_value());
  EXPECT_FALSE(ParseEstimatedCycles(R"({"estimated_cycles":""})").has_value());
  // 20 digits: beyond what a double holds exactly; not silently rounded.
  EXPECT_FALSE(ParseEstimatedCycles(R"({"estimated_cycles":"12345678901234567890"})").has_value());
}

}  // namespace
}  // namespace aoizora
