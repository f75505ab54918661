#include "aoizora/hlo/opcode.h"

#include <algorithm>
#include <iterator>

namespace aoizora::hlo {
namespace {

// HLO_OPCODE_LIST of openxla/xla xla/hlo/ir/hlo_opcode.h (commit 0725a3a9), opcode names only, in
// its sorted order. Keep it sorted: lookups use binary search (checked by opcode_test.cc).
constexpr std::string_view kXlaOpcodes[] = {
    "abs",
    "acos",
    "acosh",
    "add",
    "add-dependency",
    "after-all",
    "all-gather",
    "all-gather-done",
    "all-gather-start",
    "all-reduce",
    "all-reduce-done",
    "all-reduce-start",
    "all-to-all",
    "and",
    "asin",
    "asinh",
    "async-done",
    "async-start",
    "async-update",
    "atan",
    "atan2",
    "atanh",
    "batch-norm-grad",
    "batch-norm-inference",
    "batch-norm-training",
    "bitcast",
    "bitcast-convert",
    "broadcast",
    "call",
    "cbrt",
    "ceil",
    "cholesky",
    "clamp",
    "collective-broadcast",
    "collective-permute",
    "collective-permute-done",
    "collective-permute-start",
    "collective-reduce",
    "compare",
    "complex",
    "concatenate",
    "conditional",
    "constant",
    "convert",
    "convolution",
    "copy",
    "copy-done",
    "copy-start",
    "cosh",
    "cosine",
    "count-leading-zeros",
    "custom-call",
    "divide",
    "domain",
    "dot",
    "dynamic-reshape",
    "dynamic-slice",
    "dynamic-update-slice",
    "erf",
    "exponential",
    "exponential-minus-one",
    "fft",
    "floor",
    "fusion",
    "gather",
    "get-dimension-size",
    "get-tuple-element",
    "imag",
    "infeed",
    "iota",
    "is-finite",
    "log",
    "log-plus-one",
    "logistic",
    "map",
    "maximum",
    "minimum",
    "mulhi",
    "multiply",
    "negate",
    "not",
    "opt-barrier",
    "or",
    "outfeed",
    "pad",
    "parameter",
    "partition-id",
    "popcnt",
    "power",
    "ragged-all-to-all",
    "ragged-dot",
    "real",
    "recv",
    "recv-done",
    "reduce",
    "reduce-precision",
    "reduce-scatter",
    "reduce-window",
    "remainder",
    "replica-id",
    "reshape",
    "reverse",
    "rng",
    "rng-bit-generator",
    "rng-get-and-update-state",
    "round-nearest-afz",
    "round-nearest-even",
    "rsqrt",
    "scaled-dot",
    "scan",
    "scatter",
    "select",
    "select-and-scatter",
    "send",
    "send-done",
    "set-dimension-size",
    "shift-left",
    "shift-right-arithmetic",
    "shift-right-logical",
    "shuffle",
    "sign",
    "sine",
    "sinh",
    "slice",
    "sort",
    "sqrt",
    "stochastic-convert",
    "subtract",
    "tan",
    "tanh",
    "topk",
    "transpose",
    "triangular-solve",
    "tuple",
    "while",
    "xor",
};

bool InXlaList(std::string_view opcode) {
  return std::binary_search(std::begin(kXlaOpcodes), std::end(kXlaOpcodes), opcode);
}

// `opcode` without a trailing -start/-update/-done (unchanged if it has none).
std::string_view AsyncStem(std::string_view opcode) {
  for (std::string_view suffix : {"-start", "-update", "-done"}) {
    if (opcode.size() > suffix.size() && opcode.substr(opcode.size() - suffix.size()) == suffix)
      return opcode.substr(0, opcode.size() - suffix.size());
  }
  return opcode;
}

}  // namespace

std::span<const std::string_view> XlaOpcodes() { return kXlaOpcodes; }

bool IsKnownOpcode(std::string_view opcode) {
  if (InXlaList(opcode)) return true;
  // Async sugar wraps one synchronous op: its stem is in the list and is not itself an async form.
  const std::string_view stem = AsyncStem(opcode);
  return stem.size() < opcode.size() && AsyncStem(stem) == stem && InXlaList(stem);
}

}  // namespace aoizora::hlo
