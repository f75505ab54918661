#pragma once
// The slice as a SimGrid platform, described without SimGrid (engine.cc instantiates it), so
// that both evaluators read the same machine from one Topology (docs/simgrid.md):
//
// - one host per device (JAX device; a tpu7x chip has two);
// - one link per ICI link of a chip and direction, with the sourced one-way bandwidth W_1 and
//   per-hop latency of ChipSpec; the two devices of a tpu7x chip send over their chip's links, so
//   the link slots (topology/links.h) of both cores map to the one chip link; the tpu7x
//   die-to-die link is one link per chip and direction (ChipSpec's die-to-die bandwidth);
// - wraparound exactly where Topology has it (a link exists iff LinkExists);
// - routes in dimension order (topology/links.h Route: core, x, y, z, the short way round).
//
// The comm model's link runs (comm/link_loads.h LinkRun: bytes over consecutive links of one axis
// in one direction) are replayed as flows along exactly those links: RunLinks.

#include <cstdint>
#include <string>
#include <vector>

#include "aoizora/comm/link_loads.h"
#include "aoizora/topology/topology.h"

namespace aoizora::sim {

struct PlatformLink {
  std::string name;  // "x+(0,1,0)": axis, direction, chip coordinates of the sending chip
  double bandwidth_bytes_per_second = 0.0;
  double latency_seconds = 0.0;
};

class Platform {
 public:
  explicit Platform(const Topology& topology);

  const Topology& topology() const { return topology_; }
  const std::vector<PlatformLink>& links() const { return links_; }
  int64_t num_hosts() const { return topology_.num_devices(); }
  // Platform link of a link slot (topology/links.h LinkIndex); -1 where the slot's link does not
  // exist.
  int32_t LinkOfSlot(int64_t slot) const { return link_of_slot_[static_cast<size_t>(slot)]; }
  // Dimension-order route between two devices as platform link indices (empty for source ==
  // target). Preconditions: both devices in the topology.
  std::vector<int32_t> RouteLinks(int64_t source, int64_t target) const;
  // The links of a run, in order. Precondition: a run the comm model emits (its links exist).
  std::vector<int32_t> RunLinks(const LinkRun& run) const;
  // Device reached by a run.
  int64_t RunTarget(const LinkRun& run) const;

 private:
  Topology topology_;
  std::vector<PlatformLink> links_;
  std::vector<int32_t> link_of_slot_;
};

}  // namespace aoizora::sim
