#include "aoizora/placement/search.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "aoizora/placement/oracle.h"
#include "aoizora/placement/symmetry.h"

namespace aoizora::placement {

int64_t SearchResult::RankOf(double seconds) const {
  const double threshold = seconds * (1.0 - 1e-9);
  const auto it = std::lower_bound(all_seconds.begin(), all_seconds.end(), threshold);
  return 1 + static_cast<int64_t>(it - all_seconds.begin());
}

std::vector<std::pair<double, int64_t>> ScoreSpace(const Q2Model& model,
                                                   const PlacementSpace& space) {
  Q2Scorer scorer(model);
  std::vector<int32_t> order(space.num_devices());
  std::vector<std::pair<double, int64_t>> scores(space.size());
  for (int64_t i = 0; i < space.size(); ++i) {
    space.FillOrder(i, order.data());
    scores[i] = {scorer.Score(order.data()), i};
  }
  std::sort(scores.begin(), scores.end());
  return scores;
}

namespace {

// Neighbourhood moves on the logical -> physical map, each with its inverse: exchange the chips of
// two logical devices; reverse the chips of logical devices a..b (a 2-opt move, which untwists a
// ring); move the chip of logical device a to position b, shifting the ones between (insertion).
enum class Move { kSwap, kReverse, kInsert };

void Apply(DeviceIds& order, Move move, int64_t a, int64_t b) {
  switch (move) {
    case Move::kSwap:
      std::swap(order[a], order[b]);
      return;
    case Move::kReverse:
      std::reverse(order.begin() + a, order.begin() + b + 1);
      return;
    case Move::kInsert:
      std::rotate(order.begin() + a, order.begin() + a + 1, order.begin() + b + 1);
      return;
  }
}

void Undo(DeviceIds& order, Move move, int64_t a, int64_t b) {
  if (move == Move::kInsert) {
    std::rotate(order.begin() + a, order.begin() + b, order.begin() + b + 1);
    return;
  }
  Apply(order, move, a, b);
}

}  // namespace

LocalSearchResult LocalSearch(const Q2Model& model, const DeviceIds& start, int64_t max_evaluations,
                              int64_t restarts, uint64_t seed) {
  Q2Scorer scorer(model);
  std::mt19937_64 rng(seed);
  const int64_t n = static_cast<int64_t>(start.size());
  LocalSearchResult best{scorer.Score(start), start, 1};
  if (n < 2) return best;
  DeviceIds current = start;
  double current_seconds = best.seconds;
  int64_t evaluations = 1;
  // Every move, visited in a fresh random order each sweep (first improvement).
  struct Candidate {
    Move move;
    int64_t a;
    int64_t b;
  };
  std::vector<Candidate> moves;
  for (int64_t a = 0; a < n; ++a) {
    for (int64_t b = a + 1; b < n; ++b) {
      moves.push_back({Move::kSwap, a, b});
      if (b > a + 1) {
        moves.push_back({Move::kReverse, a, b});
        moves.push_back({Move::kInsert, a, b});
      }
    }
  }
  const int64_t rounds = 1 + std::max<int64_t>(0, restarts);
  const int64_t budget_per_round = std::max<int64_t>(1, max_evaluations / rounds);
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  for (int64_t round = 0; round < rounds && evaluations < max_evaluations; ++round) {
    if (round > 0) {
      // Perturb the best so far by a few random swaps, then descend again.
      current = best.device_ids;
      for (int k = 0; k < 3; ++k) std::swap(current[pick(rng)], current[pick(rng)]);
      current_seconds = scorer.Score(current);
      ++evaluations;
    }
    const int64_t round_end = std::min(max_evaluations, evaluations + budget_per_round);
    bool improved = true;
    while (improved && evaluations < round_end) {
      improved = false;
      std::shuffle(moves.begin(), moves.end(), rng);
      for (const Candidate& c : moves) {
        if (evaluations >= round_end) break;
        Apply(current, c.move, c.a, c.b);
        const double seconds = scorer.Score(current);
        ++evaluations;
        if (seconds < current_seconds * (1.0 - 1e-12)) {
          current_seconds = seconds;
          improved = true;
        } else {
          Undo(current, c.move, c.a, c.b);
        }
      }
    }
    if (current_seconds < best.seconds) {
      best.seconds = current_seconds;
      best.device_ids = current;
    }
  }
  best.evaluations = evaluations;
  return best;
}

Result<SearchResult> SearchPlacements(const Q2Model& model, const PhysicalGrid& grid,
                                      const SearchOptions& options) {
  if (options.top < 1) {
    return InvalidArgument("top must be >= 1, got " + std::to_string(options.top));
  }
  if (grid.num_devices() < model.num_logical_devices()) {
    return InvalidArgument("the slice has " + std::to_string(grid.num_devices()) +
                           " devices, fewer than the program's " +
                           std::to_string(model.num_logical_devices()));
  }
  if (grid.num_devices() != model.num_logical_devices()) {
    return Unimplemented("placing a " + std::to_string(model.num_logical_devices()) +
                         "-device program on part of a " + std::to_string(grid.num_devices()) +
                         "-device slice");
  }
  PlacementSpaceOptions space_options;
  space_options.max_classes = std::max<int64_t>(1, options.exhaustive_limit);
  AOIZORA_ASSIGN_OR_RETURN(PlacementSpace space,
                           PlacementSpace::Enumerate(grid, model.mesh_shape(), space_options));
  SearchResult result;
  result.structured_count = space.structured_count();
  result.distinct_count = space.distinct_count();
  result.reduced_count = space.size();
  result.truncated = space.truncated();
  const std::vector<std::pair<double, int64_t>> scores = ScoreSpace(model, space);
  result.all_seconds.reserve(scores.size());
  for (const auto& [seconds, index] : scores) result.all_seconds.push_back(seconds);
  const int64_t keep = std::min<int64_t>(options.top, static_cast<int64_t>(scores.size()));
  for (int64_t r = 0; r < keep; ++r) {
    const auto& [seconds, index] = scores[r];
    result.placements.push_back(
        {seconds, space.device_ids(index),
         DescribePlacement(grid, space.structure(index), model.axis_names()), index});
  }
  if ((result.truncated || options.always_local_search) && !result.placements.empty()) {
    const RankedPlacement& start = result.placements.front();
    LocalSearchResult local = LocalSearch(model, start.device_ids, options.local_search_evaluations,
                                          options.local_search_restarts, options.seed);
    result.local_search_evaluations = local.evaluations;
    if (local.seconds < start.seconds * (1.0 - 1e-9)) {
      result.local_search_improved = true;
      result.placements.insert(
          result.placements.begin(),
          {local.seconds, local.device_ids, "local search from: " + start.description, -1});
      if (static_cast<int64_t>(result.placements.size()) > options.top) {
        result.placements.pop_back();
      }
    }
  }
  return result;
}

Result<OracleResult> ExhaustiveOracle(const Q2Model& model, const PhysicalGrid& grid) {
  if (grid.num_devices() != model.num_logical_devices()) {
    return InvalidArgument("the oracle needs a program over all " +
                           std::to_string(grid.num_devices()) + " devices of the slice, got " +
                           std::to_string(model.num_logical_devices()));
  }
  AOIZORA_ASSIGN_OR_RETURN(AllPlacements all, EnumerateAllPlacements(grid));
  Q2Scorer scorer(model);
  OracleResult out;
  out.total_count = all.total_count;
  out.reduced_count = all.reduced_count;
  out.best_seconds = INFINITY;
  const int64_t n = grid.num_devices();
  for (int64_t i = 0; i < all.reduced_count; ++i) {
    const int32_t* order = &all.orders[i * n];
    const double seconds = scorer.Score(order);
    out.worst_seconds = std::max(out.worst_seconds, seconds);
    if (seconds < out.best_seconds) {
      out.best_seconds = seconds;
      out.best_device_ids.assign(order, order + n);
    }
  }
  return out;
}

}  // namespace aoizora::placement
