#pragma once
// Placement search (architecture.md stage 3): score the symmetry-reduced structured space
// exhaustively when it is small enough; beyond that limit, score the enumerated part and improve
// the best structured placement with a local search over all permutations (swaps of the chips of
// two logical devices, segment reversals and insertions; first improvement; perturbation
// restarts). Every score is a Q2 model prediction.

#include <cstdint>
#include <string>
#include <vector>

#include "aoizora/placement/placement_space.h"
#include "aoizora/placement/q2_model.h"
#include "aoizora/util/result.h"

namespace aoizora::placement {

struct RankedPlacement {
  double seconds = 0.0;
  DeviceIds device_ids;      // logical id -> physical device id
  std::string description;   // structure of the placement, or how the search found it
  int64_t space_index = -1;  // class index in the structured space; -1 if found by local search
};

struct SearchOptions {
  int64_t top = 10;                   // placements to return, best first
  int64_t exhaustive_limit = 200000;  // score at most this many structured classes
  // Local search after the structured ranking: always when the space was truncated at the limit;
  // otherwise only if `always_local_search`.
  bool always_local_search = false;
  int64_t local_search_evaluations = 20000;  // placements scored by the local search, in total
  int64_t local_search_restarts = 4;         // perturb-and-descend rounds after the first descent
  uint64_t seed = 1;
};

struct SearchResult {
  std::vector<RankedPlacement> placements;  // best first, at most `top`
  std::vector<double> all_seconds;          // every scored structured class, ascending
  int64_t structured_count = 0;             // space counts (see PlacementSpace)
  int64_t distinct_count = 0;
  int64_t reduced_count = 0;
  bool truncated = false;
  int64_t local_search_evaluations = 0;
  bool local_search_improved = false;

  // 1 + the number of scored structured placements strictly faster than `seconds` (relative
  // tolerance 1e-9, so a placement equal to the best ranks 1).
  int64_t RankOf(double seconds) const;
};

// Enumerates the space of `grid` for the model's mesh and ranks it. Errors name the bad value.
Result<SearchResult> SearchPlacements(const Q2Model& model, const PhysicalGrid& grid,
                                      const SearchOptions& options = {});

// Scores every class of `space`; returns (seconds, class index) ascending.
std::vector<std::pair<double, int64_t>> ScoreSpace(const Q2Model& model,
                                                   const PlacementSpace& space);

struct LocalSearchResult {
  double seconds = 0.0;
  DeviceIds device_ids;
  int64_t evaluations = 0;
};

// Descent over swap / reverse / insert moves with perturbation restarts from `start`; scores at
// most max_evaluations placements.
LocalSearchResult LocalSearch(const Q2Model& model, const DeviceIds& start, int64_t max_evaluations,
                              int64_t restarts, uint64_t seed);

struct OracleResult {
  double best_seconds = 0.0;
  DeviceIds best_device_ids;
  double worst_seconds = 0.0;  // the slowest placement: how much placement can matter
  int64_t total_count = 0;     // n!
  int64_t reduced_count = 0;   // orbits scored
};

// Scores every placement of a slice of at most 8 devices (one per symmetry orbit).
Result<OracleResult> ExhaustiveOracle(const Q2Model& model, const PhysicalGrid& grid);

}  // namespace aoizora::placement
