// Python surface of the placement stage: the structured placement space, Q2 scoring with its
// breakdown, placement ranking (with baselines such as JAX's device order scored alongside) and
// the exhaustive oracle, as free functions returning dicts: thin wrappers over CompiledCandidate
// (candidate_bindings.cc). Every time returned is a model prediction (the dicts carry a "label").

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>
#include <vector>

#include "aoizora/placement/oracle.h"
#include "aoizora/placement/placement_space.h"
#include "aoizora/placement/symmetry.h"
#include "aoizora/placement/topology_grid.h"
#include "aoizora/planner/compiled_candidate.h"
#include "aoizora/topology/device_order.h"
#include "bindings.h"
#include "candidate_bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {
namespace {

nb::dict PlacementSpaceDict(const TopologyArg& topology, const std::vector<int64_t>& mesh,
                            const std::vector<std::string>& axis_names, int64_t max_classes,
                            bool reduce_symmetry, int64_t limit) {
  const Topology topo = TopologyOf(topology);
  placement::PhysicalGrid grid = placement::GridOfTopology(topo);
  placement::PlacementSpaceOptions options;
  options.max_classes = max_classes;
  options.reduce_symmetry = reduce_symmetry;
  placement::PlacementSpace space =
      ValueOrThrow(placement::PlacementSpace::Enumerate(grid, mesh, options));
  nb::dict d;
  d["topology"] = topo.ToString();
  d["structured_count"] = space.structured_count();
  d["distinct_count"] = space.distinct_count();
  d["reduced_count"] = space.size();
  d["truncated"] = space.truncated();
  d["axis_swaps"] = options.axis_swaps;
  nb::list placements;
  for (int64_t i = 0; i < space.size() && i < limit; ++i) {
    const DeviceIds order = space.device_ids(i);
    nb::dict row;
    row["device_ids"] = order;
    row["device_order"] = CoordsOfDevices(topo, order);
    row["description"] = placement::DescribePlacement(grid, space.structure(i), axis_names);
    row["members"] = space.members(i);
    placements.append(row);
  }
  d["placements"] = placements;
  return d;
}

// Every placement of a slice of at most 8 devices, one per orbit of the slice's reflections and
// wrap translations (and of equal-axis swaps with `axis_swaps`). Q2 is invariant under all of
// them (gtest comm_symmetry_test). The SimGrid replay uses the same flows, split over every
// dimension order, but its invariance is only checked as min and max over all orders of a 2x2
// (tests/test_placement_swing.py), hence the cautious default without swaps.
nb::dict PlacementOrbitsDict(const TopologyArg& topology, bool axis_swaps) {
  const Topology topo = TopologyOf(topology);
  const placement::PhysicalGrid grid = placement::GridOfTopology(topo);
  const placement::AllPlacements all =
      ValueOrThrow(placement::EnumerateAllPlacements(grid, /*reduce_symmetry=*/true, axis_swaps));
  const int64_t n = grid.num_devices();
  nb::list orders;
  for (int64_t i = 0; i < all.reduced_count; ++i) {
    orders.append(DeviceIds(all.orders.begin() + i * n, all.orders.begin() + (i + 1) * n));
  }
  nb::dict d;
  d["topology"] = topo.ToString();
  d["total_count"] = all.total_count;
  d["reduced_count"] = all.reduced_count;
  d["axis_swaps"] = axis_swaps;
  d["device_ids"] = orders;
  return d;
}

// The free functions below are CompiledCandidate(...).<method>(...).to_dict(), checking their
// arguments in the order they always did (compute source, slice, module, mesh).

nb::dict RankDict(const std::string& hlo_text, const TopologyArg& topology,
                  const std::vector<int64_t>& mesh, const std::vector<std::string>& axis_names,
                  int64_t top, int64_t exhaustive_limit,
                  const std::vector<DeviceCoordsList>& baselines, const std::string& filename,
                  const std::string& compute) {
  const placement::ComputeSource source = ComputeSourceOf(compute);
  const Topology topo = TopologyOf(topology);
  CompiledCandidate candidate =
      MakeCompiledCandidate(hlo_text, topo, mesh, axis_names, filename, source);
  RankOptions options;
  options.top = top;
  options.exhaustive_limit = exhaustive_limit;
  for (const DeviceCoordsList& coords : baselines) {
    options.baselines.push_back(ValueOrThrow(DeviceIdsOfCoords(topo, coords)));
  }
  return ToDict(nb::cast(ValueOrThrow(candidate.Rank(options, source))));
}

nb::dict ScoreDict(const std::string& hlo_text, const TopologyArg& topology,
                   const std::vector<int64_t>& mesh, const std::vector<std::string>& axis_names,
                   const DeviceCoordsList& coords, const std::string& filename,
                   const std::string& compute) {
  const placement::ComputeSource source = ComputeSourceOf(compute);
  const Topology topo = TopologyOf(topology);
  CompiledCandidate candidate =
      MakeCompiledCandidate(hlo_text, topo, mesh, axis_names, filename, source);
  const DeviceIds ids = ValueOrThrow(DeviceIdsOfCoords(topo, coords));
  return ToDict(nb::cast(ValueOrThrow(candidate.Score(ids, source))));
}

nb::dict ComputeProfileDict(const std::string& hlo_text, const TopologyArg& topology, int64_t top,
                            const std::string& filename, const std::string& compute) {
  const placement::ComputeSource source = ComputeSourceOf(compute);
  if (top < 0) ThrowError(InvalidArgument("top must be >= 0, got " + std::to_string(top)));
  const Topology topo = TopologyOf(topology);
  const CompiledCandidate candidate =
      MakeCompiledCandidate(hlo_text, topo, std::nullopt, {}, filename, source);
  return ToDict(nb::cast(ValueOrThrow(candidate.Profile(top, source))));
}

nb::dict OracleDict(const std::string& hlo_text, const TopologyArg& topology,
                    const std::vector<int64_t>& mesh, const std::string& filename,
                    const std::string& compute) {
  const placement::ComputeSource source = ComputeSourceOf(compute);
  const Topology topo = TopologyOf(topology);
  CompiledCandidate candidate = MakeCompiledCandidate(hlo_text, topo, mesh, {}, filename, source);
  return ToDict(nb::cast(ValueOrThrow(candidate.Oracle(source))));
}

}  // namespace

