// Python surface of a candidate as an object: PrecompiledCandidate (the lowered module, parsed
// once: Q1) and CompiledCandidate (the compiled module, parsed once: rank, score, oracle, compute
// profile), and the result structs they return. Each struct has read-only attributes and
// to_dict(), the dict the free functions (q1_bound, rank_placements, ...) return; those
// functions are thin wrappers over these classes. Every time is a model prediction.

#include "candidate_bindings.h"

#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aoizora/planner/compiled_candidate.h"
#include "aoizora/planner/precompiled_candidate.h"
#include "aoizora/planner/q1_bound.h"
#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {
namespace {

using placement::CollectiveBreakdown;
using placement::ComputeOpProfile;
using placement::ComputeSource;
using placement::Q2Breakdown;

// A (name, seconds) bucket of a breakdown: {"name": ..., "seconds": ...} in a dict.
struct TimeBucket {
  std::string name;
  double seconds = 0.0;
};

std::vector<TimeBucket> Buckets(const std::vector<std::pair<std::string, double>>& pairs) {
  std::vector<TimeBucket> out;
  out.reserve(pairs.size());
  for (const auto& [name, seconds] : pairs) out.push_back({name, seconds});
  return out;
}

// A value as plain Python data: bound structs by their to_dict(), lists and dicts element-wise.
nb::object ToPlain(nb::handle value) {
  if (nb::isinstance<nb::list>(value)) {
    nb::list out;
    for (nb::handle item : value) out.append(ToPlain(item));
    return out;
  }
  if (nb::isinstance<nb::dict>(value)) {
    nb::dict out;
    for (auto [key, item] : nb::borrow<nb::dict>(value)) out[key] = ToPlain(item);
    return out;
  }
  if (nb::hasattr(value, "to_dict")) return value.attr("to_dict")();
  return nb::borrow(value);
}

// One field of a result struct: its attribute, and its key in to_dict() (none: attribute only;
// omit_none: the key is left out when the value is None).
struct FieldKey {
  std::string key;
  std::string attribute;
  bool omit_none = false;
};

// Binds a result struct: read-only attributes, and to_dict() with the keys in the order the
// fields were added.
template <typename T>
class ResultClass {
 public:
  ResultClass(nb::handle scope, const char* name, const char* doc)
      : cls_(scope, name, doc), fields_(std::make_shared<std::vector<FieldKey>>()) {}

  // An attribute that is also a to_dict() key (`key`, default the attribute's name).
  template <typename Getter>
  ResultClass& Field(const char* name, Getter&& getter, const char* key = nullptr) {
    cls_.def_prop_ro(name, std::forward<Getter>(getter));
    fields_->push_back({key != nullptr ? key : name, name, false});
    return *this;
  }
  // A key that to_dict() leaves out when the value is None.
  template <typename Getter>
  ResultClass& OptionalField(const char* name, Getter&& getter) {
    cls_.def_prop_ro(name, std::forward<Getter>(getter));
    fields_->push_back({name, name, true});
    return *this;
  }
  // An attribute only (not in today's dict).
  template <typename Getter>
  ResultClass& Attribute(const char* name, Getter&& getter, const char* doc = "") {
    cls_.def_prop_ro(name, std::forward<Getter>(getter), doc);
    return *this;
  }
  nb::class_<T>& Done() {
    cls_.def(
        "to_dict",
        [fields = fields_](nb::handle self) {
          nb::dict d;
          for (const FieldKey& f : *fields) {
            nb::object value = self.attr(f.attribute.c_str());
            if (f.omit_none && value.is_none()) continue;
            d[f.key.c_str()] = ToPlain(value);
          }
          return d;
        },
        "The plain dict (JSON-ready) of this result.");
    cls_.def("__repr__", [name = std::string(nb::type_name(cls_).c_str())](nb::handle self) {
      return name + "(" + nb::repr(self.attr("to_dict")()).c_str() + ")";
    });
    return cls_;
  }

