#include "aoizora/comm/comm_model.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <vector>

#include "aoizora/comm/collective_validation.h"

namespace aoizora {
namespace {

// Share of a transfer that the k! dimension orders of k axes (uniformly weighted) send along one
// given axis right after a given set of s other axes: s! (k-1-s)! / k!.
constexpr double kOrderShare[kNumGridAxes + 1][kNumGridAxes] = {
    {0, 0, 0, 0},
    {1, 0, 0, 0},
    {1.0 / 2, 1.0 / 2, 0, 0},
    {1.0 / 3, 1.0 / 6, 1.0 / 3, 0},
    {1.0 / 4, 1.0 / 12, 1.0 / 12, 1.0 / 4},
};

// Set bits of a small mask (the build does not assume a popcount instruction, and the library call
// showed up in profiles).
int BitCount(uint64_t mask) {
  int n = 0;
  for (; mask != 0; mask &= mask - 1) ++n;
  return n;
}

// Slice-invariant class of an axis: only axes of one class can be exchanged by an automorphism
// (equal length and wrap; the tpu7x core axis has other links than x, y, z).
int64_t AxisClass(const Topology& topology, int axis) {
  if (axis == kCoreAxis) return -1;
  return topology.GridSize(axis) * 2 + (topology.GridWraps(axis) ? 1 : 0);
}

}  // namespace

CommScratch::CommScratch(const Topology& topology) : loads_(topology) {
  const size_t n = static_cast<size_t>(topology.num_devices());
  members_.reserve(n);
  ring_.reserve(n);
  ordered_.reserve(n);
  local_coords_.reserve(n * kNumGridAxes);
  rank_slot_.assign(n, -1);
  tied_snakes_.reserve(64);
  for (auto& starts : box_starts_) starts.reserve(64);
  for (auto& coords : axis_coords_) coords.reserve(64);
  prefix_count_.assign(n, 0);
  suffix_count_.assign(n, 0);
  prefix_keys_.reserve(n);
  suffix_keys_.reserve(n);
}

CommModel::CommModel(const Topology& topology, CommOptions options)
    : topology_(topology), options_(options) {
  const int64_t n = topology_.num_devices();
  coords_.resize(static_cast<size_t>(n));
  for (int64_t d = 0; d < n; ++d) coords_[static_cast<size_t>(d)] = topology_.DeviceGridCoords(d);
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    class_first_axis_[axis] = axis;
    for (int b = axis - 1; b >= 0; --b) {
      if (AxisClass(topology_, b) == AxisClass(topology_, axis)) class_first_axis_[axis] = b;
    }
    axis_bandwidth_[axis] = AxisLinkBandwidth(topology_, axis).bytes_per_second;
    const int64_t size = topology_.GridSize(axis);
    std::vector<int32_t>& steps = axis_steps_[axis];
    steps.resize(static_cast<size_t>(size * size));
    for (int64_t from = 0; from < size; ++from) {
      for (int64_t to = 0; to < size; ++to) {
        const int64_t step = AxisSteps(topology_, axis, from, to);
        steps[static_cast<size_t>(from * size + to)] = static_cast<int32_t>(step);
      }
    }
  }
}

int64_t CommModel::Distance(int64_t a, int64_t b) const {
  const auto& ca = coords_[static_cast<size_t>(a)];
  const auto& cb = coords_[static_cast<size_t>(b)];
  int64_t hops = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) hops += std::abs(Steps(axis, ca[axis], cb[axis]));
  return hops;
}

void CommModel::AddLeg(LinkLoads& loads, int64_t device, int axis, int64_t from, int64_t to,
                       double bytes) const {
  const int64_t steps = Steps(axis, from, to);
  if (topology_.GridWraps(axis) && steps * 2 == topology_.GridSize(axis)) {
    // Both ways round are equally short: half the bytes each way.
    loads.AddRun(device, from, axis, steps, bytes / 2);
    loads.AddRun(device, from, axis, -steps, bytes / 2);
  } else {
    loads.AddRun(device, from, axis, steps, bytes);
  }
}

int CommModel::DifferingAxes(int64_t source, int64_t target, int* axes, int64_t* shift) const {
  int k = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    const int64_t from = Coord(source, axis);
    const int64_t to = Coord(target, axis);
    if (from == to) continue;
    axes[k] = axis;
    shift[k++] = (to - from) * topology_.GridStride(axis);
  }
  return k;
}

