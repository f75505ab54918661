#include "aoizora/placement/traversal.h"

#include <cassert>
#include <functional>

namespace aoizora::placement {
namespace {

int64_t Product(const std::vector<int64_t>& sizes, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t t = begin; t < end; ++t) p *= sizes[t];
  return p;
}

// Mixed radix, digit 0 fastest.
void RasterDigits(int64_t index, const std::vector<int64_t>& sizes, int64_t* digits) {
  for (size_t t = 0; t < sizes.size(); ++t) {
    digits[t] = index % sizes[t];
    index /= sizes[t];
  }
}

// Reflected mixed radix: the slowest digit q splits the walk into blocks; odd blocks walk the
// faster digits backwards, so the block boundary is a single step.
void SnakeDigits(int64_t index, const std::vector<int64_t>& sizes, size_t count, int64_t* digits) {
  if (count == 0) return;
  const int64_t lower = Product(sizes, 0, count - 1);
  const int64_t q = index / lower;
  int64_t rest = index % lower;
  if (q % 2 == 1) rest = lower - 1 - rest;
  digits[count - 1] = q;
  SnakeDigits(rest, sizes, count - 1, digits);
}

// Hamiltonian cycle on an a x b grid (u fast, v slow) with b even and a >= 2: row 0 walks u =
// 0..a-1, rows 1..b-1 snake over u in [1, a-1] ending at u = 1 on row b-1, then column u = 0 runs
// back from v = b-1 to v = 1 and closes at (0, 0).
void CombRing(int64_t index, int64_t a, int64_t b, int64_t* u, int64_t* v) {
  if (index < a) {
    *u = index;
    *v = 0;
    return;
  }
  const int64_t body = (a - 1) * (b - 1);
  const int64_t j = index - a;
  if (j < body) {
    const int64_t row = 1 + j / (a - 1);
    const int64_t pos = j % (a - 1);
    *v = row;
    *u = (row % 2 == 1) ? (a - 1 - pos) : (1 + pos);
    return;
  }
  *u = 0;
  *v = b - 1 - (j - body);
}

}  // namespace

std::string_view TraversalName(Traversal traversal) {
  switch (traversal) {
    case Traversal::kRaster:
      return "raster";
    case Traversal::kSnake:
      return "snake";
    case Traversal::kRing:
      return "ring";
  }
  return "unknown";
}

std::optional<std::vector<int64_t>> TraverseDigits(Traversal traversal,
                                                   const std::vector<int64_t>& segment_sizes) {
  const size_t k = segment_sizes.size();
  const int64_t n = Product(segment_sizes, 0, k);
  std::vector<int64_t> out(static_cast<size_t>(n) * k);
  switch (traversal) {
    case Traversal::kRaster:
      for (int64_t i = 0; i < n; ++i) RasterDigits(i, segment_sizes, &out[i * k]);
      return out;
    case Traversal::kSnake:
      if (k < 2) return std::nullopt;
      for (int64_t i = 0; i < n; ++i) SnakeDigits(i, segment_sizes, k, &out[i * k]);
      return out;
    case Traversal::kRing:
      break;
  }
  if (n < 3) return std::nullopt;
  if (k == 1) {
    // Folded line: evens ascending, then odds descending.
    const int64_t evens = (n + 1) / 2;
    for (int64_t i = 0; i < n; ++i) out[i] = i < evens ? 2 * i : 2 * (n - 1 - i) + 1;
    return out;
  }
  if (n % 2 == 1) return std::nullopt;
  // Treat the grid as s_0 x (rest walked as a snake, itself a path of unit steps). The comb needs
  // the slow side even; if only s_0 is even, swap the roles.
  const int64_t a0 = segment_sizes[0];
  const int64_t rest = n / a0;
  const bool swap = rest % 2 == 1;
  const int64_t a = swap ? rest : a0;
  const int64_t b = swap ? a0 : rest;
  std::vector<int64_t> rest_sizes(segment_sizes.begin() + 1, segment_sizes.end());
  for (int64_t i = 0; i < n; ++i) {
    int64_t u = 0;
    int64_t v = 0;
    CombRing(i, a, b, &u, &v);
    const int64_t first = swap ? v : u;
    const int64_t rest_index = swap ? u : v;
    out[i * k] = first;
    SnakeDigits(rest_index, rest_sizes, k - 1, &out[i * k + 1]);
  }
  return out;
}

}  // namespace aoizora::placement
