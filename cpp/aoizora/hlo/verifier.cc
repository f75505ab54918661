#include "aoizora/hlo/verifier.h"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "aoizora/hlo/diagnostic.h"
#include "aoizora/hlo/limits.h"
#include "aoizora/hlo/opcode.h"
#include "aoizora/hlo/primitive_type.h"

namespace aoizora::hlo {
namespace {

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
// Limits of the call graph (CheckCallGraph). Real modules nest calls a few levels (a fusion in a
// loop body in a call) and expand to about as many instructions as they print.
constexpr int64_t kMaxCallDepth = 64;
constexpr int64_t kMaxInstructionVisits = int64_t{1} << 24;

bool MulOverflows(int64_t a, int64_t b) { return a != 0 && b > kMaxInt64 / a; }

class Verifier {
 public:
  Verifier(const Module& module, const VerifyOptions& options, std::vector<std::string>& warnings,
           std::string_view text)
      : module_(module), options_(options), warnings_(warnings), text_(text) {}

  Status Run() {
    if (module_.replica_count <= 0 || module_.num_partitions <= 0 ||
        module_.replica_count > kMaxDevices / module_.num_partitions) {
      return InvalidArgument(module_.filename + ": replica_count " +
                             std::to_string(module_.replica_count) + " x num_partitions " +
                             std::to_string(module_.num_partitions) + " is more than " +
                             std::to_string(kMaxDevices) + " devices");
    }
    for (const auto& computation : module_.computations) {
      for (const Instruction& inst : computation->instructions) {
        AOIZORA_RETURN_IF_ERROR(Check(inst));
      }
    }
    AOIZORA_RETURN_IF_ERROR(CheckCallGraph());
    for (const auto& [opcode, use] : unknown_) {
      warnings_.push_back(
          InstructionLocation(module_, *use.first) + ": unknown opcode '" + opcode + "' (" +
          std::to_string(use.count) + (use.count == 1 ? " instruction" : " instructions") +
          ", the first '" + use.first->name +
          "') is not an XLA opcode; lenient analysis counts no FLOPs for it, only the bytes of "
          "its operands and output");
    }
    return OkStatus();
  }

 private:
  struct Use {
    const Instruction* first = nullptr;
    int64_t count = 0;
  };

  Error At(const Instruction& inst, const std::string& message) const {
    const std::string what = "instruction '" + inst.name + "' (" + inst.opcode + "): " + message;
    if (!text_.empty() && inst.source_line > 0) {
      Error rendered =
          MakeParseError(text_, module_.filename, static_cast<size_t>(inst.source_offset), what);
      return InvalidArgument(rendered.message());
    }
    return InvalidArgument(InstructionLocation(module_, inst) + ": " + what);
  }

  Status Check(const Instruction& inst) {
    if (!IsKnownOpcode(inst.opcode)) {
      if (options_.strict) {
        return At(inst, "unknown opcode '" + inst.opcode +
                            "': not an XLA opcode, so its FLOPs and bytes cannot be counted "
                            "(a typo? a lenient analysis lists it as a warning instead)");
      }
      Use& use = unknown_[inst.opcode];
      if (use.first == nullptr) use.first = &inst;
      ++use.count;
    }
    if (inst.malformed_known_trip_count) {
      const std::string what = "backend_config known_trip_count n=\"" +
                               *inst.malformed_known_trip_count +
                               "\" is not an integer in [0, 2^63)";
      if (options_.strict) return At(inst, what);
      warnings_.push_back(InstructionLocation(module_, inst) + ": instruction '" + inst.name +
                          "': " + what + "; lenient analysis ignores it");
    }
    AOIZORA_RETURN_IF_ERROR(CheckShape(inst, inst.shape));
    if (inst.opcode == "get-tuple-element") AOIZORA_RETURN_IF_ERROR(CheckTupleIndex(inst));
    if (inst.source_target_pairs) AOIZORA_RETURN_IF_ERROR(CheckPairs(inst));
    if (inst.replica_groups) AOIZORA_RETURN_IF_ERROR(CheckReplicaGroups(inst));
    if (inst.sharding) AOIZORA_RETURN_IF_ERROR(CheckSharding(inst, *inst.sharding));
    return OkStatus();
  }

  // Element and byte counts of every array leaf fit int64 (and so does their sum).
  Status CheckShape(const Instruction& inst, const Shape& shape) {
    int64_t total_bytes = 0;
    for (const Shape* leaf : ShapeLeaves(shape)) {
      int64_t elements = 1;
      for (int64_t dim : leaf->dims) {
        if (dim < 0) continue;  // `?`: unbounded, no size to check
        if (MulOverflows(elements, dim)) {
          return At(inst, "shape " + ShapeToString(*leaf, false) +
                              " has more elements than an int64 can count");
        }
        elements *= dim;
      }
      const auto type = FindPrimitiveType(leaf->element_type);
      if (!type) continue;
      const int64_t bits = leaf->layout ? leaf->layout->element_size_bits : 0;
      const int64_t unit = bits > 0 && type->byte_size > 0 ? bits : type->byte_size;
      if (MulOverflows(elements, unit) || elements * unit > kMaxInt64 - total_bytes) {
        return At(inst, "shape " + ShapeToString(shape, false) +
                            " has more bytes than an int64 can count");
      }
      total_bytes += bits > 0 && type->byte_size > 0 ? (elements * unit + 7) / 8 : elements * unit;
    }
    return OkStatus();
  }

