// libFuzzer target for the backend_config scanners alone (program/kernel_cost.h
// ParseKernelCostEstimate, program/compiler_estimate.h ParseEstimatedCycles): any bytes, as the
// JSON text of one backend_config, must give a value or nullopt, never crash or hang. The HLO
// parser fuzzer runs them too, but only on text that parses as a module; here every mutation
// reaches them.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "aoizora/program/compiler_estimate.h"
#include "aoizora/program/kernel_cost.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto estimate = aoizora::ParseKernelCostEstimate(text)) {
    // A declared cost is a count: finite and not negative.
    if (!(std::isfinite(estimate->flops) && estimate->flops >= 0.0 &&
          std::isfinite(estimate->transcendentals) && estimate->transcendentals >= 0.0 &&
          std::isfinite(estimate->bytes_accessed) && estimate->bytes_accessed >= 0.0))
      std::abort();
  }
  if (const auto cycles = aoizora::ParseEstimatedCycles(text)) {
    if (!(std::isfinite(*cycles) && *cycles >= 0.0)) std::abort();
  }
  return 0;
}
