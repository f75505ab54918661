#include "aoizora/comm/comm_model.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>

#include "aoizora/comm/collective_validation.h"

namespace aoizora {
namespace {

constexpr int kDimensionOrder[kNumGridAxes] = {0, 1, 2, 3};  // core, x, y, z

}  // namespace

CommScratch::CommScratch(const Topology& topology) : loads_(topology) {
  members_.reserve(static_cast<size_t>(topology.num_devices()));
  ordered_.reserve(static_cast<size_t>(topology.num_devices()));
  prefix_count_.assign(static_cast<size_t>(topology.num_devices()), 0);
  suffix_count_.assign(static_cast<size_t>(topology.num_devices()), 0);
  prefix_keys_.reserve(static_cast<size_t>(topology.num_devices()));
  suffix_keys_.reserve(static_cast<size_t>(topology.num_devices()));
}

CommModel::CommModel(const Topology& topology, CommOptions options)
    : topology_(topology), options_(options) {
  const int64_t n = topology_.num_devices();
  coords_.resize(static_cast<size_t>(n));
  snake_rank_.resize(static_cast<size_t>(n));
  for (int64_t d = 0; d < n; ++d) {
    const GridCoords c = topology_.DeviceGridCoords(d);
    coords_[static_cast<size_t>(d)] = c;
    // Boustrophedon: z outermost, the core innermost, every axis reversing on odd prefixes.
    int64_t rank = 0;
    for (int axis = kNumGridAxes - 1; axis >= 0; --axis) {
      const int64_t size = topology_.GridSize(axis);
      const int64_t coord = rank % 2 == 1 ? size - 1 - c[axis] : c[axis];
      rank = rank * size + coord;
    }
    snake_rank_[static_cast<size_t>(d)] = rank;
  }
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    axis_bandwidth_[axis] = AxisLinkBandwidth(topology_, axis).bytes_per_second;
  }
}

int64_t CommModel::Steps(int axis, int64_t from, int64_t to) const {
  const int64_t size = topology_.GridSize(axis);
  if (!topology_.GridWraps(axis)) return to - from;
  const int64_t forward = ((to - from) % size + size) % size;
  return forward * 2 <= size ? forward : forward - size;
}

int64_t CommModel::Distance(int64_t a, int64_t b) const {
  int64_t hops = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    hops += std::abs(Steps(axis, Coord(a, axis), Coord(b, axis)));
  }
  return hops;
}

int64_t CommModel::AddRoute(LinkLoads& loads, int64_t source, int64_t target, double bytes,
                            const int* axis_order) const {
  int64_t at = source;
  int64_t hops = 0;
  for (int i = 0; i < kNumGridAxes; ++i) {
    const int axis = axis_order[i];
    const int64_t from = Coord(at, axis);
    const int64_t to = Coord(target, axis);
    if (from == to) continue;
    const int64_t size = topology_.GridSize(axis);
    const int64_t steps = Steps(axis, from, to);
    if (topology_.GridWraps(axis) && steps * 2 == size) {
      // Both ways round are equally short: half the bytes each way.
      loads.AddRun(at, from, axis, steps, bytes / 2);
      loads.AddRun(at, from, axis, -steps, bytes / 2);
    } else {
      loads.AddRun(at, from, axis, steps, bytes);
    }
    hops += std::abs(steps);
    at += (to - from) * topology_.GridStride(axis);
  }
  return hops;
}

int64_t CommModel::AddTransfer(LinkLoads& loads, int64_t source, int64_t target,
                               double bytes) const {
  int differing[kNumGridAxes];
  int k = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    if (Coord(source, axis) != Coord(target, axis)) differing[k++] = axis;
  }
  if (k <= 1) return AddRoute(loads, source, target, bytes, kDimensionOrder);
  int64_t hops = 0;
  for (int r = 0; r < k; ++r) {
    int order[kNumGridAxes] = {0, 1, 2, 3};
    for (int i = 0; i < k; ++i) order[i] = differing[(r + i) % k];
    hops = AddRoute(loads, source, target, bytes / k, order);
  }
  return hops;
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

