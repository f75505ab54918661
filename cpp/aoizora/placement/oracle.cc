#include "aoizora/placement/oracle.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "aoizora/placement/symmetry.h"

namespace aoizora::placement {

Result<AllPlacements> EnumerateAllPlacements(const PhysicalGrid& grid, bool reduce_symmetry,
                                             bool axis_swaps) {
  const int64_t n = grid.num_devices();
  if (n > kMaxOracleDevices) {
    return InvalidArgument("the exhaustive oracle handles at most " +
                           std::to_string(kMaxOracleDevices) + " devices; the slice " +
                           grid.ToString() + " has " + std::to_string(n));
  }
  SliceSymmetry symmetry(grid, axis_swaps);
  AllPlacements out;
  std::vector<int32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  do {
    ++out.total_count;
    if (reduce_symmetry && !symmetry.IsCanonical(perm.data())) continue;
    out.orders.insert(out.orders.end(), perm.begin(), perm.end());
    ++out.reduced_count;
  } while (std::next_permutation(perm.begin(), perm.end()));
  return out;
}

}  // namespace aoizora::placement
