#pragma once
// The one nanobind module aoizora._core. Each pipeline stage contributes one Bind<Stage>
// function in its own <stage>_bindings.cc so stages can evolve independently.

#include <nanobind/nanobind.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "aoizora/placement/compute_model.h"
#include "aoizora/topology/topology.h"
#include "aoizora/util/result.h"

namespace aoizora::bindings {

// Raised in Python for a core Error: ValueError for bad input, RuntimeError otherwise. The CLI
// maps ValueError to exit code 2.
[[noreturn]] void ThrowError(const Error& error);

template <typename T>
T ValueOrThrow(Result<T> result) {
  if (!result.ok()) ThrowError(result.error());
  return std::move(result).value();
}

inline void OkOrThrow(const Status& status) {
  if (!status.ok()) ThrowError(status.error());
}

// A slice as every binding takes it: a bound Topology (used as is, no parse) or a slice spec
// string such as "v5e:2x4" (parsed; ValueError names the bad part).
using TopologyArg = std::variant<std::string, Topology>;
Topology TopologyOf(const TopologyArg& topology);

placement::ComputeSource ComputeSourceOf(const std::string& compute);

// How many HLO modules the bindings parsed since the module was loaded, compiled (partitioned)
// and pre-compile (lowered) separately: a diagnostic a test reads to check that a plan parses
// each compiled module once (the process-wide counter is the one piece of mutable state in the
// module; atomic, so threads may parse concurrently).
enum class HloKind { kCompiled, kPrecompile };
void CountHloParse(HloKind kind);
int64_t HloParseCount(HloKind kind);

void BindTopology(nanobind::module_& m);
void BindHlo(nanobind::module_& m);
void BindProgram(nanobind::module_& m);
void BindComm(nanobind::module_& m);
void BindPlacement(nanobind::module_& m);
void BindSim(nanobind::module_& m);
void BindPlanner(nanobind::module_& m);
void BindCandidates(nanobind::module_& m);

}  // namespace aoizora::bindings