  Status CheckTupleIndex(const Instruction& inst) {
    if (!inst.tuple_index) return At(inst, "get-tuple-element needs index=N");
    if (inst.operands.size() != 1 || inst.operands[0] == nullptr) {
      return At(inst, "get-tuple-element takes one operand, got " +
                          std::to_string(inst.operand_names.size()));
    }
    const Instruction& tuple = *inst.operands[0];
    if (!tuple.shape.is_tuple) {
      return At(inst, "index=" + std::to_string(*inst.tuple_index) + " of operand '" + tuple.name +
                          "', which is not a tuple (" + ShapeToString(tuple.shape, false) + ")");
    }
    const int64_t size = static_cast<int64_t>(tuple.shape.tuple_shapes.size());
    if (*inst.tuple_index < 0 || *inst.tuple_index >= size) {
      return At(inst, "index=" + std::to_string(*inst.tuple_index) + " is out of range for the " +
                          std::to_string(size) + "-element tuple '" + tuple.name + "'");
    }
    return OkStatus();
  }

  // How often one id may appear as a source (or as a target) of `inst`'s pairs: once, as XLA's
  // verifier requires, except in the in-place form (4 operands) once per slice.
  static size_t AllowedPairRepeats(const Instruction& inst) {
    if (inst.operands.size() != 4 || inst.operands[0] == nullptr || inst.operands[2] == nullptr)
      return 1;
    const Shape& offsets = inst.operands[2]->shape;
    size_t slices = offsets.tuple_shapes.size();
    if (!inst.operands[0]->shape.IsArray() && !offsets.tuple_shapes.empty())
      slices = offsets.tuple_shapes[0].tuple_shapes.size();
    return std::max<size_t>(slices, 1);
  }

  Status CheckPairs(const Instruction& inst) {
    // With a channel the ids are partition ids, without one replica ids (hlo-text.md 6.3).
    const bool partitions = inst.channel_id.has_value();
    const int64_t limit = partitions ? module_.num_partitions : module_.replica_count;
    const size_t allowed = AllowedPairRepeats(inst);
    std::unordered_map<int64_t, size_t> sources, targets;
    for (const auto& [source, target] : *inst.source_target_pairs) {
      const std::string pair =
          "source_target_pairs {" + std::to_string(source) + "," + std::to_string(target) + "}: ";
      for (const int64_t id : {source, target}) {
        if (id >= 0 && id < limit) continue;
        return At(inst, pair + (partitions ? "partition id " : "replica id ") + std::to_string(id) +
                            " is outside the module's " +
                            (partitions ? "num_partitions=" : "replica_count=") +
                            std::to_string(limit));
      }
      const bool source_repeated = ++sources[source] > allowed;
      if (source_repeated || ++targets[target] > allowed) {
        return At(inst,
                  pair + (source_repeated ? "source " : "target ") +
                      std::to_string(source_repeated ? source : target) + " appears more than " +
                      (allowed == 1 ? std::string("once") : std::to_string(allowed) + " times"));
      }
    }
    return OkStatus();
  }

  // No device id may appear twice in replica_groups (XLA's verifier rules the same); this also
  // bounds the logical groups the analysis expands them to by the device count.
  Status CheckReplicaGroups(const Instruction& inst) {
    Result<GroupList> groups = inst.replica_groups->Expand();
    if (!groups.ok()) return OkStatus();  // the analysis reports it, naming the collective
    std::unordered_set<int64_t> seen;
    for (const auto& group : *groups) {
      for (const int64_t id : group) {
        if (!seen.insert(id).second) {
          return At(inst, "replica_groups " + inst.replica_groups->raw + ": id " +
                              std::to_string(id) + " appears more than once");
        }
      }
    }
    return OkStatus();
  }

