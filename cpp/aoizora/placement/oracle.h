#pragma once
// Every placement of a small slice: all n! device orders, one per orbit of the slice's
// automorphisms. Tests use it as an oracle (does the structured space contain the optimum, and how
// far off is it).

#include <cstdint>
#include <vector>

#include "aoizora/placement/physical_grid.h"
#include "aoizora/util/result.h"

namespace aoizora::placement {

inline constexpr int64_t kMaxOracleDevices = 8;

struct AllPlacements {
  int64_t total_count = 0;      // n!
  int64_t reduced_count = 0;    // orbits
  std::vector<int32_t> orders;  // reduced_count x n, canonical representatives
};

// Errors if the slice has more than kMaxOracleDevices devices (names the count).
Result<AllPlacements> EnumerateAllPlacements(const PhysicalGrid& grid, bool reduce_symmetry = true,
                                             bool axis_swaps = true);

}  // namespace aoizora::placement
