#pragma once
// A pre-compile (lowered, not yet partitioned) HLO module -> the inputs of the pruning bound Q1:
// per-device FLOPs of dots and convolutions under their sharding annotations, per-device
// parameter bytes, the explicit collectives of manual (shard_map) regions, and the resharding the
// annotations imply (a sharding constraint that changes a tensor's sharding; a dot whose
// contracting dim is sharded, leaving partial sums), each as a Collective the bound can cost on
// ideal links.
//
// Shardings are read from the Shardy attributes JAX emits (`xla.sdy.sharding`, mesh in the
// module's `xla.sdy.meshes`), which name mesh axes, and propagated through elementwise ops,
// broadcast, transpose, same-shape reshape, dot and call. This is far simpler than XLA's own
// propagation: an unannotated tensor it cannot follow counts as replicated, so the per-device
// FLOPs of its dots are an upper estimate; `flops_global / num_devices` is the always-valid lower
// bound and is reported too (docs/hlo-analysis.md).

#include <string>
#include <string_view>
#include <vector>

#include "aoizora/comm/collective.h"
#include "aoizora/hlo/mesh_axis.h"
#include "aoizora/program/compiled_analysis.h"
#include "aoizora/program/step_program.h"
#include "aoizora/util/result.h"

namespace aoizora {

struct PrecompileMatmul {
  std::string name;
  double flops_global = 0.0;
  double flops_per_device = 0.0;
  int64_t shards = 1;  // product of the distinct mesh axes the operands are split over
  double count = 1.0;  // runs per module execution (enclosing loop trip counts)
  // One run's matmul shape as printed (per device inside manual regions, global otherwise).
  MatmulDims dims;
};

struct PrecompileCollective {
  std::string source;  // instruction name
  // "explicit" (manual region), "partial-sum" (dot with sharded contracting dim),
  // "constraint" (sharding constraint changes the sharding)
  std::string reason;
  Collective collective;
  double count = 1.0;
};

struct PrecompileAnalysis {
  std::string module_name;
  std::vector<hlo::MeshAxis> mesh;
  int64_t num_devices = 1;
  double flops_global = 0.0;      // dots + convolutions + custom kernels, unpartitioned
  double flops_per_device = 0.0;  // the same under the annotations
  // The custom kernels' part (Pallas calls' declared cost_estimate), per device like dots: their
  // operands' sharding divides it; inside manual regions it is already per device.
  double kernel_flops_per_device = 0.0;
  double parameter_bytes_global = 0.0;
  double parameter_bytes_per_device = 0.0;
  std::vector<PrecompileMatmul> matmuls;
  std::vector<PrecompileCollective> collectives;
  std::vector<std::string> warnings;
};

// The module is verified first (hlo/verifier.h; strict unless `options` say lenient), with the
// mesh's device count standing in for num_partitions when the header has fewer (lowered modules
// print none).
Result<PrecompileAnalysis> AnalyzePrecompileText(std::string_view text,
                                                 std::string_view filename = "<string>",
                                                 const AnalysisOptions& options = {});

// `#sdy.sharding<@mesh, [{"x"}, {}, {"y","z"}]>` (or the first value of sharding_per_value) ->
// the axes of each tensor dim. Exposed for tests.
Result<std::vector<std::vector<std::string>>> ParseSdyDimAxes(std::string_view text);

}  // namespace aoizora
