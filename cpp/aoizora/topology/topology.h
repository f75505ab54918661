#pragma once
// A TPU slice as a value: generation, shape, wraparound per axis, chip spec, and the numbering of
// devices (shared/reference/tpu-hardware.md sections 2 and 7).
//
// Device grid. Internally every slice is a 4-axis grid of devices, axis 0 = core on chip (size 2
// on tpu7x, 1 elsewhere), 1 = x, 2 = y, 3 = z (z = 1 for 2-D generations). Device ids are the
// mixed-radix numbers of that grid, as TPU runtimes number them (x fastest after the core):
//   id = core + cores_per_chip * (x + X * (y + Y * z)).
// Verified with libtpu's compile-only v5e:2x4 devices: coords x in {0,1}, y in {0..3}, id = x + 2y.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aoizora/topology/chip_constants.h"
#include "aoizora/topology/chip_spec.h"
#include "aoizora/util/result.h"

namespace aoizora {

inline constexpr int kCoreAxis = 0;
inline constexpr int kNumGridAxes = 4;  // core, x, y, z

struct ChipCoords {
  int64_t x = 0;
  int64_t y = 0;
  int64_t z = 0;
  bool operator==(const ChipCoords&) const = default;
};

using GridCoords = std::array<int64_t, kNumGridAxes>;  // core, x, y, z

class Topology {
 public:
  // Checks that the slice shape exists for the generation (error lists the valid shapes). `shape`
  // has the generation's spec_dims entries (2 for v5e/v6e, 3 otherwise).
  static Result<Topology> Create(Generation generation, const std::vector<int64_t>& shape);

  Generation generation() const { return spec_->generation; }
  const ChipSpec& chip() const { return *spec_; }
  // Chip shape (x, y, z); z = 1 for 2-D generations.
  const std::array<int64_t, 3>& shape() const { return shape_; }
  // Shape as written in the slice spec (2 or 3 entries).
  std::vector<int64_t> spec_shape() const;
  // Wraparound per chip axis (x, y, z).
  const std::array<bool, 3>& wrap() const { return wrap_; }
  int64_t num_chips() const { return shape_[0] * shape_[1] * shape_[2]; }
  int64_t num_devices() const { return num_chips() * spec_->cores_per_chip; }
  int cores_per_chip() const { return spec_->cores_per_chip; }
  // "v5e:2x4"
  std::string ToString() const;

  // The same slice with calibrated chip constants (chip_constants.h): `overrides` replace the
  // sourced table's values; a name already overridden takes the new value. Errors name the key.
  Result<Topology> WithConstants(std::span<const ConstantOverride> overrides) const;
  // The constants that differ from the sourced table, sorted by name (empty: the table as is).
  const std::vector<ConstantOverride>& constant_overrides() const { return overrides_; }

  // Device grid (see file comment). Axis sizes and wraparound; the core axis never wraps.
  int64_t GridSize(int axis) const { return grid_size_[axis]; }
  bool GridWraps(int axis) const { return axis != kCoreAxis && wrap_[axis - 1]; }
  int64_t GridStride(int axis) const { return grid_stride_[axis]; }

  bool ContainsDevice(int64_t device) const { return device >= 0 && device < num_devices(); }
  // Precondition: ContainsDevice(device) / coords in range.
  GridCoords DeviceGridCoords(int64_t device) const;
  int64_t DeviceAt(const GridCoords& coords) const;
  ChipCoords ChipOf(int64_t device) const;
  int64_t CoreOf(int64_t device) const { return device % spec_->cores_per_chip; }
  int64_t DeviceId(const ChipCoords& chip, int64_t core = 0) const;

 private:
  Topology(const ChipSpec* spec, std::array<int64_t, 3> shape);

  // The table row, or the calibrated copy `owned_spec_` holds (shared by copies: immutable).
  const ChipSpec* spec_;
  std::shared_ptr<const ChipSpec> owned_spec_;
  std::vector<ConstantOverride> overrides_;
  std::array<int64_t, 3> shape_;
  std::array<bool, 3> wrap_;
  std::array<int64_t, kNumGridAxes> grid_size_;
  std::array<int64_t, kNumGridAxes> grid_stride_;
};

// "v5e:2x4", "v5p:2x2x2", "tpu7x:2x2x1". Errors name the bad part and list what is allowed.
Result<Topology> ParseSliceSpec(std::string_view spec);

// The rule for valid shapes of a generation, with examples, for error messages and docs.
std::string ValidShapesDescription(Generation generation);
// Wraparound per axis by the published rule (tpu-hardware.md section 2.5): v5e/v6e wrap an axis
// iff its length is 16; v4/v5p/tpu7x wrap all axes iff every dimension is a multiple of 4.
std::array<bool, 3> WrapRule(Generation generation, const std::array<int64_t, 3>& shape);

}  // namespace aoizora
