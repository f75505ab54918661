#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include <string>
#include <vector>

#include "aoizora/planner/candidate_search.h"
#include "aoizora/planner/precompiled_candidate.h"
#include "aoizora/topology/topology.h"
#include "bindings.h"
#include "candidate_bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {

namespace {

// q1_bound is PrecompiledCandidate(text, topology, filename).q1(compute).to_dict().
nb::dict Q1Dict(const std::string& precompile_text, const TopologyArg& topology,
                const std::string& filename, const std::string& compute) {
  const placement::ComputeSource source = ComputeSourceOf(compute);
  const PrecompiledCandidate candidate =
      MakePrecompiledCandidate(precompile_text, TopologyOf(topology), filename);
  return ToDict(nb::cast(ValueOrThrow(candidate.Q1(source))));
}

SearchOptions MakeSearchOptions(const std::string& mode, int64_t top_k, int64_t batch_size) {
  SearchOptions options;
  options.mode = ValueOrThrow(ParseSearchMode(mode));
  options.top_k = top_k;
  options.batch_size = batch_size;
  return options;
}

std::vector<std::string> StatusNames(const std::vector<CandidateStatus>& statuses) {
  std::vector<std::string> names;
  names.reserve(statuses.size());
  for (CandidateStatus s : statuses) names.emplace_back(CandidateStatusName(s));
  return names;
}

void BindSearchTypes(nb::module_& m) {
  nb::enum_<CandidateStatus>(m, "CandidateStatus",
                             "What the candidate search did with a candidate; str() gives the "
                             "text reports print")
      .value("PRUNED_MEMORY", CandidateStatus::kPrunedMemory,
             "cannot fit the chip's HBM (pre-compile lower bound)")
      .value("PRUNED_BOUND", CandidateStatus::kPrunedBound,
             "exact mode: Q1 no better than the best Q2 found")
      .value("OUTSIDE_TOP_K", CandidateStatus::kOutsideTopK,
             "top-K mode: not among the K candidates compiled")
      .value("COMPILED", CandidateStatus::kCompiled, "compiled and ranked")
      .value("FAILED", CandidateStatus::kFailed, "compile failed or did not fit after compile")
      .def("__str__", [](CandidateStatus s) { return std::string(CandidateStatusName(s)); })
      .def_prop_ro("text", [](CandidateStatus s) { return std::string(CandidateStatusName(s)); })
      .def_prop_ro(
          "pruned",
          [](CandidateStatus s) {
            return s == CandidateStatus::kPrunedMemory || s == CandidateStatus::kPrunedBound;
          },
          "skipped by a proof: memory or the bound")
      .def_prop_ro(
          "compiled",
          [](CandidateStatus s) {
            return s == CandidateStatus::kCompiled || s == CandidateStatus::kFailed;
          },
          "handed to the compiler (compiled or failed)");

  nb::class_<SearchOptions>(m, "SearchOptions")
      .def(
          "__init__",
          [](SearchOptions* self, const std::string& mode, int64_t top_k, int64_t batch_size) {
            new (self) SearchOptions(MakeSearchOptions(mode, top_k, batch_size));
          },
          nb::arg("mode") = "exact", nb::arg("top_k") = 4, nb::arg("batch_size") = 1)
      .def_prop_ro("mode",
                   [](const SearchOptions& o) { return std::string(SearchModeName(o.mode)); })
      .def_ro("top_k", &SearchOptions::top_k)
      .def_ro("batch_size", &SearchOptions::batch_size);
}

void BindSearchFunctions(nb::module_& m) {
  m.def(
      "compile_order",
      [](const std::vector<CandidateBound>& bounds, const SearchOptions& options) {
        return ValueOrThrow(CompileOrder(bounds, options));
      },
      nb::arg("bounds"), nb::arg("options"),
      "Indices of the candidates the search may compile, in the order it considers them: those "
      "that fit memory by priority (then Q1, then input order); top-K: each family's best "
      "first, cut to K.");
  m.def(
      "prunable",
      [](double q1_seconds, std::optional<double> incumbent_q2_seconds,
         const SearchOptions& options) {
        return Prunable(q1_seconds, incumbent_q2_seconds, options);
      },
      nb::arg("q1_seconds"), nb::arg("incumbent_q2_seconds").none(), nb::arg("options"),
      "Whether a candidate with this Q1 cannot beat the best Q2 compiled so far (None: none "
      "yet); exact mode only, top-K never prunes.");

  nb::class_<CandidateSearch>(
      m, "CandidateSearch",
      "The branch and bound as a state machine Python drives: next_batch() -> compile -> "
      "record(outcomes), until next_batch() is empty; no callback.")
      .def(
          "__init__",
          [](CandidateSearch* self, const std::vector<CandidateBound>& bounds,
             const SearchOptions& options) {
            new (self) CandidateSearch(ValueOrThrow(CandidateSearch::Create(bounds, options)));
          },
          nb::arg("bounds"), nb::arg("options"))
      .def(
          "next_batch", [](CandidateSearch& s) { return ValueOrThrow(s.NextBatch()); },
          "Up to batch_size candidate indices to compile next; [] when the search is done.")
      .def(
          "record",
          [](CandidateSearch& s, const std::vector<CompileOutcome>& outcomes) {
            OkOrThrow(s.Record(outcomes));
          },
          nb::arg("outcomes"), "One CompileOutcome per index of the last batch, same order.")
      .def_prop_ro("done", &CandidateSearch::done)
      .def_prop_ro("pending", [](const CandidateSearch& s) { return s.pending(); })
      .def(
          "status",
          [](const CandidateSearch& s, int64_t index) {
            if (index < 0 || index >= static_cast<int64_t>(s.candidates().size())) {
              throw nb::index_error(
                  ("candidate index " + std::to_string(index) + " out of range").c_str());
            }
            return s.result().status[static_cast<size_t>(index)];
          },
          nb::arg("index"))
      .def_prop_ro("statuses", [](const CandidateSearch& s) { return s.result().status; })
      .def(
          "result", [](const CandidateSearch& s) { return s.result(); },
          "The search so far (final once done) as a SearchResult.");
}

}  // namespace

void BindPlanner(nb::module_& m) {
  BindSearchTypes(m);
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
      .def_prop_ro(
          "status", [](const SearchResult& r) { return StatusNames(r.status); },
          "per candidate, the status text (str(CandidateStatus))")
      .def_prop_ro(
          "statuses", [](const SearchResult& r) { return r.status; },
          "per candidate, a CandidateStatus")
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
        const SearchOptions options = MakeSearchOptions(mode, top_k, batch_size);
        return ValueOrThrow(RunCandidateSearch(candidates, options, compile_batch));
      },
      nb::arg("candidates"), nb::arg("mode") = "exact", nb::arg("top_k") = 4,
      nb::arg("batch_size") = 1, nb::arg("compile_batch"),
      "Branch and bound over candidates: compile (via compile_batch(indices) -> [CompileOutcome])"
      " in increasing Q1 order until no remaining Q1 beats the best Q2. The same loop as "
      "CandidateSearch driven by a callback.");
  BindSearchFunctions(m);
}

}  // namespace aoizora::bindings