int64_t CommModel::AddTransfer(LinkLoads& loads, int64_t source, int64_t target,
                               double bytes) const {
  int axes[kNumGridAxes];
  int64_t shift[kNumGridAxes];
  const int k = DifferingAxes(source, target, axes, shift);
  int64_t hops = 0;
  for (int i = 0; i < k; ++i) {
    hops += std::abs(Steps(axes[i], Coord(source, axes[i]), Coord(target, axes[i])));
  }
  // The loads come from the aggregated legs below; a recording gets the routes (one flow per
  // dimension order) instead, since aggregated legs are not paths.
  std::vector<LinkRun>* recorded = k > 1 ? loads.recorded_runs() : nullptr;
  if (recorded != nullptr) {
    loads.RecordRuns(nullptr);
    RecordRoutes(*recorded, source, target, bytes, /*classes_in_order=*/false);
  }
  // Aggregated over the k! orders: the leg along axes[i] after exactly the axes of `done` starts
  // where those axes already have the target's coordinates, and carries kOrderShare of the bytes.
  for (unsigned done = 0; done + 1 < (1u << k); ++done) {
    int64_t at = source;
    for (int i = 0; i < k; ++i) {
      if (done >> i & 1) at += shift[i];
    }
    const double share = bytes * kOrderShare[k][BitCount(done)];
    for (int i = 0; i < k; ++i) {
      if (done >> i & 1) continue;
      AddLeg(loads, at, axes[i], Coord(source, axes[i]), Coord(target, axes[i]), share);
    }
  }
  if (recorded != nullptr) loads.RecordRuns(recorded);
  return hops;
}

void CommModel::RecordRoutes(std::vector<LinkRun>& runs, int64_t source, int64_t target,
                             double bytes, bool classes_in_order) const {
  int axes[kNumGridAxes];
  int64_t shift[kNumGridAxes];
  const int k = DifferingAxes(source, target, axes, shift);
  if (k == 0) return;
  // The orders the loads were built from: every one, or (all-to-all) the classes in their fixed
  // order with every order within a class; each carries an equal share.
  auto allowed = [&](const int* order) {
    for (int j = 0; classes_in_order && j + 1 < k; ++j) {
      if (class_first_axis_[axes[order[j]]] > class_first_axis_[axes[order[j + 1]]]) return false;
    }
    return true;
  };
  int order[kNumGridAxes];
  std::iota(order, order + k, 0);
  int orders = 0;
  do {
    orders += allowed(order) ? 1 : 0;
  } while (std::next_permutation(order, order + k));
  const double share = bytes / orders;
  do {  // next_permutation has restored the sorted order
    if (!allowed(order)) continue;
    // Legs of this order; a wrapped-ring tie doubles the routes (half the bytes each way).
    std::vector<std::vector<LinkRun>> routes(1);
    int64_t at = source;
    for (int j = 0; j < k; ++j) {
      const int i = order[j];
      const int axis = axes[i];
      const int64_t steps = Steps(axis, Coord(source, axis), Coord(target, axis));
      const bool tie = topology_.GridWraps(axis) && steps * 2 == topology_.GridSize(axis);
      if (tie) {
        const size_t n = routes.size();
        for (size_t r = 0; r < n; ++r) routes.push_back(routes[r]);
        for (size_t r = 0; r < routes.size(); ++r) {
          routes[r].push_back({at, axis, r < n ? steps : -steps, 0.0, true});
        }
      } else {
        for (std::vector<LinkRun>& route : routes) route.push_back({at, axis, steps, 0.0, true});
      }
      at += shift[i];
    }
    for (std::vector<LinkRun>& route : routes) {
      for (LinkRun& leg : route) leg.bytes = share / static_cast<double>(routes.size());
      route.back().continues = false;
      runs.insert(runs.end(), route.begin(), route.end());
    }
  } while (std::next_permutation(order, order + k));
}

double CommModel::AddRingInOrder(LinkLoads& loads, const std::vector<int64_t>& ring,
                                 double bytes) const {
  // Bidirectional ring all-gather (SB sharding.md): every shard travels floor(N/2) segments one
  // way and ceil(N/2)-1 the other, so each segment carries floor(N/2) shards forward and
  // ceil(N/2)-1 back. On a line listed end to end this reproduces the line's (N-1)/N V per link.
  const int64_t n = static_cast<int64_t>(ring.size());
  const double shard = bytes / static_cast<double>(n);
  const double forward = static_cast<double>(n / 2) * shard;
  const double backward = static_cast<double>((n + 1) / 2 - 1) * shard;
  int64_t cycle_hops = 0;
  for (int64_t s = 0; s < n; ++s) {
    const int64_t u = ring[static_cast<size_t>(s)];
    const int64_t v = ring[static_cast<size_t>((s + 1) % n)];
    cycle_hops += AddTransfer(loads, u, v, forward);
    if (backward > 0.0) AddTransfer(loads, v, u, backward);
  }
  // Half the cycle: a wrapped ring of N has N/2 hops, a line of N walked there and back N-1.
  return static_cast<double>(cycle_hops) / 2.0;
}