bool CommModel::AddSubGridPhases(CommScratch& scratch, double bytes, double* hops) const {
  const std::vector<int64_t>& members = scratch.members_;
  uint64_t masks[kNumGridAxes] = {0, 0, 0, 0};
  for (int64_t d : members) {
    for (int axis = 0; axis < kNumGridAxes; ++axis) masks[axis] |= uint64_t{1} << Coord(d, axis);
  }
  int64_t extent[kNumGridAxes];
  int64_t lo[kNumGridAxes];
  bool ring[kNumGridAxes];
  int64_t count = 1;
  int active[kNumGridAxes];
  int k = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    const int64_t size = topology_.GridSize(axis);
    const uint64_t mask = masks[axis];
    const int64_t n = std::popcount(mask);
    extent[axis] = n;
    count *= n;
    ring[axis] = topology_.GridWraps(axis) && n == size && n >= 3;
    const int tz = std::countr_zero(mask);
    if (n == size || (mask >> tz) == (uint64_t{1} << n) - 1) {
      lo[axis] = n == size ? 0 : tz;
    } else if (topology_.GridWraps(axis)) {  // an interval that wraps round
      const uint64_t gap = ~mask & ((uint64_t{1} << size) - 1);
      const int gap_tz = std::countr_zero(gap);
      const int64_t gap_n = std::popcount(gap);
      if ((gap >> gap_tz) != (uint64_t{1} << gap_n) - 1) return false;
      lo[axis] = (gap_tz + gap_n) % size;
    } else {
      return false;
    }
    if (n > 1) active[k++] = axis;
  }
  if (count != static_cast<int64_t>(members.size())) return false;

  LinkLoads& loads = scratch.loads_;
  const double n_total = static_cast<double>(count);
  *hops = 0.0;
  for (int i = 0; i < k; ++i) {
    const int a = active[i];
    *hops += static_cast<double>(ring[a] ? extent[a] / 2 : extent[a] - 1);
  }
  // Multi-axis all-gather (SB: "increases the available bandwidth by a factor of N_axes"): the
  // data is cut into k parts; part j gathers along the active axes in the order rotated by j, so
  // at any time every axis is busy with one part. In the phase on axis a the lines along a gather
  // D = (V/k) x (product of the extents gathered so far, a included) / N bytes each.
  for (int part = 0; part < k; ++part) {
    double gathered = 1.0;
    for (int step = 0; step < k; ++step) {
      const int a = active[(part + step) % k];
      const int64_t n = extent[a];
      const int64_t size = topology_.GridSize(a);
      const int64_t stride = topology_.GridStride(a);
      gathered *= static_cast<double>(n);
      const double line_bytes = bytes / k * gathered / n_total;
      const int64_t num_lines = count / n;
      for (int64_t line = 0; line < num_lines; ++line) {
        // Device of this line with coordinate 0 on axis a.
        int64_t rest = line;
        int64_t base = 0;
        for (int axis = 0; axis < kNumGridAxes; ++axis) {
          if (axis == a) continue;
          const int64_t offset = rest % extent[axis];
          rest /= extent[axis];
          base += ((lo[axis] + offset) % topology_.GridSize(axis)) * topology_.GridStride(axis);
        }
        if (ring[a]) {
          const double forward = static_cast<double>(n / 2) * line_bytes / n;
          const double backward = static_cast<double>((n + 1) / 2 - 1) * line_bytes / n;
          loads.AddRun(base, 0, a, n, forward);
          if (backward > 0.0) loads.AddRun(base + (n - 1) * stride, n - 1, a, -n, backward);
          continue;
        }
        // Line of n: the shard at position p flows n-1-p links one way and p the other.
        const double shard = line_bytes / static_cast<double>(n);
        for (int64_t p = 0; p < n; ++p) {
          const int64_t c = (lo[a] + p) % size;
          const int64_t device = base + c * stride;
          if (n - 1 - p > 0) loads.AddRun(device, c, a, n - 1 - p, shard);
          if (p > 0) loads.AddRun(device, c, a, -p, shard);
        }
      }
    }
  }
  return true;
}

