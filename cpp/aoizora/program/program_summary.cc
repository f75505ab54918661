#include "aoizora/program/program_summary.h"

#include <cmath>
#include <cstdio>
#include <string_view>

namespace aoizora {
namespace {

std::string Number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

ProgramSummary Summarize(const CompiledModuleAnalysis& analysis) {
  ProgramSummary s;
  const StepProgram& p = analysis.program;
  s.module_name = p.module_name;
  s.num_partitions = p.num_partitions;
  static_cast<ProgramTotals&>(s) = analysis;
  s.warnings = p.warnings;
  for (const StepOp& step : p.ops) {
    if (const auto* c = std::get_if<ComputeOp>(&step.op)) {
      ++s.compute_ops;
      s.matmuls += static_cast<int64_t>(c->matmuls.size());
      continue;
    }
    const auto& c = std::get<CollectiveOp>(step.op);
    CollectiveSummary row;
    row.name = c.name;
    row.kind = c.kind;
    row.bytes_per_device = c.payload_bytes;
    row.bytes_sent_per_device = BytesSentPerDevice(c.kind, c.payload_bytes, c.group_size);
    row.group_size = c.group_size;
    row.num_groups = c.kind == CollectiveKind::kCollectivePermute
                         ? static_cast<int64_t>(c.pairs.size())
                         : static_cast<int64_t>(c.groups.size());
    row.is_async = c.is_async;
    row.count = step.multiplicity;
    for (int64_t i = c.window_begin; i < c.window_end; ++i) {
      if (const auto* w = std::get_if<ComputeOp>(&p.ops[static_cast<size_t>(i)].op)) {
        ++row.window_ops;
        row.window_flops += w->flops;
      }
    }
    row.groups = c.groups;
    row.pairs = c.pairs;
    s.collectives.push_back(std::move(row));
  }
  return s;
}

std::string SummaryToJson(const ProgramSummary& s) {
  std::string out = "{\n";
  out += "  \"module\": " + Quote(s.module_name) + ",\n";
  out += "  \"num_partitions\": " + Number(static_cast<double>(s.num_partitions)) + ",\n";
  out += "  \"flops\": " + Number(s.flops) + ",\n";
  out += "  \"transcendentals\": " + Number(s.transcendentals) + ",\n";
  out += "  \"bytes_accessed\": " + Number(s.bytes_accessed) + ",\n";
  out += "  \"fast_memory_bytes\": " + Number(s.fast_memory_bytes) + ",\n";
  out += "  \"flops_loop_bodies_once\": " + Number(s.flops_once) + ",\n";
  out += "  \"compute_ops\": " + Number(static_cast<double>(s.compute_ops)) + ",\n";
  out += "  \"matmuls\": " + Number(static_cast<double>(s.matmuls)) + ",\n";
  out += "  \"while_loops\": " + Number(static_cast<double>(s.while_loops)) + ",\n";
  out += "  \"warnings\": [";
  for (size_t i = 0; i < s.warnings.size(); ++i) out += (i ? ", " : "") + Quote(s.warnings[i]);
  out += "],\n  \"collectives\": [";
  for (size_t i = 0; i < s.collectives.size(); ++i) {
    const auto& c = s.collectives[i];
    out += i ? ",\n    {" : "\n    {";
    out += "\"name\": " + Quote(c.name);
    out += ", \"kind\": " + Quote(CollectiveKindName(c.kind));
    out += ", \"bytes_per_device\": " + Number(c.bytes_per_device);
    out += ", \"bytes_sent_per_device\": " + Number(c.bytes_sent_per_device);
    out += ", \"group_size\": " + Number(static_cast<double>(c.group_size));
    out += ", \"num_groups\": " + Number(static_cast<double>(c.num_groups));
    out += std::string(", \"async\": ") + (c.is_async ? "true" : "false");
    out += ", \"count\": " + Number(c.count);
    out += ", \"window_ops\": " + Number(static_cast<double>(c.window_ops));
    out += "}";
  }
  out += s.collectives.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

}  // namespace aoizora
