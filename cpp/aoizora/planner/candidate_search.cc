#include "aoizora/planner/candidate_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace aoizora {
namespace {

Status ValidateInputs(const std::vector<CandidateBound>& candidates, const SearchOptions& options) {
  if (options.top_k < 1) {
    return InvalidArgument("top_k must be >= 1, got " + std::to_string(options.top_k));
  }
  if (options.batch_size < 1) {
    return InvalidArgument("batch_size must be >= 1, got " + std::to_string(options.batch_size));
  }
  for (const CandidateBound& c : candidates) {
    if (!std::isfinite(c.priority_seconds)) {
      return InvalidArgument("candidate '" + c.label + "' has an invalid priority " +
                             std::to_string(c.priority_seconds));
    }
    if (!std::isfinite(c.q1_seconds) || c.q1_seconds < 0.0) {
      return InvalidArgument("candidate '" + c.label + "' has an invalid Q1 bound " +
                             std::to_string(c.q1_seconds));
    }
  }
  return OkStatus();
}

double Priority(const CandidateBound& c) {
  return c.priority_seconds < 0.0 ? c.q1_seconds : c.priority_seconds;
}

// Indices of the candidates that fit memory, by increasing priority, then Q1, then input order.
std::vector<int64_t> FittingByPriority(const std::vector<CandidateBound>& candidates) {
  std::vector<int64_t> order;
  for (int64_t i = 0; i < static_cast<int64_t>(candidates.size()); ++i) {
    if (candidates[i].fits_memory) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    if (Priority(candidates[a]) != Priority(candidates[b])) {
      return Priority(candidates[a]) < Priority(candidates[b]);
    }
    return candidates[a].q1_seconds < candidates[b].q1_seconds;
  });
  return order;
}

// Top-K's compile list: the first (best-priority) member of each family in priority order, then
// the rest in priority order, cut to k. A candidate without a family is a family of its own.
std::vector<int64_t> TopKOrder(const std::vector<CandidateBound>& candidates,
                               const std::vector<int64_t>& order, size_t k) {
  std::vector<int64_t> leaders, others;
  std::set<std::string> seen;
  for (int64_t index : order) {
    const std::string& family = candidates[index].family;
    const bool leads = family.empty() || seen.insert(family).second;
    (leads ? leaders : others).push_back(index);
  }
  leaders.insert(leaders.end(), others.begin(), others.end());
  leaders.resize(std::min(leaders.size(), k));
  return leaders;
}

}  // namespace

std::string_view CandidateStatusName(CandidateStatus status) {
  switch (status) {
    case CandidateStatus::kPrunedMemory:
      return "pruned: does not fit memory";
    case CandidateStatus::kPrunedBound:
      return "pruned: bound";
    case CandidateStatus::kOutsideTopK:
      return "not compiled: outside top-K";
    case CandidateStatus::kCompiled:
      return "compiled";
    case CandidateStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

Result<SearchResult> RunCandidateSearch(const std::vector<CandidateBound>& candidates,
                                        const SearchOptions& options,
                                        const CompileBatchFn& compile_batch) {
  AOIZORA_RETURN_IF_ERROR(ValidateInputs(candidates, options));
  SearchResult result;
  result.status.assign(candidates.size(), options.mode == SearchMode::kTopK
                                              ? CandidateStatus::kOutsideTopK
                                              : CandidateStatus::kPrunedBound);
  result.outcomes.assign(candidates.size(), CompileOutcome{});
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!candidates[i].fits_memory) {
      result.status[i] = CandidateStatus::kPrunedMemory;
      ++result.num_pruned_memory;
    }
  }

  std::vector<int64_t> order = FittingByPriority(candidates);
  if (options.mode == SearchMode::kTopK) {
    order = TopKOrder(candidates, order, static_cast<size_t>(options.top_k));
  }
  const size_t limit = order.size();
  auto cannot_win = [&](int64_t index) {
    return options.mode == SearchMode::kExact && result.best.has_value() &&
           candidates[index].q1_seconds >= result.best_q2_seconds;
  };
  size_t next = 0;
  while (next < limit) {
    std::vector<int64_t> batch;
    while (next < limit && static_cast<int64_t>(batch.size()) < options.batch_size) {
      const int64_t index = order[next++];
      if (!cannot_win(index)) batch.push_back(index);
    }
    if (batch.empty()) break;
    std::vector<CompileOutcome> outcomes = compile_batch(batch);
    if (outcomes.size() != batch.size()) {
      return Internal("compile callback returned " + std::to_string(outcomes.size()) +
                      " outcomes for " + std::to_string(batch.size()) + " candidates");
    }
    for (size_t j = 0; j < batch.size(); ++j) {
      const int64_t index = batch[j];
      result.compile_order.push_back(index);
      result.outcomes[index] = outcomes[j];
      if (!outcomes[j].ok) {
        result.status[index] = CandidateStatus::kFailed;
        ++result.num_failed;
        continue;
      }
      if (!std::isfinite(outcomes[j].best_q2_seconds) || outcomes[j].best_q2_seconds < 0.0) {
        return Internal("compile callback returned an invalid Q2 " +
                        std::to_string(outcomes[j].best_q2_seconds) + " for candidate '" +
                        candidates[index].label + "'");
      }
      result.status[index] = CandidateStatus::kCompiled;
      ++result.num_compiled;
      if (!result.best.has_value() || outcomes[j].best_q2_seconds < result.best_q2_seconds) {
        result.best = index;
        result.best_q2_seconds = outcomes[j].best_q2_seconds;
      }
    }
  }
  result.num_pruned_bound = static_cast<int64_t>(candidates.size()) - result.num_compiled -
                            result.num_failed - result.num_pruned_memory;
  return result;
}

}  // namespace aoizora
