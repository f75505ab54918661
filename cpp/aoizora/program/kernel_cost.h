#pragma once
// The cost a custom kernel declares for itself. A Pallas TPU kernel is a custom-call
// (custom_call_target="tpu_custom_call") whose backend_config JSON carries the kernel's
// `cost_estimate` (FLOPs, transcendentals, bytes accessed), as JAX's pallas_call passes it to
// XLA; XLA's own cost_analysis() reports exactly these numbers for the call. Both print forms are
// read: pre-compile (`"flops":270008320`, one key per line) and compiled (`"flops":"270008320"`).

#include <optional>
#include <string_view>

namespace aoizora {

struct KernelCostEstimate {
  double flops = 0.0;
  double transcendentals = 0.0;
  double bytes_accessed = 0.0;
};

// nullopt when the text has no cost_estimate object or one of its three numbers is missing or
// not a non-negative integer.
std::optional<KernelCostEstimate> ParseKernelCostEstimate(std::string_view backend_config);

}  // namespace aoizora
