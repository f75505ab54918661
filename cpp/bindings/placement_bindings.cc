// Python surface of the placement stage: the structured placement space, Q2 scoring with its
// breakdown, placement ranking (with baselines such as JAX's device order scored alongside) and
// the exhaustive oracle. Every time returned is a model prediction (the dicts carry a "label").

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>
#include <vector>

#include "aoizora/placement/compute_profile.h"
#include "aoizora/placement/placement_space.h"
#include "aoizora/placement/q2_model.h"
#include "aoizora/placement/search.h"
#include "aoizora/placement/symmetry.h"
#include "aoizora/placement/topology_grid.h"
#include "aoizora/program/compiled_analysis.h"
#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {
namespace {

using placement::DeviceOrder;
using placement::Q2Breakdown;
using placement::Q2Model;
using placement::Q2Scorer;

// Per logical device: chip coordinates [x, y, z] (and the core on tpu7x).
nb::list CoordsOf(const Topology& topo, const DeviceOrder& order) {
  nb::list out;
  for (int64_t device : order) {
    const ChipCoords c = topo.ChipOf(device);
    nb::list row;
    row.append(c.x);
    row.append(c.y);
    row.append(c.z);
    if (topo.cores_per_chip() > 1) row.append(topo.CoreOf(device));
    out.append(row);
  }
  return out;
}

nb::list IdsOf(const DeviceOrder& order) {
  nb::list out;
  for (int64_t d : order) out.append(d);
  return out;
}

nb::list Buckets(const std::vector<std::pair<std::string, double>>& buckets) {
  nb::list out;
  for (const auto& [name, seconds] : buckets) {
    nb::dict d;
    d["name"] = name;
    d["seconds"] = seconds;
    out.append(d);
  }
  return out;
}

// `compute_source` (the source the step used) and `compute_seconds_by_source` {compiler: seconds
// or None when the module has no estimate, roofline: seconds}.
void AddComputeSources(nb::dict& d, const placement::ComputeBySource& c) {
  d["compute_source"] = std::string(placement::ComputeSourceName(c.source_used));
  nb::dict by_source;
  if (c.has_compiler_estimate()) {
    by_source["compiler"] = c.compiler_seconds;
  } else {
    by_source["compiler"] = nb::none();
  }
  by_source["roofline"] = c.roofline_seconds;
  d["compute_seconds_by_source"] = by_source;
  d["ops_with_estimate"] = c.ops_with_estimate;
  d["ops_without_estimate"] = c.ops_without_estimate;
}

placement::ComputeSource SourceOrThrow(const std::string& compute) {
  return ValueOrThrow(placement::ParseComputeSource(compute));
}

nb::dict BreakdownDict(const Q2Breakdown& b) {
  nb::dict d;
  d["label"] = b.label;
  d["seconds"] = b.seconds;
  d["compute_seconds"] = b.compute_seconds;
  AddComputeSources(d, b.compute_by_source);
  d["comm_seconds"] = b.comm_seconds;
  d["exposed_comm_seconds"] = b.exposed_comm_seconds;
  d["exposed_by_kind"] = Buckets(b.exposed_by_kind);
  d["exposed_by_axes"] = Buckets(b.exposed_by_axes);
  nb::list collectives;
  for (const auto& c : b.collectives) {
    nb::dict row;
    row["name"] = c.name;
    row["kind"] = c.kind;
    row["axes"] = c.axes;
    row["count"] = c.count;
    row["seconds_each"] = c.seconds_each;
    row["seconds"] = c.seconds;
    row["exposed_seconds"] = c.exposed_seconds;
    row["async"] = c.is_async;
    collectives.append(row);
  }
  d["collectives"] = collectives;
  nb::list warnings;
  for (const auto& w : b.warnings) warnings.append(w);
  d["warnings"] = warnings;
  return d;
}

struct Loaded {
  Topology topology;
  CommModel comm;
  Q2Model model;
};

Loaded Load(const std::string& hlo_text, const std::string& filename, const std::string& spec,
            const std::vector<int64_t>& mesh, const std::vector<std::string>& axis_names,
            const std::string& compute) {
  const placement::ComputeSource source = SourceOrThrow(compute);
  Topology topo = ValueOrThrow(ParseSliceSpec(spec));
  CompiledModuleAnalysis analysis = ValueOrThrow(AnalyzeCompiledText(hlo_text, filename));
  CommModel comm(topo);
  Q2Model model = ValueOrThrow(Q2Model::Create(
      analysis.program, comm, placement::ComputeConstants::FromChip(topo.chip(), source), mesh,
      axis_names));
  return {topo, comm, std::move(model)};
}

// A device order given as chip coordinates per logical device ([x, y, z] or [x, y, z, core]).
DeviceOrder OrderFromCoords(const Topology& topo, const std::vector<std::vector<int64_t>>& coords) {
  DeviceOrder order;
  for (size_t i = 0; i < coords.size(); ++i) {
    const auto& c = coords[i];
    if (c.size() < 3 || c.size() > 4) {
      ThrowError(InvalidArgument("logical device " + std::to_string(i) + " has " +
                                 std::to_string(c.size()) + " coordinates; expected [x, y, z]" +
                                 " or [x, y, z, core]"));
    }
    const int64_t core = c.size() == 4 ? c[3] : 0;
    const auto& shape = topo.shape();
    if (c[0] < 0 || c[0] >= shape[0] || c[1] < 0 || c[1] >= shape[1] || c[2] < 0 ||
        c[2] >= shape[2] || core < 0 || core >= topo.cores_per_chip()) {
      ThrowError(InvalidArgument("logical device " + std::to_string(i) + " is at chip (" +
                                 std::to_string(c[0]) + "," + std::to_string(c[1]) + "," +
                                 std::to_string(c[2]) + ") core " + std::to_string(core) +
                                 ", outside " + topo.ToString()));
    }
    order.push_back(topo.DeviceId({c[0], c[1], c[2]}, core));
  }
  return order;
}

nb::dict PlacementSpaceDict(const std::string& spec, const std::vector<int64_t>& mesh,
                            const std::vector<std::string>& axis_names, int64_t max_classes,
                            bool reduce_symmetry, int64_t limit) {
  Topology topo = ValueOrThrow(ParseSliceSpec(spec));
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
    const DeviceOrder order = space.device_order(i);
    nb::dict row;
    row["device_ids"] = IdsOf(order);
    row["device_order"] = CoordsOf(topo, order);
    row["description"] = placement::DescribePlacement(grid, space.structure(i), axis_names);
    row["members"] = space.members(i);
    placements.append(row);
  }
  d["placements"] = placements;
  return d;
}

