#include "aoizora/program/collective_extraction.h"

#include <algorithm>
#include <string>

#include "aoizora/program/mesh_axes_groups.h"

namespace aoizora {
namespace {

using hlo::Instruction;
using hlo::Shape;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view Stem(std::string_view opcode) {
  for (std::string_view suffix : {"-start", "-done", "-update"})
    if (EndsWith(opcode, suffix)) return opcode.substr(0, opcode.size() - suffix.size());
  return opcode;
}

std::optional<CollectiveKind> KindOf(std::string_view stem) {
  if (stem == "ragged-all-to-all") return CollectiveKind::kAllToAll;
  return CollectiveKindFromName(stem);
}

// The instruction an explicit async-start wraps: the root of its called computation, looking
// through a fusion root into the fused computation.
const Instruction* WrappedInstruction(const Instruction& start) {
  const hlo::Computation* called = start.CalledComputationFor("calls");
  if (called == nullptr && !start.called_computations.empty())
    called = start.called_computations.front().computation;
  if (called == nullptr || called->root() == nullptr) return nullptr;
  const Instruction* root = called->root();
  for (int depth = 0; depth < 8 && root != nullptr; ++depth) {
    if (KindOf(root->opcode)) return root;
    if (root->opcode != "fusion") break;
    const hlo::Computation* fused = root->CalledComputationFor("calls");
    if (fused == nullptr) break;
    // A collective fusion: the collective is somewhere inside; take the first one.
    const Instruction* found = nullptr;
    for (const Instruction& inner : fused->instructions)
      if (KindOf(inner.opcode)) {
        found = &inner;
        break;
      }
    if (found != nullptr) return found;
    root = fused->root();
  }
  return nullptr;
}

Result<double> LeafBytesSum(const Instruction& at, const Shape& shape) {
  auto bytes = hlo::ShapeByteSize(shape);
  if (!bytes.ok())
    return InvalidArgument("cannot size collective '" + at.name + "': " + bytes.error().message());
  return static_cast<double>(*bytes);
}

Result<double> OperandsBytes(const Instruction& op) {
  double total = 0.0;
  for (size_t i = 0; i < op.operands.size(); ++i) {
    if (op.operands[i] == nullptr) continue;
    AOIZORA_ASSIGN_OR_RETURN(double b, LeafBytesSum(op, op.operands[i]->shape));
    total += b;
  }
  return total;
}

// hlo-text.md section 7 payload for `op` (the op carrying the collective's semantics); `shape`
// is the instruction's result shape with async wrapping removed where needed.
Result<double> Payload(CollectiveKind kind, const Instruction& op, bool real_start) {
  switch (kind) {
    case CollectiveKind::kAllGather: {
      // Result R. all-gather-start is (operands, results): element 1.
      const Shape& s = op.shape;
      if (real_start && s.is_tuple && s.tuple_shapes.size() >= 2)
        return LeafBytesSum(op, s.tuple_shapes[1]);
      return LeafBytesSum(op, s);
    }
    case CollectiveKind::kAllReduce:
      return LeafBytesSum(op, op.shape);  // buffer B (all-reduce-start has the plain result)
    case CollectiveKind::kReduceScatter:
    case CollectiveKind::kAllToAll:
      return OperandsBytes(op);  // operand I / buffer B (tuple form: the sum of operands)
    case CollectiveKind::kCollectivePermute:
      if (op.operands.empty() || op.operands[0] == nullptr) return 0.0;
      return LeafBytesSum(op, op.operands[0]->shape);
  }
  return 0.0;
}

Result<hlo::GroupList> ExpandGroups(const Instruction& op) {
  const hlo::ReplicaGroups& rg = *op.replica_groups;
  if (rg.form == hlo::ReplicaGroupsForm::kMeshAxes) {
    // The mesh-axes form may carry device_ids=(...), which the IR does not keep: expand the raw
    // text ourselves.
    auto groups = ExpandMeshAxesGroups(rg.raw);
    if (!groups.ok())
      return InvalidArgument("collective '" + op.name + "': " + groups.error().message());
    return *groups;
  }
  auto groups = rg.Expand();
  if (!groups.ok())
    return InvalidArgument("collective '" + op.name + "': " + groups.error().message());
  return *groups;
}

// Pairs in logical ids: with a channel the ids are partition ids (repeated for every replica),
// without one they are replica ids (repeated for every partition).
SourceTargetPairs LogicalPairs(const Instruction& op, const hlo::Module& module) {
  SourceTargetPairs out;
  const auto& pairs = *op.source_target_pairs;
  const int64_t replicas = std::max<int64_t>(module.replica_count, 1);
  const int64_t partitions = std::max<int64_t>(module.num_partitions, 1);
  if (op.channel_id.has_value()) {
    for (int64_t r = 0; r < replicas; ++r)
      for (const auto& [s, t] : pairs) out.emplace_back(r * partitions + s, r * partitions + t);
  } else {
    for (int64_t p = 0; p < partitions; ++p)
      for (const auto& [s, t] : pairs) out.emplace_back(s * partitions + p, t * partitions + p);
  }
  return out;
}

}  // namespace

bool IsAsyncWrapperStart(std::string_view opcode) {
  return opcode == "async-start" || opcode == "call-start";
}

bool IsAsyncWrapperUpdate(std::string_view opcode) {
  return opcode == "async-update" || opcode == "call-update";
}

CollectiveRole ClassifyCollective(const Instruction& instruction) {
  const std::string& op = instruction.opcode;
  if (IsAsyncWrapperStart(op)) {
    return WrappedInstruction(instruction) != nullptr ? CollectiveRole::kStart
                                                      : CollectiveRole::kNone;
  }
  if (IsAsyncWrapperUpdate(op)) return CollectiveRole::kUpdate;
  if (op == "async-done" || op == "call-done") {
    // Done of an async collective iff its start (through updates) wraps one.
    const Instruction* start = instruction.operands.empty() ? nullptr : instruction.operands[0];
    while (start != nullptr && IsAsyncWrapperUpdate(start->opcode))
      start = start->operands.empty() ? nullptr : start->operands[0];
    return start != nullptr && ClassifyCollective(*start) == CollectiveRole::kStart
               ? CollectiveRole::kDone
               : CollectiveRole::kNone;
  }
  if (!KindOf(Stem(op))) return CollectiveRole::kNone;
  if (EndsWith(op, "-start")) return CollectiveRole::kStart;
  if (EndsWith(op, "-done")) return CollectiveRole::kDone;
  if (EndsWith(op, "-update")) return CollectiveRole::kUpdate;
  return CollectiveRole::kSync;
}

Result<DeviceGroups> CollectiveGroups(const Instruction& op, const hlo::Module& module) {
  hlo::GroupList groups;
  if (op.replica_groups) {
    AOIZORA_ASSIGN_OR_RETURN(groups, ExpandGroups(op));
  }
  // all-to-all has no use_global_device_ids: a channel means partition ids.
  std::optional<bool> use_global = op.use_global_device_ids;
  auto mode = hlo::GetCollectiveOpGroupMode(op.channel_id.has_value(), use_global);
  if (!mode.ok()) return InvalidArgument("collective '" + op.name + "': " + mode.error().message());
  auto logical =
      hlo::LogicalDeviceGroups(groups, *mode, module.replica_count, module.num_partitions);
  if (!logical.ok())
    return InvalidArgument("collective '" + op.name + "': " + logical.error().message());
  return *logical;
}

Result<std::optional<CollectiveOp>> ExtractCollective(const Instruction& instruction,
                                                      const hlo::Module& module) {
  const CollectiveRole role = ClassifyCollective(instruction);
  if (role != CollectiveRole::kSync && role != CollectiveRole::kStart)
    return std::optional<CollectiveOp>();
  const Instruction* op = &instruction;
  bool real_start = role == CollectiveRole::kStart;
  if (IsAsyncWrapperStart(instruction.opcode)) {
    op = WrappedInstruction(instruction);
    real_start = false;  // the wrapped op has its own (unwrapped) shapes
  } else if (role == CollectiveRole::kStart && (Stem(instruction.opcode) == "reduce-scatter" ||
                                                Stem(instruction.opcode) == "all-to-all" ||
                                                Stem(instruction.opcode) == "ragged-all-to-all")) {
    // Sugared async wrappers: operands are the wrapped op's; payload is operand-based.
    real_start = false;
  }
  const auto kind = KindOf(Stem(op->opcode));
  if (!kind) return std::optional<CollectiveOp>();
  CollectiveOp c;
  c.name = instruction.name;
  c.kind = *kind;
  c.is_async = role == CollectiveRole::kStart;
  AOIZORA_ASSIGN_OR_RETURN(c.payload_bytes, Payload(*kind, *op, real_start));
  if (*kind == CollectiveKind::kCollectivePermute) {
    if (op->source_target_pairs) c.pairs = LogicalPairs(*op, module);
    c.group_size = 2;
    return std::optional<CollectiveOp>(std::move(c));
  }
  AOIZORA_ASSIGN_OR_RETURN(c.groups, CollectiveGroups(*op, module));
  c.group_size = 1;
  for (const auto& g : c.groups)
    c.group_size = std::max<int64_t>(c.group_size, static_cast<int64_t>(g.size()));
  return std::optional<CollectiveOp>(std::move(c));
}

}  // namespace aoizora
