#pragma once
// Runs flows on the SimGrid platform (S4U, flow-level network model with max-min sharing) and
// reports when they end. Every time it returns is a simulator prediction, not a measurement.
//
// SimGrid's s4u::Engine is a process singleton: SimGrid 3.32 cannot start a second one in the
// same process (the clock is not reset and the configuration is locked: "Cannot change the model
// after the initialization"; docs/simgrid.md). So each call forks a child that builds the
// platform, simulates every flow set of the batch one after the other in one engine run (each set
// starts on an idle network when the previous one has ended; its time is the clock difference),
// writes the times to a pipe and exits. The caller's process never holds an engine.

#include <cstdint>
#include <vector>

#include "aoizora/comm/link_loads.h"
#include "aoizora/sim/platform.h"
#include "aoizora/util/result.h"

namespace aoizora::sim {

// A device-to-device flow along the platform's dimension-order route.
struct Transfer {
  int64_t source = 0;
  int64_t target = 0;
  double bytes = 0.0;
};

// Flows that start together and contend (max-min fair sharing of every link they cross).
struct FlowSet {
  // Along the comm model's link runs (Platform::RunLinks); a run that `continues` and the runs
  // after it up to the first that does not are one flow over all of their links (a routed
  // multi-axis transfer).
  std::vector<LinkRun> runs;
  std::vector<Transfer> transfers;  // along Platform::RouteLinks

  // Flows this set starts (chains counted once).
  int64_t flow_count() const {
    int64_t n = static_cast<int64_t>(transfers.size());
    for (const LinkRun& run : runs) n += run.continues ? 0 : 1;
    return n;
  }
};

// True when the core was built with SimGrid (found by pkg-config at configure time).
bool SimGridAvailable();

// The makespan of each flow set in seconds: from its start to the end of its last flow (0 for a
// set that moves nothing). A flow's time is its route's latency (hops x per-hop latency) plus its
// bytes at the max-min fair rate, which changes whenever a flow starts or ends. Errors: built
// without SimGrid ("run scripts/bootstrap.sh"); the simulation failed (names how the child ended).
Result<std::vector<double>> SimulateFlowSets(const Platform& platform,
                                             const std::vector<FlowSet>& sets);

}  // namespace aoizora::sim