void BindPlacement(nb::module_& m) {
  m.def("placement_space", &PlacementSpaceDict, nb::arg("topology"), nb::arg("mesh_shape"),
        nb::arg("axis_names") = std::vector<std::string>{}, nb::arg("max_classes") = 2'000'000,
        nb::arg("reduce_symmetry") = true, nb::arg("limit") = 1000,
        "The structured placement space of a logical mesh on a slice: counts before and after "
        "symmetry reduction and (up to `limit`) the representatives with their structure.");
  m.def("placement_orbits", &PlacementOrbitsDict, nb::arg("topology"),
        nb::arg("axis_swaps") = false,
        "Every placement of a slice of at most 8 devices (device ids per logical device), one "
        "per orbit of the slice's reflections and wrap translations (and equal-axis swaps with "
        "`axis_swaps`), with the counts before and after the reduction.");
  m.def("rank_placements", &RankDict, nb::arg("hlo_text"), nb::arg("topology"),
        nb::arg("mesh_shape"), nb::arg("axis_names") = std::vector<std::string>{},
        nb::arg("top") = 10, nb::arg("exhaustive_limit") = 200000,
        nb::arg("baselines") = std::vector<DeviceCoordsList>{}, nb::arg("filename") = "<string>",
        nb::arg("compute") = "compiler",
        "Rank the placements of a compiled HLO module's logical mesh on a slice by Q2 (model "
        "prediction). `baselines`: device orders as chip coordinates per logical device, scored "
        "and ranked against the space.");
  m.def("score_placement", &ScoreDict, nb::arg("hlo_text"), nb::arg("topology"),
        nb::arg("mesh_shape"), nb::arg("axis_names"), nb::arg("device_order"),
        nb::arg("filename") = "<string>", nb::arg("compute") = "compiler",
        "Q2 breakdown (model prediction) of one placement given as chip coordinates.");
  m.def("compute_profile", &ComputeProfileDict, nb::arg("hlo_text"), nb::arg("topology"),
        nb::arg("top") = 20, nb::arg("filename") = "<string>", nb::arg("compute") = "compiler",
        "Where the compiled program's predicted compute time goes (model prediction): totals and "
        "the `top` slowest compute ops with the roofline side that bounds each.");
  m.def("placement_oracle", &OracleDict, nb::arg("hlo_text"), nb::arg("topology"),
        nb::arg("mesh_shape"), nb::arg("filename") = "<string>", nb::arg("compute") = "compiler",
        "Best placement over all permutations of a slice of at most 8 devices, and how far the "
        "structured space's best is from it.");
}

}  // namespace aoizora::bindings
