// Python surface of the topology stage: slice specs, shapes, wraparound, device numbering, links,
// routes and the chip-spec table (aoizora.core().parse_slice_spec("v5e:2x4")).

#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "aoizora/topology/chip_constants.h"
#include "aoizora/topology/chip_spec.h"
#include "aoizora/topology/device_order.h"
#include "aoizora/topology/links.h"
#include "aoizora/topology/topology.h"
#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {
namespace {

nb::dict ChipSpecDict(const ChipSpec& spec) {
  nb::dict d;
  d["generation"] = std::string(spec.name);
  d["device_kind"] = std::string(spec.device_kind);
  d["spec_dims"] = spec.spec_dims;
  d["max_chips"] = spec.max_chips;
  d["bf16_flops_per_second"] = spec.bf16_peak.flops_per_second;
  d["hbm_bytes"] = spec.hbm_bytes;
  d["hbm_bytes_per_second"] = spec.hbm_bandwidth.bytes_per_second;
  d["mxu_tile"] = spec.mxu_tile;
  d["ici_links_per_chip"] = spec.ici_links_per_chip;
  d["ici_link_one_way_bytes_per_second"] = spec.ici_link_one_way.bytes_per_second;
  d["ici_hop_latency_seconds"] = spec.ici_hop_latency.value;
  d["collective_fixed_latency_seconds"] = spec.collective_fixed_latency.value;
  d["cores_per_chip"] = spec.cores_per_chip;
  d["die_to_die_one_way_bytes_per_second"] = spec.die_to_die_one_way.bytes_per_second;
  d["matmul_efficiency"] = spec.matmul_efficiency;
  d["attention_efficiency"] = spec.attention_efficiency;
  d["hbm_efficiency"] = spec.hbm_efficiency;
  d["fast_memory_bandwidth_ratio"] = spec.fast_memory_bandwidth_ratio;
  d["tensorcores_per_chip"] = spec.tensorcores_per_chip;
  d["tensorcore_clock_hz"] = spec.tensorcore_clock.hertz;
  d["vpu_ops_per_cycle"] = spec.vpu_ops_per_cycle;
  d["transcendentals_per_cycle"] = spec.transcendentals_per_cycle;
  return d;
}

void CheckDevice(const Topology& t, int64_t device) {
  if (!t.ContainsDevice(device)) {
    ThrowError(InvalidArgument("device id " + std::to_string(device) + " is out of range for " +
                               t.ToString() + " (0.." + std::to_string(t.num_devices() - 1) + ")"));
  }
}

nb::dict LinkDict(const Topology& t, const Link& link) {
  nb::dict d;
  d["from_device"] = link.from_device;
  d["to_device"] = LinkTarget(t, link);
  d["axis"] = std::string(link.axis == kCoreAxis ? "core"
                          : link.axis == 1       ? "x"
                          : link.axis == 2       ? "y"
                                                 : "z");
  d["positive"] = link.positive;
  d["index"] = LinkIndex(link);
  d["name"] = LinkName(t, link);
  return d;
}

using ConstantMap = std::map<std::string, double>;

Topology Calibrated(const Topology& topology, const ConstantMap& constants) {
  std::vector<ConstantOverride> overrides;
  for (const auto& [name, value] : constants) overrides.push_back({name, value});
  return ValueOrThrow(topology.WithConstants(overrides));
}

ConstantMap OverrideMap(const Topology& t) {
  ConstantMap out;
  for (const ConstantOverride& o : t.constant_overrides()) out[o.name] = o.value;
  return out;
}

// Equality and pickling see the calibration: two slices with other constants predict otherwise.
std::tuple<std::string, ConstantMap> State(const Topology& t) {
  return {t.ToString(), OverrideMap(t)};
}

}  // namespace

