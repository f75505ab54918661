#include "aoizora/program/precompile_analysis.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

// Strict verification (hlo/verifier.h) with the mesh standing in for num_partitions: every lowered
// fixture passes, and ids beyond the mesh or absurd mesh sizes are errors naming the value.
TEST(PrecompileAnalysis, LoweredFixturesPassStrictVerification) {
  namespace fs = std::filesystem;
  const char* root = std::getenv("AOIZORA_SOURCE_DIR");
  ASSERT_NE(root, nullptr) << "AOIZORA_SOURCE_DIR is set by ctest";
  int checked = 0;
  for (const auto& entry :
       fs::directory_iterator(std::string(root) + "/tests/data/hlo/generated")) {
    const std::string path = entry.path().string();
    if (path.size() < 8 || path.substr(path.size() - 8) != ".pre.hlo") continue;
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    auto r = AnalyzePrecompileText(text.str(), path);
    EXPECT_TRUE(r.ok()) << r.error().message();
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(PrecompileAnalysis, IdsBeyondTheMeshAndAbsurdMeshesAreErrors) {
  const std::string header =
      R"(HloModule m, frontend_attributes={xla.sdy.meshes={mesh = #sdy.mesh<["data"=2, "model"=4]>}}
)";
  auto r = AnalyzePrecompileText(header + R"(ENTRY e {
  ROOT x = f32[64,128]{1,0} parameter(0), sharding={devices=[4,4]<=[16]}
})",
                                 "m.hlo");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("m.hlo:3:3: instruction 'x' (parameter): sharding "
                                     "{devices=[4,4]<=[16]}: its 16 devices are more than the "
                                     "module's num_partitions=8"),
            std::string::npos)
      << r.error().message();
  r = AnalyzePrecompileText(
      R"(HloModule m, frontend_attributes={xla.sdy.meshes={mesh = #sdy.mesh<["x"=99999999999999999999]>}}
ENTRY e {
  ROOT x = f32[] parameter(0)
})",
      "m.hlo");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("m.hlo: xla.sdy.meshes: mesh axis 'x' has size"),
            std::string::npos)
      << r.error().message();
  AnalysisOptions lenient;
  lenient.strict = false;
  r = AnalyzePrecompileText(header + R"(ENTRY e {
  a = f32[64,128]{1,0} parameter(0)
  ROOT d = f32[64,128]{1,0} dott(a, a)
})",
                            "m.hlo", lenient);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("m.hlo:4:3: unknown opcode 'dott'"), std::string::npos)
      << r->warnings[0];
}

}  // namespace
}  // namespace aoizora