double CommModel::AddRingGroup(CommScratch& scratch, double bytes) const {
  std::vector<int64_t>& members = scratch.members_;
  if (options_.ring_order == RingOrder::kListedOrder) {
    return AddRingInOrder(scratch.loads_, members, bytes);
  }
  double hops = 0.0;
  if (AddSubGridPhases(scratch, bytes, &hops)) return hops;
  // Scattered chips: one ring, in the listed or the snake order, whichever has fewer hops.
  const size_t n = members.size();
  int64_t listed_hops = 0;
  for (size_t i = 0; i < n; ++i) listed_hops += Distance(members[i], members[(i + 1) % n]);
  auto& ordered = scratch.ordered_;
  ordered.clear();
  for (int64_t d : members) ordered.emplace_back(snake_rank_[static_cast<size_t>(d)], d);
  std::sort(ordered.begin(), ordered.end());
  int64_t snake_hops = 0;
  for (size_t i = 0; i < n; ++i) {
    snake_hops += Distance(ordered[i].second, ordered[(i + 1) % n].second);
  }
  if (snake_hops < listed_hops) {
    for (size_t i = 0; i < n; ++i) members[i] = ordered[i].second;
  }
  return AddRingInOrder(scratch.loads_, members, bytes);
}

int64_t CommModel::AddAllToAllGroup(CommScratch& scratch, double bytes) const {
  // Every device sends V/N^2 to every other member, routed dimension-order (SB's all-pairs view).
  // Pair (s, t) crosses axis a on the line with t's coordinates below a and s's above a, from s_a
  // to t_a. So the flows on axis a aggregate exactly: the pairs with dest prefix p = t_{<=a} and
  // source suffix q = s_{>=a} number count(p) x count(q), which turns N^2 routes into at most
  // (#prefixes x #suffixes) runs per axis.
  const std::vector<int64_t>& members = scratch.members_;
  const double n = static_cast<double>(members.size());
  const double chunk = bytes / (n * n);
  LinkLoads& loads = scratch.loads_;
  int64_t hops = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    const int64_t size = topology_.GridSize(axis);
    if (size < 2) continue;
    const int64_t stride = topology_.GridStride(axis);
    const int64_t prefix_modulus = stride * size;
    auto& prefix_count = scratch.prefix_count_;
    auto& suffix_count = scratch.suffix_count_;
    auto& prefix_keys = scratch.prefix_keys_;
    auto& suffix_keys = scratch.suffix_keys_;
    prefix_keys.clear();
    suffix_keys.clear();
    uint64_t coords_used = 0;
    for (int64_t d : members) {
      const int64_t p = d % prefix_modulus;
      const int64_t q = d / stride;
      if (prefix_count[static_cast<size_t>(p)]++ == 0) prefix_keys.push_back(p);
      if (suffix_count[static_cast<size_t>(q)]++ == 0) suffix_keys.push_back(q);
      coords_used |= uint64_t{1} << Coord(d, axis);
    }
    for (int64_t p : prefix_keys) {
      const int64_t to = p / stride;
      const int64_t low = p % stride;
      const double p_bytes = chunk * prefix_count[static_cast<size_t>(p)];
      for (int64_t q : suffix_keys) {
        const int64_t from = q % size;
        if (from == to) continue;
        const int64_t device = low + (q / size) * prefix_modulus + from * stride;
        const double run_bytes = p_bytes * suffix_count[static_cast<size_t>(q)];
        const int64_t steps = Steps(axis, from, to);
        if (topology_.GridWraps(axis) && steps * 2 == size) {
          loads.AddRun(device, from, axis, steps, run_bytes / 2);
          loads.AddRun(device, from, axis, -steps, run_bytes / 2);
        } else {
          loads.AddRun(device, from, axis, steps, run_bytes);
        }
      }
    }
    for (int64_t p : prefix_keys) prefix_count[static_cast<size_t>(p)] = 0;
    for (int64_t q : suffix_keys) suffix_count[static_cast<size_t>(q)] = 0;
    // Hops: the longest leg on this axis between coordinates in use (summed over axes: exact for
    // a group that fills a sub-grid, an upper bound otherwise).
    int64_t longest = 0;
    for (int64_t a = 0; a < size; ++a) {
      if (!(coords_used >> a & 1)) continue;
      for (int64_t b = a + 1; b < size; ++b) {
        if (coords_used >> b & 1) longest = std::max(longest, std::abs(Steps(axis, a, b)));
      }
    }
    hops += longest;
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

CollectiveTime CommModel::Estimate(const Collective& collective, const Placement& placement,
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
                                       const Placement& placement) const {
  AOIZORA_RETURN_IF_ERROR(ValidateCollective(topology_, collective, placement));
  CommScratch scratch = NewScratch();
  CollectiveCost cost;
  static_cast<CollectiveTime&>(cost) = Estimate(collective, placement, scratch);
  cost.link_bytes = scratch.loads().bytes();
  return cost;
}

}  // namespace aoizora
