#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <array>
#include <atomic>
#include <string>

#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {

void ThrowError(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParseError:
    case ErrorCode::kNotFound:
      throw nb::value_error(error.message().c_str());
    default:
      throw std::runtime_error(error.ToString());
  }
}

Topology TopologyOf(const TopologyArg& topology) {
  if (const Topology* t = std::get_if<Topology>(&topology)) return *t;
  return ValueOrThrow(ParseSliceSpec(std::get<std::string>(topology)));
}

placement::ComputeSource ComputeSourceOf(const std::string& compute) {
  return ValueOrThrow(placement::ParseComputeSource(compute));
}

namespace {

std::array<std::atomic<int64_t>, 2> hlo_parse_counts{};

}  // namespace

void CountHloParse(HloKind kind) { ++hlo_parse_counts[static_cast<size_t>(kind)]; }

int64_t HloParseCount(HloKind kind) { return hlo_parse_counts[static_cast<size_t>(kind)].load(); }

}  // namespace aoizora::bindings

NB_MODULE(_core, m) {
  m.doc() = "AoiZora C++ core: HLO analysis, topology and communication model, placement search";
  m.attr("__version__") = AOIZORA_VERSION;
  using namespace aoizora::bindings;
  BindTopology(m);
  BindHlo(m);
  BindProgram(m);
  BindComm(m);
  BindPlacement(m);
  BindSim(m);
  BindPlanner(m);
  BindCandidates(m);
  m.def(
      "hlo_parse_count",
      [](const std::string& kind) {
        if (kind == "compiled") return HloParseCount(HloKind::kCompiled);
        if (kind == "precompile") return HloParseCount(HloKind::kPrecompile);
        throw nanobind::value_error(
            ("unknown HLO kind '" + kind + "'; use compiled or precompile").c_str());
      },
      nanobind::arg("kind") = "compiled",
      "HLO modules parsed by this process's bindings since import: 'compiled' (partitioned "
      "modules: CompiledCandidate and every function taking compiled HLO text) or 'precompile' "
      "(lowered modules: PrecompiledCandidate, q1_bound, analyze_precompile_hlo).");
}
