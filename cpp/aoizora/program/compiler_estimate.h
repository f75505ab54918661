#pragma once
// libtpu's own cost estimate of one compiled TPU instruction. Every compute instruction of a
// compiled TPU module (fusions, copies, many elementwise ops) carries a backend_config JSON whose
// `window_config` holds `"estimated_cycles":"N"`: the compiler's cost model's TensorCore cycles for
// ONE execution of the instruction (shared/reference/compiler-estimates.md section 1). Pallas
// kernels (tpu_custom_call) and collectives carry none. Both print forms are read: quoted
// (`"estimated_cycles":"1077088"`, as libtpu prints it) and bare (`"estimated_cycles":1077088`).

#include <cstdint>
#include <optional>
#include <string_view>

namespace aoizora {

// nullopt when the text has no estimated_cycles field, or its value is not a plain non-negative
// decimal integer below 2^53 (a value we could not represent exactly is not trusted).
std::optional<double> ParseEstimatedCycles(std::string_view backend_config);

}  // namespace aoizora
