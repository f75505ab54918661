#pragma once
// Shared by the bindings whose free functions wrap the candidate classes (candidate_bindings.cc).

#include <nanobind/nanobind.h>

#include <optional>
#include <string>
#include <vector>

#include "aoizora/placement/compute_model.h"
#include "aoizora/planner/compiled_candidate.h"
#include "aoizora/planner/precompiled_candidate.h"
#include "bindings.h"

namespace aoizora::bindings {

// Parse (counted by HloParseCount) and analyze; errors raise ValueError/RuntimeError.
PrecompiledCandidate MakePrecompiledCandidate(const std::string& text, const TopologyArg& topology,
                                              const std::string& filename);
CompiledCandidate MakeCompiledCandidate(
    const std::string& hlo_text, const Topology& topology,
    std::optional<std::vector<int64_t>> mesh_shape, std::vector<std::string> axis_names,
    const std::string& filename,
    placement::ComputeSource first_source = placement::ComputeSource::kCompiler);

// result.to_dict() of a bound result struct.
nanobind::dict ToDict(nanobind::handle result);

}  // namespace aoizora::bindings
