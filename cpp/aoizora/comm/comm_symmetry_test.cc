// The communication model must price a placement and its image under any automorphism of the
// slice identically: the placement search (cpp/aoizora/placement/symmetry.h) scores one placement
// per orbit. Automorphisms: reflections of each axis, translations along wrapped axes, exchanges
// of axes with equal length and wrap (never the tpu7x core axis with x, y, z).

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "aoizora/comm/comm_model.h"
#include "aoizora/topology/links.h"

namespace aoizora {
namespace {

// One automorphism: image[axes[p]] = coords[p], then reflections, then translations.
struct Automorphism {
  std::array<int, kNumGridAxes> axes = {0, 1, 2, 3};
  unsigned reflect = 0;
  GridCoords shift = {0, 0, 0, 0};

  int64_t Apply(const Topology& topo, int64_t device) const {
    const GridCoords c = topo.DeviceGridCoords(device);
    GridCoords image{};
    for (int p = 0; p < kNumGridAxes; ++p) image[axes[p]] = c[p];
    for (int a = 0; a < kNumGridAxes; ++a) {
      const int64_t size = topo.GridSize(a);
      if (reflect >> a & 1) image[a] = size - 1 - image[a];
      image[a] = (image[a] + shift[a]) % size;
    }
    return topo.DeviceAt(image);
  }
};

// Every point symmetry (axis exchange x reflections), each followed by `shifts` random
// translations (none on slices without wrapped axes); all translations when `shifts` < 0.
std::vector<Automorphism> Automorphisms(const Topology& topo, int shifts, std::mt19937_64& rng) {
  std::vector<GridCoords> translations;
  bool wraps = false;
  for (int a = 0; a < kNumGridAxes; ++a) wraps |= topo.GridWraps(a);
  if (!wraps) shifts = 0;
  if (shifts == 0) translations.push_back({0, 0, 0, 0});
  if (shifts < 0) {
    for (int64_t id = 0; id < topo.num_devices(); ++id) {
      GridCoords t = topo.DeviceGridCoords(id);
      bool on_wrapped_axes = true;
      for (int a = 0; a < kNumGridAxes; ++a) on_wrapped_axes &= t[a] == 0 || topo.GridWraps(a);
      if (on_wrapped_axes) translations.push_back(t);
    }
  }
  for (int i = 0; i < shifts; ++i) {
    GridCoords t{};
    for (int a = 0; a < kNumGridAxes; ++a) {
      t[a] = topo.GridWraps(a) ? static_cast<int64_t>(rng() % topo.GridSize(a)) : 0;
    }
    translations.push_back(t);
  }
  std::vector<Automorphism> out;
  std::array<int, 3> chip_axes = {1, 2, 3};
  do {
    bool exchangeable = true;
    for (int p = 0; p < 3; ++p) {
      const int q = chip_axes[p];
      exchangeable &=
          topo.GridSize(p + 1) == topo.GridSize(q) && topo.GridWraps(p + 1) == topo.GridWraps(q);
    }
    if (!exchangeable) continue;
    for (unsigned reflect = 0; reflect < (1u << kNumGridAxes); ++reflect) {
      bool trivial_axis_reflected = false;
      for (int a = 0; a < kNumGridAxes; ++a) {
        trivial_axis_reflected |= (reflect >> a & 1) && topo.GridSize(a) == 1;
      }
      if (trivial_axis_reflected) continue;
      for (const GridCoords& t : translations) {
        Automorphism g;
        g.axes = {0, chip_axes[0], chip_axes[1], chip_axes[2]};
        g.reflect = reflect;
        g.shift = t;
        out.push_back(g);
      }
    }
  } while (std::next_permutation(chip_axes.begin(), chip_axes.end()));
  return out;
}

Collective Groups(CollectiveKind kind, DeviceGroups groups) {
  Collective c;
  c.kind = kind;
  c.array_bytes = 48e6;
  c.groups = std::move(groups);
  return c;
}

// Logical groups of a mesh-like program over n devices: blocks of b consecutive ids and groups
// of b ids strided n/b apart, for b = 2, 4, 8, 16 (< n), plus one group of all.
std::vector<DeviceGroups> LogicalGroupings(int64_t n) {
  std::vector<DeviceGroups> out = {{}};
  for (int64_t b = 2; b <= 16 && b < n; b *= 2) {
    if (n % b != 0) continue;
    DeviceGroups blocks;
    DeviceGroups strided;
    for (int64_t g = 0; g < n / b; ++g) {
      blocks.emplace_back();
      strided.emplace_back();
      for (int64_t i = 0; i < b; ++i) {
        blocks.back().push_back(g * b + i);
        strided.back().push_back(g + i * (n / b));
      }
    }
    out.push_back(blocks);
    out.push_back(strided);
  }
  return out;
}

// Lattices of the slice (under the identity placement): devices grouped by their coordinates mod
// 2 on every axis (gaps on every axis longer than 2), and by x mod 2 and the half of the other
// axes (gaps on x only). They exercise the per-axis phases of product sets with gaps.
std::vector<DeviceGroups> LatticeGroupings(const Topology& topo) {
  std::vector<DeviceGroups> out;
  for (int variant = 0; variant < 2; ++variant) {
    std::map<int64_t, std::vector<int64_t>> by_key;
    for (int64_t d = 0; d < topo.num_devices(); ++d) {
      const GridCoords c = topo.DeviceGridCoords(d);
      int64_t key = 0;
      for (int a = 0; a < kNumGridAxes; ++a) {
        const int64_t size = topo.GridSize(a);
        const int64_t part =
            variant == 0 || a == 1 ? c[a] % 2 : c[a] / std::max<int64_t>(1, size / 2);
        key = key * 2 + part;
      }
      by_key[key].push_back(d);
    }
    DeviceGroups groups;
    for (auto& [key, group] : by_key) groups.push_back(group);
    out.push_back(groups);
  }
  return out;
}

std::vector<Collective> Collectives(const Topology& topo, std::mt19937_64& rng) {
  const int64_t n = topo.num_devices();
  std::vector<Collective> out;
  std::vector<DeviceGroups> groupings = LogicalGroupings(n);
  for (const DeviceGroups& lattice : LatticeGroupings(topo)) groupings.push_back(lattice);
  for (const DeviceGroups& groups : groupings) {
    for (CollectiveKind kind : {CollectiveKind::kAllGather, CollectiveKind::kReduceScatter,
                                CollectiveKind::kAllReduce, CollectiveKind::kAllToAll}) {
      out.push_back(Groups(kind, groups));
    }
    if (groups.empty()) continue;
    // Ring-attention style permutes: every member sends to the next one of its group.
    Collective permute;
    permute.kind = CollectiveKind::kCollectivePermute;
    permute.array_bytes = 16e6;
    for (const auto& group : groups) {
      for (size_t i = 0; i < group.size(); ++i) {
        permute.pairs.emplace_back(group[i], group[(i + 1) % group.size()]);
      }
    }
    out.push_back(permute);
  }
  // A random permutation of every device.
  std::vector<int64_t> targets(static_cast<size_t>(n));
  std::iota(targets.begin(), targets.end(), 0);
  std::shuffle(targets.begin(), targets.end(), rng);
  Collective random_permute;
  random_permute.kind = CollectiveKind::kCollectivePermute;
  random_permute.array_bytes = 16e6;
  for (int64_t s = 0; s < n; ++s) random_permute.pairs.emplace_back(s, targets[s]);
  out.push_back(random_permute);
  return out;
}

std::string Describe(const Collective& c) {
  std::string s = std::string(CollectiveKindName(c.kind)) +
                  " groups=" + std::to_string(c.groups.size()) +
                  " pairs=" + std::to_string(c.pairs.size());
  if (!c.groups.empty()) s += " size=" + std::to_string(c.groups.front().size());
  return s;
}

void ExpectInvariant(std::string_view spec, int random_placements, int shifts, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Topology topo = *ParseSliceSpec(spec);
  const int64_t n = topo.num_devices();
  const std::vector<Automorphism> automorphisms = Automorphisms(topo, shifts, rng);
  const std::vector<Collective> collectives = Collectives(topo, rng);
  std::vector<DeviceIds> placements = {IdentityPlacement(n)};
  for (int i = 0; i < random_placements; ++i) {
    placements.push_back(IdentityPlacement(n));
    std::shuffle(placements.back().begin(), placements.back().end(), rng);
  }
  for (RingOrder ring_order : {RingOrder::kBestForChipSet, RingOrder::kListedOrder}) {
    for (ContentionLaw contention :
         {ContentionLaw::kFairShare, ContentionLaw::kMeasuredSharedLink}) {
      const CommModel model(topo, {.ring_order = ring_order, .contention = contention});
      CommScratch scratch = model.NewScratch();
      for (const Collective& c : collectives) {
        for (size_t p = 0; p < placements.size(); ++p) {
          const DeviceIds& placement = placements[p];
          const CollectiveTime base = model.Estimate(c, placement, scratch);
          DeviceIds image(placement.size());
          for (const Automorphism& g : automorphisms) {
            for (size_t l = 0; l < placement.size(); ++l) image[l] = g.Apply(topo, placement[l]);
            const CollectiveTime t = model.Estimate(c, image, scratch);
            ASSERT_NEAR(t.seconds, base.seconds, 1e-12 * base.seconds)
                << spec << " " << Describe(c) << " placement " << p << " ring_order "
                << static_cast<int>(ring_order) << " contention " << static_cast<int>(contention)
                << " axes " << g.axes[1] << g.axes[2] << g.axes[3] << " reflect " << g.reflect
                << " shift " << g.shift[1] << "," << g.shift[2] << "," << g.shift[3];
            ASSERT_EQ(t.hops, base.hops) << spec << " " << Describe(c);
          }
        }
      }
    }
  }
}

// A group that fills a full wrapped line runs a ring whose heavier direction must follow the
// placement (the group's listed order), not a fixed +: other groups' rings in listed order load
// that line unevenly in the two directions (on a 3-D slice a route's x leg can run on a line that
// holds neither end).
TEST(CommSymmetry, FullWrappedLinesAmongListedRings) {
  std::mt19937_64 rng(21);
  const Topology topo = *ParseSliceSpec("v5p:4x4x4");
  const CommModel model(topo);
  CommScratch scratch = model.NewScratch();
  const std::vector<Automorphism> automorphisms = Automorphisms(topo, 1, rng);
  for (int trial = 0; trial < 40; ++trial) {
    DeviceGroups groups = {{0, 1, 2, 3}};  // the x line at y = z = 0
    std::shuffle(groups[0].begin(), groups[0].end(), rng);
    // Two more groups of 4 near the line, each listed in a shortest cycle so that the model keeps
    // the listed order (a ring with a heavier direction).
    std::vector<int64_t> rest(60);
    std::iota(rest.begin(), rest.end(), 4);
    std::shuffle(rest.begin(), rest.end(), rng);
    for (int g = 0; g < 2; ++g) {
      std::vector<int64_t> group(&rest[4 * g], &rest[4 * g] + 4);
      std::vector<int64_t> best = group;
      int64_t best_hops = -1;
      std::sort(group.begin(), group.end());
      do {
        int64_t hops = 0;
        for (size_t i = 0; i < 4; ++i) hops += HopCount(topo, group[i], group[(i + 1) % 4]);
        if (best_hops < 0 || hops < best_hops) {
          best_hops = hops;
          best = group;
        }
      } while (std::next_permutation(group.begin(), group.end()));
      groups.push_back(best);
    }
    const Collective c = Groups(CollectiveKind::kAllGather, groups);
    const DeviceIds identity = IdentityPlacement(topo.num_devices());
    const double base = model.Estimate(c, identity, scratch).seconds;
    DeviceIds image(identity.size());
    for (const Automorphism& g : automorphisms) {
      for (size_t l = 0; l < identity.size(); ++l) image[l] = g.Apply(topo, identity[l]);
      ASSERT_NEAR(model.Estimate(c, image, scratch).seconds, base, 1e-12 * base)
          << "trial " << trial << " reflect " << g.reflect;
    }
  }
}

TEST(CommSymmetry, AutomorphismCounts) {
  std::mt19937_64 rng(1);
  EXPECT_EQ(Automorphisms(*ParseSliceSpec("v5e:4x4"), -1, rng).size(), 8u);
  EXPECT_EQ(Automorphisms(*ParseSliceSpec("v5e:2x4"), -1, rng).size(), 4u);
  EXPECT_EQ(Automorphisms(*ParseSliceSpec("v4:2x2x2"), -1, rng).size(), 48u);
  EXPECT_EQ(Automorphisms(*ParseSliceSpec("v5p:4x4x4"), -1, rng).size(), 48u * 64);
  EXPECT_EQ(Automorphisms(*ParseSliceSpec("v5e:16x16"), -1, rng).size(), 8u * 256);
  EXPECT_EQ(Automorphisms(*ParseSliceSpec("tpu7x:2x2x2"), -1, rng).size(), 2u * 48);
}

TEST(CommSymmetry, OpenTwoDimensional) {
  ExpectInvariant("v5e:4x4", 4, -1, 11);
  ExpectInvariant("v5e:2x4", 4, -1, 12);
}

TEST(CommSymmetry, OpenThreeDimensional) {
  ExpectInvariant("v4:2x2x2", 4, -1, 13);
  ExpectInvariant("v5p:2x4x4", 2, -1, 14);
  ExpectInvariant("tpu7x:2x2x2", 2, -1, 15);
}

TEST(CommSymmetry, ThreeDimensionalTorus) { ExpectInvariant("v5p:4x4x4", 1, 1, 16); }

TEST(CommSymmetry, WrappedTwoDimensional) { ExpectInvariant("v5e:16x16", 1, 2, 17); }

}  // namespace
}  // namespace aoizora