int CommModel::RingDirection(const std::vector<int64_t>& members, int axis) const {
  // The ring's heavier direction follows the group's listed order: the first member on the first
  // member's line that is not diametrically opposite it says which way round the order goes.
  // Under a reflection of the axis the listed order steps the other way, so the choice moves with
  // the placement (a fixed + direction would not).
  const int64_t first = members.front();
  const int64_t size = topology_.GridSize(axis);
  for (size_t i = 1; i < members.size(); ++i) {
    const int64_t d = members[i];
    bool same_line = true;
    for (int b = 0; b < kNumGridAxes && same_line; ++b) {
      same_line = b == axis || Coord(d, b) == Coord(first, b);
    }
    if (!same_line) continue;
    const int64_t steps = Steps(axis, Coord(first, axis), Coord(d, axis));
    if (std::abs(steps) * 2 != size) return steps > 0 ? 1 : -1;
  }
  return 1;  // unreachable for a full ring of at least 3
}

bool CommModel::AddProductPhases(CommScratch& scratch, double bytes, double* hops) const {
  const std::vector<int64_t>& members = scratch.members_;
  uint64_t masks[kNumGridAxes] = {0, 0, 0, 0};
  for (int64_t d : members) {
    for (int axis = 0; axis < kNumGridAxes; ++axis) masks[axis] |= uint64_t{1} << Coord(d, axis);
  }
  int64_t extent[kNumGridAxes];
  bool ring[kNumGridAxes];    // a full wrapped axis: one ring per line
  bool gapped[kNumGridAxes];  // not an interval: members of a line linked by routed segments
  int64_t count = 1;
  int active[kNumGridAxes];
  int k = 0;
  bool any_gapped = false;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    const int64_t size = topology_.GridSize(axis);
    const uint64_t mask = masks[axis];
    const int64_t n = BitCount(mask);
    extent[axis] = n;
    count *= n;
    ring[axis] = topology_.GridWraps(axis) && n == size && n >= 3;
    gapped[axis] = false;
    int64_t lo = 0;  // first coordinate of the interval
    const int tz = std::countr_zero(mask);
    if (n == size || (mask >> tz) == (uint64_t{1} << n) - 1) {
      lo = n == size ? 0 : tz;
    } else if (topology_.GridWraps(axis)) {
      const uint64_t gap = ~mask & ((uint64_t{1} << size) - 1);
      const int gap_tz = std::countr_zero(gap);
      const int64_t gap_n = BitCount(gap);
      if ((gap >> gap_tz) == (uint64_t{1} << gap_n) - 1) {
        lo = (gap_tz + gap_n) % size;  // an interval that wraps round
      } else {
        gapped[axis] = true;
      }
    } else {
      gapped[axis] = true;
    }
    // Coordinates of a line in walking order: the interval from lo, or the members ascending.
    std::vector<int64_t>& line = scratch.axis_coords_[axis];
    line.clear();
    if (gapped[axis]) {
      for (int64_t c = 0; c < size; ++c) {
        if (mask >> c & 1) line.push_back(c);
      }
    } else {
      for (int64_t p = 0; p < n; ++p) line.push_back((lo + p) % size);
    }
    if (n > 1) active[k++] = axis;
    any_gapped |= gapped[axis];
  }
  if (count != static_cast<int64_t>(members.size())) return false;
  // A single gapped axis is one ring: the scattered path prices it (listed or circular order).
  if (any_gapped && k == 1) return false;

  LinkLoads& loads = scratch.loads_;
  const double n_total = static_cast<double>(count);
  *hops = 0.0;
  // Multi-axis all-gather (SB: "increases the available bandwidth by a factor of N_axes"): the
  // data is cut into parts, one per order of the k active axes (k! parts); each part gathers
  // along its axes in its order, so at any time every axis is busy. In the phase on axis a after
  // the axes B, the lines along a gather D = (V/k!) x (extents of B and a) / N bytes each. Every
  // line along a gets the same, so the phases add up per axis into one amount per line; with all
  // k! orders (not only rotations) the amount does not depend on how the axes are numbered.
  for (int i = 0; i < k; ++i) {
    const int a = active[i];
    const int64_t n = extent[a];
    const int64_t stride = topology_.GridStride(a);
    const std::vector<int64_t>& coords = scratch.axis_coords_[a];
    double factor = 0.0;  // sum over B of kOrderShare x product of the extents of B
    const unsigned others = (1u << k) - 1 - (1u << i);
    for (unsigned sub = others;; sub = (sub - 1) & others) {
      double product = 1.0;
      for (int j = 0; j < k; ++j) {
        if (sub >> j & 1) product *= static_cast<double>(extent[active[j]]);
      }
      factor += kOrderShare[k][BitCount(sub)] * product;
      if (sub == 0) break;
    }
    const double line_bytes = bytes * static_cast<double>(n) * factor / n_total;
    const int direction = ring[a] ? RingDirection(members, a) : 1;
    // A gapped line is a bidirectional ring through its members in ascending (circular) order,
    // each segment routed the short way; on an open axis that is the line form. Its direction
    // follows the listed order (as for the full rings), taken on the first member's line.
    bool reverse_gapped = false;
    if (gapped[a]) {
      std::vector<int64_t>& probe = scratch.ring_;
      probe.clear();
      const int64_t first = members.front();
      const int64_t first_base = first - Coord(first, a) * stride;
      for (int64_t c : coords) probe.push_back(first_base + c * stride);
      reverse_gapped = OrientLikeListedOrder(members, probe);
    }
    const int64_t num_lines = count / n;
    for (int64_t line = 0; line < num_lines; ++line) {
      // Device of this line with coordinate 0 on axis a.
      int64_t rest = line;
      int64_t base = 0;
      for (int axis = 0; axis < kNumGridAxes; ++axis) {
        if (axis == a) continue;
        const int64_t offset = rest % extent[axis];
        rest /= extent[axis];
        base +=
            scratch.axis_coords_[axis][static_cast<size_t>(offset)] * topology_.GridStride(axis);
      }
      if (gapped[a]) {
        std::vector<int64_t>& segment_ring = scratch.ring_;
        segment_ring.clear();
        for (int64_t c : coords) segment_ring.push_back(base + c * stride);
        if (reverse_gapped) std::reverse(segment_ring.begin(), segment_ring.end());
        const double line_hops = AddRingInOrder(loads, segment_ring, line_bytes);
        if (line == 0) *hops += line_hops;
        continue;
      }
      if (line == 0) *hops += static_cast<double>(ring[a] ? n / 2 : n - 1);
      if (ring[a]) {
        const double heavy = static_cast<double>(n / 2) * line_bytes / n;
        const double light = static_cast<double>((n + 1) / 2 - 1) * line_bytes / n;
        const double plus = direction > 0 ? heavy : light;
        const double minus = direction > 0 ? light : heavy;
        if (plus > 0.0) loads.AddRun(base, 0, a, n, plus);
        if (minus > 0.0) loads.AddRun(base + (n - 1) * stride, n - 1, a, -n, minus);
        continue;
      }
      // Line of n: the shard at position p flows n-1-p links one way and p the other.
      const double shard = line_bytes / static_cast<double>(n);
      for (int64_t p = 0; p < n; ++p) {
        const int64_t c = coords[static_cast<size_t>(p)];
        const int64_t device = base + c * stride;
        if (n - 1 - p > 0) loads.AddRun(device, c, a, n - 1 - p, shard);
        if (p > 0) loads.AddRun(device, c, a, -p, shard);
      }
    }
  }
  return true;
}

