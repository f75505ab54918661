#include "aoizora/planner/precompiled_candidate.h"

#include <string>
#include <utility>

namespace aoizora {

Result<PrecompiledCandidate> PrecompiledCandidate::Create(std::string_view text,
                                                          std::string_view filename,
                                                          const Topology& topology) {
  AOIZORA_ASSIGN_OR_RETURN(PrecompileAnalysis analysis, AnalyzePrecompileText(text, filename));
  if (analysis.num_devices != topology.num_devices()) {
    return InvalidArgument("the module runs on " + std::to_string(analysis.num_devices) +
                           " devices but " + topology.ToString() + " has " +
                           std::to_string(topology.num_devices()));
  }
  return PrecompiledCandidate(topology, std::move(analysis));
}

Result<Q1Bound> PrecompiledCandidate::Q1(placement::ComputeSource source) const {
  return ComputeQ1(analysis_, topology_.chip(), source);
}

}  // namespace aoizora
