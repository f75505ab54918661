#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "aoizora/planner/candidate_search.h"
#include "aoizora/planner/q1_bound.h"
#include "aoizora/program/precompile_analysis.h"
#include "aoizora/topology/topology.h"
#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {

namespace {

nb::dict Q1Dict(const std::string& precompile_text, const std::string& spec,
                const std::string& filename, const std::string& compute) {
  const placement::ComputeSource source = ValueOrThrow(placement::ParseComputeSource(compute));
  const Topology topology = ValueOrThrow(ParseSliceSpec(spec));
  const PrecompileAnalysis analysis =
      ValueOrThrow(AnalyzePrecompileText(precompile_text, filename));
  if (analysis.num_devices != topology.num_devices()) {
    throw nb::value_error(("the module runs on " + std::to_string(analysis.num_devices) +
                           " devices but " + spec + " has " +
                           std::to_string(topology.num_devices()))
                              .c_str());
  }
  const Q1Bound q1 = ValueOrThrow(ComputeQ1(analysis, topology.chip(), source));
  nb::dict d;
  d["seconds"] = q1.seconds;
  d["compute_seconds"] = q1.compute_seconds;
  d["comm_seconds"] = q1.comm_seconds;
  d["estimate_seconds"] = q1.estimate_seconds;
  nb::dict by_kind;
  for (const auto& [kind, seconds] : q1.comm_seconds_by_kind) by_kind[kind.c_str()] = seconds;
  d["comm_seconds_by_kind"] = by_kind;
  d["parameter_bytes_per_device"] = q1.parameter_bytes_per_device;
  d["hbm_bytes"] = q1.hbm_bytes;
  d["fits_memory"] = q1.fits_memory;
  d["memory_reason"] = q1.memory_reason;
  d["flops_per_device"] = analysis.flops_per_device;
  d["alpha_beta_seconds"] = TopologyBlindSeconds(analysis, topology.chip());
  d["num_collectives"] = analysis.collectives.size();
  d["warnings"] = analysis.warnings;
  return d;
}

}  // namespace

void BindPlanner(nb::module_& m) {
  m.def("q1_bound", &Q1Dict, nb::arg("precompile_text"), nb::arg("topology"),
        nb::arg("filename") = "<string>", nb::arg("compute") = "compiler",
        "Q1: pre-compile lower bound of the best predicted step latency (model prediction) and "
        "the memory verdict, from lowered HLO text.");
  nb::class_<CandidateBound>(m, "CandidateBound")
      .def(nb::init<>())
      .def(
          "__init__",
          [](CandidateBound* self, std::string label, double q1_seconds, bool fits_memory,
             std::string memory_reason, double priority_seconds, std::string family) {
            new (self) CandidateBound{std::move(label),         q1_seconds,
                                      priority_seconds,         fits_memory,
                                      std::move(memory_reason), std::move(family)};
          },
          nb::arg("label"), nb::arg("q1_seconds"), nb::arg("fits_memory") = true,
          nb::arg("memory_reason") = "", nb::arg("priority_seconds") = -1.0, nb::arg("family") = "")
      .def_rw("label", &CandidateBound::label)
      .def_rw("q1_seconds", &CandidateBound::q1_seconds)
      .def_rw("priority_seconds", &CandidateBound::priority_seconds)
      .def_rw("fits_memory", &CandidateBound::fits_memory)
      .def_rw("memory_reason", &CandidateBound::memory_reason)
      .def_rw("family", &CandidateBound::family);

  nb::class_<CompileOutcome>(m, "CompileOutcome")
      .def(
          "__init__",
          [](CompileOutcome* self, bool ok, double best_q2_seconds, std::string failure_reason) {
            new (self) CompileOutcome{ok, std::move(failure_reason), best_q2_seconds};
          },
          nb::arg("ok"), nb::arg("best_q2_seconds") = 0.0, nb::arg("failure_reason") = "")
      .def_rw("ok", &CompileOutcome::ok)
      .def_rw("failure_reason", &CompileOutcome::failure_reason)
      .def_rw("best_q2_seconds", &CompileOutcome::best_q2_seconds);

  nb::class_<SearchResult>(m, "SearchResult")
      .def_ro("best", &SearchResult::best)
      .def_ro("best_q2_seconds", &SearchResult::best_q2_seconds)
      .def_prop_ro("status",
                   [](const SearchResult& r) {
                     std::vector<std::string> names;
                     for (CandidateStatus s : r.status) {
                       names.emplace_back(CandidateStatusName(s));
                     }
                     return names;
                   })
      .def_ro("outcomes", &SearchResult::outcomes)
      .def_ro("compile_order", &SearchResult::compile_order)
      .def_ro("num_compiled", &SearchResult::num_compiled)
      .def_ro("num_failed", &SearchResult::num_failed)
      .def_ro("num_pruned_memory", &SearchResult::num_pruned_memory)
      .def_ro("num_pruned_bound", &SearchResult::num_pruned_bound);

  m.def(
      "run_candidate_search",
      [](const std::vector<CandidateBound>& candidates, const std::string& mode, int64_t top_k,
         int64_t batch_size, const CompileBatchFn& compile_batch) {
        SearchOptions options;
        if (mode == "exact") {
          options.mode = SearchMode::kExact;
        } else if (mode == "topk") {
          options.mode = SearchMode::kTopK;
        } else {
          throw nb::value_error(("unknown search mode '" + mode + "'; use exact or topk").c_str());
        }
        options.top_k = top_k;
        options.batch_size = batch_size;
        return ValueOrThrow(RunCandidateSearch(candidates, options, compile_batch));
      },
      nb::arg("candidates"), nb::arg("mode") = "exact", nb::arg("top_k") = 4,
      nb::arg("batch_size") = 1, nb::arg("compile_batch"),
      "Branch and bound over candidates: compile (via compile_batch(indices) -> [CompileOutcome])"
      " in increasing Q1 order until no remaining Q1 beats the best Q2.");
}

}  // namespace aoizora::bindings