nb::dict RankDict(const std::string& hlo_text, const std::string& spec,
                  const std::vector<int64_t>& mesh, const std::vector<std::string>& axis_names,
                  int64_t top, int64_t exhaustive_limit,
                  const std::vector<std::vector<std::vector<int64_t>>>& baselines,
                  const std::string& filename, const std::string& compute) {
  Loaded l = Load(hlo_text, filename, spec, mesh, axis_names, compute);
  placement::SearchOptions options;
  options.top = top;
  options.exhaustive_limit = exhaustive_limit;
  const placement::PhysicalGrid grid = placement::GridOfTopology(l.topology);
  placement::SearchResult result =
      ValueOrThrow(placement::SearchPlacements(l.model, grid, options));
  Q2Scorer scorer(l.model);
  nb::dict d;
  d["label"] = placement::kModelPredictionLabel;
  d["topology"] = l.topology.ToString();
  d["mesh_shape"] = mesh;
  d["axis_names"] = l.model.axis_names();
  d["structured_count"] = result.structured_count;
  d["distinct_count"] = result.distinct_count;
  d["reduced_count"] = result.reduced_count;
  d["truncated"] = result.truncated;
  d["local_search_evaluations"] = result.local_search_evaluations;
  d["compute_seconds"] = l.model.compute_seconds();
  AddComputeSources(d, l.model.compute_by_source());
  d["distinct_collectives"] = l.model.distinct_collective_count();
  // How much placement matters for this sharding: the spread of the scored structured space.
  if (!result.all_seconds.empty()) {
    d["worst_seconds"] = result.all_seconds.back();
    d["median_seconds"] = result.all_seconds[result.all_seconds.size() / 2];
  }
  nb::list placements;
  int64_t rank = 0;
  for (const auto& p : result.placements) {
    nb::dict row;
    row["rank"] = ++rank;
    row["seconds"] = p.seconds;
    row["device_order"] = CoordsOf(l.topology, p.order);
    row["device_ids"] = IdsOf(p.order);
    row["description"] = p.description;
    row["breakdown"] = BreakdownDict(scorer.Breakdown(p.order));
    placements.append(row);
  }
  d["placements"] = placements;
  nb::list scored;
  for (const auto& coords : baselines) {
    const DeviceOrder order = OrderFromCoords(l.topology, coords);
    OkOrThrow(l.model.ValidatePlacement(order));
    const Q2Breakdown b = scorer.Breakdown(order);
    nb::dict row;
    row["seconds"] = b.seconds;
    row["rank"] = result.RankOf(b.seconds);
    row["device_order"] = CoordsOf(l.topology, order);
    row["device_ids"] = IdsOf(order);
    row["breakdown"] = BreakdownDict(b);
    scored.append(row);
  }
  d["baselines"] = scored;
  return d;
}

nb::dict ScoreDict(const std::string& hlo_text, const std::string& spec,
                   const std::vector<int64_t>& mesh, const std::vector<std::string>& axis_names,
                   const std::vector<std::vector<int64_t>>& coords, const std::string& filename,
                   const std::string& compute) {
  Loaded l = Load(hlo_text, filename, spec, mesh, axis_names, compute);
  const DeviceOrder order = OrderFromCoords(l.topology, coords);
  OkOrThrow(l.model.ValidatePlacement(order));
  Q2Scorer scorer(l.model);
  nb::dict d = BreakdownDict(scorer.Breakdown(order));
  d["device_ids"] = IdsOf(order);
  return d;
}