void CommModel::FillBox(CommScratch& scratch) const {
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    uint64_t mask = 0;
    for (int64_t d : scratch.members_) mask |= uint64_t{1} << Coord(d, axis);
    std::vector<int64_t>& starts = scratch.box_starts_[axis];
    starts.clear();
    const int first = std::countr_zero(mask);
    if (!topology_.GridWraps(axis)) {
      starts.push_back(first);
      scratch.box_extent_[axis] = 64 - std::countl_zero(mask) - first;
      continue;
    }
    // Wrapped: the box is the complement of a largest gap between members round the ring; every
    // member that follows a largest gap is an admissible origin.
    const int64_t size = topology_.GridSize(axis);
    int64_t largest = -1;
    int64_t previous =
        63 - std::countl_zero(mask);  // last member, precedes the first round the ring
    for (int64_t c = first; c < size; ++c) {
      if (!(mask >> c & 1)) continue;
      const int64_t gap = ((c - previous - 1) % size + size) % size;
      const int64_t gap_or_all = previous == c ? size - 1 : gap;  // a single member
      if (gap_or_all > largest) {
        largest = gap_or_all;
        starts.clear();
      }
      if (gap_or_all == largest) starts.push_back(c);
      previous = c;
    }
    scratch.box_extent_[axis] = size - largest;
    if (starts.size() > 1) KeepLeastProfiles(scratch.members_, axis, size - largest, starts);
  }
}

