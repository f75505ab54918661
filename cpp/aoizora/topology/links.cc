#include "aoizora/topology/links.h"

#include <cstdlib>

namespace aoizora {

bool LinkExists(const Topology& topology, const Link& link) {
  if (!topology.ContainsDevice(link.from_device)) return false;
  if (link.axis < 0 || link.axis >= kNumGridAxes) return false;
  const int64_t size = topology.GridSize(link.axis);
  if (size < 2) return false;
  if (topology.GridWraps(link.axis)) return true;
  const int64_t c = topology.DeviceGridCoords(link.from_device)[link.axis];
  return link.positive ? c + 1 < size : c > 0;
}

int64_t LinkTarget(const Topology& topology, const Link& link) {
  GridCoords c = topology.DeviceGridCoords(link.from_device);
  const int64_t size = topology.GridSize(link.axis);
  c[link.axis] = (c[link.axis] + (link.positive ? 1 : size - 1)) % size;
  return topology.DeviceAt(c);
}

Bandwidth AxisLinkBandwidth(const Topology& topology, int axis) {
  return axis == kCoreAxis ? topology.chip().die_to_die_one_way : topology.chip().ici_link_one_way;
}

std::string LinkName(const Topology& topology, const Link& link) {
  auto name = [&](int64_t device) {
    const GridCoords c = topology.DeviceGridCoords(device);
    std::string s = "(";
    s += std::to_string(c[1]);
    s += ",";
    s += std::to_string(c[2]);
    s += ",";
    s += std::to_string(c[3]);
    s += ")";
    if (topology.cores_per_chip() > 1) s += ".core" + std::to_string(c[0]);
    return s;
  };
  static constexpr const char* kAxisNames[kNumGridAxes] = {"core", "x", "y", "z"};
  return name(link.from_device) + "->" + name(LinkTarget(topology, link)) + " " +
         (link.positive ? "+" : "-") + kAxisNames[link.axis];
}

std::vector<Link> AllLinks(const Topology& topology) {
  std::vector<Link> links;
  for (int64_t index = 0; index < NumLinkSlots(topology); ++index) {
    const Link link = LinkFromIndex(index);
    if (LinkExists(topology, link)) links.push_back(link);
  }
  return links;
}

std::vector<int64_t> Neighbors(const Topology& topology, int64_t device) {
  std::vector<int64_t> out;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    for (bool positive : {true, false}) {
      const Link link{device, axis, positive};
      if (!LinkExists(topology, link)) continue;
      const int64_t target = LinkTarget(topology, link);
      bool seen = false;
      for (int64_t d : out) seen = seen || d == target;
      if (!seen) out.push_back(target);
    }
  }
  return out;
}

int64_t AxisSteps(int64_t size, bool wraps, int64_t a, int64_t b) {
  const int64_t delta = b - a;
  if (!wraps) return delta;
  const int64_t forward = ((delta % size) + size) % size;
  return forward * 2 <= size ? forward : forward - size;
}

int64_t AxisSteps(const Topology& topology, int axis, int64_t a, int64_t b) {
  return AxisSteps(topology.GridSize(axis), topology.GridWraps(axis), a, b);
}

std::vector<Link> Route(const Topology& topology, int64_t source, int64_t target) {
  std::vector<Link> route;
  GridCoords at = topology.DeviceGridCoords(source);
  const GridCoords to = topology.DeviceGridCoords(target);
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    const int64_t steps = AxisSteps(topology, axis, at[axis], to[axis]);
    const int64_t size = topology.GridSize(axis);
    for (int64_t i = 0; i < std::llabs(steps); ++i) {
      route.push_back({topology.DeviceAt(at), axis, steps > 0});
      at[axis] = (at[axis] + (steps > 0 ? 1 : size - 1)) % size;
    }
  }
  return route;
}

int64_t HopCount(const Topology& topology, int64_t source, int64_t target) {
  const GridCoords a = topology.DeviceGridCoords(source);
  const GridCoords b = topology.DeviceGridCoords(target);
  int64_t hops = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    hops += std::llabs(AxisSteps(topology, axis, a[axis], b[axis]));
  }
  return hops;
}

}  // namespace aoizora
