#pragma once
// A compiled sharding candidate: its compiled (partitioned, scheduled) HLO module parsed and
// analyzed once for a slice and a logical mesh. Ranking its placements, scoring one, the
// exhaustive oracle and the compute profile all reuse that analysis; the Q2 model of each compute
// source is built on first use and kept. Every time in the results is a model prediction.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aoizora/comm/comm_model.h"
#include "aoizora/placement/compute_model.h"
#include "aoizora/placement/compute_profile.h"
#include "aoizora/placement/q2_model.h"
#include "aoizora/program/compiled_analysis.h"
#include "aoizora/topology/device_order.h"
#include "aoizora/topology/topology.h"
#include "aoizora/util/result.h"

namespace aoizora {

// One placement of a ranking's searched space, best first.
struct RankedPlacement {
  int64_t rank = 0;  // 1-based position in the ranking
  double seconds = 0.0;
  DeviceIds device_ids;
  DeviceCoordsList device_coords;
  std::string description;  // its structure, or how the search found it
  placement::Q2Breakdown breakdown;
};

// A given device order (a baseline such as JAX's) scored against a ranking's space.
struct BaselinePlacement {
  int64_t rank = 0;  // 1 + the scored structured placements strictly faster
  double seconds = 0.0;
  DeviceIds device_ids;
  DeviceCoordsList device_coords;
  placement::Q2Breakdown breakdown;
};

struct PlacementRanking {
  std::string label = placement::kModelPredictionLabel;
  std::string topology;  // "v5e:2x4"
  std::vector<int64_t> mesh_shape;
  std::vector<std::string> axis_names;
  int64_t structured_count = 0;  // space counts (placement/search.h)
  int64_t distinct_count = 0;
  int64_t reduced_count = 0;
  bool truncated = false;
  int64_t local_search_evaluations = 0;
  double compute_seconds = 0.0;
  placement::ComputeBySource compute_by_source;
  int64_t distinct_collectives = 0;
  // How much placement matters: the slowest and the median scored structured placement (absent
  // when no structured placement was scored).
  std::optional<double> worst_seconds;
  std::optional<double> median_seconds;
  std::vector<RankedPlacement> placements;
  std::vector<BaselinePlacement> baselines;  // in the order given
};

// One placement scored on its own.
struct PlacementScore {
  DeviceIds device_ids;
  DeviceCoordsList device_coords;
  placement::Q2Breakdown breakdown;
};

// The best placement over all permutations of a small slice, against the structured space's best.
struct OracleReport {
  std::string label = placement::kModelPredictionLabel;
  int64_t total_count = 0;    // n!
  int64_t reduced_count = 0;  // orbits scored
  double best_seconds = 0.0;
  DeviceIds best_device_ids;
  DeviceCoordsList best_device_coords;
  double worst_seconds = 0.0;
  double structured_best_seconds = 0.0;
  double structured_gap = 0.0;  // structured best / oracle best - 1
};

struct CompiledComputeProfile {
  std::string label = placement::kModelPredictionLabel;
  std::string topology;
  placement::ComputeProfile profile;  // ops cut to the `top` slowest
  int64_t num_ops = 0;                // before the cut
  // The source the totals used: the compiler's only when at least one op has its estimate.
  placement::ComputeSource source_used = placement::ComputeSource::kRoofline;
};

struct RankOptions {
  int64_t top = 10;                   // searched placements returned
  int64_t exhaustive_limit = 200000;  // structured classes scored at most
  std::vector<DeviceIds> baselines;   // device orders scored and ranked against the space
};

class CompiledCandidate {
 public:
  // Parses, verifies and analyzes the module (strict). With a mesh, also builds the Q2 model of
  // `first_source`, which checks the mesh against the module (partition count, the mesh its
  // parameters are sharded over) and the slice; without one only Profile() is available.
  static Result<CompiledCandidate> Create(
      std::string_view hlo_text, std::string_view filename, const Topology& topology,
      std::optional<std::vector<int64_t>> mesh_shape, std::vector<std::string> axis_names = {},
      placement::ComputeSource first_source = placement::ComputeSource::kCompiler);

  const Topology& topology() const { return topology_; }
  const CompiledModuleAnalysis& analysis() const { return analysis_; }
  bool has_mesh() const { return mesh_shape_.has_value(); }

  // The placement search (placement/search.h) with the baselines scored alongside. Errors: a
  // baseline that is no valid placement (names the logical device), a bad option.
  Result<PlacementRanking> Rank(const RankOptions& options, placement::ComputeSource source);
  // Q2 breakdown of one placement. Error: not a valid placement for the mesh.
  Result<PlacementScore> Score(const DeviceIds& device_ids, placement::ComputeSource source);
  // Slices of at most placement::kMaxOracleDevices devices.
  Result<OracleReport> Oracle(placement::ComputeSource source);
  // Error: top < 0.
  Result<CompiledComputeProfile> Profile(int64_t top, placement::ComputeSource source) const;
  // The Q2 model of `source`, built on first use (sim/ replays its events on SimGrid). Error: no
  // mesh was given.
  Result<const placement::Q2Model*> Model(placement::ComputeSource source);

 private:
  CompiledCandidate(Topology topology, CompiledModuleAnalysis analysis,
                    std::optional<std::vector<int64_t>> mesh_shape,
                    std::vector<std::string> axis_names);

  Topology topology_;
  CommModel comm_;
  CompiledModuleAnalysis analysis_;
  std::optional<std::vector<int64_t>> mesh_shape_;
  std::vector<std::string> axis_names_;
  std::array<std::optional<placement::Q2Model>, 2> models_;  // by ComputeSource
};

}  // namespace aoizora
