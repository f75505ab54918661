#include "aoizora/topology/chip_spec.h"

#include <array>
#include <string>

namespace aoizora {
namespace {

// Shared latency constants (shared/reference/tpu-hardware.md section 3 item 2 and section 4).
// Per hop: SB current edition, "typically around 1us" (not fitted).
constexpr Seconds kHopLatency = Microseconds(1.0);
// Fixed per-collective latency: FITTED, one value for every generation, by least squares in
// relative error to the three latency-bound measurements: V2 (v5e, 4-chip open-line all-gather of
// bf16[256,256], ~8 us), C1 (v5p ppermute 1-16 KiB, ~5.0 us) and C2 (v6e ppermute 1-16 KiB,
// ~5.75 us). The least-squares value is 4.04 us; rounded to 4 us. All bandwidth-bound points (V1,
// V3, C1/C2 at 1 MiB and 64 MiB, V5) are held out. `aoizora validate` prints all of them.
constexpr Seconds kFixedCollectiveLatency = Microseconds(4.0);

// Efficiency constants (section 4b). No generation has its own data for all three, so one value
// each is used everywhere:
// matmul: 0.79 = C4 (v6e bf16 GEMM 8192^3, 728 of 918 TF/s); FITTED to C4; C3 (TPU7x GEMM 77-83%
//   from 4096 up) and C7 (Wan linear/FFN layers, 66% MFU on v6e) are held out.
constexpr double kMatmulEfficiency = 0.79;
// attention: 0.36 = C6 (Wan 2.1 14B self-attention call, v6e, 334 TF/s = 36% of peak); FITTED to
//   C6; C5 (splash attention head dim 128, 21-34% MFU) and C8 (tuned ring kernel 56-60%) held out.
constexpr double kAttentionEfficiency = 0.36;
// HBM: 0.87 = C9 (TPU7x HBM copy plateau 6.4 of 7.38 TB/s); FITTED to C9, no held-out point.
constexpr double kHbmEfficiency = 0.87;
// Fast on-chip memory (VMEM) bandwidth / HBM bandwidth: 22 = SB (tpus.md, worked problem 4: "VMEM
//   bandwidth to the MXU as 22 times the HBM <-> VMEM bandwidth", which moves v5e's compute-bound
//   batch from ~240 to 11). SB states it for v5e only; used for every generation (unverified). It
//   prices the bytes XLA's memory-space assignment placed in memory space S(1) (compute_model.h).
constexpr double kFastMemoryBandwidthRatio = 22.0;

// Vector unit (VPU), per TensorCore: SB tpus.md appendix C: "a 2D vector arithmetic unit of shape
//   (8, 128)... Each (lane, sublane) pair on v4 contains 2 standard floating-point and integer
//   ALUs", i.e. 2048 f32 ops per cycle; stated for v4, used for every generation (unverified).
constexpr double kVpuOpsPerCycle = 2048.0;
// Transcendentals (exp, log, tanh, ...): one (8, 128) register per cycle per TensorCore. ASSUMED
//   (no public figure); checked against C6: the softmax third of a v6e splash-attention call
//   (43.93 ms / 3 over 5 x 75600^2 exponentials) implies ~1120 per cycle at 1.75 GHz.
constexpr double kTranscendentalsPerCycle = 1024.0;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Columns follow ChipSpec. Sources per value (tpu-hardware.md section 1 table). TensorCore clocks
// are DERIVED as peak FLOP/s / (TensorCores x 4 MXUs x tile^2 x 2 FLOPs) (SB tpus.md: "5e13 bf16
// FLOPs/s per MXU at 1.5GHz on TPU v5e", 4 MXUs on v4/v5, 256x256 MXU on v6e) and agree with the
// cycles libtpu estimates for a single-chip 8192^3 matmul at 70-93% MXU efficiency
// (compiler-estimates.md section 2): v4 1.05 GHz (also the TPU v4 paper's clock), v5e 1.5, v5p
// 1.75, v6e 1.75, tpu7x 2.2 GHz per TensorCore.
constexpr std::array<ChipSpec, 5> kChipSpecs = {{
    // TPU v4: device_kind "TPU v4" (JAX); 275 TFLOP/s bf16 (GCD, SB 2.75e14); 32 GiB HBM (GCD);
    // 1200 GBps HBM (GCD, SB 1.2e12); MXU 128 (SB); 6 ICI ports, 3-D (GCD); 4.5e10 B/s one-way per
    // link (SB); megacore = 1 JAX device per chip (SB); pod 4096 chips (GCD).
    {Generation::kV4,
     "v4",
     "TPU v4",
     3,
     4096,
     {2.75e14},
     32 * kGiB,
     {1.2e12},
     128,
     6,
     {4.5e10},
     kHopLatency,
     kFixedCollectiveLatency,
     1,
     {0.0},
     kMatmulEfficiency,
     kAttentionEfficiency,
     kHbmEfficiency,
     kFastMemoryBandwidthRatio,
     2,
     {1.05e9},
     kVpuOpsPerCycle,
     kTranscendentalsPerCycle},
    // TPU v5e: "TPU v5 lite"; 197 TFLOP/s (GCD, SB 1.97e14); 16 GB HBM (GCD, SB), read as 16 GiB:
    // HBM parts come in binary sizes and libtpu reports 15.75 GiB usable, more than 16e9 bytes
    // (docs/compilers.md); 819 GBps (GCD);
    // MXU 128 (SB); 4 ports, 2-D (GCD); 4.5e10 one-way (SB; GCD-derived 5e10 is 10% higher);
    // 1 device per chip; pod 16x16 = 256 chips.
    {Generation::kV5e,
     "v5e",
     "TPU v5 lite",
     2,
     256,
     {1.97e14},
     16 * kGiB,
     {8.19e11},
     128,
     4,
     {4.5e10},
     kHopLatency,
     kFixedCollectiveLatency,
     1,
     {0.0},
     kMatmulEfficiency,
     kAttentionEfficiency,
     kHbmEfficiency,
     kFastMemoryBandwidthRatio,
     1,
     {1.5e9},
     kVpuOpsPerCycle,
     kTranscendentalsPerCycle},
    // TPU v5p: "TPU v5"; 459 TFLOP/s (GCD, SB 4.59e14); 95 GiB (GCD); 2765 GBps (GCD); MXU 128;
    // 6 ports, 3-D; 9e10 one-way (SB); megacore = 1 device; max single slice 16x16x24 = 6144 (GCD).
    {Generation::kV5p,
     "v5p",
     "TPU v5",
     3,
     6144,
     {4.59e14},
     95 * kGiB,
     {2.765e12},
     128,
     6,
     {9e10},
     kHopLatency,
     kFixedCollectiveLatency,
     1,
     {0.0},
     kMatmulEfficiency,
     kAttentionEfficiency,
     kHbmEfficiency,
     kFastMemoryBandwidthRatio,
     2,
     {1.75e9},
     kVpuOpsPerCycle,
     kTranscendentalsPerCycle},
    // TPU v6e (Trillium): "TPU v6 lite"; 918 TFLOP/s (GCD); 32 GB (GCD) read as 32 GiB like v5e;
    // 1638 GBps (GCD); MXU 256
    // (SB); 4 ports, 2-D; 9e10 one-way (SB); 1 device per chip; pod 256.
    {Generation::kV6e,
     "v6e",
     "TPU v6 lite",
     2,
     256,
     {9.18e14},
     32 * kGiB,
     {1.638e12},
     256,
     4,
     {9e10},
     kHopLatency,
     kFixedCollectiveLatency,
     1,
     {0.0},
     kMatmulEfficiency,
     kAttentionEfficiency,
     kHbmEfficiency,
     kFastMemoryBandwidthRatio,
     1,
     {1.75e9},
     kVpuOpsPerCycle,
     kTranscendentalsPerCycle},
    // TPU7x (Ironwood): "TPU7x"; 2307 TFLOP/s per chip (GCD); 192 GiB (GCD); 7380 GBps (GCD); MXU
    // 256 (assumed as v6e; unverified); 6 ports, 3-D (GCD); 9e10 one-way (SB); 2 JAX devices per
    // chip (JAX); die-to-die ~6x ICI (jax-ml/jax PR #39340, unverified) = 5.4e11; pod 9216 (GCD).
    {Generation::kTpu7x,
     "tpu7x",
     "TPU7x",
     3,
     9216,
     {2.307e15},
     192 * kGiB,
     {7.38e12},
     256,
     6,
     {9e10},
     kHopLatency,
     kFixedCollectiveLatency,
     2,
     {5.4e11},
     kMatmulEfficiency,
     kAttentionEfficiency,
     kHbmEfficiency,
     kFastMemoryBandwidthRatio,
     2,
     {2.2e9},
     kVpuOpsPerCycle,
     kTranscendentalsPerCycle},
}};

}  // namespace

std::span<const ChipSpec> AllChipSpecs() { return kChipSpecs; }

const ChipSpec& GetChipSpec(Generation generation) {
  return kChipSpecs[static_cast<size_t>(generation)];
}

std::string_view GenerationName(Generation generation) { return GetChipSpec(generation).name; }

Result<Generation> ParseGeneration(std::string_view name) {
  std::string known;
  for (const ChipSpec& spec : kChipSpecs) {
    if (spec.name == name) return spec.generation;
    if (!known.empty()) known += ", ";
    known += spec.name;
  }
  return InvalidArgument("unknown TPU generation '" + std::string(name) + "'; known: " + known);
}

}  // namespace aoizora
