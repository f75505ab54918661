#include "aoizora/topology/topology.h"

#include <gtest/gtest.h>

namespace aoizora {
namespace {

Topology MustParse(std::string_view spec) {
  Result<Topology> topo = ParseSliceSpec(spec);
  EXPECT_TRUE(topo.ok()) << (topo.ok() ? "" : topo.error().message());
  return *topo;
}

TEST(ChipSpec, TableHasEveryGenerationWithItsOwnKey) {
  int index = 0;
  for (const ChipSpec& spec : AllChipSpecs()) {
    EXPECT_EQ(static_cast<int>(spec.generation), index++);
    EXPECT_GT(spec.bf16_peak.flops_per_second, 0.0);
    EXPECT_GT(spec.ici_link_one_way.bytes_per_second, 0.0);
    EXPECT_GT(spec.matmul_efficiency, spec.attention_efficiency);
  }
  EXPECT_EQ(index, 5);
  EXPECT_EQ(GetChipSpec(Generation::kV5e).device_kind, "TPU v5 lite");
  EXPECT_EQ(GetChipSpec(Generation::kV6e).mxu_tile, 256);
  EXPECT_EQ(GetChipSpec(Generation::kV5p).mxu_tile, 128);
  EXPECT_EQ(GetChipSpec(Generation::kTpu7x).cores_per_chip, 2);
  EXPECT_EQ(GetChipSpec(Generation::kV5e).ici_links_per_chip, 4);
  EXPECT_EQ(GetChipSpec(Generation::kV4).ici_links_per_chip, 6);
}

TEST(ParseSliceSpec, ShapesWrapAndCounts) {
  const Topology v5e = MustParse("v5e:2x4");
  EXPECT_EQ(v5e.generation(), Generation::kV5e);
  EXPECT_EQ(v5e.shape(), (std::array<int64_t, 3>{2, 4, 1}));
  EXPECT_EQ(v5e.num_chips(), 8);
  EXPECT_EQ(v5e.ToString(), "v5e:2x4");
  EXPECT_EQ(v5e.wrap(), (std::array<bool, 3>{false, false, false}));

  // v5e/v6e: only axes of length 16 wrap.
  EXPECT_EQ(MustParse("v6e:8x16").wrap(), (std::array<bool, 3>{false, true, false}));
  EXPECT_EQ(MustParse("v5e:16x16").wrap(), (std::array<bool, 3>{true, true, false}));
  EXPECT_EQ(MustParse("v5e:4x4").wrap(), (std::array<bool, 3>{false, false, false}));
  // v4/v5p/tpu7x: all axes iff every dim is a multiple of 4.
  EXPECT_EQ(MustParse("v4:4x4x4").wrap(), (std::array<bool, 3>{true, true, true}));
  EXPECT_EQ(MustParse("v5p:2x2x2").wrap(), (std::array<bool, 3>{false, false, false}));
  EXPECT_EQ(MustParse("v5p:2x4x4").wrap(), (std::array<bool, 3>{false, false, false}));
  EXPECT_EQ(MustParse("v5p:4x4x8").wrap(), (std::array<bool, 3>{true, true, true}));

  const Topology tpu7x = MustParse("tpu7x:2x2x1");
  EXPECT_EQ(tpu7x.num_chips(), 4);
  EXPECT_EQ(tpu7x.num_devices(), 8);
}

TEST(ParseSliceSpec, BadInputNamesTheValueAndListsValidShapes) {
  Result<Topology> gen = ParseSliceSpec("v9x:2x4");
  ASSERT_FALSE(gen.ok());
  EXPECT_NE(gen.error().message().find("unknown TPU generation 'v9x'"), std::string::npos);
  EXPECT_NE(gen.error().message().find("v5e"), std::string::npos);

  Result<Topology> shape = ParseSliceSpec("v5e:3x3");
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.error().message().find("'3x3'"), std::string::npos);
  EXPECT_NE(shape.error().message().find("2x4"), std::string::npos);
  EXPECT_NE(shape.error().message().find("16x16"), std::string::npos);

  for (const char* bad :
       {"v5e:4x2", "v5e:2x2x2", "v5p:2x2", "v5p:4x8x4", "v5p:3x3x3", "v5e:", "v5e", "v5e:2xx4",
        "v5e:-2x4", "v5e:2x4x", "", ":2x4", "v4:64x64x64", "v5e:0x0"}) {
    EXPECT_FALSE(ParseSliceSpec(bad).ok()) << bad;
  }
}

TEST(Topology, DeviceIdsAreXFastestWithCoresInnermost) {
  // libtpu's compile-only v5e:2x4: x in {0,1}, y in {0..3}, id = x + 2*y.
  const Topology v5e = MustParse("v5e:2x4");
  EXPECT_EQ(v5e.ChipOf(0), (ChipCoords{0, 0, 0}));
  EXPECT_EQ(v5e.ChipOf(1), (ChipCoords{1, 0, 0}));
  EXPECT_EQ(v5e.ChipOf(2), (ChipCoords{0, 1, 0}));
  EXPECT_EQ(v5e.ChipOf(7), (ChipCoords{1, 3, 0}));
  for (int64_t id = 0; id < v5e.num_devices(); ++id) {
    EXPECT_EQ(v5e.DeviceId(v5e.ChipOf(id)), id);
  }
  // TPU7x (section 7): ids 0,1 chip (0,0,0); 2,3 (1,0,0); 4,5 (0,1,0); 8-15 are z = 1.
  const Topology tpu7x = MustParse("tpu7x:2x2x2");
  EXPECT_EQ(tpu7x.ChipOf(1), (ChipCoords{0, 0, 0}));
  EXPECT_EQ(tpu7x.CoreOf(1), 1);
  EXPECT_EQ(tpu7x.ChipOf(2), (ChipCoords{1, 0, 0}));
  EXPECT_EQ(tpu7x.ChipOf(5), (ChipCoords{0, 1, 0}));
  EXPECT_EQ(tpu7x.ChipOf(8), (ChipCoords{0, 0, 1}));
  EXPECT_EQ(tpu7x.DeviceId({1, 1, 1}, 1), 15);
}

}  // namespace
}  // namespace aoizora
