#pragma once
// Orders in which a logical axis walks the sub-grid of physical digits it owns. A logical axis of
// size n owns k "segments" (whole physical axes or digits of split ones) of sizes s_0..s_{k-1}
// (s_0 varies fastest); a traversal lists the n digit tuples in logical index order.
//   raster: mixed radix, jumping back at each row end (what jax.make_mesh does);
//   snake:  boustrophedon (reflected mixed radix), consecutive indices always 1 step apart;
//   ring:   a Hamiltonian cycle, so the closing pair (n-1 -> 0) is 1 step apart too. On a single
//           segment (a line) the ring is the folded line 0,2,4,...,5,3,1 (every step <= 2).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace aoizora::placement {

enum class Traversal { kRaster, kSnake, kRing };

std::string_view TraversalName(Traversal traversal);

// Digit tuples, flattened: result[i * k + t] is digit t of logical index i. nullopt where the
// traversal does not exist (a ring on a grid with an odd number of points, or with fewer than 3
// points) or is identical to raster by construction (snake on one segment).
std::optional<std::vector<int64_t>> TraverseDigits(Traversal traversal,
                                                   const std::vector<int64_t>& segment_sizes);

}  // namespace aoizora::placement
