#include "aoizora/placement/symmetry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <vector>

namespace aoizora::placement {
namespace {

PhysicalGrid Grid(std::vector<int64_t> dims, std::vector<bool> wrap) {
  auto grid = PhysicalGrid::Create(std::move(dims), std::move(wrap));
  EXPECT_TRUE(grid.ok());
  return *grid;
}

std::vector<int32_t> Canonical(const SliceSymmetry& sym, const std::vector<int32_t>& perm) {
  std::vector<int32_t> out(perm.size());
  std::vector<int32_t> scratch(perm.size());
  sym.Canonicalize(perm.data(), out.data(), scratch.data());
  return out;
}

TEST(SymmetryTest, GroupSizes) {
  // 2x4 open: reflect x, reflect y; no swap (unequal lengths); no translation.
  EXPECT_EQ(SliceSymmetry(Grid({2, 4}, {false, false})).group_size(), 4);
  // 4x4 open: dihedral group of the square.
  EXPECT_EQ(SliceSymmetry(Grid({4, 4}, {false, false})).group_size(), 8);
  // 8x16 (wrap on y): 4 reflections x 16 translations.
  EXPECT_EQ(SliceSymmetry(Grid({8, 16}, {false, true})).group_size(), 4 * 16);
  // 16x16 torus: 8 point symmetries x 256 translations.
  EXPECT_EQ(SliceSymmetry(Grid({16, 16}, {true, true})).group_size(), 8 * 256);
  // 4x4x4 torus: 8 reflections x 6 axis permutations x 64 translations.
  EXPECT_EQ(SliceSymmetry(Grid({4, 4, 4}, {true, true, true})).group_size(), 48 * 64);
  // v5e 4x4 has z = 1 in JAX's coordinates; a length-1 axis adds no symmetry.
  EXPECT_EQ(SliceSymmetry(Grid({4, 4, 1}, {false, false, false})).group_size(), 8);
}

TEST(SymmetryTest, CanonicalFormIsConstantOnOrbits) {
  std::mt19937 rng(7);
  for (const auto& grid : {Grid({4, 4}, {false, false}), Grid({16, 16}, {true, true}),
                           Grid({4, 4, 4}, {true, true, true}), Grid({2, 8}, {false, false})}) {
    SliceSymmetry sym(grid);
    std::vector<int64_t> perm(grid.num_devices());
    std::iota(perm.begin(), perm.end(), 0);
    for (int trial = 0; trial < 5; ++trial) {
      std::shuffle(perm.begin(), perm.end(), rng);
      std::vector<int32_t> p32(perm.begin(), perm.end());
      const std::vector<int32_t> canonical = Canonical(sym, p32);
      EXPECT_TRUE(sym.IsCanonical(canonical.data()));
      for (int64_t h = 0; h < sym.point_group_size(); ++h) {
        std::vector<int64_t> shift(grid.rank());
        for (int64_t a = 0; a < grid.rank(); ++a) shift[a] = rng() % grid.dims()[a];
        std::vector<int64_t> image = sym.Apply(perm, h, shift);
        std::vector<int32_t> i32(image.begin(), image.end());
        EXPECT_EQ(Canonical(sym, i32), canonical);
      }
    }
  }
}

// The point group acts freely on bijections, so the orbits of all n! device orders have size
// |G| (Burnside with only the identity fixing anything).
TEST(SymmetryTest, OrbitCountOfAllPermutations) {
  for (const auto& [grid, expected] : {std::pair{Grid({2, 2}, {false, false}), 24 / 8},
                                       std::pair{Grid({2, 4}, {false, false}), 40320 / 4},
                                       std::pair{Grid({6}, {true}), 720 / 12}}) {
    SliceSymmetry sym(grid);
    std::vector<int32_t> perm(grid.num_devices());
    std::iota(perm.begin(), perm.end(), 0);
    std::set<std::vector<int32_t>> classes;
    int64_t canonical_count = 0;
    do {
      classes.insert(Canonical(sym, perm));
      canonical_count += sym.IsCanonical(perm.data()) ? 1 : 0;
    } while (std::next_permutation(perm.begin(), perm.end()));
    EXPECT_EQ(static_cast<int64_t>(classes.size()), expected) << grid.ToString();
    EXPECT_EQ(canonical_count, expected) << grid.ToString();
  }
}

}  // namespace
}  // namespace aoizora::placement

namespace aoizora::placement {
namespace {

TEST(SymmetryTest, AxisSwapsCanBeLeftOut) {
  auto cube = PhysicalGrid::Create({4, 4, 4}, {true, true, true});
  EXPECT_EQ(SliceSymmetry(*cube).group_size(), 48 * 64);
  EXPECT_EQ(SliceSymmetry(*cube, /*axis_swaps=*/false).group_size(), 8 * 64);
  auto square = PhysicalGrid::Create({1, 4, 4, 1}, {false, false, false, false});
  EXPECT_EQ(SliceSymmetry(*square).group_size(), 8);
}

}  // namespace
}  // namespace aoizora::placement
