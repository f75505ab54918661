#pragma once
// The second opinion on communication: collectives and whole step programs replayed on SimGrid
// (docs/simgrid.md). Every time here is a simulator prediction on our platform description, not a
// measurement.
//
// A collective becomes the flows of the algorithm the comm model assumes: the comm model's own
// expansion (CommModel::Estimate with its link runs recorded, comm/link_loads.h), so the two
// evaluators share flows and routes and differ only in how the flows share the links over time
// (max-min fair rates that change as flows start and end, per-flow route latency, chip links
// shared by both cores of a tpu7x chip) instead of the busiest link's bytes / W_1 + hops x latency.
// All groups of a collective start together and contend. Time = fixed collective latency (the
// comm model's, a runtime cost, not a network one) + passes x the makespan of one pass's flows.
//
// A step replays the Q2 model's events (placement/q2_model.h: compute ops on the compute clock at
// Q2's compute time, collectives on one queue, async windows, loop multiplicity) with each
// distinct collective's time taken from SimGrid: only communication differs between the two.

#include <cstdint>
#include <string>
#include <vector>

#include "aoizora/comm/collective.h"
#include "aoizora/comm/comm_model.h"
#include "aoizora/placement/q2_model.h"
#include "aoizora/sim/engine.h"
#include "aoizora/sim/platform.h"
#include "aoizora/topology/topology.h"
#include "aoizora/util/result.h"

namespace aoizora::sim {

inline constexpr const char* kSimulatorLabel = "simulator prediction (SimGrid)";

struct SimCollectiveTime {
  double seconds = 0.0;          // fixed latency + passes x network_seconds
  double network_seconds = 0.0;  // SimGrid makespan of one pass's flows
  double fixed_latency_seconds = 0.0;
  int passes = 1;
  int64_t flows = 0;           // flows of one pass
  double model_seconds = 0.0;  // the comm model's time for the same collective and placement
  std::string label = kSimulatorLabel;
};

struct SimCollectiveBreakdown {
  std::string name;
  std::string kind;
  double count = 0.0;
  double seconds_each = 0.0;        // simulated
  double model_seconds_each = 0.0;  // comm model
  double exposed_seconds = 0.0;     // simulated replay
};

struct SimStepResult {
  double seconds = 0.0;          // simulated step
  double comm_seconds = 0.0;     // sum of collective times (overlapped or not), simulated
  double compute_seconds = 0.0;  // Q2's compute clock (the same in both)
  double exposed_comm_seconds = 0.0;
  double model_seconds = 0.0;  // Q2's step on the same placement
  double model_comm_seconds = 0.0;
  std::vector<SimCollectiveBreakdown> collectives;  // one per distinct collective
  std::string label = kSimulatorLabel;
};

class Simulator {
 public:
  explicit Simulator(const Topology& topology, CommOptions options = {});

  const Platform& platform() const { return platform_; }
  const CommModel& comm() const { return comm_; }

  // The flows of one pass of `collective` on `placement` (empty placement = identity), and the
  // comm model's time for it. Errors: an invalid collective or placement (names the value).
  Result<FlowSet> Flows(const Collective& collective, const DeviceIds& placement,
                        CollectiveTime* model_time = nullptr) const;

  // Each (collective, placement) simulated alone on an idle slice.
  Result<std::vector<SimCollectiveTime>> SimulateCollectives(
      const std::vector<std::pair<Collective, DeviceIds>>& items) const;

  // One step of `model`'s program on each placement (one SimGrid run for the batch). The model's
  // comm model must be of this simulator's topology. Errors: an invalid placement (names it).
  Result<std::vector<SimStepResult>> SimulateSteps(const placement::Q2Model& model,
                                                   const std::vector<DeviceIds>& placements) const;

 private:
  CommModel comm_;
  Platform platform_;
};

}  // namespace aoizora::sim