void CommModel::KeepLeastProfiles(const std::vector<int64_t>& members, int axis, int64_t extent,
                                  std::vector<int64_t>& starts) const {
  // Tied cuts are told apart by the group's profile along the axis (members per coordinate) read
  // across the box from the cut: forward from the start, and backward from the box's end (what a
  // reflection reads forward). The key is the (smaller, larger) pair of the two readings, so a
  // translation or reflection of the group maps least keys onto least keys; only cuts that the
  // profile cannot tell apart (a symmetric projection) stay tied.
  const int64_t size = topology_.GridSize(axis);
  int32_t profile[64] = {};
  for (int64_t d : members) ++profile[Coord(d, axis)];
  // Compares reading (start s, backward?) with reading (t, backward?): -1, 0 or 1.
  auto compare = [&](int64_t s, bool s_back, int64_t t, bool t_back) {
    for (int64_t i = 0; i < extent; ++i) {
      const int32_t u = profile[(s_back ? s + extent - 1 - i : s + i) % size];
      const int32_t v = profile[(t_back ? t + extent - 1 - i : t + i) % size];
      if (u != v) return u < v ? -1 : 1;
    }
    return 0;
  };
  // Key of a start: which reading is the smaller one.
  auto smaller_backward = [&](int64_t s) { return compare(s, false, s, true) > 0; };
  auto compare_keys = [&](int64_t s, int64_t t) {
    const bool s_back = smaller_backward(s);
    const bool t_back = smaller_backward(t);
    const int low = compare(s, s_back, t, t_back);
    return low != 0 ? low : compare(s, !s_back, t, !t_back);
  };
  size_t kept = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    const int c = kept == 0 ? -1 : compare_keys(starts[i], starts[0]);
    if (c < 0) kept = 0;
    if (c <= 0) starts[kept++] = starts[i];
  }
  starts.resize(kept);
}

void CommModel::FillLocalCoords(CommScratch& scratch, const SnakeSpec& spec) const {
  auto& local = scratch.local_coords_;
  local.clear();
  for (int64_t d : scratch.members_) {
    for (int axis = 0; axis < kNumGridAxes; ++axis) {
      int64_t u = Coord(d, axis) - spec.start[axis];
      if (u < 0) u += topology_.GridSize(axis);
      local.push_back(static_cast<int32_t>(u));
    }
  }
}

void CommModel::SortBySnake(CommScratch& scratch, const SnakeSpec& spec) const {
  // Boustrophedon rank in the box: axis order[i] runs backwards when its reversal bit is set,
  // flipped again when the rank of the axes before it is odd (the snake turns at every row end).
  // Precondition: FillLocalCoords for spec's starts.
  const std::vector<int64_t>& members = scratch.members_;
  const size_t n = members.size();
  int64_t volume = 1;
  for (int i = 0; i < spec.num_axes; ++i) volume *= scratch.box_extent_[spec.order[i]];
  auto rank_of = [&](size_t m) {
    const int32_t* u_of = &scratch.local_coords_[m * kNumGridAxes];
    int64_t rank = 0;
    for (int i = 0; i < spec.num_axes; ++i) {
      const int a = spec.order[i];
      const int64_t extent = scratch.box_extent_[a];
      int64_t u = u_of[a];
      if ((spec.reversed >> i & 1) != (rank & 1)) u = extent - 1 - u;
      rank = rank * extent + u;
    }
    return rank;
  };
  std::vector<int64_t>& ring = scratch.ring_;
  ring.clear();
  if (volume <= 8 * static_cast<int64_t>(n)) {  // bucket by rank (ranks are distinct)
    std::vector<int64_t>& slot = scratch.rank_slot_;
    for (size_t m = 0; m < n; ++m) slot[static_cast<size_t>(rank_of(m))] = members[m];
    for (int64_t r = 0; r < volume; ++r) {
      int64_t& d = slot[static_cast<size_t>(r)];
      if (d < 0) continue;
      ring.push_back(d);
      d = -1;
    }
    return;
  }
  auto& ordered = scratch.ordered_;
  ordered.clear();
  for (size_t m = 0; m < n; ++m) ordered.emplace_back(rank_of(m), members[m]);
  std::sort(ordered.begin(), ordered.end());
  for (const auto& [rank, device] : ordered) ring.push_back(device);
}

std::pair<int64_t, int64_t> CommModel::SnakeCycleKey(CommScratch& scratch, const SnakeSpec& spec,
                                                     int64_t bound) const {
  SortBySnake(scratch, spec);
  const std::vector<int64_t>& ring = scratch.ring_;
  const size_t n = ring.size();
  int64_t hops = Distance(ring[n - 1], ring[0]);
  int64_t squares = hops * hops;
  for (size_t i = 0; i + 1 < n && hops <= bound; ++i) {
    const int64_t segment = Distance(ring[i], ring[i + 1]);
    hops += segment;
    squares += segment * segment;
  }
  return {hops, squares};
}

