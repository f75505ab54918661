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
// Compiling is done by the caller (the Python compiler adapter) through a batch callback, so the
// caller can compile a batch in parallel on several cores. A batch can contain a candidate that a
// finished batch-mate would have pruned; that costs time, never correctness.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
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

// Compiles and ranks the given candidate indices; returns one outcome per index, same order.
using CompileBatchFn = std::function<std::vector<CompileOutcome>(const std::vector<int64_t>&)>;

// Errors: a bad option (top_k or batch_size < 1), a NaN/negative Q1 (names the candidate), or a
// callback that returns the wrong number of outcomes.
Result<SearchResult> RunCandidateSearch(const std::vector<CandidateBound>& candidates,
                                        const SearchOptions& options,
                                        const CompileBatchFn& compile_batch);

}  // namespace aoizora
