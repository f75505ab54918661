// Python surface of the program stage: analyze a compiled HLO module (text or dump file) into the
// step-program summary that `aoizora hlo analyze` prints. Results are plain dicts and lists.

#include <nanobind/stl/string.h>

#include <string>

#include "aoizora/program/compiled_analysis.h"
#include "aoizora/program/precompile_analysis.h"
#include "aoizora/program/program_summary.h"
#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {
namespace {

nb::list Groups(const DeviceGroups& groups) {
  nb::list out;
  for (const auto& g : groups) {
    nb::list row;
    for (int64_t id : g) row.append(id);
    out.append(row);
  }
  return out;
}

nb::dict SummaryDict(const CompiledModuleAnalysis& analysis) {
  const ProgramSummary s = Summarize(analysis);
  nb::dict d;
  d["module"] = s.module_name;
  d["num_partitions"] = s.num_partitions;
  d["flops"] = s.flops;
  d["transcendentals"] = s.transcendentals;
  d["bytes_accessed"] = s.bytes_accessed;
  d["fast_memory_bytes"] = s.fast_memory_bytes;
  d["flops_loop_bodies_once"] = s.flops_once;
  d["transcendentals_loop_bodies_once"] = s.transcendentals_once;
  d["bytes_accessed_loop_bodies_once"] = s.bytes_accessed_once;
  d["compute_ops"] = s.compute_ops;
  d["matmuls"] = s.matmuls;
  d["while_loops"] = s.while_loops;
  nb::list warnings;
  for (const auto& w : s.warnings) warnings.append(w);
  d["warnings"] = warnings;
  nb::list collectives;
  for (const auto& c : s.collectives) {
    nb::dict row;
    row["name"] = c.name;
    row["kind"] = std::string(CollectiveKindName(c.kind));
    row["bytes_per_device"] = c.bytes_per_device;
    row["bytes_sent_per_device"] = c.bytes_sent_per_device;
    row["group_size"] = c.group_size;
    row["num_groups"] = c.num_groups;
    row["async"] = c.is_async;
    row["count"] = c.count;
    row["window_ops"] = c.window_ops;
    row["window_flops"] = c.window_flops;
    row["groups"] = Groups(c.groups);
    nb::list pairs;
    for (const auto& [s_id, t_id] : c.pairs) pairs.append(nb::make_tuple(s_id, t_id));
    row["pairs"] = pairs;
    collectives.append(row);
  }
  d["collectives"] = collectives;
  return d;
}

nb::dict PrecompileDict(const PrecompileAnalysis& a) {
  nb::dict d;
  d["module"] = a.module_name;
  nb::list mesh;
  for (const auto& axis : a.mesh) mesh.append(nb::make_tuple(axis.name, axis.size));
  d["mesh"] = mesh;
  d["num_devices"] = a.num_devices;
  d["flops_global"] = a.flops_global;
  d["flops_per_device"] = a.flops_per_device;
  d["parameter_bytes_global"] = a.parameter_bytes_global;
  d["parameter_bytes_per_device"] = a.parameter_bytes_per_device;
  nb::list matmuls;
  for (const auto& m : a.matmuls) {
    nb::dict row;
    row["name"] = m.name;
    row["flops_global"] = m.flops_global;
    row["flops_per_device"] = m.flops_per_device;
    row["shards"] = m.shards;
    matmuls.append(row);
  }
  d["matmuls"] = matmuls;
  nb::list collectives;
  for (const auto& c : a.collectives) {
    nb::dict row;
    row["source"] = c.source;
    row["reason"] = c.reason;
    row["kind"] = std::string(CollectiveKindName(c.collective.kind));
    row["array_bytes"] = c.collective.array_bytes;
    row["groups"] = Groups(c.collective.groups);
    nb::list pairs;
    for (const auto& [s_id, t_id] : c.collective.pairs) pairs.append(nb::make_tuple(s_id, t_id));
    row["pairs"] = pairs;
    row["count"] = c.count;
    collectives.append(row);
  }
  d["collectives"] = collectives;
  nb::list warnings;
  for (const auto& w : a.warnings) warnings.append(w);
  d["warnings"] = warnings;
  return d;
}

}  // namespace

void BindProgram(nb::module_& m) {
  m.def(
      "analyze_compiled_hlo",
      [](const std::string& text, const std::string& filename, bool strict) {
        CountHloParse(HloKind::kCompiled);
        return SummaryDict(ValueOrThrow(AnalyzeCompiledText(text, filename, {strict})));
      },
      nb::arg("text"), nb::arg("filename") = "<string>", nb::arg("strict") = true,
      "Analyze compiled (partitioned) HLO text: FLOPs, bytes and collectives per device, loops "
      "expanded. Malformed text raises ValueError with file:line:col, as does (strict, the "
      "default) an opcode XLA does not define or a malformed known_trip_count; strict=False "
      "lists those as warnings instead.");
  m.def(
      "analyze_compiled_hlo_file",
      [](const std::string& path, bool strict) {
        CountHloParse(HloKind::kCompiled);
        return SummaryDict(ValueOrThrow(AnalyzeCompiledFile(path, {strict})));
      },
      nb::arg("path"), nb::arg("strict") = true,
      "analyze_compiled_hlo on a file (e.g. an --xla_dump_to module).");
  m.def(
      "analyze_precompile_hlo",
      [](const std::string& text, const std::string& filename, bool strict) {
        CountHloParse(HloKind::kPrecompile);
        return PrecompileDict(ValueOrThrow(AnalyzePrecompileText(text, filename, {strict})));
      },
      nb::arg("text"), nb::arg("filename") = "<string>", nb::arg("strict") = true,
      "Inputs of the pruning bound Q1 from a lowered, unpartitioned module "
      "(lowered.as_text(dialect='hlo')): per-device matmul FLOPs and parameter bytes under the "
      "sharding annotations, explicit and implied collectives (kind, array_bytes V, groups). "
      "strict as in analyze_compiled_hlo.");
}

}  // namespace aoizora::bindings