int64_t CommModel::FindBestSnakes(CommScratch& scratch, int64_t bound) const {
  FillBox(scratch);
  // Active axes sorted by class: axes of one class may be permuted among themselves only, and
  // classes always come in the same order, so the candidate set maps onto itself under every
  // automorphism of the slice.
  int active[kNumGridAxes];
  int k = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    if (scratch.box_extent_[axis] > 1) active[k++] = axis;
  }
  const auto by_class = [&](int a, int b) {
    const int64_t ca = AxisClass(topology_, a);
    const int64_t cb = AxisClass(topology_, b);
    return ca != cb ? ca < cb : a < b;
  };
  for (int i = 1; i < k; ++i) {  // insertion sort of at most 4 axes
    for (int j = i; j > 0 && by_class(active[j], active[j - 1]); --j) {
      std::swap(active[j], active[j - 1]);
    }
  }
  // Fewest cycle hops first; among those, the fewest long segments (sum of squared segment hops):
  // both are invariant, and the second separates most ties that are not symmetries.
  std::pair<int64_t, int64_t> best = {bound, std::numeric_limits<int64_t>::max()};
  auto& tied = scratch.tied_snakes_;
  tied.clear();
  SnakeSpec spec;
  spec.num_axes = k;
  int perm[kNumGridAxes];
  std::copy(active, active + k, perm);
  for (int axis = 0; axis < kNumGridAxes; ++axis) spec.start[axis] = scratch.box_starts_[axis][0];
  do {
    bool classes_in_order = true;
    for (int i = 0; i + 1 < k; ++i) {
      classes_in_order &= AxisClass(topology_, perm[i]) <= AxisClass(topology_, perm[i + 1]);
    }
    if (!classes_in_order) continue;
    std::copy(perm, perm + k, spec.order.begin());
    // Cuts of the inner wrapped axes (the outermost axis needs none: shifting its cut only
    // rotates the cycle, up to the reversals of the inner axes that are enumerated anyway).
    int64_t cut_index[kNumGridAxes] = {0, 0, 0, 0};
    while (true) {
      for (int i = 1; i < k; ++i) {
        spec.start[perm[i]] = scratch.box_starts_[perm[i]][static_cast<size_t>(cut_index[i])];
      }
      FillLocalCoords(scratch, spec);
      // Each spec stands for itself and its reverse (the reversed sequence is the snake with the
      // outermost axis reversed and some inner ones), so only the outermost bit 0 is tried; the
      // ring's direction is then taken from the listed order (OrientLikeListedOrder).
      for (unsigned reversed = 0; reversed < (1u << k); reversed += 2) {
        spec.reversed = reversed;
        const std::pair<int64_t, int64_t> key = SnakeCycleKey(scratch, spec, best.first);
        if (key < best) {
          best = key;
          tied.clear();
        }
        if (key == best) tied.push_back(spec);
      }
      int i = 1;
      for (; i < k; ++i) {
        if (++cut_index[i] < static_cast<int64_t>(scratch.box_starts_[perm[i]].size())) break;
        cut_index[i] = 0;
      }
      if (i >= k) break;
    }
  } while (std::next_permutation(perm, perm + k, by_class));
  return best.first;
}

double CommModel::AddRingGroup(CommScratch& scratch, double bytes) const {
  std::vector<int64_t>& members = scratch.members_;
  if (options_.ring_order == RingOrder::kListedOrder) {
    return AddRingInOrder(scratch.loads_, members, bytes);
  }
  double hops = 0.0;
  if (AddProductPhases(scratch, bytes, &hops)) return hops;
  // Up to 3 members every order is the same cycle (reversed for an odd count, which sends equal
  // shares both ways).
  const size_t n = members.size();
  if (n <= 3) return AddRingInOrder(scratch.loads_, members, bytes);
  // Scattered chips: one ring, in the listed order unless a snake over the group's box has fewer
  // hops. The snakes (every axis order within classes, every start corner, every admissible cut)
  // map onto each other under the slice's automorphisms, and ties among them share the bytes
  // evenly, so the choice does not depend on where in the slice the group sits.
  int64_t listed_hops = 0;
  for (size_t i = 0; i < n; ++i) listed_hops += Distance(members[i], members[(i + 1) % n]);
  const int64_t snake_hops = FindBestSnakes(scratch, listed_hops - 1);
  if (scratch.tied_snakes_.empty()) return AddRingInOrder(scratch.loads_, members, bytes);
  const double share = bytes / static_cast<double>(scratch.tied_snakes_.size());
  for (const SnakeSpec& spec : scratch.tied_snakes_) {
    FillLocalCoords(scratch, spec);
    SortBySnake(scratch, spec);
    OrientLikeListedOrder(members, scratch.ring_);
    AddRingInOrder(scratch.loads_, scratch.ring_, share);
  }
  return static_cast<double>(snake_hops) / 2.0;
}

bool CommModel::OrientLikeListedOrder(const std::vector<int64_t>& members,
                                      std::vector<int64_t>& ring) const {
  // Of the first listed member's two neighbours on the ring, the one listed earlier comes next.
  // Listed positions are logical, so the choice moves with the placement under automorphisms.
  const size_t n = ring.size();
  const size_t at =
      static_cast<size_t>(std::find(ring.begin(), ring.end(), members[0]) - ring.begin());
  const int64_t next = ring[(at + 1) % n];
  const int64_t previous = ring[(at + n - 1) % n];
  for (size_t i = 1; i < n; ++i) {
    if (members[i] == next) return false;
    if (members[i] == previous) {
      std::reverse(ring.begin(), ring.end());
      return true;
    }
  }
  return false;
}