void BindTopology(nb::module_& m) {
  nb::class_<Topology>(m, "Topology",
                       "A TPU slice: generation, shape, wraparound, chip spec. Topology('v5e:2x4') "
                       "parses once; every binding that takes a slice takes this object (or a spec "
                       "string, parsed on each call).")
      .def(
          "__init__",
          [](Topology* self, const std::string& spec, std::optional<ConstantMap> calibration) {
            Topology topo = ValueOrThrow(ParseSliceSpec(spec));
            if (calibration) topo = Calibrated(topo, *calibration);
            new (self) Topology(std::move(topo));
          },
          nb::arg("spec"), nb::arg("calibration") = nb::none(),
          "calibration: {constant name: value} replacing the sourced table's values (the names "
          "of calibratable_constants(); errors name the key)")
      .def("with_constants", &Calibrated, nb::arg("constants"),
           "A copy of this slice with calibrated chip constants ({name: value}); names already "
           "calibrated take the new value.")
      .def_prop_ro("constant_overrides", &OverrideMap,
                   "{name: value} of the constants that differ from the sourced table")
      .def_prop_ro("spec", &Topology::ToString, "the slice spec, 'v5e:2x4'")
      .def_prop_ro("name", &Topology::ToString, "the slice spec, 'v5e:2x4' (same as spec)")
      .def_prop_ro("generation",
                   [](const Topology& t) { return std::string(GenerationName(t.generation())); })
      .def_prop_ro(
          "shape", [](const Topology& t) { return t.spec_shape(); },
          "chip shape as written in the slice spec")
      .def_prop_ro(
          "wrap",
          [](const Topology& t) {
            std::vector<bool> w(t.wrap().begin(), t.wrap().begin() + t.chip().spec_dims);
            return w;
          },
          "wraparound per axis of `shape`")
      .def_prop_ro("num_chips", &Topology::num_chips)
      .def_prop_ro("num_devices", &Topology::num_devices)
      .def_prop_ro("cores_per_chip", &Topology::cores_per_chip, "JAX devices per chip (2 on tpu7x)")
      .def_prop_ro("tensorcores_per_chip",
                   [](const Topology& t) { return t.chip().tensorcores_per_chip; })
      .def_prop_ro(
          "megacore",
          [](const Topology& t) { return t.chip().tensorcores_per_chip > t.cores_per_chip(); },
          "one JAX device drives two TensorCores (v4, v5p): libtpu's 'megacore' chip config")
      .def_prop_ro(
          "device_kind", [](const Topology& t) { return std::string(t.chip().device_kind); },
          "jax.Device.device_kind of the slice's devices")
      .def_prop_ro("hbm_bytes_per_chip", [](const Topology& t) { return t.chip().hbm_bytes; })
      .def_prop_ro(
          "hbm_bytes_per_device",
          [](const Topology& t) { return t.chip().hbm_bytes / t.cores_per_chip(); },
          "the chip's HBM over its JAX devices")
      .def_prop_ro("chip", [](const Topology& t) { return ChipSpecDict(t.chip()); })
      .def("device_coords",
           [](const Topology& t, int64_t device) {
             CheckDevice(t, device);
             const ChipCoords c = t.ChipOf(device);
             return std::make_tuple(c.x, c.y, c.z);
           })
      .def("core_on_chip",
           [](const Topology& t, int64_t device) {
             CheckDevice(t, device);
             return t.CoreOf(device);
           })
      .def(
          "device_id",
          [](const Topology& t, int64_t x, int64_t y, int64_t z, int64_t core) {
            if (x < 0 || y < 0 || z < 0 || core < 0 || x >= t.shape()[0] || y >= t.shape()[1] ||
                z >= t.shape()[2] || core >= t.cores_per_chip()) {
              ThrowError(InvalidArgument("chip coordinates out of range for " + t.ToString()));
            }
            return t.DeviceId({x, y, z}, core);
          },
          nb::arg("x"), nb::arg("y"), nb::arg("z") = 0, nb::arg("core") = 0)
      .def("links",
           [](const Topology& t) {
             nb::list out;
             for (const Link& link : AllLinks(t)) out.append(LinkDict(t, link));
             return out;
           })
      .def("num_ici_links",
           [](const Topology& t) {
             int64_t n = 0;
             for (const Link& link : AllLinks(t)) n += link.axis != kCoreAxis;
             return n;
           })
      .def("neighbors",
           [](const Topology& t, int64_t device) {
             CheckDevice(t, device);
             return Neighbors(t, device);
           })
      .def("route",
           [](const Topology& t, int64_t source, int64_t target) {
             CheckDevice(t, source);
             CheckDevice(t, target);
             nb::list out;
             for (const Link& link : Route(t, source, target)) out.append(LinkDict(t, link));
             return out;
           })
      .def("hop_count",
           [](const Topology& t, int64_t source, int64_t target) {
             CheckDevice(t, source);
             CheckDevice(t, target);
             return HopCount(t, source, target);
           })
      .def(
          "coords_of",
          [](const Topology& t, std::optional<DeviceIds> device_ids) {
            const DeviceIds ids = device_ids ? *device_ids : IdOrder(t);
            for (int64_t device : ids) CheckDevice(t, device);
            return CoordsOfDevices(t, ids);
          },
          nb::arg("device_ids") = nb::none(),
          "Chip coordinates [x, y, z] (plus the core on multi-core chips, tpu7x) of each device "
          "id; all devices in id order when no ids are given.")
      .def(
          "ids_of",
          [](const Topology& t, const DeviceCoordsList& coords) {
            return ValueOrThrow(DeviceIdsOfCoords(t, coords));
          },
          nb::arg("device_coords"),
          "Device ids of chip coordinates given as [x, y, z] or [x, y, z, core].")
      .def("__eq__",
           [](const Topology& a, nb::handle b) {
             return nb::isinstance<Topology>(b) && State(a) == State(nb::cast<const Topology&>(b));
           })
      .def("__hash__", [](const Topology& t) { return nb::hash(nb::str(t.ToString().c_str())); })
      .def("__getstate__", &State)
      .def("__setstate__",
           [](Topology* self, const std::tuple<std::string, ConstantMap>& state) {
             new (self) Topology(
                 Calibrated(ValueOrThrow(ParseSliceSpec(std::get<0>(state))), std::get<1>(state)));
           })
      .def("__str__", &Topology::ToString)
      .def("__repr__", [](const Topology& t) {
        const size_t n = t.constant_overrides().size();
        return "Topology('" + t.ToString() + "'" +
               (n ? ", " + std::to_string(n) + " calibrated constants" : std::string()) + ")";
      });

  m.def(
      "parse_slice_spec",
      [](const std::string& spec) { return ValueOrThrow(ParseSliceSpec(spec)); }, nb::arg("spec"),
      "Parse 'v5e:2x4' (same as Topology('v5e:2x4')); ValueError names the bad part and lists "
      "valid shapes");
  m.def(
      "calibratable_constants",
      [] {
        std::vector<std::string> out;
        for (std::string_view name : CalibratableConstantNames()) out.emplace_back(name);
        return out;
      },
      "names of the chip constants a calibration may set (Topology(spec, calibration=...))");
  m.def("chip_specs", [] {
    nb::list out;
    for (const ChipSpec& spec : AllChipSpecs()) out.append(ChipSpecDict(spec));
    return out;
  });
}

}  // namespace aoizora::bindings
