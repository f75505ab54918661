#include "aoizora/planner/candidate_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace aoizora {
namespace {

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

Result<SearchMode> ParseSearchMode(std::string_view name) {
  if (name == "exact") return SearchMode::kExact;
  if (name == "topk") return SearchMode::kTopK;
  return InvalidArgument("unknown search mode '" + std::string(name) + "'; use exact or topk");
}

std::string_view SearchModeName(SearchMode mode) {
  return mode == SearchMode::kExact ? "exact" : "topk";
}

Status ValidateSearchInputs(const std::vector<CandidateBound>& candidates,
                            const SearchOptions& options) {
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

Result<std::vector<int64_t>> CompileOrder(const std::vector<CandidateBound>& candidates,
                                          const SearchOptions& options) {
  AOIZORA_RETURN_IF_ERROR(ValidateSearchInputs(candidates, options));
  std::vector<int64_t> order = FittingByPriority(candidates);
  if (options.mode == SearchMode::kTopK) {
    order = TopKOrder(candidates, order, static_cast<size_t>(options.top_k));
  }
  return order;
}

bool Prunable(double q1_seconds, std::optional<double> incumbent_q2_seconds,
              const SearchOptions& options) {
  return options.mode == SearchMode::kExact && incumbent_q2_seconds.has_value() &&
         q1_seconds >= *incumbent_q2_seconds;
}

CandidateSearch::CandidateSearch(std::vector<CandidateBound> candidates,
                                 const SearchOptions& options, std::vector<int64_t> order)
    : candidates_(std::move(candidates)), options_(options), order_(std::move(order)) {
  const size_t n = candidates_.size();
  result_.status.assign(n, options_.mode == SearchMode::kTopK ? CandidateStatus::kOutsideTopK
                                                              : CandidateStatus::kPrunedBound);
  result_.outcomes.assign(n, CompileOutcome{});
  for (size_t i = 0; i < n; ++i) {
    if (!candidates_[i].fits_memory) {
      result_.status[i] = CandidateStatus::kPrunedMemory;
      ++result_.num_pruned_memory;
    }
  }
  result_.num_pruned_bound = static_cast<int64_t>(n) - result_.num_pruned_memory;
}

Result<CandidateSearch> CandidateSearch::Create(std::vector<CandidateBound> candidates,
                                                const SearchOptions& options) {
  AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> order, CompileOrder(candidates, options));
  return CandidateSearch(std::move(candidates), options, std::move(order));
}

Result<std::vector<int64_t>> CandidateSearch::NextBatch() {
  if (!pending_.empty()) {
    return Internal("record the outcomes of the last batch (" + std::to_string(pending_.size()) +
                    " candidates) before asking for the next");
  }
  std::optional<double> incumbent;
  if (result_.best.has_value()) incumbent = result_.best_q2_seconds;
  while (next_ < order_.size() && static_cast<int64_t>(pending_.size()) < options_.batch_size) {
    const int64_t index = order_[next_++];
    if (!Prunable(candidates_[index].q1_seconds, incumbent, options_)) pending_.push_back(index);
  }
  done_ = pending_.empty();
  return pending_;
}

Status CandidateSearch::Record(const std::vector<CompileOutcome>& outcomes) {
  if (pending_.empty()) return Internal("no batch is waiting for outcomes");
  if (outcomes.size() != pending_.size()) {
    return InvalidArgument("got " + std::to_string(outcomes.size()) + " outcomes for a batch of " +
                           std::to_string(pending_.size()) + " candidates");
  }
  for (size_t j = 0; j < outcomes.size(); ++j) {
    const double q2 = outcomes[j].best_q2_seconds;
    if (outcomes[j].ok && (!std::isfinite(q2) || q2 < 0.0)) {
      return InvalidArgument("compile outcome has an invalid Q2 " + std::to_string(q2) +
                             " for candidate '" + candidates_[pending_[j]].label + "'");
    }
  }
  for (size_t j = 0; j < outcomes.size(); ++j) {
    const int64_t index = pending_[j];
    const CompileOutcome& outcome = outcomes[j];
    result_.compile_order.push_back(index);
    result_.outcomes[index] = outcome;
    --result_.num_pruned_bound;
    if (!outcome.ok) {
      result_.status[index] = CandidateStatus::kFailed;
      ++result_.num_failed;
      continue;
    }
    result_.status[index] = CandidateStatus::kCompiled;
    ++result_.num_compiled;
    if (!result_.best.has_value() || outcome.best_q2_seconds < result_.best_q2_seconds) {
      result_.best = index;
      result_.best_q2_seconds = outcome.best_q2_seconds;
    }
  }
  pending_.clear();
  return OkStatus();
}

Result<SearchResult> RunCandidateSearch(const std::vector<CandidateBound>& candidates,
                                        const SearchOptions& options,
                                        const CompileBatchFn& compile_batch) {
  AOIZORA_ASSIGN_OR_RETURN(CandidateSearch search, CandidateSearch::Create(candidates, options));
  while (true) {
    AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> batch, search.NextBatch());
    if (batch.empty()) break;
    const std::vector<CompileOutcome> outcomes = compile_batch(batch);
    if (outcomes.size() != batch.size()) {
      return Internal("compile callback returned " + std::to_string(outcomes.size()) +
                      " outcomes for " + std::to_string(batch.size()) + " candidates");
    }
    const Status recorded = search.Record(outcomes);
    if (!recorded.ok()) return Internal(recorded.error().message());
  }
  return search.result();
}

}  // namespace aoizora
