#include "aoizora/placement/symmetry.h"

#include <algorithm>
#include <numeric>

namespace aoizora::placement {
namespace {

// Axis permutations sigma (image axis of axis p is sigma[p]) that only exchange axes of equal
// length, wrap and link class.
std::vector<std::vector<int64_t>> AxisSwaps(const PhysicalGrid& grid) {
  std::vector<int64_t> sigma(grid.rank());
  std::iota(sigma.begin(), sigma.end(), 0);
  std::vector<std::vector<int64_t>> out;
  do {
    bool ok = true;
    for (int64_t p = 0; p < grid.rank() && ok; ++p) {
      ok = grid.dims()[p] == grid.dims()[sigma[p]] && grid.wrap()[p] == grid.wrap()[sigma[p]] &&
           grid.link_class(p) == grid.link_class(sigma[p]);
    }
    if (ok) out.push_back(sigma);
  } while (std::next_permutation(sigma.begin(), sigma.end()));
  return out;
}

}  // namespace

SliceSymmetry::SliceSymmetry(const PhysicalGrid& grid, bool axis_swaps)
    : grid_(grid), n_(grid.num_devices()), rank_(grid.rank()) {
  coords_.resize(n_ * rank_);
  for (int64_t d = 0; d < n_; ++d) {
    for (int64_t p = 0; p < rank_; ++p) coords_[d * rank_ + p] = grid.Coord(d, p);
  }
  for (int64_t p = 0; p < rank_; ++p) {
    if (grid.wrap()[p]) translation_count_ *= grid.dims()[p];
  }
  // Reflections of length-1 axes are the identity; skip them so H has no repeated elements.
  std::vector<int64_t> reflectable;
  for (int64_t p = 0; p < rank_; ++p) {
    if (grid.dims()[p] > 1) reflectable.push_back(p);
  }
  const int64_t masks = int64_t{1} << reflectable.size();
  std::vector<int64_t> image(rank_);
  std::vector<std::vector<int64_t>> swaps = AxisSwaps(grid);
  if (!axis_swaps) swaps.resize(1);  // the identity comes first
  for (const auto& sigma : swaps) {
    for (int64_t mask = 0; mask < masks; ++mask) {
      std::vector<int32_t> map(n_);
      for (int64_t d = 0; d < n_; ++d) {
        for (int64_t p = 0; p < rank_; ++p) image[sigma[p]] = coords_[d * rank_ + p];
        for (size_t r = 0; r < reflectable.size(); ++r) {
          if (mask & (int64_t{1} << r)) {
            const int64_t axis = reflectable[r];
            image[axis] = grid.dims()[axis] - 1 - image[axis];
          }
        }
        map[d] = static_cast<int32_t>(grid.DeviceId(image));
      }
      // Exchanging two length-1 axes moves nothing: keep each distinct map once.
      if (std::find(point_maps_.begin(), point_maps_.end(), map) == point_maps_.end()) {
        point_maps_.push_back(std::move(map));
      }
    }
  }
}

void SliceSymmetry::Offsets(int64_t h, int32_t anchor, int64_t* offsets) const {
  const int32_t image = point_maps_[h][anchor];
  for (int64_t p = 0; p < rank_; ++p) {
    offsets[p] = grid_.wrap()[p] ? coords_[image * rank_ + p] : 0;
  }
}

int32_t SliceSymmetry::Map(int64_t h, int32_t device, const int64_t* offsets) const {
  const int32_t image = point_maps_[h][device];
  int64_t id = 0;
  for (int64_t p = 0; p < rank_; ++p) {
    int64_t c = coords_[image * rank_ + p] - offsets[p];
    if (c < 0) c += grid_.dims()[p];
    id += c * grid_.stride(p);
  }
  return static_cast<int32_t>(id);
}

void SliceSymmetry::Canonicalize(const int32_t* perm, int32_t* out, int32_t* scratch) const {
  int64_t offsets[8] = {};
  int32_t* best = out;
  int32_t* cand = scratch;
  bool have_best = false;
  for (int64_t h = 0; h < point_group_size(); ++h) {
    Offsets(h, perm[0], offsets);
    int cmp = have_best ? 0 : -1;
    bool worse = false;
    for (int64_t i = 0; i < n_; ++i) {
      const int32_t v = Map(h, perm[i], offsets);
      if (cmp == 0) {
        if (v > best[i]) {
          worse = true;
          break;
        }
        if (v < best[i]) cmp = -1;
      }
      cand[i] = v;
    }
    if (worse || cmp == 0) continue;
    std::swap(best, cand);
    have_best = true;
  }
  if (best != out) std::copy(best, best + n_, out);
}

bool SliceSymmetry::IsCanonical(const int32_t* perm) const {
  int64_t offsets[8] = {};
  for (int64_t h = 0; h < point_group_size(); ++h) {
    Offsets(h, perm[0], offsets);
    for (int64_t i = 0; i < n_; ++i) {
      const int32_t v = Map(h, perm[i], offsets);
      if (v < perm[i]) return false;
      if (v > perm[i]) break;
    }
  }
  return true;
}

std::vector<int64_t> SliceSymmetry::Apply(const std::vector<int64_t>& perm, int64_t h,
                                          const std::vector<int64_t>& shift) const {
  std::vector<int64_t> out(perm.size());
  int64_t offsets[8] = {};
  for (int64_t p = 0; p < rank_ && p < static_cast<int64_t>(shift.size()); ++p) {
    // Map subtracts offsets; a forward shift is a negative offset modulo the length.
    offsets[p] =
        grid_.wrap()[p] ? (grid_.dims()[p] - shift[p] % grid_.dims()[p]) % grid_.dims()[p] : 0;
  }
  for (size_t i = 0; i < perm.size(); ++i) {
    out[i] = Map(h, static_cast<int32_t>(perm[i]), offsets);
  }
  return out;
}

}  // namespace aoizora::placement
