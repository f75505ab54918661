// Python surface of the hlo stage: parse HLO text or a dump file into a module summary.
//   m = aoizora.core().parse_hlo(text)          # or parse_hlo_file(path)
//   m.name, m.num_partitions, m.entry.root.opcode, m.computation("add").instructions[0].shape
// Parse errors raise ValueError carrying the rendered diagnostic (file:line:col, line, caret).
// Objects are read-only views; computations and instructions keep their module alive.

#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <string>
#include <vector>

#include "aoizora/hlo/parser.h"
#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {
namespace {

using hlo::Computation;
using hlo::Instruction;
using hlo::Module;

nb::dict AttributeDict(const std::vector<hlo::Attribute>& attributes) {
  nb::dict d;
  for (const hlo::Attribute& a : attributes) d[a.name.c_str()] = a.value;
  return d;
}

nb::object GroupsOrNone(const Instruction& inst) {
  if (!inst.replica_groups) return nb::none();
  return nb::cast(ValueOrThrow(inst.replica_groups->Expand()));
}

nb::object ShardingOrNone(const Instruction& inst) {
  if (!inst.sharding) return nb::none();
  return nb::str(inst.sharding->raw.c_str());
}

}  // namespace

void BindHlo(nb::module_& m) {
  nb::class_<Instruction>(m, "HloInstruction")
      .def_ro("name", &Instruction::name)
      .def_ro("opcode", &Instruction::opcode)
      .def_prop_ro("shape", [](const Instruction& i) { return hlo::ShapeToString(i.shape); })
      .def_prop_ro("shape_bytes",
                   [](const Instruction& i) { return ValueOrThrow(hlo::ShapeByteSize(i.shape)); })
      .def_ro("is_root", &Instruction::is_root)
      .def_ro("operands", &Instruction::operand_names)
      .def_prop_ro("attributes", [](const Instruction& i) { return AttributeDict(i.attributes); })
      .def_prop_ro("sharding", &ShardingOrNone)
      .def_prop_ro("replica_groups", &GroupsOrNone, "expanded groups as printed (not mode-mapped)")
      .def_ro("channel_id", &Instruction::channel_id)
      .def_ro("use_global_device_ids", &Instruction::use_global_device_ids)
      .def_ro("source_target_pairs", &Instruction::source_target_pairs)
      .def_ro("dimensions", &Instruction::dimensions)
      .def_ro("known_trip_count", &Instruction::known_trip_count)
      .def_prop_ro("called_computations",
                   [](const Instruction& i) {
                     std::vector<std::pair<std::string, std::string>> out;
                     for (const auto& c : i.called_computations) out.emplace_back(c.role, c.name);
                     return out;
                   })
      .def("__repr__", [](const Instruction& i) {
        return "<HloInstruction " + i.name + " = " + hlo::ShapeToString(i.shape) + " " + i.opcode +
               ">";
      });

  nb::class_<Computation>(m, "HloComputation")
      .def_ro("name", &Computation::name)
      .def_ro("is_entry", &Computation::is_entry)
      .def_prop_ro(
          "instructions",
          [](const Computation& c) {
            std::vector<const Instruction*> out;
            for (const Instruction& i : c.instructions) out.push_back(&i);
            return out;
          },
          nb::rv_policy::reference_internal)
      .def_prop_ro("root", &Computation::root, nb::rv_policy::reference_internal)
      .def(
          "instruction",
          [](const Computation& c, const std::string& name) {
            const Instruction* i = c.Find(name);
            if (i == nullptr) ThrowError(NotFound("no instruction '" + name + "' in " + c.name));
            return i;
          },
          nb::rv_policy::reference_internal)
      .def("__len__", [](const Computation& c) { return c.instructions.size(); })
      .def("__repr__", [](const Computation& c) {
        return "<HloComputation " + c.name + " (" + std::to_string(c.instructions.size()) +
               " instructions)>";
      });

  nb::class_<Module>(m, "HloModule")
      .def_ro("name", &Module::name)
      .def_ro("is_scheduled", &Module::is_scheduled)
      .def_ro("replica_count", &Module::replica_count)
      .def_ro("num_partitions", &Module::num_partitions)
      .def_prop_ro("num_instructions", &Module::num_instructions)
      .def_prop_ro("attributes", [](const Module& mod) { return AttributeDict(mod.attributes); })
      .def_ro("frontend_attributes", &Module::frontend_attributes)
      .def_prop_ro(
          "computations",
          [](const Module& mod) {
            std::vector<const Computation*> out;
            for (const auto& c : mod.computations) out.push_back(c.get());
            return out;
          },
          nb::rv_policy::reference_internal)
      .def_prop_ro(
          "entry", [](const Module& mod) { return mod.entry; }, nb::rv_policy::reference_internal)
      .def(
          "computation",
          [](const Module& mod, const std::string& name) {
            const Computation* c = mod.FindComputation(name);
            if (c == nullptr) ThrowError(NotFound("no computation '" + name + "' in the module"));
            return c;
          },
          nb::rv_policy::reference_internal)
      .def("__repr__", [](const Module& mod) {
        return "<HloModule " + mod.name + " (" + std::to_string(mod.computations.size()) +
               " computations)>";
      });

  m.def(
      "parse_hlo",
      [](const std::string& text, const std::string& filename) {
        return ValueOrThrow(hlo::ParseModule(text, filename));
      },
      nb::arg("text"), nb::arg("filename") = "<string>",
      "Parse HLO module text; ValueError with file:line:col and a caret on bad input.");
  m.def(
      "parse_hlo_file",
      [](const std::string& path) { return ValueOrThrow(hlo::ParseModuleFile(path)); },
      nb::arg("path"), "Parse an HLO text file (e.g. an --xla_dump_to dump).");
}

}  // namespace aoizora::bindings
