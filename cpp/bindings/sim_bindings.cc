// Python surface of the SimGrid evaluator (cpp/aoizora/sim/): Simulator(topology) with
// simulate_collective (one collective, next to the comm model's time) and simulate_steps (a
// compiled candidate's step on placements, next to Q2's). Every time is a simulator prediction.

#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>
#include <vector>

#include "aoizora/comm/collective.h"
#include "aoizora/planner/compiled_candidate.h"
#include "aoizora/sim/simulator.h"
#include "aoizora/topology/device_order.h"
#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {
namespace {

using sim::SimCollectiveBreakdown;
using sim::SimCollectiveTime;
using sim::SimStepResult;
using sim::Simulator;

nb::dict CollectiveDict(const SimCollectiveTime& t) {
  nb::dict d;
  d["label"] = t.label;
  d["seconds"] = t.seconds;
  d["network_seconds"] = t.network_seconds;
  d["fixed_latency_seconds"] = t.fixed_latency_seconds;
  d["passes"] = t.passes;
  d["flows"] = t.flows;
  d["model_seconds"] = t.model_seconds;
  return d;
}

nb::dict BreakdownDict(const SimCollectiveBreakdown& b) {
  nb::dict d;
  d["name"] = b.name;
  d["kind"] = b.kind;
  d["count"] = b.count;
  d["seconds_each"] = b.seconds_each;
  d["model_seconds_each"] = b.model_seconds_each;
  d["exposed_seconds"] = b.exposed_seconds;
  return d;
}

nb::dict StepDict(const SimStepResult& s) {
  nb::dict d;
  d["label"] = s.label;
  d["seconds"] = s.seconds;
  d["comm_seconds"] = s.comm_seconds;
  d["compute_seconds"] = s.compute_seconds;
  d["exposed_comm_seconds"] = s.exposed_comm_seconds;
  d["model_seconds"] = s.model_seconds;
  d["model_comm_seconds"] = s.model_comm_seconds;
  nb::list collectives;
  for (const SimCollectiveBreakdown& b : s.collectives) collectives.append(BreakdownDict(b));
  d["collectives"] = collectives;
  return d;
}

CollectiveKind KindOf(const std::string& name) {
  const std::optional<CollectiveKind> kind = CollectiveKindFromName(name);
  if (!kind) {
    ThrowError(InvalidArgument("unknown collective kind '" + name +
                               "'; use all-gather, reduce-scatter, all-reduce, all-to-all or "
                               "collective-permute"));
  }
  return *kind;
}

}  // namespace

void BindSim(nb::module_& m) {
  m.def("simgrid_available", &sim::SimGridAvailable,
        "True when the core was built with SimGrid (scripts/bootstrap.sh installs it).");

  nb::class_<SimCollectiveTime>(m, "SimCollectiveTime",
                                "One collective simulated on SimGrid (a simulator prediction)")
      .def_ro("seconds", &SimCollectiveTime::seconds)
      .def_ro("network_seconds", &SimCollectiveTime::network_seconds)
      .def_ro("fixed_latency_seconds", &SimCollectiveTime::fixed_latency_seconds)
      .def_ro("passes", &SimCollectiveTime::passes)
      .def_ro("flows", &SimCollectiveTime::flows)
      .def_ro("model_seconds", &SimCollectiveTime::model_seconds)
      .def_ro("label", &SimCollectiveTime::label)
      .def("to_dict", &CollectiveDict);

  nb::class_<SimStepResult>(m, "SimStepResult",
                            "One step replayed with SimGrid's collective times (a simulator "
                            "prediction), next to Q2's on the same placement")
      .def_ro("seconds", &SimStepResult::seconds)
      .def_ro("comm_seconds", &SimStepResult::comm_seconds)
      .def_ro("compute_seconds", &SimStepResult::compute_seconds)
      .def_ro("exposed_comm_seconds", &SimStepResult::exposed_comm_seconds)
      .def_ro("model_seconds", &SimStepResult::model_seconds)
      .def_ro("model_comm_seconds", &SimStepResult::model_comm_seconds)
      .def_ro("label", &SimStepResult::label)
      .def("to_dict", &StepDict);

  nb::class_<Simulator>(m, "Simulator",
                        "The slice as a SimGrid platform (docs/simgrid.md); each call runs one "
                        "SimGrid simulation in a forked child process")
      .def(
          "__init__",
          [](Simulator* self, const TopologyArg& topology, const std::string& ring_order) {
            CommOptions options;
            if (ring_order == "listed") {
              options.ring_order = RingOrder::kListedOrder;
            } else if (ring_order != "best") {
              ThrowError(
                  InvalidArgument("unknown ring order '" + ring_order + "'; use best or listed"));
            }
            new (self) Simulator(TopologyOf(topology), options);
          },
          nb::arg("topology"), nb::arg("ring_order") = "best",
          "ring_order: the comm model's ring order for the flows of simulate_collective (steps use "
          "their candidate's comm model).")
      .def_prop_ro("num_links", [](const Simulator& s) { return s.platform().links().size(); })
      .def(
          "route_hops",
          [](const Simulator& s, int64_t source, int64_t target) {
            const Topology& t = s.platform().topology();
            if (!t.ContainsDevice(source) || !t.ContainsDevice(target)) {
              ThrowError(InvalidArgument(
                  "device ids must be 0.." + std::to_string(t.num_devices() - 1) + ", got " +
                  std::to_string(source) + " and " + std::to_string(target)));
            }
            return s.platform().RouteLinks(source, target).size();
          },
          nb::arg("source"), nb::arg("target"),
          "Links on the platform's dimension-order route between two devices.")
      .def(
          "simulate_collective",
          [](const Simulator& s, const std::string& kind, double bytes,
             std::optional<DeviceGroups> groups, std::optional<SourceTargetPairs> pairs,
             std::optional<DeviceIds> placement) {
            Collective c;
            c.kind = KindOf(kind);
            c.array_bytes = bytes;
            if (groups) c.groups = *groups;
            if (pairs) c.pairs = *pairs;
            const auto times =
                ValueOrThrow(s.SimulateCollectives({{c, placement ? *placement : DeviceIds{}}}));
            return times.front();
          },
          nb::arg("kind"), nb::arg("bytes"), nb::arg("groups") = nb::none(),
          nb::arg("pairs") = nb::none(), nb::arg("placement") = nb::none(),
          "One collective (bytes = V, as CommModel.cost) simulated alone on the slice.")
      .def(
          "simulate_steps",
          [](const Simulator& s, CompiledCandidate& candidate,
             const std::vector<DeviceCoordsList>& placements, const std::string& compute) {
            if (candidate.topology().ToString() != s.platform().topology().ToString()) {
              ThrowError(InvalidArgument("the candidate is compiled for " +
                                         candidate.topology().ToString() + ", the simulator is " +
                                         s.platform().topology().ToString()));
            }
            const placement::Q2Model* model =
                ValueOrThrow(candidate.Model(ComputeSourceOf(compute)));
            std::vector<DeviceIds> ids;
            for (const DeviceCoordsList& coords : placements) {
              ids.push_back(ValueOrThrow(DeviceIdsOfCoords(s.platform().topology(), coords)));
            }
            return ValueOrThrow(s.SimulateSteps(*model, ids));
          },
          nb::arg("candidate"), nb::arg("placements"), nb::arg("compute") = "compiler",
          "The candidate's step on each placement (chip coordinates per logical device), all in "
          "one SimGrid run.");
}

}  // namespace aoizora::bindings
