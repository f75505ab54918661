#pragma once
// Hand-built step programs for the placement tests (test-only header).

#include <string>
#include <utility>

#include "aoizora/program/step_program.h"

namespace aoizora::placement::testing {

// A compute op worth `seconds` under constants with 1e9 B/s HBM at efficiency 1 (memory-bound).
inline StepOp ComputeSeconds(double seconds, double multiplicity = 1.0) {
  ComputeOp op;
  op.name = "fusion";
  op.opcode = "fusion";
  op.bytes_accessed = seconds * 1e9;
  return StepOp{op, multiplicity};
}

inline StepOp CollectiveStep(std::string name, CollectiveKind kind, double payload_bytes,
                             DeviceGroups groups, double multiplicity = 1.0) {
  CollectiveOp op;
  op.name = std::move(name);
  op.kind = kind;
  op.payload_bytes = payload_bytes;
  op.group_size = groups.empty() ? 1 : static_cast<int64_t>(groups.front().size());
  op.groups = std::move(groups);
  return StepOp{op, multiplicity};
}

inline StepOp PermuteStep(std::string name, double payload_bytes, SourceTargetPairs pairs,
                          double multiplicity = 1.0) {
  CollectiveOp op;
  op.name = std::move(name);
  op.kind = CollectiveKind::kCollectivePermute;
  op.payload_bytes = payload_bytes;
  op.group_size = 2;
  op.pairs = std::move(pairs);
  return StepOp{op, multiplicity};
}

inline StepOp Async(StepOp step, int64_t window_begin, int64_t window_end) {
  auto& op = std::get<CollectiveOp>(step.op);
  op.is_async = true;
  op.window_begin = window_begin;
  op.window_end = window_end;
  return step;
}

// Groups of logical ids that vary only along mesh axis `axis` of a row-major mesh.
inline DeviceGroups AxisGroups(const std::vector<int64_t>& mesh, size_t axis) {
  int64_t n = 1;
  for (int64_t s : mesh) n *= s;
  int64_t stride = 1;
  for (size_t j = axis + 1; j < mesh.size(); ++j) stride *= mesh[j];
  DeviceGroups groups;
  for (int64_t id = 0; id < n; ++id) {
    if ((id / stride) % mesh[axis] != 0) continue;
    std::vector<int64_t> g;
    for (int64_t i = 0; i < mesh[axis]; ++i) g.push_back(id + i * stride);
    groups.push_back(std::move(g));
  }
  return groups;
}

// Ring permute i -> i+1 along mesh axis `axis` (wrapping), as ring attention sends KV blocks.
inline SourceTargetPairs AxisRingPairs(const std::vector<int64_t>& mesh, size_t axis) {
  SourceTargetPairs pairs;
  int64_t stride = 1;
  for (size_t j = axis + 1; j < mesh.size(); ++j) stride *= mesh[j];
  for (const auto& g : AxisGroups(mesh, axis)) {
    for (size_t i = 0; i < g.size(); ++i) pairs.emplace_back(g[i], g[(i + 1) % g.size()]);
  }
  return pairs;
}

}  // namespace aoizora::placement::testing
