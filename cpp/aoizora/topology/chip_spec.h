#pragma once
// The one table of per-chip hardware constants (conventions: "every hardware constant lives in one
// table with its source"). Values and sources: shared/reference/tpu-hardware.md section 1 (per-chip
// numbers, SB = the scaling book, GCD = Google Cloud TPU docs) and section 4b (micro-benchmarks
// C1-C9 for the efficiency constants). docs/hardware-constants.md lists every value with its source
// and says which were fitted to which validation points (the others are held-out checks).

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "aoizora/util/result.h"
#include "aoizora/util/units.h"

namespace aoizora {

enum class Generation { kV4, kV5e, kV5p, kV6e, kTpu7x };

struct ChipSpec {
  Generation generation;
  std::string_view name;             // as users write it in a slice spec: "v5e"
  std::string_view device_kind;      // jax.Device.device_kind
  int spec_dims;                     // dims in the slice spec: 2 (v5e, v6e) or 3
  int64_t max_chips;                 // largest single slice
  FlopRate bf16_peak;                // per chip (both TensorCores)
  double hbm_bytes;                  // per chip
  Bandwidth hbm_bandwidth;           // per chip
  int mxu_tile;                      // matrix unit is mxu_tile x mxu_tile
  int ici_links_per_chip;            // ICI ports
  Bandwidth ici_link_one_way;        // W_1: one direction of one link
  Seconds ici_hop_latency;           // T_min per hop
  Seconds collective_fixed_latency;  // paid once per collective (fitted, see .cc)
  int cores_per_chip;                // JAX devices per chip
  // Die-to-die link between the two devices of a chip (tpu7x only; 0 elsewhere): one direction.
  Bandwidth die_to_die_one_way;
  // Fractions of peak that real kernels reach (for the latency model, Q2).
  double matmul_efficiency;     // large bf16 matmuls (compute-bound fusions)
  double attention_efficiency;  // attention / narrow contractions (head dim 128)
  double hbm_efficiency;        // memory-bound ops, fraction of hbm_bandwidth
  // Bandwidth of the on-chip fast memory (VMEM; HLO memory space S(1)) as a multiple of
  // hbm_bandwidth: bytes XLA placed there are not HBM traffic.
  double fast_memory_bandwidth_ratio;
  // The TensorCore behind the cycle counts libtpu writes into compiled modules
  // (program/compiler_estimate.h) and behind the vector-unit terms of the roofline.
  int tensorcores_per_chip;          // 2 on megacore chips (v4, v5p) and on tpu7x
  Frequency tensorcore_clock;        // derived: peak / (cores x MXUs x tile^2 x 2), see .cc
  double vpu_ops_per_cycle;          // f32 elementwise ops per cycle per TensorCore
  double transcendentals_per_cycle;  // exp/log/... per cycle per TensorCore
};

// All generations, in the order of Generation.
std::span<const ChipSpec> AllChipSpecs();
const ChipSpec& GetChipSpec(Generation generation);
// "v4", "v5e", "v5p", "v6e", "tpu7x"; the error lists the known names.
Result<Generation> ParseGeneration(std::string_view name);
std::string_view GenerationName(Generation generation);

}  // namespace aoizora
