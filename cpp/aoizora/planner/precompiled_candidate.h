#pragma once
// A sharding candidate before compilation: its lowered (pre-compile) HLO module parsed and
// analyzed once for a slice, so Q1 under any compute source costs no second parse.

#include <string_view>

#include "aoizora/placement/compute_model.h"
#include "aoizora/planner/q1_bound.h"
#include "aoizora/program/precompile_analysis.h"
#include "aoizora/topology/topology.h"
#include "aoizora/util/result.h"

namespace aoizora {

class PrecompiledCandidate {
 public:
  // Parses, verifies and analyzes the module. Errors: the parse or verifier diagnostic
  // (file:line:col), or a module whose mesh has another device count than the slice.
  static Result<PrecompiledCandidate> Create(std::string_view text, std::string_view filename,
                                             const Topology& topology);

  const Topology& topology() const { return topology_; }
  const PrecompileAnalysis& analysis() const { return analysis_; }

  // Q1 and the memory verdict (q1_bound.h) for the compute source of the Q2 it bounds.
  Result<Q1Bound> Q1(placement::ComputeSource source) const;

 private:
  PrecompiledCandidate(Topology topology, PrecompileAnalysis analysis)
      : topology_(std::move(topology)), analysis_(std::move(analysis)) {}

  Topology topology_;
  PrecompileAnalysis analysis_;
};

}  // namespace aoizora
