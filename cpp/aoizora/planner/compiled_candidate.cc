#include "aoizora/planner/compiled_candidate.h"

#include <string>
#include <utility>

#include "aoizora/placement/search.h"
#include "aoizora/placement/topology_grid.h"

namespace aoizora {
namespace {

using placement::ComputeSource;
using placement::Q2Model;
using placement::Q2Scorer;

size_t SourceSlot(ComputeSource source) { return source == ComputeSource::kCompiler ? 0 : 1; }

Result<Q2Model> BuildModel(const CompiledModuleAnalysis& analysis, const CommModel& comm,
                           const std::vector<int64_t>& mesh_shape,
                           const std::vector<std::string>& axis_names, ComputeSource source) {
  return Q2Model::Create(analysis.program, comm,
                         placement::ComputeConstants::FromChip(comm.topology().chip(), source),
                         mesh_shape, axis_names);
}

// The ranking's header: counts, compute and the spread of the scored space.
PlacementRanking RankingHeader(const Topology& topology, const Q2Model& model,
                               const placement::SearchResult& result) {
  PlacementRanking ranking;
  ranking.topology = topology.ToString();
  ranking.mesh_shape = model.mesh_shape();
  ranking.axis_names = model.axis_names();
  ranking.structured_count = result.structured_count;
  ranking.distinct_count = result.distinct_count;
  ranking.reduced_count = result.reduced_count;
  ranking.truncated = result.truncated;
  ranking.local_search_evaluations = result.local_search_evaluations;
  ranking.compute_seconds = model.compute_seconds();
  ranking.compute_by_source = model.compute_by_source();
  ranking.distinct_collectives = model.distinct_collective_count();
  if (!result.all_seconds.empty()) {
    ranking.worst_seconds = result.all_seconds.back();
    ranking.median_seconds = result.all_seconds[result.all_seconds.size() / 2];
  }
  return ranking;
}

}  // namespace

CompiledCandidate::CompiledCandidate(Topology topology, CompiledModuleAnalysis analysis,
                                     std::optional<std::vector<int64_t>> mesh_shape,
                                     std::vector<std::string> axis_names)
    : topology_(topology),
      comm_(topology),
      analysis_(std::move(analysis)),
      mesh_shape_(std::move(mesh_shape)),
      axis_names_(std::move(axis_names)) {}

Result<CompiledCandidate> CompiledCandidate::Create(std::string_view hlo_text,
                                                    std::string_view filename,
                                                    const Topology& topology,
                                                    std::optional<std::vector<int64_t>> mesh_shape,
                                                    std::vector<std::string> axis_names,
                                                    ComputeSource first_source) {
  AOIZORA_ASSIGN_OR_RETURN(CompiledModuleAnalysis analysis,
                           AnalyzeCompiledText(hlo_text, filename));
  CompiledCandidate candidate(topology, std::move(analysis), std::move(mesh_shape),
                              std::move(axis_names));
  if (candidate.has_mesh()) AOIZORA_RETURN_IF_ERROR(candidate.Model(first_source));
  return candidate;
}

Result<const Q2Model*> CompiledCandidate::Model(ComputeSource source) {
  if (!mesh_shape_) {
    return InvalidArgument(
        "this compiled candidate was made without a mesh_shape; give one to "
        "rank, score or search its placements");
  }
  std::optional<Q2Model>& slot = models_[SourceSlot(source)];
  if (!slot) {
    AOIZORA_ASSIGN_OR_RETURN(Q2Model model,
                             BuildModel(analysis_, comm_, *mesh_shape_, axis_names_, source));
    slot.emplace(std::move(model));
  }
  return &*slot;
}

Result<PlacementRanking> CompiledCandidate::Rank(const RankOptions& options, ComputeSource source) {
  AOIZORA_ASSIGN_OR_RETURN(const Q2Model* model, Model(source));
  placement::SearchOptions search_options;
  search_options.top = options.top;
  search_options.exhaustive_limit = options.exhaustive_limit;
  const placement::PhysicalGrid grid = placement::GridOfTopology(topology_);
  AOIZORA_ASSIGN_OR_RETURN(placement::SearchResult result,
                           placement::SearchPlacements(*model, grid, search_options));
  PlacementRanking ranking = RankingHeader(topology_, *model, result);
  Q2Scorer scorer(*model);
  int64_t rank = 0;
  for (const placement::RankedPlacement& p : result.placements) {
    ranking.placements.push_back({++rank, p.seconds, p.device_ids,
                                  CoordsOfDevices(topology_, p.device_ids), p.description,
                                  scorer.Breakdown(p.device_ids)});
  }
  for (const DeviceIds& ids : options.baselines) {
    AOIZORA_RETURN_IF_ERROR(model->ValidatePlacement(ids));
    placement::Q2Breakdown breakdown = scorer.Breakdown(ids);
    const double seconds = breakdown.seconds;
    ranking.baselines.push_back({result.RankOf(seconds), seconds, ids,
                                 CoordsOfDevices(topology_, ids), std::move(breakdown)});
  }
  return ranking;
}

Result<PlacementScore> CompiledCandidate::Score(const DeviceIds& device_ids, ComputeSource source) {
  AOIZORA_ASSIGN_OR_RETURN(const Q2Model* model, Model(source));
  AOIZORA_RETURN_IF_ERROR(model->ValidatePlacement(device_ids));
  Q2Scorer scorer(*model);
  return PlacementScore{device_ids, CoordsOfDevices(topology_, device_ids),
                        scorer.Breakdown(device_ids)};
}

Result<OracleReport> CompiledCandidate::Oracle(ComputeSource source) {
  AOIZORA_ASSIGN_OR_RETURN(const Q2Model* model, Model(source));
  const placement::PhysicalGrid grid = placement::GridOfTopology(topology_);
  AOIZORA_ASSIGN_OR_RETURN(placement::OracleResult oracle,
                           placement::ExhaustiveOracle(*model, grid));
  placement::SearchOptions options;
  options.top = 1;
  AOIZORA_ASSIGN_OR_RETURN(placement::SearchResult structured,
                           placement::SearchPlacements(*model, grid, options));
  OracleReport report;
  report.total_count = oracle.total_count;
  report.reduced_count = oracle.reduced_count;
  report.best_seconds = oracle.best_seconds;
  report.best_device_ids = oracle.best_device_ids;
  report.best_device_coords = CoordsOfDevices(topology_, oracle.best_device_ids);
  report.worst_seconds = oracle.worst_seconds;
  report.structured_best_seconds = structured.placements.front().seconds;
  report.structured_gap = report.structured_best_seconds / oracle.best_seconds - 1.0;
  return report;
}

Result<CompiledComputeProfile> CompiledCandidate::Profile(int64_t top, ComputeSource source) const {
  if (top < 0) return InvalidArgument("top must be >= 0, got " + std::to_string(top));
  CompiledComputeProfile out;
  out.topology = topology_.ToString();
  out.profile = placement::ProfileCompute(
      analysis_.program, placement::ComputeConstants::FromChip(topology_.chip(), source));
  out.num_ops = static_cast<int64_t>(out.profile.ops.size());
  if (out.num_ops > top) out.profile.ops.resize(static_cast<size_t>(top));
  out.source_used =
      out.profile.ops_with_estimate > 0 ? source : placement::ComputeSource::kRoofline;
  return out;
}

}  // namespace aoizora