void CommModel::AddAllToAllLegs(CommScratch& scratch, int axis, unsigned before_mask,
                                double bytes_per_pair) const {
  // Every pair (s, t) crosses `axis` on the line where the axes of `before_mask` already have t's
  // coordinates and the others still s's. Pairs on one such run are counted, not enumerated:
  // target key = t's coordinates on before_mask and axis, source key = s's coordinates elsewhere.
  const int64_t stride = topology_.GridStride(axis);
  auto& prefix_count = scratch.prefix_count_;
  auto& suffix_count = scratch.suffix_count_;
  auto& prefix_keys = scratch.prefix_keys_;
  auto& suffix_keys = scratch.suffix_keys_;
  prefix_keys.clear();
  suffix_keys.clear();
  for (int64_t d : scratch.members_) {
    int64_t before = 0;
    for (int b = 0; b < kNumGridAxes; ++b) {
      if (before_mask >> b & 1) before += Coord(d, b) * topology_.GridStride(b);
    }
    const int64_t p = before + Coord(d, axis) * stride;
    const int64_t q = d - before;
    if (prefix_count[static_cast<size_t>(p)]++ == 0) prefix_keys.push_back(p);
    if (suffix_count[static_cast<size_t>(q)]++ == 0) suffix_keys.push_back(q);
  }
  LinkLoads& loads = scratch.loads_;
  for (int64_t p : prefix_keys) {
    const int64_t to = Coord(p, axis);
    const int64_t low = p - to * stride;
    const double p_bytes = bytes_per_pair * prefix_count[static_cast<size_t>(p)];
    for (int64_t q : suffix_keys) {
      const int64_t from = Coord(q, axis);
      if (from == to) continue;
      AddLeg(loads, low + q, axis, from, to, p_bytes * suffix_count[static_cast<size_t>(q)]);
    }
  }
  for (int64_t p : prefix_keys) prefix_count[static_cast<size_t>(p)] = 0;
  for (int64_t q : suffix_keys) suffix_count[static_cast<size_t>(q)] = 0;
}

int64_t CommModel::AddAllToAllGroup(CommScratch& scratch, double bytes) const {
  const std::vector<int64_t>& members = scratch.members_;
  const double n = static_cast<double>(members.size());
  const double chunk = bytes / (n * n);
  // The loads count pairs per line without enumerating them; a recording (the simulator's flows)
  // gets every pair's routes instead, chained, with the same bytes on every link.
  std::vector<LinkRun>* recorded = scratch.loads_.recorded_runs();
  if (recorded != nullptr) {
    scratch.loads_.RecordRuns(nullptr);
    for (int64_t s : members) {
      for (int64_t t : members) {
        if (s != t) RecordRoutes(*recorded, s, t, chunk, /*classes_in_order=*/true);
      }
    }
  }
  const int64_t hops = AddAllToAllLoads(scratch, chunk);
  if (recorded != nullptr) scratch.loads_.RecordRuns(recorded);
  return hops;
}

int64_t CommModel::AddAllToAllLoads(CommScratch& scratch, double chunk) const {
  const std::vector<int64_t>& members = scratch.members_;
  int active[kNumGridAxes];
  int k = 0;
  int64_t product = 1;
  int64_t hops = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    uint64_t coords_used = 0;
    for (int64_t d : members) coords_used |= uint64_t{1} << Coord(d, axis);
    const int used = BitCount(coords_used);
    if (used < 2) continue;
    active[k++] = axis;
    product *= used;
    // Hops: the longest leg on this axis between coordinates in use (summed over axes: exact for
    // a group that fills a sub-grid, an upper bound otherwise).
    const int64_t size = topology_.GridSize(axis);
    int64_t longest = 0;
    for (int64_t a = 0; a < size; ++a) {
      if (!(coords_used >> a & 1)) continue;
      for (int64_t b = a + 1; b < size; ++b) {
        if (coords_used >> b & 1) longest = std::max(longest, std::abs(Steps(axis, a, b)));
      }
    }
    hops += longest;
  }
  // Pairs are routed dimension-order with the axis classes in a fixed order (that of their first
  // axis: core, x, y, z) and, within a class of exchangeable axes (equal length and wrap), their
  // bytes split evenly over every order of its axes, so the loads do not depend on how equal axes
  // are numbered. A group that is a product of coordinate sets gets the same loads from every
  // order (the pairs crossing an axis on any line are the same multiset): one order is enough.
  if (product == static_cast<int64_t>(members.size())) {
    unsigned before = 0;
    for (int i = 0; i < k; ++i) {
      AddAllToAllLegs(scratch, active[i], before, chunk);
      before |= 1u << active[i];
    }
    return hops;
  }
  for (int i = 0; i < k; ++i) {
    const int a = active[i];
    unsigned earlier = 0;  // active axes of earlier classes: always crossed before a
    unsigned peers = 0;    // other active axes of a's class: crossed before a in some orders
    int class_size = 1;
    for (int j = 0; j < k; ++j) {
      const int b = active[j];
      if (b == a) continue;
      if (class_first_axis_[b] == class_first_axis_[a]) {
        peers |= 1u << b;
        ++class_size;
      } else if (class_first_axis_[b] < class_first_axis_[a]) {
        earlier |= 1u << b;
      }
    }
    for (unsigned sub = peers;; sub = (sub - 1) & peers) {
      AddAllToAllLegs(scratch, a, earlier | sub, chunk * kOrderShare[class_size][BitCount(sub)]);
      if (sub == 0) break;
    }
  }
  return hops;
}

