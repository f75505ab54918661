#pragma once
// Branch and bound over sharding candidates (architecture.md, stages 1-2).
//
// Each candidate arrives with Q1, a pre-compile lower bound of its best predicted step latency
// (Q2 over all placements), a priority (an estimate of Q2 used only to order compiles; Q1 when
// not given) and a memory verdict. The search compiles candidates in increasing priority order;
// in exact mode it skips every candidate whose Q1 is no better than the best Q2 found, so every
// skipped candidate is provably no better (as far as Q1 <= Q2 holds; the planner's benchmark
// measures how often it does). With priority = Q1 this is classic branch and bound: it stops at
// the first candidate whose bound cannot win. Top-K mode compiles K candidates: the best priority
// of each family first (a family shares its parallel degrees and differs only in how weights are
// sharded, which moves little beside the attention layout the degrees fix), then, when there are
// fewer than K families, the next best priorities. Without families it is the K best priorities.
//
// Compiling is done by the caller (the Python compiler adapter), which drives a CandidateSearch:
// it asks for the next batch, compiles it (in parallel on several cores), records the outcomes,
// and repeats until the batch is empty. The decisions (the order, what is pruned, the statuses,
// the best) stay here as pure functions of the bounds and the recorded outcomes; nothing calls
// back across the language boundary. A batch can contain a candidate that a finished batch-mate
// would have pruned; that costs time, never correctness. RunCandidateSearch runs the same loop
// with a callback (C++ tests, and Python until it drives the loop itself).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aoizora/util/result.h"

namespace aoizora {

struct CandidateBound {
  std::string label;
  double q1_seconds = 0.0;         // lower bound of min over placements of Q2
  double priority_seconds = -1.0;  // compile order key; negative: use q1_seconds
  bool fits_memory = true;         // pre-compile memory lower bound <= chip HBM
  std::string memory_reason;       // why it cannot fit, when it does not
  std::string family;              // top-K diversity key (e.g. the degrees); empty: its own
};

// What compiling and ranking one candidate produced.
struct CompileOutcome {
  bool ok = false;
  std::string failure_reason;    // compile error, timeout, or out of HBM after compile
  double best_q2_seconds = 0.0;  // best placement's predicted step latency, when ok
};

enum class SearchMode { kExact, kTopK };

struct SearchOptions {
  SearchMode mode = SearchMode::kExact;
  int64_t top_k = 4;       // kTopK: how many candidates to compile
  int64_t batch_size = 1;  // candidates handed to one CompileBatch call (parallel compiles)
};

enum class CandidateStatus {
  kPrunedMemory,  // cannot fit the chip's HBM (pre-compile lower bound)
  kPrunedBound,   // exact mode: Q1 no better than the best Q2 found
  kOutsideTopK,   // top-K mode: not among the K best priorities
  kCompiled,      // compiled and ranked
  kFailed,        // compile failed or did not fit after compile
};

std::string_view CandidateStatusName(CandidateStatus status);
// "exact" | "topk"; the error names the bad value.
Result<SearchMode> ParseSearchMode(std::string_view name);
std::string_view SearchModeName(SearchMode mode);

struct SearchResult {
  std::optional<int64_t> best;  // index into the input candidates
  double best_q2_seconds = 0.0;
  std::vector<CandidateStatus> status;   // per input candidate
  std::vector<CompileOutcome> outcomes;  // per input candidate (meaningful when compiled/failed)
  std::vector<int64_t> compile_order;    // indices, in the order they were handed to the compiler
  int64_t num_compiled = 0;
  int64_t num_failed = 0;
  int64_t num_pruned_memory = 0;
  int64_t num_pruned_bound = 0;
};

// Errors: a bad option (top_k or batch_size < 1), or a NaN/negative Q1 or a non-finite priority
// (names the candidate).
Status ValidateSearchInputs(const std::vector<CandidateBound>& candidates,
                            const SearchOptions& options);

// The candidates the search may compile, in the order it considers them: those that fit memory by
// increasing priority (then Q1, then input order); in top-K mode the best of each family first,
// then the rest, cut to K. Errors as ValidateSearchInputs.
Result<std::vector<int64_t>> CompileOrder(const std::vector<CandidateBound>& candidates,
                                          const SearchOptions& options);

// Whether a candidate with this Q1 can be skipped given the best Q2 compiled so far (none yet:
// nullopt): in exact mode when Q1 is no better than it (Q1 <= Q2 for every placement, so it
// cannot win); never in top-K mode, which compiles its K whatever they score.
bool Prunable(double q1_seconds, std::optional<double> incumbent_q2_seconds,
              const SearchOptions& options);

// The branch and bound as a state machine the caller drives:
//   CandidateSearch search = CandidateSearch::Create(bounds, options).value();
//   for (auto batch = search.NextBatch(); !batch->empty(); batch = search.NextBatch())
//     search.Record(Compile(*batch));
//   search.result();  // statuses, best, compile order, counts
class CandidateSearch {
 public:
  // Errors as ValidateSearchInputs.
  static Result<CandidateSearch> Create(std::vector<CandidateBound> candidates,
                                        const SearchOptions& options);

  // The next candidates to compile: up to batch_size not yet handed out, in CompileOrder, the
  // prunable ones skipped (they keep the status kPrunedBound). Empty when the search is done.
  // Error: the previous batch's outcomes were not recorded.
  Result<std::vector<int64_t>> NextBatch();
  // The outcomes of the batch NextBatch returned last, in its order. Errors: no batch waiting,
  // the wrong number of outcomes, an ok outcome with a negative or non-finite Q2 (names the
  // candidate); on error nothing is recorded.
  Status Record(const std::vector<CompileOutcome>& outcomes);

  bool done() const { return done_; }
  // Indices handed out and not recorded yet.
  const std::vector<int64_t>& pending() const { return pending_; }
  const std::vector<CandidateBound>& candidates() const { return candidates_; }
  const SearchOptions& options() const { return options_; }
  // The state so far; final once done(). A candidate not compiled yet reads kPrunedBound (exact)
  // or kOutsideTopK (top-K) until it is.
  const SearchResult& result() const { return result_; }

 private:
  CandidateSearch(std::vector<CandidateBound> candidates, const SearchOptions& options,
                  std::vector<int64_t> order);

  std::vector<CandidateBound> candidates_;
  SearchOptions options_;
  std::vector<int64_t> order_;  // CompileOrder
  size_t next_ = 0;             // first entry of order_ not handed out
  std::vector<int64_t> pending_;
  bool done_ = false;
  SearchResult result_;
};

// Compiles and ranks the given candidate indices; returns one outcome per index, same order.
using CompileBatchFn = std::function<std::vector<CompileOutcome>(const std::vector<int64_t>&)>;

// Drives a CandidateSearch with a callback. Errors: those of CandidateSearch, e.g. a callback that
// returns the wrong number of outcomes.
Result<SearchResult> RunCandidateSearch(const std::vector<CandidateBound>& candidates,
                                        const SearchOptions& options,
                                        const CompileBatchFn& compile_batch);

}  // namespace aoizora
