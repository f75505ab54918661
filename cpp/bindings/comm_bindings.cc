// Python surface of the comm stage: the collective cost model (aoizora.core().CommModel), and the
// HLO iota form of replica groups so the CLI stays thin.

#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>

#include "aoizora/comm/collective.h"
#include "aoizora/comm/comm_model.h"
#include "aoizora/topology/links.h"
#include "aoizora/util/iota.h"
#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {
namespace {

CommOptions MakeOptions(const std::string& ring_order, const std::string& contention,
                        double share) {
  CommOptions options;
  if (ring_order == "best") {
    options.ring_order = RingOrder::kBestForChipSet;
  } else if (ring_order == "listed") {
    options.ring_order = RingOrder::kListedOrder;
  } else {
    ThrowError(InvalidArgument("unknown ring order '" + ring_order + "'; known: best, listed"));
  }
  if (contention == "fair") {
    options.contention = ContentionLaw::kFairShare;
  } else if (contention == "measured") {
    options.contention = ContentionLaw::kMeasuredSharedLink;
  } else {
    ThrowError(
        InvalidArgument("unknown contention law '" + contention + "'; known: fair, measured"));
  }
  if (!(share > 0.0 && share <= 1.0)) {
    ThrowError(
        InvalidArgument("shared_link_user_share must be in (0, 1], got " + std::to_string(share)));
  }
  options.shared_link_user_share = share;
  return options;
}

CollectiveKind KindOrThrow(const std::string& name) {
  std::optional<CollectiveKind> kind = CollectiveKindFromName(name);
  if (!kind) {
    ThrowError(InvalidArgument("unknown collective kind '" + name +
                               "'; known: all-gather, reduce-scatter, all-reduce, all-to-all, "
                               "collective-permute"));
  }
  return *kind;
}

nb::dict CostDict(const Topology& topo, const CollectiveCost& cost) {
  nb::dict d;
  d["seconds"] = cost.seconds;
  d["bulk_seconds"] = cost.bulk_seconds;
  d["hop_latency_seconds"] = cost.hop_latency_seconds;
  d["fixed_latency_seconds"] = cost.fixed_latency_seconds;
  d["hops"] = cost.hops;
  d["passes"] = cost.passes;
  if (cost.bottleneck_link >= 0) {
    const Link link = LinkFromIndex(cost.bottleneck_link);
    nb::dict b;
    b["name"] = LinkName(topo, link);
    b["from_device"] = link.from_device;
    b["to_device"] = LinkTarget(topo, link);
    b["index"] = cost.bottleneck_link;
    b["bytes"] = cost.bottleneck_bytes;
    b["users"] = cost.bottleneck_users;
    d["bottleneck_link"] = b;
  } else {
    d["bottleneck_link"] = nb::none();
  }
  nb::list loads;
  for (size_t slot = 0; slot < cost.link_bytes.size(); ++slot) {
    if (cost.link_bytes[slot] <= 0.0) continue;
    const Link link = LinkFromIndex(static_cast<int64_t>(slot));
    nb::dict l;
    l["name"] = LinkName(topo, link);
    l["from_device"] = link.from_device;
    l["to_device"] = LinkTarget(topo, link);
    l["bytes"] = cost.link_bytes[slot];
    loads.append(l);
  }
  d["link_loads"] = loads;
  return d;
}

}  // namespace

void BindComm(nb::module_& m) {
  nb::class_<CommModel>(m, "CommModel",
                        "ICI collective cost model on a slice (every time is a model prediction)")
      .def(
          "__init__",
          [](CommModel* self, const Topology& topo, const std::string& ring_order,
             const std::string& contention, double share) {
            new (self) CommModel(topo, MakeOptions(ring_order, contention, share));
          },
          nb::arg("topology"), nb::arg("ring_order") = "best", nb::arg("contention") = "fair",
          nb::arg("shared_link_user_share") = 0.66)
      .def(
          "cost",
          [](const CommModel& model, const std::string& kind, double bytes,
             std::optional<DeviceGroups> groups, std::optional<SourceTargetPairs> pairs,
             std::optional<DeviceIds> placement) {
            Collective c;
            c.kind = KindOrThrow(kind);
            c.array_bytes = bytes;
            if (groups) c.groups = *groups;
            if (pairs) c.pairs = *pairs;
            if (c.kind == CollectiveKind::kCollectivePermute && c.pairs.empty() &&
                !c.groups.empty()) {
              ThrowError(InvalidArgument("collective-permute takes source->target pairs"));
            }
            const CollectiveCost cost =
                ValueOrThrow(model.Cost(c, placement ? *placement : DeviceIds{}));
            return CostDict(model.topology(), cost);
          },
          nb::arg("kind"), nb::arg("bytes"), nb::arg("groups") = nb::none(),
          nb::arg("pairs") = nb::none(), nb::arg("placement") = nb::none(),
          "Cost of one collective; bytes = V, the full array per group (per pair for permutes)");
  m.def(
      "parse_iota_groups",
      [](const std::string& text) { return ValueOrThrow(ParseIotaGroups(text)); }, nb::arg("text"),
      "Replica groups from the HLO iota form '[G,S]<=[dims]T(perm)'");
}

}  // namespace aoizora::bindings
