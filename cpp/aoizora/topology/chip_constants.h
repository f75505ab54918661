#pragma once
// Calibration overrides: the chip constants a measurement on real devices may replace, by name.
// The sourced table (chip_spec.cc) stays the default; a calibration file (`aoizora calibrate`,
// docs/calibration.md) gives some of them measured values, and Topology::WithConstants applies
// them so that every model path (Q1, Q2, rank, score, oracle) reads the calibrated ChipSpec.
//
// Names are the keys of the chip dictionary the bindings print (`aoizora topo --json`):
// "ici_link_one_way_bytes_per_second", "matmul_efficiency", ... Structural constants (slice
// dimensions, cores, MXU tile, HBM capacity) describe what the chip is, not how fast it runs, and
// cannot be overridden.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aoizora/topology/chip_spec.h"
#include "aoizora/util/result.h"

namespace aoizora {

struct ConstantOverride {
  std::string name;
  double value = 0.0;
  bool operator==(const ConstantOverride&) const = default;
};

// The names a calibration may set, in table order.
std::span<const std::string_view> CalibratableConstantNames();

// The value of a calibratable constant in `spec`; error for an unknown name.
Result<double> ConstantValue(const ChipSpec& spec, std::string_view name);

// `base` with `overrides` applied. Errors name the key: an unknown name (listing the calibratable
// ones), a structural constant, a value that is not finite and positive, an efficiency above 1,
// a die-to-die bandwidth on a chip without a die-to-die link.
Result<ChipSpec> ApplyConstantOverrides(const ChipSpec& base,
                                        std::span<const ConstantOverride> overrides);

}  // namespace aoizora
