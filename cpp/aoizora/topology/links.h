#pragma once
// Directed links of a slice and dimension-order routes over them (tpu-hardware.md section 2.5:
// Manhattan distances, the short way round on wrapped axes; host boundaries do not cut ICI).
//
// A link leaves `from_device` along one grid axis (see topology.h: 0 = core, 1 = x, 2 = y,
// 3 = z) in the + or - direction. Links along the core axis are the tpu7x die-to-die link between
// the two devices of a chip; the others are ICI links. Every (device, axis, direction) has a slot
// index, LinkIndex(), so per-link quantities live in flat arrays of NumLinkSlots() entries; slots
// of links that do not exist (edges of open axes, axes of size 1) stay unused.

#include <cstdint>
#include <string>
#include <vector>

#include "aoizora/topology/topology.h"
#include "aoizora/util/units.h"

namespace aoizora {

struct Link {
  int64_t from_device = 0;
  int axis = 1;
  bool positive = true;
  bool operator==(const Link&) const = default;
};

inline int64_t LinkIndex(const Link& link) {
  return (link.from_device * kNumGridAxes + link.axis) * 2 + (link.positive ? 0 : 1);
}
inline Link LinkFromIndex(int64_t index) {
  return {index / (2 * kNumGridAxes), static_cast<int>((index / 2) % kNumGridAxes), index % 2 == 0};
}
inline int64_t NumLinkSlots(const Topology& topology) {
  return topology.num_devices() * kNumGridAxes * 2;
}

bool LinkExists(const Topology& topology, const Link& link);
// Precondition: LinkExists.
int64_t LinkTarget(const Topology& topology, const Link& link);
// One-way bandwidth of links along `axis`: die-to-die on the core axis, W_1 otherwise.
Bandwidth AxisLinkBandwidth(const Topology& topology, int axis);
// "(1,0,0)->(1,1,0) +y" with chip coordinates (and ".core" on tpu7x).
std::string LinkName(const Topology& topology, const Link& link);

std::vector<Link> AllLinks(const Topology& topology);
// Devices one link away (each listed once).
std::vector<int64_t> Neighbors(const Topology& topology, int64_t device);

// The one hop-distance rule (routes, hop counts, the comm model's step tables and the placement
// grid all use it): signed steps from coordinate a to b along an axis of `size` positions, the
// short way round when the axis wraps (a tie on an even-length ring goes +), b - a otherwise.
// |AxisSteps| summed over the axes is the hop distance.
int64_t AxisSteps(int64_t size, bool wraps, int64_t a, int64_t b);
// The same along a grid axis of the topology (0 = core, 1 = x, 2 = y, 3 = z).
int64_t AxisSteps(const Topology& topology, int axis, int64_t a, int64_t b);
// Dimension-order route: core, then x, y, z. Preconditions: both devices in the topology.
std::vector<Link> Route(const Topology& topology, int64_t source, int64_t target);
// Hop distance: the length of Route(), the Manhattan distance with the short way on wrapped axes.
int64_t HopCount(const Topology& topology, int64_t source, int64_t target);

}  // namespace aoizora
