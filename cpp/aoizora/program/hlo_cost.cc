#include "aoizora/program/hlo_cost.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <string_view>

#include "aoizora/program/kernel_cost.h"

namespace aoizora {
namespace {

using hlo::Computation;
using hlo::Instruction;
using hlo::Shape;

// HLO opcode spellings (exponential, sine, log-plus-one, ...), not the math names.
constexpr std::string_view kTranscendental[] = {"exponential", "exponential-minus-one",
                                                "log",         "log-plus-one",
                                                "logistic",    "power",
                                                "sqrt",        "cbrt",
                                                "rsqrt",       "tanh",
                                                "sine",        "cosine",
                                                "tan",         "atan2",
                                                "erf"};

constexpr std::string_view kElementwise[] = {
    // unary
    "abs", "cbrt", "ceil", "count-leading-zeros", "convert", "cosine", "erf", "exponential",
    "exponential-minus-one", "floor", "imag", "is-finite", "log", "log-plus-one", "logistic",
    "negate", "not", "popcnt", "real", "reduce-precision", "round-nearest-afz",
    "round-nearest-even", "rsqrt", "sign", "sine", "sqrt", "tan", "tanh",
    // binary
    "add", "and", "atan2", "compare", "complex", "divide", "maximum", "minimum", "multiply", "or",
    "power", "remainder", "shift-left", "shift-right-arithmetic", "shift-right-logical", "subtract",
    "xor",
    // ternary
    "clamp", "select"};

// Opcodes that move no bytes in HloCostAnalysis (8.1) or are pure bookkeeping here.
constexpr std::string_view kFree[] = {"parameter", "constant",  "get-tuple-element",
                                      "bitcast",   "after-all", "add-dependency",
                                      "domain",    "tuple",     "opt-barrier"};

template <size_t N>
bool In(const std::string_view (&table)[N], std::string_view opcode) {
  return std::find(std::begin(table), std::end(table), opcode) != std::end(table);
}

Error ShapeError(const Instruction& instruction, const Error& error) {
  return InvalidArgument("cannot size instruction '" + instruction.name + "' (" +
                         instruction.opcode + "): " + error.message());
}

Result<double> Bytes(const Instruction& instruction, const Shape& shape) {
  auto bytes = hlo::ShapeByteSize(shape);
  if (!bytes.ok()) return ShapeError(instruction, bytes.error());
  return static_cast<double>(*bytes);
}

// Elements of an array, or of all array leaves of a tuple.
Result<double> Elements(const Instruction& instruction, const Shape& shape) {
  double total = 0.0;
  for (const Shape* leaf : hlo::ShapeLeaves(shape)) {
    if (leaf->IsToken()) continue;
    auto n = hlo::ElementCount(*leaf);
    if (!n.ok()) return ShapeError(instruction, n.error());
    total += static_cast<double>(*n);
  }
  return total;
}

Result<double> FirstLeafElements(const Instruction& instruction, const Shape& shape) {
  auto leaves = hlo::ShapeLeaves(shape);
  if (leaves.empty()) return 0.0;
  auto n = hlo::ElementCount(*leaves.front());
  if (!n.ok()) return ShapeError(instruction, n.error());
  return static_cast<double>(*n);
}

Result<double> OperandBytes(const Instruction& instruction, size_t first = 0) {
  double total = 0.0;
  for (size_t i = first; i < instruction.operands.size(); ++i) {
    if (instruction.operands[i] == nullptr) continue;
    AOIZORA_ASSIGN_OR_RETURN(double b, Bytes(instruction, instruction.operands[i]->shape));
    total += b;
  }
  return total;
}

Result<double> DefaultBytes(const Instruction& instruction) {
  AOIZORA_ASSIGN_OR_RETURN(double out, Bytes(instruction, instruction.shape));
  AOIZORA_ASSIGN_OR_RETURN(double in, OperandBytes(instruction));
  return out + in;
}

// The fast-memory part of DefaultBytes.
double DefaultFastBytes(const Instruction& instruction) {
  double total = FastMemoryBytes(instruction.shape);
  for (const Instruction* operand : instruction.operands)
    if (operand != nullptr) total += FastMemoryBytes(operand->shape);
  return total;
}

// Bytes accessed by output + operands, with their fast-memory part.
Status SetDefaultBytes(const Instruction& instruction, OpCost& cost) {
  AOIZORA_ASSIGN_OR_RETURN(cost.bytes_accessed, DefaultBytes(instruction));
  cost.fast_memory_bytes = DefaultFastBytes(instruction);
  return OkStatus();
}

const Shape* OperandShape(const Instruction& instruction, size_t i) {
  if (i >= instruction.operands.size() || instruction.operands[i] == nullptr) return nullptr;
  return &instruction.operands[i]->shape;
}

int64_t DimProduct(const Shape& shape, const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    if (d >= 0 && d < shape.rank()) p *= shape.dims[static_cast<size_t>(d)];
  return p;
}

// Number of (kernel index, output index) pairs whose input index lies inside the (dilated)
// input, for one spatial dimension (the count HloCostAnalysis multiplies by).
int64_t ValidPositions(const hlo::WindowDimension& w, int64_t input_size, int64_t output_size) {
  int64_t count = 0;
  const int64_t base = std::max<int64_t>(w.base_dilation, 1);
  for (int64_t k = 0; k < w.size; ++k) {
    for (int64_t o = 0; o < output_size; ++o) {
      const int64_t undilated = o * w.stride - w.padding_low + k * w.window_dilation;
      if (undilated < 0 || undilated % base != 0) continue;
      if (undilated / base >= input_size) continue;
      ++count;
    }
  }
  return count;
}

Result<OpCost> ConvolutionCost(const Instruction& conv) {
  OpCost cost;
  const Shape* lhs = OperandShape(conv, 0);
  const Shape* rhs = OperandShape(conv, 1);
  if (lhs == nullptr || rhs == nullptr || !conv.convolution_dimension_numbers)
    return InvalidArgument("convolution '" + conv.name + "' needs two operands and dim_labels");
  const auto& dn = *conv.convolution_dimension_numbers;
  auto dim = [](const Shape& s, int64_t d) -> int64_t {
    return d >= 0 && d < s.rank() ? s.dims[static_cast<size_t>(d)] : 1;
  };
  const int64_t in_feature = dim(*lhs, dn.input_feature_dim);
  const int64_t batch = dim(*lhs, dn.input_batch_dim);
  const int64_t out_feature = dim(*rhs, dn.kernel_output_feature_dim);
  const int64_t fgc = std::max<int64_t>(conv.feature_group_count, 1);
  const int64_t bgc = std::max<int64_t>(conv.batch_group_count, 1);
  double positions = 1.0;
  int64_t kernel_spatial = 1;
  int64_t output_spatial = 1;
  bool base_dilated = false;
  for (size_t i = 0; i < dn.input_spatial_dims.size(); ++i) {
    const int64_t input_size = dim(*lhs, dn.input_spatial_dims[i]);
    const int64_t output_size =
        i < dn.output_spatial_dims.size() ? dim(conv.shape, dn.output_spatial_dims[i]) : 1;
    hlo::WindowDimension w;
    if (conv.window && i < conv.window->dimensions.size()) w = conv.window->dimensions[i];
    if (i < dn.kernel_spatial_dims.size()) w.size = dim(*rhs, dn.kernel_spatial_dims[i]);
    positions *= static_cast<double>(ValidPositions(w, input_size, output_size));
    kernel_spatial *= w.size;
    base_dilated = base_dilated || w.base_dilation > 1;
    output_spatial *= output_size;
  }
  cost.flops = 2.0 * static_cast<double>(in_feature / fgc) * static_cast<double>(out_feature) *
               static_cast<double>(batch / bgc) * positions;
  AOIZORA_RETURN_IF_ERROR(SetDefaultBytes(conv, cost));
  MatmulDims mm;
  mm.batch = fgc;
  mm.m = (batch / bgc) * output_spatial;
  mm.n = out_feature / fgc;
  // The contraction per output element. An ordinary convolution runs its whole kernel window
  // on the matrix unit (padding included). A dot that XLA rewrote as a convolution has at most
  // one valid kernel position per output: heads moved into a spatial dimension either by
  // lhs_dilate = window size (TPU attention) or by a size-1 input padded by window - 1 on both
  // sides (TPU linear layers with a head axis: `window={size=12 pad=11_11 rhs_reversal=1}`). There
  // k counts only the valid positions (then 2 x batch x m x n x k equals the op's FLOPs) instead
  // of inflating the matmul window-size times.
  int64_t contraction = (in_feature / fgc) * kernel_spatial;
  const double valid_per_output =
      output_spatial > 0 ? positions / static_cast<double>(output_spatial) : 0.0;
  if ((base_dilated || valid_per_output <= 1.0) && output_spatial > 0) {
    contraction = std::max<int64_t>(
        1, std::llround(static_cast<double>(in_feature / fgc) * valid_per_output));
  }
  mm.k = contraction;
  cost.matmuls.push_back(mm);
  return cost;
}

Result<OpCost> DotCost(const Instruction& dot) {
  OpCost cost;
  AOIZORA_ASSIGN_OR_RETURN(MatmulDims mm, DotMatmulDims(dot));
  AOIZORA_ASSIGN_OR_RETURN(double out_elements, Elements(dot, dot.shape));
  cost.flops = 2.0 * out_elements * static_cast<double>(mm.k);
  AOIZORA_RETURN_IF_ERROR(SetDefaultBytes(dot, cost));
  cost.matmuls.push_back(mm);
  return cost;
}

bool OnlySlicedIn(const Computation& computation, const Instruction* parameter,
                  double* sliced_bytes) {
  bool used = false;
  *sliced_bytes = 0.0;
  for (const Instruction& user : computation.instructions) {
    for (size_t i = 0; i < user.operands.size(); ++i) {
      if (user.operands[i] != parameter) continue;
      used = true;
      const bool slice = user.opcode == "slice" || user.opcode == "dynamic-slice";
      if (!slice || i != 0) return false;
      auto b = hlo::ShapeByteSize(user.shape);
      if (!b.ok()) return false;
      *sliced_bytes += static_cast<double>(*b);
    }
  }
  return used;
}

// Bytes the fusion writes (a dynamic-update-slice root writes only its update), added to `cost`.
// The memory space is the fusion's own output layout: the one the buffer was assigned.
Status AddFusionOutputBytes(const Instruction& fusion, const Computation& fused, OpCost& cost) {
  const Instruction* root = fused.root();
  auto add_leaf = [&](const Instruction* value, const Shape& shape) -> Status {
    const Shape* written = &shape;
    if (value != nullptr && value->opcode == "dynamic-update-slice" && value->operands.size() > 1 &&
        value->operands[1] != nullptr)
      written = &value->operands[1]->shape;
    AOIZORA_ASSIGN_OR_RETURN(double b, Bytes(fusion, *written));
    cost.bytes_accessed += b;
    if (FastMemoryBytes(shape) > 0.0) cost.fast_memory_bytes += b;
    return OkStatus();
  };
  if (root != nullptr && root->opcode == "tuple" && fusion.shape.is_tuple &&
      root->operands.size() == fusion.shape.tuple_shapes.size()) {
    for (size_t i = 0; i < root->operands.size(); ++i) {
      AOIZORA_RETURN_IF_ERROR(add_leaf(root->operands[i], fusion.shape.tuple_shapes[i]));
    }
    return OkStatus();
  }
  return add_leaf(root, fusion.shape);
}

Result<OpCost> FusionCost(const Instruction& fusion, const Computation& fused) {
  AOIZORA_ASSIGN_OR_RETURN(OpCost cost, ComputationCost(fused));
  cost.bytes_accessed = 0.0;
  cost.fast_memory_bytes = 0.0;
  AOIZORA_RETURN_IF_ERROR(AddFusionOutputBytes(fusion, fused, cost));
  for (int64_t k = 0; k < fused.num_parameters(); ++k) {
    const Instruction* param = fused.parameter(k);
    if (param == nullptr) continue;
    // Where the operand was assigned: the caller's operand layout (fused parameters usually
    // repeat it).
    const auto index = static_cast<size_t>(k);
    const bool fast = FastMemoryBytes(param->shape) > 0.0 ||
                      (index < fusion.operands.size() && fusion.operands[index] != nullptr &&
                       FastMemoryBytes(fusion.operands[index]->shape) > 0.0);
    double b = 0.0;
    if (!OnlySlicedIn(fused, param, &b)) {
      AOIZORA_ASSIGN_OR_RETURN(b, Bytes(fusion, param->shape));
    }
    cost.bytes_accessed += b;
    if (fast) cost.fast_memory_bytes += b;
  }
  return cost;
}

Result<double> SubComputationFlops(const Instruction& instruction) {
  const Computation* reducer = instruction.CalledComputationFor("to_apply");
  if (reducer == nullptr) return 1.0;
  AOIZORA_ASSIGN_OR_RETURN(OpCost sub, ComputationCost(*reducer));
  return sub.flops + sub.transcendentals;
}

Result<OpCost> CalledComputationsCost(const Instruction& instruction) {
  OpCost cost;
  if (instruction.opcode == "conditional") {
    // The most expensive branch (HloCostAnalysis takes the max over branches).
    for (const auto& called : instruction.called_computations) {
      if (called.computation == nullptr) continue;
      AOIZORA_ASSIGN_OR_RETURN(OpCost branch, ComputationCost(*called.computation));
      if (branch.flops >= cost.flops) cost = branch;
    }
    return cost;
  }
  for (const auto& called : instruction.called_computations) {
    if (called.computation == nullptr) continue;
    AOIZORA_ASSIGN_OR_RETURN(OpCost sub, ComputationCost(*called.computation));
    cost += sub;
  }
  return cost;
}

Result<OpCost> SlicingCost(const Instruction& instruction) {
  OpCost cost;
  const std::string& op = instruction.opcode;
  AOIZORA_ASSIGN_OR_RETURN(double out, Bytes(instruction, instruction.shape));
  if (op == "slice") {
    cost.bytes_accessed = 2.0 * out;
  } else if (op == "dynamic-slice") {
    AOIZORA_ASSIGN_OR_RETURN(double idx, OperandBytes(instruction, 1));
    cost.bytes_accessed = 2.0 * out + idx;
  } else if (op == "dynamic-update-slice") {
    const Shape* update = OperandShape(instruction, 1);
    double u = 0.0;
    if (update != nullptr) {
      AOIZORA_ASSIGN_OR_RETURN(u, Bytes(instruction, *update));
    }
    AOIZORA_ASSIGN_OR_RETURN(double idx, OperandBytes(instruction, 2));
    cost.bytes_accessed = 2.0 * u + idx;
  } else if (op == "gather") {
    const Shape* indices = OperandShape(instruction, 1);
    double i = 0.0;
    if (indices != nullptr) {
      AOIZORA_ASSIGN_OR_RETURN(i, Bytes(instruction, *indices));
    }
    cost.bytes_accessed = 2.0 * out + i;
  } else {  // scatter: operands (inputs..., indices, updates...)
    const size_t n = instruction.operands.size();
    const Shape* indices = OperandShape(instruction, n / 2);
    double i = 0.0, u = 0.0;
    if (indices != nullptr) {
      AOIZORA_ASSIGN_OR_RETURN(i, Bytes(instruction, *indices));
    }
    for (size_t k = n / 2 + 1; k < n; ++k) {
      const Shape* s = OperandShape(instruction, k);
      if (s == nullptr) continue;
      AOIZORA_ASSIGN_OR_RETURN(double b, Bytes(instruction, *s));
      u += b;
    }
    cost.bytes_accessed = 3.0 * u + i;
  }
  return cost;
}

}  // namespace

double FastMemoryBytes(const Shape& shape) {
  double total = 0.0;
  for (const Shape* leaf : hlo::ShapeLeaves(shape)) {
    if (leaf->memory_space() != kFastMemorySpace) continue;
    auto bytes = hlo::ShapeByteSize(*leaf);
    if (bytes.ok()) total += static_cast<double>(*bytes);
  }
  return total;
}

OpCost& OpCost::operator+=(const OpCost& other) {
  flops += other.flops;
  transcendentals += other.transcendentals;
  bytes_accessed += other.bytes_accessed;
  fast_memory_bytes += other.fast_memory_bytes;
  kernel_flops += other.kernel_flops;
  matmuls.insert(matmuls.end(), other.matmuls.begin(), other.matmuls.end());
  return *this;
}

bool IsTranscendentalOpcode(std::string_view opcode) { return In(kTranscendental, opcode); }

bool IsElementwiseOpcode(std::string_view opcode) { return In(kElementwise, opcode); }

Result<MatmulDims> DotMatmulDims(const Instruction& dot) {
  const Shape* lhs = OperandShape(dot, 0);
  const Shape* rhs = OperandShape(dot, 1);
  if (lhs == nullptr || rhs == nullptr)
    return InvalidArgument("dot '" + dot.name + "' needs two operands");
  hlo::DotDimensionNumbers dn;
  if (dot.dot_dimension_numbers) dn = *dot.dot_dimension_numbers;
  MatmulDims mm;
  mm.batch = DimProduct(*lhs, dn.lhs_batch_dims);
  mm.k = DimProduct(*lhs, dn.lhs_contracting_dims);
  int64_t lhs_all = DimProduct(*lhs, [&] {
    std::vector<int64_t> all(static_cast<size_t>(lhs->rank()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    return all;
  }());
  int64_t rhs_all = 1;
  for (int64_t d : rhs->dims) rhs_all *= d;
  const int64_t rhs_batch = DimProduct(*rhs, dn.rhs_batch_dims);
  const int64_t rhs_contract = DimProduct(*rhs, dn.rhs_contracting_dims);
  const int64_t lhs_div = mm.batch * mm.k;
  const int64_t rhs_div = rhs_batch * rhs_contract;
  mm.m = lhs_div > 0 ? lhs_all / lhs_div : 0;
  mm.n = rhs_div > 0 ? rhs_all / rhs_div : 0;
  return mm;
}

Result<MatmulDims> ConvolutionMatmulDims(const Instruction& convolution) {
  AOIZORA_ASSIGN_OR_RETURN(OpCost cost, ConvolutionCost(convolution));
  return cost.matmuls.front();
}

Result<OpCost> InstructionCost(const Instruction& instruction) {
  const std::string& op = instruction.opcode;
  OpCost cost;
  if (In(kFree, op)) return cost;
  if (op == "dot") return DotCost(instruction);
  if (op == "convolution") return ConvolutionCost(instruction);
  if (op == "fusion") {
    const Computation* fused = instruction.CalledComputationFor("calls");
    if (fused == nullptr) {
      AOIZORA_RETURN_IF_ERROR(SetDefaultBytes(instruction, cost));
      return cost;
    }
    return FusionCost(instruction, *fused);
  }
  if (op == "custom-call") {
    if (const auto estimate = ParseKernelCostEstimate(instruction.backend_config)) {
      cost.flops = estimate->flops;
      cost.kernel_flops = estimate->flops;
      cost.transcendentals = estimate->transcendentals;
      cost.bytes_accessed = estimate->bytes_accessed;
      return cost;
    }
    if (const auto inferred = InferAttentionKernelCost(instruction)) {
      AOIZORA_RETURN_IF_ERROR(SetDefaultBytes(instruction, cost));
      cost.flops = inferred->flops;
      cost.kernel_flops = inferred->flops;
      cost.transcendentals = inferred->transcendentals;
      return cost;
    }
  }
  if (op == "while" || op == "call" || op == "conditional" || op == "async-start") {
    return CalledComputationsCost(instruction);
  }
  if (op == "slice" || op == "dynamic-slice" || op == "dynamic-update-slice" || op == "gather" ||
      op == "scatter") {
    AOIZORA_ASSIGN_OR_RETURN(cost, SlicingCost(instruction));
    if (op == "scatter") {
      // The update computation runs once per update element.
      AOIZORA_ASSIGN_OR_RETURN(double sub, SubComputationFlops(instruction));
      const Shape* updates = OperandShape(instruction, instruction.operands.size() - 1);
      if (updates != nullptr) {
        AOIZORA_ASSIGN_OR_RETURN(double n, Elements(instruction, *updates));
        cost.flops = sub * n;
      }
    }
    return cost;
  }
  AOIZORA_RETURN_IF_ERROR(SetDefaultBytes(instruction, cost));
  if (IsElementwiseOpcode(op)) {
    AOIZORA_ASSIGN_OR_RETURN(double n, Elements(instruction, instruction.shape));
    (IsTranscendentalOpcode(op) ? cost.transcendentals : cost.flops) = n;
    return cost;
  }
  if (op == "reduce" || op == "reduce-window") {
    AOIZORA_ASSIGN_OR_RETURN(double sub, SubComputationFlops(instruction));
    AOIZORA_ASSIGN_OR_RETURN(double out, FirstLeafElements(instruction, instruction.shape));
    if (op == "reduce") {
      const Shape* in = OperandShape(instruction, 0);
      double in_elements = 0.0;
      if (in != nullptr) {
        AOIZORA_ASSIGN_OR_RETURN(in_elements, Elements(instruction, *in));
      }
      cost.flops = sub * std::max(0.0, in_elements - out);
    } else {
      double window = 1.0;
      if (instruction.window)
        for (const auto& w : instruction.window->dimensions) window *= static_cast<double>(w.size);
      cost.flops = sub * (window - 1.0) * out;
    }
    return cost;
  }
  if (op == "all-reduce" || op == "all-reduce-start") {
    AOIZORA_ASSIGN_OR_RETURN(cost.flops, Elements(instruction, instruction.shape));
    return cost;
  }
  if (op == "sort") {
    const Shape* in = OperandShape(instruction, 0);
    if (in != nullptr) {
      AOIZORA_ASSIGN_OR_RETURN(double n, FirstLeafElements(instruction, *in));
      double log2 = 0.0;
      while (std::exp2(log2) < n) log2 += 1.0;
      cost.flops = n * log2;
    }
    return cost;
  }
  return cost;
}

Result<OpCost> ComputationCost(const Computation& computation) {
  OpCost total;
  for (const Instruction& instruction : computation.instructions) {
    AOIZORA_ASSIGN_OR_RETURN(OpCost c, InstructionCost(instruction));
    total += c;
  }
  return total;
}

}  // namespace aoizora
