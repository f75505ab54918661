#include "aoizora/sim/platform.h"

#include <cstdlib>

#include "aoizora/topology/links.h"

namespace aoizora::sim {
namespace {

constexpr const char* kAxisNames[kNumGridAxes] = {"core", "x", "y", "z"};

std::string ChipLinkName(const Topology& topology, const Link& link) {
  const ChipCoords chip = topology.ChipOf(link.from_device);
  std::string name = kAxisNames[link.axis];
  name += link.positive ? "+" : "-";
  name += "(" + std::to_string(chip.x) + "," + std::to_string(chip.y) + "," +
          std::to_string(chip.z) + ")";
  return name;
}

// The link slot all devices of a chip share: that of the chip's core-0 device for ICI axes; the
// device's own slot for the die-to-die (core) axis.
int64_t SharedSlot(const Topology& topology, const Link& link) {
  if (link.axis == kCoreAxis) return LinkIndex(link);
  const int64_t core0 = link.from_device - topology.CoreOf(link.from_device);
  return LinkIndex({core0, link.axis, link.positive});
}

}  // namespace

Platform::Platform(const Topology& topology)
    : topology_(topology), link_of_slot_(static_cast<size_t>(NumLinkSlots(topology)), -1) {
  const double latency = topology.chip().ici_hop_latency.value;
  // Core-0 slots (and die-to-die slots) first, so every shared slot has its link when the other
  // core's slots map to it.
  for (const Link& link : AllLinks(topology)) {
    if (SharedSlot(topology, link) != LinkIndex(link)) continue;
    link_of_slot_[static_cast<size_t>(LinkIndex(link))] = static_cast<int32_t>(links_.size());
    links_.push_back({ChipLinkName(topology, link),
                      AxisLinkBandwidth(topology, link.axis).bytes_per_second, latency});
  }
  for (const Link& link : AllLinks(topology)) {
    const int64_t shared = SharedSlot(topology, link);
    link_of_slot_[static_cast<size_t>(LinkIndex(link))] =
        link_of_slot_[static_cast<size_t>(shared)];
  }
}

std::vector<int32_t> Platform::RouteLinks(int64_t source, int64_t target) const {
  std::vector<int32_t> out;
  for (const Link& link : Route(topology_, source, target)) {
    out.push_back(LinkOfSlot(LinkIndex(link)));
  }
  return out;
}

std::vector<int32_t> Platform::RunLinks(const LinkRun& run) const {
  std::vector<int32_t> out;
  const bool positive = run.steps > 0;
  int64_t device = run.device;
  for (int64_t i = 0; i < std::llabs(run.steps); ++i) {
    const Link link{device, run.axis, positive};
    out.push_back(LinkOfSlot(LinkIndex(link)));
    device = LinkTarget(topology_, link);
  }
  return out;
}

int64_t Platform::RunTarget(const LinkRun& run) const {
  GridCoords c = topology_.DeviceGridCoords(run.device);
  const int64_t size = topology_.GridSize(run.axis);
  c[run.axis] = (((c[run.axis] + run.steps) % size) + size) % size;
  return topology_.DeviceAt(c);
}

}  // namespace aoizora::sim