double CommModel::Capacity(int64_t slot, const LinkLoads& loads) const {
  const double bandwidth = axis_bandwidth_[(slot / 2) % kNumGridAxes];
  if (options_.contention == ContentionLaw::kMeasuredSharedLink && loads.users(slot) >= 2) {
    return bandwidth * 2.0 * options_.shared_link_user_share;
  }
  return bandwidth;
}

CollectiveTime CommModel::Estimate(const Collective& collective, const DeviceIds& placement,
                                   CommScratch& scratch) const {
  LinkLoads& loads = scratch.loads_;
  loads.Reset(options_.contention == ContentionLaw::kMeasuredSharedLink);
  CollectiveTime out;
  out.passes = collective.kind == CollectiveKind::kAllReduce ? 2 : 1;
  const double bytes = collective.array_bytes;
  double hops = 0.0;
  bool moved = false;

  if (collective.kind == CollectiveKind::kCollectivePermute) {
    for (const auto& [source_id, target_id] : collective.pairs) {
      const int64_t source = Physical(placement, source_id);
      const int64_t target = Physical(placement, target_id);
      if (source == target) continue;
      loads.NextUser();
      hops = std::max(hops, static_cast<double>(AddTransfer(loads, source, target, bytes)));
      moved = true;
    }
  } else {
    const int64_t num_logical = NumLogicalDevices(topology_, placement);
    const size_t num_groups = collective.groups.empty() ? 1 : collective.groups.size();
    for (size_t g = 0; g < num_groups; ++g) {
      std::vector<int64_t>& members = scratch.members_;
      members.clear();
      if (collective.groups.empty()) {
        for (int64_t id = 0; id < num_logical; ++id) members.push_back(Physical(placement, id));
      } else {
        for (int64_t id : collective.groups[g]) members.push_back(Physical(placement, id));
      }
      if (members.size() < 2) continue;
      loads.NextUser();
      moved = true;
      const double group_hops = collective.kind == CollectiveKind::kAllToAll
                                    ? static_cast<double>(AddAllToAllGroup(scratch, bytes))
                                    : AddRingGroup(scratch, bytes * out.passes);
      hops = std::max(hops, group_hops);
    }
  }
  if (!moved) return out;

  loads.Finalize();
  const std::vector<double>& link_bytes = loads.bytes();
  double bulk = 0.0;
  for (size_t slot = 0; slot < link_bytes.size(); ++slot) {
    if (link_bytes[slot] <= 0.0) continue;
    const double seconds = link_bytes[slot] / Capacity(static_cast<int64_t>(slot), loads);
    if (seconds > bulk) {
      bulk = seconds;
      out.bottleneck_link = static_cast<int64_t>(slot);
    }
  }
  if (out.bottleneck_link >= 0) {
    out.bottleneck_bytes = link_bytes[static_cast<size_t>(out.bottleneck_link)];
    out.bottleneck_users = loads.users(out.bottleneck_link);
  }
  const ChipSpec& chip = topology_.chip();
  out.hops = static_cast<int64_t>(std::ceil(hops));
  out.bulk_seconds = bulk;
  out.hop_latency_seconds = out.passes * hops * chip.ici_hop_latency.value;
  out.fixed_latency_seconds = chip.collective_fixed_latency.value;
  out.seconds = out.fixed_latency_seconds + out.bulk_seconds + out.hop_latency_seconds;
  return out;
}

Result<CollectiveCost> CommModel::Cost(const Collective& collective,
                                       const DeviceIds& placement) const {
  AOIZORA_RETURN_IF_ERROR(ValidateCollective(topology_, collective, placement));
  CommScratch scratch = NewScratch();
  CollectiveCost cost;
  static_cast<CollectiveTime&>(cost) = Estimate(collective, placement, scratch);
  cost.link_bytes = scratch.loads().bytes();
  return cost;
}

}  // namespace aoizora
