#pragma once
// A compact, printable view of a compiled-module analysis: totals and one row per collective
// (what `aoizora hlo analyze` shows). bytes_per_device is the per-device payload of hlo-text.md
// section 7 (all-gather result, reduce-scatter operand, all-reduce/all-to-all buffer, permute
// operand); bytes_sent_per_device applies the ring factors of that section.

#include <string>
#include <vector>

#include "aoizora/program/compiled_analysis.h"

namespace aoizora {

struct CollectiveSummary {
  std::string name;
  CollectiveKind kind = CollectiveKind::kAllGather;
  double bytes_per_device = 0.0;
  double bytes_sent_per_device = 0.0;
  int64_t group_size = 1;
  int64_t num_groups = 0;  // number of groups, or of source-target pairs for a permute
  bool is_async = false;
  double count = 1.0;         // runs per step (loop trip counts multiplied)
  int64_t window_ops = 0;     // compute ops between -start and -done (0 for sync)
  double window_flops = 0.0;  // their FLOPs (what could overlap the transfer)
  DeviceGroups groups;
  SourceTargetPairs pairs;
};

// The analysis's totals plus what a reader of the module wants listed.
struct ProgramSummary : ProgramTotals {
  std::string module_name;
  int64_t num_partitions = 1;
  int64_t compute_ops = 0;
  int64_t matmuls = 0;
  std::vector<CollectiveSummary> collectives;
  std::vector<std::string> warnings;
};

ProgramSummary Summarize(const CompiledModuleAnalysis& analysis);

// JSON with the keys above (collectives: kind, bytes_per_device, group_size, num_groups, async,
// count, ...).
std::string SummaryToJson(const ProgramSummary& summary);

}  // namespace aoizora