nb::dict ComputeProfileDict(const std::string& hlo_text, const std::string& spec, int64_t top,
                            const std::string& filename, const std::string& compute) {
  const placement::ComputeSource source = SourceOrThrow(compute);
  if (top < 0) ThrowError(InvalidArgument("top must be >= 0, got " + std::to_string(top)));
  const Topology topo = ValueOrThrow(ParseSliceSpec(spec));
  const CompiledModuleAnalysis analysis = ValueOrThrow(AnalyzeCompiledText(hlo_text, filename));
  const placement::ComputeProfile profile = placement::ProfileCompute(
      analysis.program, placement::ComputeConstants::FromChip(topo.chip(), source));
  nb::dict d;
  d["label"] = placement::kModelPredictionLabel;
  d["topology"] = topo.ToString();
  d["compute_seconds"] = profile.seconds;
  d["matmul_op_seconds"] = profile.matmul_op_seconds;
  d["memory_bound_seconds"] = profile.memory_bound_seconds;
  d["flop_seconds"] = profile.flop_seconds;
  d["roofline_seconds"] = profile.roofline_seconds;
  if (profile.ops_with_estimate > 0) {
    d["compiler_estimate_seconds"] = profile.compiler_seconds;
  } else {
    d["compiler_estimate_seconds"] = nb::none();
  }
  d["ops_with_estimate"] = profile.ops_with_estimate;
  d["ops_without_estimate"] = profile.ops_without_estimate;
  d["compute_source"] = std::string(placement::ComputeSourceName(
      profile.ops_with_estimate > 0 ? source : placement::ComputeSource::kRoofline));
  d["num_ops"] = profile.ops.size();
  nb::list ops;
  for (size_t i = 0; i < profile.ops.size() && static_cast<int64_t>(i) < top; ++i) {
    const placement::ComputeOpProfile& op = profile.ops[i];
    nb::dict row;
    row["name"] = op.name;
    row["opcode"] = op.opcode;
    row["count"] = op.count;
    row["seconds"] = op.seconds;
    row["seconds_each"] = op.each.seconds;
    row["flop_seconds_each"] = op.each.flop_seconds;
    row["vector_seconds_each"] = op.each.vector_seconds;
    row["transcendental_seconds_each"] = op.each.transcendental_seconds;
    row["roofline_seconds_each"] = op.each.roofline_seconds;
    if (op.each.compiler_seconds >= 0.0) {
      row["compiler_seconds_each"] = op.each.compiler_seconds;
    } else {
      row["compiler_seconds_each"] = nb::none();
    }
    row["from_compiler"] = op.each.from_compiler;
    row["memory_seconds_each"] = op.each.memory_seconds;
    row["bytes_accessed"] = op.bytes_accessed;
    row["fast_memory_bytes"] = op.fast_memory_bytes;
    row["matmul"] = op.has_matmul;
    row["bound"] = std::string(op.each.bound());
    ops.append(row);
  }
  d["ops"] = ops;
  return d;
}

nb::dict OracleDict(const std::string& hlo_text, const std::string& spec,
                    const std::vector<int64_t>& mesh, const std::string& filename,
                    const std::string& compute) {
  Loaded l = Load(hlo_text, filename, spec, mesh, {}, compute);
  const placement::PhysicalGrid grid = placement::GridOfTopology(l.topology);
  placement::OracleResult oracle = ValueOrThrow(placement::ExhaustiveOracle(l.model, grid));
  placement::SearchOptions options;
  options.top = 1;
  placement::SearchResult structured =
      ValueOrThrow(placement::SearchPlacements(l.model, grid, options));
  nb::dict d;
  d["label"] = placement::kModelPredictionLabel;
  d["total_count"] = oracle.total_count;
  d["reduced_count"] = oracle.reduced_count;
  d["best_seconds"] = oracle.best_seconds;
  d["best_device_order"] = CoordsOf(l.topology, oracle.best_order);
  d["worst_seconds"] = oracle.worst_seconds;
  d["structured_best_seconds"] = structured.placements.front().seconds;
  d["structured_gap"] = structured.placements.front().seconds / oracle.best_seconds - 1.0;
  return d;
}

}  // namespace

void BindPlacement(nb::module_& m) {
  m.def("placement_space", &PlacementSpaceDict, nb::arg("topology"), nb::arg("mesh_shape"),
        nb::arg("axis_names") = std::vector<std::string>{}, nb::arg("max_classes") = 2'000'000,
        nb::arg("reduce_symmetry") = true, nb::arg("limit") = 1000,
        "The structured placement space of a logical mesh on a slice: counts before and after "
        "symmetry reduction and (up to `limit`) the representatives with their structure.");
  m.def("rank_placements", &RankDict, nb::arg("hlo_text"), nb::arg("topology"),
        nb::arg("mesh_shape"), nb::arg("axis_names") = std::vector<std::string>{},
        nb::arg("top") = 10, nb::arg("exhaustive_limit") = 200000,
        nb::arg("baselines") = std::vector<std::vector<std::vector<int64_t>>>{},
        nb::arg("filename") = "<string>", nb::arg("compute") = "compiler",
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
