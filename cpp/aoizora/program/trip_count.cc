#include "aoizora/program/trip_count.h"

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <string>

#include "aoizora/hlo/computation.h"

namespace aoizora {
namespace {

using hlo::Instruction;

const Instruction* SkipConversions(const Instruction* value) {
  for (int depth = 0; depth < 16 && value != nullptr; ++depth) {
    if (value->opcode != "copy" && value->opcode != "convert" && value->opcode != "bitcast")
      return value;
    value = value->operands.empty() ? nullptr : value->operands[0];
  }
  return value;
}

std::optional<int64_t> ScalarConstant(const Instruction* value) {
  value = SkipConversions(value);
  if (value == nullptr || value->opcode != "constant" || !value->shape.dims.empty())
    return std::nullopt;
  const std::string& text = value->literal;
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

// The tuple index if `value` is get-tuple-element(parameter(0), index=i) (through copies).
std::optional<int64_t> StateIndex(const Instruction* value) {
  value = SkipConversions(value);
  if (value == nullptr || value->opcode != "get-tuple-element" || !value->tuple_index ||
      value->operands.empty() || value->operands[0] == nullptr ||
      value->operands[0]->opcode != "parameter")
    return std::nullopt;
  return value->tuple_index;
}

std::string_view Flip(std::string_view direction) {
  if (direction == "LT") return "GT";
  if (direction == "GT") return "LT";
  if (direction == "LE") return "GE";
  if (direction == "GE") return "LE";
  return direction;
}

std::optional<std::string> Direction(const Instruction& compare) {
  const std::string* d = compare.FindAttribute("direction");
  if (d == nullptr) return std::nullopt;
  return *d;
}

}  // namespace

std::optional<int64_t> InductionTripCount(int64_t init, int64_t bound, int64_t step,
                                          std::string_view direction) {
  // 128-bit arithmetic: constants anywhere in the int64 range must not overflow; a count that does
  // not fit int64 is no count.
  using Wide = __int128;
  auto count = [](Wide trips) -> std::optional<int64_t> {
    if (trips < 0 || trips > std::numeric_limits<int64_t>::max()) return std::nullopt;
    return static_cast<int64_t>(trips);
  };
  if (direction == "LT" || direction == "LE") {
    const Wide end = Wide{bound} + (direction == "LE" ? 1 : 0);
    if (Wide{init} >= end) return 0;
    if (step <= 0) return std::nullopt;
    return count((end - init + step - 1) / step);
  }
  if (direction == "GT" || direction == "GE") {
    const Wide end = Wide{bound} - (direction == "GE" ? 1 : 0);
    if (Wide{init} <= end) return 0;
    if (step >= 0) return std::nullopt;
    return count((Wide{init} - end + (-Wide{step}) - 1) / -Wide{step});
  }
  if (direction == "NE") {
    const Wide distance = Wide{bound} - init;
    if (step == 0 || distance % step != 0 || distance / step < 0) return std::nullopt;
    return count(distance / step);
  }
  return std::nullopt;
}

std::optional<int64_t> WhileTripCount(const Instruction& while_op) {
  if (while_op.known_trip_count) return while_op.known_trip_count;
  const hlo::Computation* cond = while_op.CalledComputationFor("condition");
  const hlo::Computation* body = while_op.CalledComputationFor("body");
  if (cond == nullptr || body == nullptr || cond->root() == nullptr || body->root() == nullptr ||
      while_op.operands.empty())
    return std::nullopt;
  const Instruction* compare = SkipConversions(cond->root());
  if (compare == nullptr || compare->opcode != "compare" || compare->operands.size() != 2)
    return std::nullopt;
  auto direction = Direction(*compare);
  if (!direction) return std::nullopt;
  std::optional<int64_t> index = StateIndex(compare->operands[0]);
  std::optional<int64_t> bound = ScalarConstant(compare->operands[1]);
  std::string_view dir = *direction;
  if (!index || !bound) {
    index = StateIndex(compare->operands[1]);
    bound = ScalarConstant(compare->operands[0]);
    dir = Flip(dir);
  }
  if (!index || !bound) return std::nullopt;
  // Body: ROOT tuple(..., add(gte(param, index), constant step), ...).
  const Instruction* root = body->root();
  if (root->opcode != "tuple" || *index < 0 || static_cast<size_t>(*index) >= root->operands.size())
    return std::nullopt;
  const Instruction* next = SkipConversions(root->operands[static_cast<size_t>(*index)]);
  if (next == nullptr || (next->opcode != "add" && next->opcode != "subtract") ||
      next->operands.size() != 2)
    return std::nullopt;
  std::optional<int64_t> step;
  if (StateIndex(next->operands[0]) == index) step = ScalarConstant(next->operands[1]);
  if (!step && next->opcode == "add" && StateIndex(next->operands[1]) == index)
    step = ScalarConstant(next->operands[0]);
  if (!step) return std::nullopt;
  if (next->opcode == "subtract") step = -*step;
  // Initial value: the while operand is tuple(...) with a constant at `index`.
  const Instruction* init_tuple = SkipConversions(while_op.operands[0]);
  if (init_tuple == nullptr || init_tuple->opcode != "tuple" ||
      static_cast<size_t>(*index) >= init_tuple->operands.size())
    return std::nullopt;
  std::optional<int64_t> init = ScalarConstant(init_tuple->operands[static_cast<size_t>(*index)]);
  if (!init) return std::nullopt;
  return InductionTripCount(*init, *bound, *step, dir);
}

}  // namespace aoizora