  Status CheckSharding(const Instruction& inst, const Sharding& sharding) {
    const int64_t limit = module_.num_partitions;
    auto beyond = [&](const std::string& what) {
      return At(inst, "sharding " + sharding.raw + ": " + what +
                          " the module's num_partitions=" + std::to_string(limit));
    };
    switch (sharding.kind) {
      case ShardingKind::kTuple:
        for (const Sharding& element : sharding.tuple_elements)
          AOIZORA_RETURN_IF_ERROR(CheckSharding(inst, element));
        return OkStatus();
      case ShardingKind::kMaximal:
        if (sharding.maximal_device < 0 || sharding.maximal_device >= limit)
          return beyond("device " + std::to_string(sharding.maximal_device) + " is outside");
        return OkStatus();
      case ShardingKind::kTiled:
        if (sharding.is_iota) {
          if (sharding.NumTileDevices() > limit)
            return beyond("its " + std::to_string(sharding.NumTileDevices()) +
                          " devices are more than");
          return OkStatus();
        }
        for (const int64_t id : sharding.explicit_devices) {
          if (id < 0 || id >= limit)
            return beyond("device id " + std::to_string(id) + " is outside");
        }
        return OkStatus();
      default:
        return OkStatus();
    }
  }

  // The analyses follow calls recursively (while bodies, calls, fusions, conditional branches,
  // reducers): the call graph must be acyclic (XLA requires it too), at most kMaxCallDepth deep,
  // and expand to at most kMaxInstructionVisits instructions when every call is inlined (a few
  // computations that each call the next twice would otherwise take 2^depth steps).
  Status CheckCallGraph() {
    const size_t n = module_.computations.size();
    std::unordered_map<const Computation*, size_t> index;
    for (size_t i = 0; i < n; ++i) index[module_.computations[i].get()] = i;
    enum : uint8_t { kNew, kOnStack, kDone };
    std::vector<uint8_t> state(n, kNew);
    std::vector<int64_t> depth(n, 1), visits(n, 0);
    struct Frame {
      size_t computation;
      size_t instruction = 0;
      size_t call = 0;
    };
    for (size_t root = 0; root < n; ++root) {
      if (state[root] != kNew) continue;
      std::vector<Frame> stack{{root}};
      state[root] = kOnStack;
      while (!stack.empty()) {
        Frame& frame = stack.back();
        const Computation& c = *module_.computations[frame.computation];
        if (frame.instruction == c.instructions.size()) {  // all callees done: c is done
          int64_t total = 0;
          for (const Instruction& inst : c.instructions) {
            total = std::min(total + 1, kMaxInstructionVisits + 1);
            for (const CalledComputation& called : inst.called_computations) {
              const size_t callee = index.at(called.computation);
              depth[frame.computation] = std::max(depth[frame.computation], depth[callee] + 1);
              total = std::min(total + visits[callee], kMaxInstructionVisits + 1);
            }
          }
          visits[frame.computation] = total;
          state[frame.computation] = kDone;
          stack.pop_back();
          continue;
        }
        const Instruction& inst = c.instructions[frame.instruction];
        if (frame.call == inst.called_computations.size()) {
          ++frame.instruction;
          frame.call = 0;
          continue;
        }
        const Computation* called = inst.called_computations[frame.call++].computation;
        if (called == nullptr || !index.count(called)) {
          return At(inst, "calls a computation that is not in the module");
        }
        const size_t callee = index.at(called);
        if (state[callee] == kOnStack) {
          return At(inst, "calls computation '" + called->name +
                              "', which is already being called " +
                              "(directly or through other calls): the call graph has a cycle");
        }
        if (state[callee] == kNew) {
          if (static_cast<int64_t>(stack.size()) >= kMaxCallDepth) {
            return At(inst, "calls nest more than " + std::to_string(kMaxCallDepth) + " deep");
          }
          state[callee] = kOnStack;
          stack.push_back({callee});
        }
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (depth[i] > kMaxCallDepth) {
        return InvalidArgument(module_.filename + ": computation '" +
                               module_.computations[i]->name + "' nests calls " +
                               std::to_string(depth[i]) + " deep, more than " +
                               std::to_string(kMaxCallDepth));
      }
      if (visits[i] > kMaxInstructionVisits) {
        return InvalidArgument(module_.filename + ": computation '" +
                               module_.computations[i]->name + "' expands to more than " +
                               std::to_string(kMaxInstructionVisits) +
                               " instructions with its calls inlined (computations called over "
                               "and over through nested calls)");
      }
    }
    return OkStatus();
  }

  const Module& module_;
  const VerifyOptions& options_;
  std::vector<std::string>& warnings_;
  std::string_view text_;
  std::map<std::string, Use> unknown_;  // lenient mode: opcode -> first use and count
};

}  // namespace

std::string InstructionLocation(const Module& module, const Instruction& instruction) {
  std::string out = module.filename.empty() ? std::string("<module>") : module.filename;
  if (instruction.source_line > 0) {
    out += ':' + std::to_string(instruction.source_line) + ':' +
           std::to_string(instruction.source_column);
  }
  return out;
}

Status VerifyModule(const Module& module, const VerifyOptions& options,
                    std::vector<std::string>& warnings, std::string_view text) {
  return Verifier(module, options, warnings, text).Run();
}

}  // namespace aoizora::hlo
