#include "aoizora/topology/chip_constants.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "aoizora/topology/topology.h"

namespace aoizora {
namespace {

Topology MustParse(std::string_view spec) {
  Result<Topology> topo = ParseSliceSpec(spec);
  EXPECT_TRUE(topo.ok()) << (topo.ok() ? "" : topo.error().message());
  return *topo;
}

TEST(ChipConstants, EveryNameReadsItsTableValue) {
  const ChipSpec& v5e = GetChipSpec(Generation::kV5e);
  EXPECT_EQ(CalibratableConstantNames().size(), 13u);
  EXPECT_DOUBLE_EQ(*ConstantValue(v5e, "ici_link_one_way_bytes_per_second"), 4.5e10);
  EXPECT_DOUBLE_EQ(*ConstantValue(v5e, "collective_fixed_latency_seconds"), 4e-6);
  EXPECT_DOUBLE_EQ(*ConstantValue(v5e, "matmul_efficiency"), 0.79);
  EXPECT_FALSE(ConstantValue(v5e, "mxu_tile").ok());
}

TEST(ChipConstants, OverridesReplaceOnlyTheirField) {
  const ChipSpec& base = GetChipSpec(Generation::kV6e);
  const std::vector<ConstantOverride> overrides = {{"matmul_efficiency", 0.5},
                                                   {"ici_link_one_way_bytes_per_second", 7e10}};
  Result<ChipSpec> spec = ApplyConstantOverrides(base, overrides);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_DOUBLE_EQ(spec->matmul_efficiency, 0.5);
  EXPECT_DOUBLE_EQ(spec->ici_link_one_way.bytes_per_second, 7e10);
  EXPECT_DOUBLE_EQ(spec->attention_efficiency, base.attention_efficiency);
  EXPECT_DOUBLE_EQ(spec->bf16_peak.flops_per_second, base.bf16_peak.flops_per_second);
  EXPECT_EQ(spec->mxu_tile, base.mxu_tile);
  // Every calibratable name round-trips a value.
  for (std::string_view name : CalibratableConstantNames()) {
    if (*ConstantValue(base, name) == 0.0) continue;  // die-to-die: v6e has none
    const std::vector<ConstantOverride> one = {{std::string(name), 0.25}};
    Result<ChipSpec> s = ApplyConstantOverrides(base, one);
    ASSERT_TRUE(s.ok()) << name << ": " << s.error().message();
    EXPECT_DOUBLE_EQ(*ConstantValue(*s, name), 0.25) << name;
  }
}

TEST(ChipConstants, BadOverridesNameTheKey) {
  const ChipSpec& base = GetChipSpec(Generation::kV5e);
  auto error_of = [&](std::string name, double value) {
    const std::vector<ConstantOverride> one = {{std::move(name), value}};
    Result<ChipSpec> s = ApplyConstantOverrides(base, one);
    EXPECT_FALSE(s.ok());
    return s.ok() ? std::string() : s.error().message();
  };
  EXPECT_NE(error_of("matmul_eff", 0.5).find("unknown chip constant 'matmul_eff'"),
            std::string::npos);
  EXPECT_NE(error_of("matmul_eff", 0.5).find("calibratable: bf16_flops_per_second"),
            std::string::npos);
  EXPECT_NE(error_of("mxu_tile", 64).find("'mxu_tile' is structural"), std::string::npos);
  EXPECT_NE(error_of("hbm_efficiency", 0.0).find("'hbm_efficiency' must be positive, got 0"),
            std::string::npos);
  EXPECT_NE(error_of("ici_hop_latency_seconds", -1e-6).find("must be positive"), std::string::npos);
  EXPECT_NE(error_of("hbm_bytes_per_second", std::nan("")).find("'hbm_bytes_per_second'"),
            std::string::npos);
  EXPECT_NE(error_of("matmul_efficiency", 1.2).find("at most 1, got 1.2"), std::string::npos);
  EXPECT_NE(error_of("die_to_die_one_way_bytes_per_second", 1e11).find("does not apply to v5e"),
            std::string::npos);
}

TEST(TopologyWithConstants, CalibratedCopyKeepsTheSliceAndTheTableStaysDefault) {
  const Topology table = MustParse("v5e:2x4");
  const std::vector<ConstantOverride> first = {{"ici_link_one_way_bytes_per_second", 3e10},
                                               {"attention_efficiency", 0.3}};
  Result<Topology> calibrated = table.WithConstants(first);
  ASSERT_TRUE(calibrated.ok()) << calibrated.error().message();
  EXPECT_EQ(calibrated->ToString(), "v5e:2x4");
  EXPECT_EQ(calibrated->num_devices(), 8);
  EXPECT_DOUBLE_EQ(calibrated->chip().ici_link_one_way.bytes_per_second, 3e10);
  EXPECT_DOUBLE_EQ(table.chip().ici_link_one_way.bytes_per_second, 4.5e10);
  EXPECT_TRUE(table.constant_overrides().empty());
  // Sorted by name.
  ASSERT_EQ(calibrated->constant_overrides().size(), 2u);
  EXPECT_EQ(calibrated->constant_overrides()[0].name, "attention_efficiency");

  // A later override of the same name wins; a copy shares the calibrated spec.
  const std::vector<ConstantOverride> second = {{"attention_efficiency", 0.4}};
  Result<Topology> again = calibrated->WithConstants(second);
  ASSERT_TRUE(again.ok());
  const Topology copy = *again;
  EXPECT_DOUBLE_EQ(copy.chip().attention_efficiency, 0.4);
  EXPECT_DOUBLE_EQ(copy.chip().ici_link_one_way.bytes_per_second, 3e10);
  EXPECT_EQ(copy.constant_overrides().size(), 2u);

  const std::vector<ConstantOverride> bad = {{"cores_per_chip", 2}};
  EXPECT_FALSE(table.WithConstants(bad).ok());
}

}  // namespace
}  // namespace aoizora
