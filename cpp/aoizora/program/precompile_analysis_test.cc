#include "aoizora/program/precompile_analysis.h"

#include <gtest/gtest.h>

namespace aoizora {
namespace {

using Axes = std::vector<std::vector<std::string>>;

TEST(SdySharding, DimAxes) {
  auto a = ParseSdyDimAxes(R"(#sdy.sharding<@mesh, [{"data"}, {}, {"x", "y"}]>)");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (Axes{{"data"}, {}, {"x", "y"}}));
  auto per_value = ParseSdyDimAxes(R"(#sdy.sharding_per_value<[<@mesh, [{}, {"model"}]>]>)");
  ASSERT_TRUE(per_value.ok());
  EXPECT_EQ(*per_value, (Axes{{}, {"model"}}));
  EXPECT_FALSE(ParseSdyDimAxes("no mesh here").ok());
  EXPECT_FALSE(ParseSdyDimAxes(R"(#sdy.sharding<@mesh, [{"x")").ok());
}

TEST(PrecompileAnalysis, ConstraintMovingAnAxisIsAnAllToAll) {
  // x [64,128] split over 'model' on dim 0, constrained to dim 1: all-to-all over model.
  auto r = AnalyzePrecompileText(
      R"(HloModule m, frontend_attributes={xla.sdy.meshes={mesh = #sdy.mesh<["data"=2, "model"=4]>}}
ENTRY e {
  x = f32[64,128]{1,0} parameter(0), frontend_attributes={xla.sdy.sharding="#sdy.sharding<@mesh, [{\"model\"}, {}]>"}
  s = f32[64,128]{1,0} sine(x)
  ROOT c = f32[64,128]{1,0} custom-call(s), custom_call_target="Sharding", frontend_attributes={xla.sdy.sharding="#sdy.sharding_per_value<[<@mesh, [{}, {\"model\"}]>]>"}
})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->collectives.size(), 1u);
  const auto& c = r->collectives[0].collective;
  EXPECT_EQ(c.kind, CollectiveKind::kAllToAll);
  EXPECT_DOUBLE_EQ(c.array_bytes, 64.0 * 128 * 4);  // group of 4 x per-device [16,128]
  EXPECT_EQ(c.groups, (DeviceGroups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_DOUBLE_EQ(r->parameter_bytes_per_device, 16.0 * 128 * 4);
}

}  // namespace
}  // namespace aoizora
