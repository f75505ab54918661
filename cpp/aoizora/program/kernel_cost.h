#pragma once
// The cost a custom kernel declares for itself. A Pallas TPU kernel is a custom-call
// (custom_call_target="tpu_custom_call") whose backend_config JSON carries the kernel's
// `cost_estimate` (FLOPs, transcendentals, bytes accessed), as JAX's pallas_call passes it to
// XLA; XLA's own cost_analysis() reports exactly these numbers for the call. Both print forms are
// read: pre-compile (`"flops":270008320`, one key per line) and compiled (`"flops":"270008320"`).

#include <optional>
#include <string_view>

#include "aoizora/hlo/instruction.h"

namespace aoizora {

struct KernelCostEstimate {
  double flops = 0.0;
  double transcendentals = 0.0;
  double bytes_accessed = 0.0;
};

// nullopt when the text has no cost_estimate object or one of its three numbers is missing or
// not a non-negative integer.
std::optional<KernelCostEstimate> ParseKernelCostEstimate(std::string_view backend_config);

// Some kernels declare no cost: the splash attention kernel
// (jax.experimental.pallas.ops.tpu.splash_attention) passes no cost_estimate to pallas_call, so
// XLA (and a declared-cost reader) would count it as free. Recognised by its kernel name
// ("splash_mha_fwd...", in the instruction name or the op_name metadata), it is costed from its
// q, k, v operands (the first three floating-point operands of rank >= 3, [batch..., heads,
// length, head dim]) as dense attention over the padded lengths: FLOPs 2*H*Lq*Lk*(d_qk + d_v), one
// exponential per score; bytes are filled in by the caller (operands + outputs). nullopt for any
// other kernel.
std::optional<KernelCostEstimate> InferAttentionKernelCost(const hlo::Instruction& custom_call);

}  // namespace aoizora
