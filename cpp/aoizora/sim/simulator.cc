#include "aoizora/sim/simulator.h"

#include <utility>

#include "aoizora/comm/collective_validation.h"

namespace aoizora::sim {
namespace {

// One pass of the comm model's expansion of `collective`, recorded as link runs.
FlowSet RecordFlows(const CommModel& comm, const Collective& collective, const DeviceIds& placement,
                    CommScratch& scratch, CollectiveTime* time) {
  FlowSet set;
  scratch.RecordRuns(&set.runs);
  const CollectiveTime t = comm.Estimate(collective, placement, scratch);
  scratch.RecordRuns(nullptr);
  // The model adds both passes of an all-reduce as one set of runs with twice the bytes; the
  // simulator runs one pass and counts it `passes` times (the second pass starts on an idle
  // network when the first ends).
  for (LinkRun& run : set.runs) run.bytes /= t.passes;
  if (time != nullptr) *time = t;
  return set;
}

double SimulatedSeconds(const CollectiveTime& model, double network_seconds) {
  if (network_seconds <= 0.0 && model.seconds <= 0.0) return 0.0;  // nothing moved
  return model.fixed_latency_seconds + model.passes * network_seconds;
}

}  // namespace

Simulator::Simulator(const Topology& topology, CommOptions options)
    : comm_(topology, options), platform_(topology) {}

Result<FlowSet> Simulator::Flows(const Collective& collective, const DeviceIds& placement,
                                 CollectiveTime* model_time) const {
  AOIZORA_RETURN_IF_ERROR(ValidateCollective(comm_.topology(), collective, placement));
  CommScratch scratch = comm_.NewScratch();
  return RecordFlows(comm_, collective, placement, scratch, model_time);
}

Result<std::vector<SimCollectiveTime>> Simulator::SimulateCollectives(
    const std::vector<std::pair<Collective, DeviceIds>>& items) const {
  std::vector<FlowSet> sets;
  std::vector<CollectiveTime> model(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    AOIZORA_ASSIGN_OR_RETURN(FlowSet set, Flows(items[i].first, items[i].second, &model[i]));
    sets.push_back(std::move(set));
  }
  AOIZORA_ASSIGN_OR_RETURN(std::vector<double> network, SimulateFlowSets(platform_, sets));
  std::vector<SimCollectiveTime> out(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    SimCollectiveTime& t = out[i];
    t.network_seconds = network[i];
    t.passes = model[i].passes;
    t.fixed_latency_seconds = network[i] > 0.0 ? model[i].fixed_latency_seconds : 0.0;
    t.flows = sets[i].flow_count();
    t.seconds = SimulatedSeconds(model[i], network[i]);
    t.model_seconds = model[i].seconds;
  }
  return out;
}

Result<std::vector<SimStepResult>> Simulator::SimulateSteps(
    const placement::Q2Model& model, const std::vector<DeviceIds>& placements) const {
  if (model.comm().topology().ToString() != platform_.topology().ToString()) {
    return InvalidArgument("the step's model is for " + model.comm().topology().ToString() +
                           ", the simulator for " + platform_.topology().ToString());
  }
  for (const DeviceIds& placement : placements) {
    AOIZORA_RETURN_IF_ERROR(model.ValidatePlacement(placement));
  }
  const int64_t distinct = model.distinct_collective_count();
  const CommModel& comm = model.comm();
  CommScratch scratch = comm.NewScratch();
  std::vector<FlowSet> sets;
  std::vector<CollectiveTime> times;
  sets.reserve(placements.size() * static_cast<size_t>(distinct));
  times.reserve(sets.capacity());
  for (const DeviceIds& placement : placements) {
    for (int64_t c = 0; c < distinct; ++c) {
      CollectiveTime t;
      sets.push_back(RecordFlows(comm, model.distinct_collective(c), placement, scratch, &t));
      times.push_back(t);
    }
  }
  AOIZORA_ASSIGN_OR_RETURN(std::vector<double> network, SimulateFlowSets(platform_, sets));

  placement::Q2Scorer scorer(model);
  std::vector<SimStepResult> out;
  for (size_t p = 0; p < placements.size(); ++p) {
    const size_t base = p * static_cast<size_t>(distinct);
    std::vector<double> simulated(static_cast<size_t>(distinct));
    for (size_t c = 0; c < simulated.size(); ++c) {
      simulated[c] = SimulatedSeconds(times[base + c], network[base + c]);
    }
    const placement::Q2Breakdown q2 = scorer.Breakdown(placements[p]);
    const placement::Q2Breakdown sim = scorer.BreakdownWithCosts(simulated);
    SimStepResult r;
    r.seconds = sim.seconds;
    r.comm_seconds = sim.comm_seconds;
    r.compute_seconds = sim.compute_seconds;
    r.exposed_comm_seconds = sim.exposed_comm_seconds;
    r.model_seconds = q2.seconds;
    r.model_comm_seconds = q2.comm_seconds;
    for (size_t c = 0; c < sim.collectives.size(); ++c) {
      const placement::CollectiveBreakdown& b = sim.collectives[c];
      r.collectives.push_back({b.name, b.kind, b.count, b.seconds_each,
                               q2.collectives[c].seconds_each, b.exposed_seconds});
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace aoizora::sim