 private:
  nb::class_<T> cls_;
  std::shared_ptr<std::vector<FieldKey>> fields_;
};

// The compute-source fields of a breakdown or ranking, in their dict order.
template <typename T, typename Get>
void AddComputeSourceFields(ResultClass<T>& cls, Get by_source) {
  cls.Field("compute_source",
            [by_source](const T& t) {
              return std::string(placement::ComputeSourceName(by_source(t).source_used));
            })
      .Field("compute_seconds_by_source",
             [by_source](const T& t) {
               const placement::ComputeBySource& c = by_source(t);
               nb::dict d;
               if (c.has_compiler_estimate()) {
                 d["compiler"] = c.compiler_seconds;
               } else {
                 d["compiler"] = nb::none();
               }
               d["roofline"] = c.roofline_seconds;
               return d;
             })
      .Field("ops_with_estimate",
             [by_source](const T& t) { return by_source(t).ops_with_estimate; })
      .Field("ops_without_estimate",
             [by_source](const T& t) { return by_source(t).ops_without_estimate; });
}

nb::object NoneIfNegative(double value) { return value >= 0.0 ? nb::cast(value) : nb::none(); }

void BindQ1Bound(nb::module_& m) {
  ResultClass<Q1Bound>(m, "Q1Bound",
                       "Q1: pre-compile lower bound of the best predicted step latency (model "
                       "prediction) and the memory verdict")
      .Field("seconds", [](const Q1Bound& q) { return q.seconds; })
      .Field("compute_seconds", [](const Q1Bound& q) { return q.compute_seconds; })
      .Field("comm_seconds", [](const Q1Bound& q) { return q.comm_seconds; })
      .Field("estimate_seconds", [](const Q1Bound& q) { return q.estimate_seconds; })
      .Field("comm_seconds_by_kind", [](const Q1Bound& q) { return q.comm_seconds_by_kind; })
      .Field("parameter_bytes_per_device",
             [](const Q1Bound& q) { return q.parameter_bytes_per_device; })
      .Field("hbm_bytes", [](const Q1Bound& q) { return q.hbm_bytes; })
      .Field("fits_memory", [](const Q1Bound& q) { return q.fits_memory; })
      .Field("memory_reason", [](const Q1Bound& q) { return q.memory_reason; })
      .Field("flops_per_device", [](const Q1Bound& q) { return q.flops_per_device; })
      .Field("alpha_beta_seconds", [](const Q1Bound& q) { return q.alpha_beta_seconds; })
      .Field("num_collectives", [](const Q1Bound& q) { return q.num_collectives; })
      .Field("warnings", [](const Q1Bound& q) { return q.warnings; })
      .Done();
}

void BindBreakdowns(nb::module_& m) {
  ResultClass<TimeBucket>(m, "TimeBucket", "Exposed seconds of one collective kind or axis set")
      .Field("name", [](const TimeBucket& b) { return b.name; })
      .Field("seconds", [](const TimeBucket& b) { return b.seconds; })
      .Done();
  ResultClass<CollectiveBreakdown>(m, "CollectiveBreakdown",
                                   "One distinct collective of a Q2 breakdown")
      .Field("name", [](const CollectiveBreakdown& c) { return c.name; })
      .Field("kind", [](const CollectiveBreakdown& c) { return c.kind; })
      .Field("axes", [](const CollectiveBreakdown& c) { return c.axes; })
      .Field("count", [](const CollectiveBreakdown& c) { return c.count; })
      .Field("seconds_each", [](const CollectiveBreakdown& c) { return c.seconds_each; })
      .Field("seconds", [](const CollectiveBreakdown& c) { return c.seconds; })
      .Field("exposed_seconds", [](const CollectiveBreakdown& c) { return c.exposed_seconds; })
      .Field(
          "is_async", [](const CollectiveBreakdown& c) { return c.is_async; }, "async")
      .Done();
  ResultClass<Q2Breakdown> breakdown(m, "Q2Breakdown",
                                     "Q2 of one placement (model prediction) and where it goes");
  breakdown.Field("label", [](const Q2Breakdown& b) { return b.label; })
      .Field("seconds", [](const Q2Breakdown& b) { return b.seconds; })
      .Field("compute_seconds", [](const Q2Breakdown& b) { return b.compute_seconds; });
  AddComputeSourceFields(breakdown, [](const Q2Breakdown& b) -> const placement::ComputeBySource& {
    return b.compute_by_source;
  });
  breakdown.Field("comm_seconds", [](const Q2Breakdown& b) { return b.comm_seconds; })
      .Field("exposed_comm_seconds", [](const Q2Breakdown& b) { return b.exposed_comm_seconds; })
      .Field("exposed_by_kind", [](const Q2Breakdown& b) { return Buckets(b.exposed_by_kind); })
      .Field("exposed_by_axes", [](const Q2Breakdown& b) { return Buckets(b.exposed_by_axes); })
      .Field("collectives", [](const Q2Breakdown& b) { return b.collectives; })
      .Field("warnings", [](const Q2Breakdown& b) { return b.warnings; })
      .Done();
}

void BindPlacementResults(nb::module_& m) {
  ResultClass<RankedPlacement>(m, "RankedPlacement", "One placement of a ranking, best first")
      .Field("rank", [](const RankedPlacement& p) { return p.rank; })
      .Field("seconds", [](const RankedPlacement& p) { return p.seconds; })
      .Field(
          "device_coords", [](const RankedPlacement& p) { return p.device_coords; }, "device_order")
      .Field("device_ids", [](const RankedPlacement& p) { return p.device_ids; })
      .Field("description", [](const RankedPlacement& p) { return p.description; })
      .Field("breakdown", [](const RankedPlacement& p) { return p.breakdown; })
      .Done();
  ResultClass<BaselinePlacement>(m, "BaselinePlacement",
                                 "A given device order scored and ranked against the space")
      .Field("seconds", [](const BaselinePlacement& p) { return p.seconds; })
      .Field("rank", [](const BaselinePlacement& p) { return p.rank; })
      .Field(
          "device_coords", [](const BaselinePlacement& p) { return p.device_coords; },
          "device_order")
      .Field("device_ids", [](const BaselinePlacement& p) { return p.device_ids; })
      .Field("breakdown", [](const BaselinePlacement& p) { return p.breakdown; })
      .Done();

  ResultClass<PlacementRanking> ranking(m, "PlacementRanking",
                                        "The placements of a compiled candidate ranked by Q2");
  ranking.Field("label", [](const PlacementRanking& r) { return r.label; })
      .Field("topology", [](const PlacementRanking& r) { return r.topology; })
      .Field("mesh_shape", [](const PlacementRanking& r) { return r.mesh_shape; })
      .Field("axis_names", [](const PlacementRanking& r) { return r.axis_names; })
      .Field("structured_count", [](const PlacementRanking& r) { return r.structured_count; })
      .Field("distinct_count", [](const PlacementRanking& r) { return r.distinct_count; })
      .Field("reduced_count", [](const PlacementRanking& r) { return r.reduced_count; })
      .Field("truncated", [](const PlacementRanking& r) { return r.truncated; })
      .Field("local_search_evaluations",
             [](const PlacementRanking& r) { return r.local_search_evaluations; })
      .Field("compute_seconds", [](const PlacementRanking& r) { return r.compute_seconds; });
  AddComputeSourceFields(ranking,
                         [](const PlacementRanking& r) -> const placement::ComputeBySource& {
                           return r.compute_by_source;
                         });
  ranking
      .Field("distinct_collectives",
             [](const PlacementRanking& r) { return r.distinct_collectives; })
      .OptionalField("worst_seconds", [](const PlacementRanking& r) { return r.worst_seconds; })
      .OptionalField("median_seconds", [](const PlacementRanking& r) { return r.median_seconds; })
      .Field("placements", [](const PlacementRanking& r) { return r.placements; })
      .Field("baselines", [](const PlacementRanking& r) { return r.baselines; })
      .Done();

  nb::class_<PlacementScore>(m, "PlacementScore", "Q2 of one given placement (model prediction)")
      .def_prop_ro("seconds", [](const PlacementScore& s) { return s.breakdown.seconds; })
      .def_prop_ro("device_ids", [](const PlacementScore& s) { return s.device_ids; })
      .def_prop_ro("device_coords", [](const PlacementScore& s) { return s.device_coords; })
      .def_prop_ro("breakdown", [](const PlacementScore& s) { return s.breakdown; })
      .def(
          "to_dict",
          [](const PlacementScore& s) {
            nb::dict d = ToDict(nb::cast(s.breakdown));
            d["device_ids"] = s.device_ids;
            return d;
          },
          "The breakdown's dict plus device_ids (score_placement's dict).");

  ResultClass<OracleReport>(m, "OracleReport",
                            "The best placement over all permutations of a small slice")
      .Field("label", [](const OracleReport& o) { return o.label; })
      .Field("total_count", [](const OracleReport& o) { return o.total_count; })
      .Field("reduced_count", [](const OracleReport& o) { return o.reduced_count; })
      .Field("best_seconds", [](const OracleReport& o) { return o.best_seconds; })
      .Field(
          "best_device_coords", [](const OracleReport& o) { return o.best_device_coords; },
          "best_device_order")
      .Field("worst_seconds", [](const OracleReport& o) { return o.worst_seconds; })
      .Field("structured_best_seconds",
             [](const OracleReport& o) { return o.structured_best_seconds; })
      .Field("structured_gap", [](const OracleReport& o) { return o.structured_gap; })
      .Attribute("best_device_ids", [](const OracleReport& o) { return o.best_device_ids; })
      .Done();
}

void BindComputeProfile(nb::module_& m) {
  ResultClass<ComputeOpProfile>(m, "ComputeOp", "One compute op of a compute profile")
      .Field("name", [](const ComputeOpProfile& op) { return op.name; })
      .Field("opcode", [](const ComputeOpProfile& op) { return op.opcode; })
      .Field("count", [](const ComputeOpProfile& op) { return op.count; })
      .Field("seconds", [](const ComputeOpProfile& op) { return op.seconds; })
      .Field("seconds_each", [](const ComputeOpProfile& op) { return op.each.seconds; })
      .Field("flop_seconds_each", [](const ComputeOpProfile& op) { return op.each.flop_seconds; })
      .Field("vector_seconds_each",
             [](const ComputeOpProfile& op) { return op.each.vector_seconds; })
      .Field("transcendental_seconds_each",
             [](const ComputeOpProfile& op) { return op.each.transcendental_seconds; })
      .Field("roofline_seconds_each",
             [](const ComputeOpProfile& op) { return op.each.roofline_seconds; })
      .Field("compiler_seconds_each",
             [](const ComputeOpProfile& op) { return NoneIfNegative(op.each.compiler_seconds); })
      .Field("from_compiler", [](const ComputeOpProfile& op) { return op.each.from_compiler; })
      .Field("memory_seconds_each",
             [](const ComputeOpProfile& op) { return op.each.memory_seconds; })
      .Field("bytes_accessed", [](const ComputeOpProfile& op) { return op.bytes_accessed; })
      .Field("fast_memory_bytes", [](const ComputeOpProfile& op) { return op.fast_memory_bytes; })
      .Field("matmul", [](const ComputeOpProfile& op) { return op.has_matmul; })
      .Field("bound", [](const ComputeOpProfile& op) { return std::string(op.each.bound()); })
      .Done();
  using P = CompiledComputeProfile;
  ResultClass<P>(m, "ComputeProfile", "Where a compiled program's predicted compute time goes")
      .Field("label", [](const P& p) { return p.label; })
      .Field("topology", [](const P& p) { return p.topology; })
      .Field("compute_seconds", [](const P& p) { return p.profile.seconds; })
      .Field("matmul_op_seconds", [](const P& p) { return p.profile.matmul_op_seconds; })
      .Field("memory_bound_seconds", [](const P& p) { return p.profile.memory_bound_seconds; })
      .Field("flop_seconds", [](const P& p) { return p.profile.flop_seconds; })
      .Field("roofline_seconds", [](const P& p) { return p.profile.roofline_seconds; })
      .Field("compiler_estimate_seconds",
             [](const P& p) {
               return p.profile.ops_with_estimate > 0 ? nb::cast(p.profile.compiler_seconds)
                                                      : nb::none();
             })
      .Field("ops_with_estimate", [](const P& p) { return p.profile.ops_with_estimate; })
      .Field("ops_without_estimate", [](const P& p) { return p.profile.ops_without_estimate; })
      .Field("compute_source",
             [](const P& p) { return std::string(placement::ComputeSourceName(p.source_used)); })
      .Field("num_ops", [](const P& p) { return p.num_ops; })
      .Field("ops", [](const P& p) { return p.profile.ops; })
      .Done();
}

std::vector<DeviceIds> BaselineIds(const Topology& topology,
                                   const std::vector<DeviceCoordsList>& baselines) {
  std::vector<DeviceIds> out;
  out.reserve(baselines.size());
  for (const DeviceCoordsList& coords : baselines) {
    out.push_back(ValueOrThrow(DeviceIdsOfCoords(topology, coords)));
  }
  return out;
}

void BindCandidateClasses(nb::module_& m) {
  nb::class_<PrecompiledCandidate>(
      m, "PrecompiledCandidate",
      "A candidate's lowered (pre-compile) HLO parsed and analyzed once for a slice")
      .def(
          "__init__",
          [](PrecompiledCandidate* self, const std::string& text, const TopologyArg& topology,
             const std::string& filename) {
            new (self) PrecompiledCandidate(MakePrecompiledCandidate(text, topology, filename));
          },
          nb::arg("text"), nb::arg("topology"), nb::arg("filename") = "<string>")
      .def_prop_ro("topology", [](const PrecompiledCandidate& c) { return c.topology(); })
      .def_prop_ro("num_devices",
                   [](const PrecompiledCandidate& c) { return c.analysis().num_devices; })
      .def_prop_ro("mesh_axes",
                   [](const PrecompiledCandidate& c) {
                     nb::list out;
                     for (const auto& axis : c.analysis().mesh) {
                       out.append(nb::make_tuple(axis.name, axis.size));
                     }
                     return out;
                   })
      .def(
          "q1",
          [](const PrecompiledCandidate& c, const std::string& compute) {
            return ValueOrThrow(c.Q1(ComputeSourceOf(compute)));
          },
          nb::arg("compute") = "compiler",
          "Q1 and the memory verdict for the compute source of the Q2 it bounds.");

  nb::class_<CompiledCandidate>(
      m, "CompiledCandidate",
      "A candidate's compiled HLO parsed and analyzed once for a slice and a logical mesh")
      .def(
          "__init__",
          [](CompiledCandidate* self, const std::string& hlo_text, const TopologyArg& topology,
             std::optional<std::vector<int64_t>> mesh_shape, std::vector<std::string> axis_names,
             const std::string& filename) {
            new (self) CompiledCandidate(MakeCompiledCandidate(
                hlo_text, TopologyOf(topology), mesh_shape, std::move(axis_names), filename));
          },
          nb::arg("hlo_text"), nb::arg("topology"), nb::arg("mesh_shape") = nb::none(),
          nb::arg("axis_names") = std::vector<std::string>{}, nb::arg("filename") = "<string>",
          "mesh_shape: the module's logical mesh (checked here); None allows compute_profile "
          "only.")
      .def_prop_ro("topology", [](const CompiledCandidate& c) { return c.topology(); })
      .def_prop_ro("num_partitions",
                   [](const CompiledCandidate& c) { return c.analysis().program.num_partitions; })
      .def(
          "rank",
          [](CompiledCandidate& c, int64_t top, int64_t exhaustive_limit,
             const std::vector<DeviceCoordsList>& baselines, const std::string& compute) {
            const ComputeSource source = ComputeSourceOf(compute);
            RankOptions options;
            options.top = top;
            options.exhaustive_limit = exhaustive_limit;
            options.baselines = BaselineIds(c.topology(), baselines);
            return ValueOrThrow(c.Rank(options, source));
          },
          nb::arg("top") = 10, nb::arg("exhaustive_limit") = 200000,
          nb::arg("baselines") = std::vector<DeviceCoordsList>{}, nb::arg("compute") = "compiler",
          "Rank the placements by Q2; `baselines` (device orders as chip coordinates per logical "
          "device) are scored and ranked against the space.")
      .def(
          "score",
          [](CompiledCandidate& c, const DeviceCoordsList& device_coords,
             const std::string& compute) {
            const ComputeSource source = ComputeSourceOf(compute);
            const DeviceIds ids = ValueOrThrow(DeviceIdsOfCoords(c.topology(), device_coords));
            return ValueOrThrow(c.Score(ids, source));
          },
          nb::arg("device_coords"), nb::arg("compute") = "compiler",
          "Q2 breakdown of one placement given as chip coordinates per logical device.")
      .def(
          "oracle",
          [](CompiledCandidate& c, const std::string& compute) {
            return ValueOrThrow(c.Oracle(ComputeSourceOf(compute)));
          },
          nb::arg("compute") = "compiler",
          "Best placement over all permutations of a slice of at most 8 devices.")
      .def(
          "compute_profile",
          [](const CompiledCandidate& c, int64_t top, const std::string& compute) {
            return ValueOrThrow(c.Profile(top, ComputeSourceOf(compute)));
          },
          nb::arg("top") = 20, nb::arg("compute") = "compiler",
          "Where the predicted compute time goes: totals and the `top` slowest ops.");
}

}  // namespace

PrecompiledCandidate MakePrecompiledCandidate(const std::string& text, const TopologyArg& topology,
                                              const std::string& filename) {
  const Topology topo = TopologyOf(topology);
  CountHloParse(HloKind::kPrecompile);
  return ValueOrThrow(PrecompiledCandidate::Create(text, filename, topo));
}

CompiledCandidate MakeCompiledCandidate(const std::string& hlo_text, const Topology& topology,
                                        std::optional<std::vector<int64_t>> mesh_shape,
                                        std::vector<std::string> axis_names,
                                        const std::string& filename, ComputeSource first_source) {
  CountHloParse(HloKind::kCompiled);
  return ValueOrThrow(CompiledCandidate::Create(hlo_text, filename, topology, std::move(mesh_shape),
                                                std::move(axis_names), first_source));
}

nb::dict ToDict(nb::handle result) { return nb::borrow<nb::dict>(result.attr("to_dict")()); }

void BindCandidates(nb::module_& m) {
  BindQ1Bound(m);
  BindBreakdowns(m);
  BindPlacementResults(m);
  BindComputeProfile(m);
  BindCandidateClasses(m);
}

}  // namespace aoizora::bindings
