#include "aoizora/topology/topology.h"

#include <algorithm>
#include <charconv>

namespace aoizora {
namespace {

// v5e and v6e offer the same slice shapes (GCD v5e page; MaxText topology maps), x listed first.
constexpr std::array<std::array<int64_t, 2>, 8> k2dShapes = {
    {{1, 1}, {2, 2}, {2, 4}, {4, 4}, {4, 8}, {8, 8}, {8, 16}, {16, 16}}};
// v4/v5p/tpu7x shapes below one 4x4x4 cube (GCD v5p table, MaxText wrap lists, section 2.3).
constexpr std::array<std::array<int64_t, 3>, 4> kSmall3dShapes = {
    {{2, 2, 1}, {2, 2, 2}, {2, 2, 4}, {2, 4, 4}}};

bool Is3dShapeValid(const ChipSpec& spec, const std::array<int64_t, 3>& s) {
  for (const auto& small : kSmall3dShapes) {
    if (small == s) return true;
  }
  // Whole cubes: AxBxC with A <= B <= C, all multiples of 4 (GCD v4 naming rule), within the
  // largest single slice of the generation.
  const bool cubes = s[0] % 4 == 0 && s[1] % 4 == 0 && s[2] % 4 == 0 && s[0] > 0;
  const bool ordered = s[0] <= s[1] && s[1] <= s[2];
  return cubes && ordered && s[0] * s[1] * s[2] <= spec.max_chips && s[2] <= 32;
}

bool IsShapeValid(const ChipSpec& spec, const std::vector<int64_t>& dims) {
  if (static_cast<int>(dims.size()) != spec.spec_dims) return false;
  if (spec.spec_dims == 2) {
    for (const auto& shape : k2dShapes) {
      if (shape[0] == dims[0] && shape[1] == dims[1]) return true;
    }
    return false;
  }
  return Is3dShapeValid(spec, {dims[0], dims[1], dims[2]});
}

std::string JoinShape(const std::vector<int64_t>& dims) {
  std::string out;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) out += "x";
    out += std::to_string(dims[i]);
  }
  return out;
}

Result<std::vector<int64_t>> ParseShape(std::string_view text, std::string_view spec) {
  std::vector<int64_t> dims;
  size_t pos = 0;
  while (true) {
    const size_t end = std::min(text.find('x', pos), text.size());
    const std::string_view part = text.substr(pos, end - pos);
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || value <= 0) {
      return InvalidArgument("bad slice shape '" + std::string(text) + "' in '" +
                             std::string(spec) + "': expected positive integers like 2x4 or 2x2x2");
    }
    dims.push_back(value);
    if (end == text.size()) break;
    pos = end + 1;
  }
  return dims;
}

}  // namespace

std::array<bool, 3> WrapRule(Generation generation, const std::array<int64_t, 3>& shape) {
  if (generation == Generation::kV5e || generation == Generation::kV6e) {
    return {shape[0] == 16, shape[1] == 16, shape[2] == 16};
  }
  const bool cubes = shape[0] % 4 == 0 && shape[1] % 4 == 0 && shape[2] % 4 == 0;
  return {cubes, cubes, cubes};
}

std::string ValidShapesDescription(Generation generation) {
  const ChipSpec& spec = GetChipSpec(generation);
  std::string out;
  if (spec.spec_dims == 2) {
    for (const auto& s : k2dShapes) {
      if (!out.empty()) out += ", ";
      out += JoinShape({s[0], s[1]});
    }
    return out;
  }
  for (const auto& s : kSmall3dShapes) {
    out += JoinShape({s[0], s[1], s[2]}) + ", ";
  }
  out += "or AxBxC with A <= B <= C all multiples of 4 (e.g. 4x4x4, 4x4x8, 8x8x8) up to " +
         std::to_string(spec.max_chips) + " chips";
  return out;
}

Topology::Topology(const ChipSpec* spec, std::array<int64_t, 3> shape)
    : spec_(spec), shape_(shape), wrap_(WrapRule(spec->generation, shape)) {
  grid_size_ = {spec->cores_per_chip, shape[0], shape[1], shape[2]};
  int64_t stride = 1;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    grid_stride_[axis] = stride;
    stride *= grid_size_[axis];
  }
}

Result<Topology> Topology::Create(Generation generation, const std::vector<int64_t>& shape) {
  const ChipSpec& spec = GetChipSpec(generation);
  if (!IsShapeValid(spec, shape)) {
    return InvalidArgument("slice shape '" + JoinShape(shape) + "' does not exist for " +
                           std::string(spec.name) +
                           "; valid shapes: " + ValidShapesDescription(generation));
  }
  std::array<int64_t, 3> dims = {shape[0], shape[1], shape.size() == 3 ? shape[2] : 1};
  return Topology(&spec, dims);
}

Result<Topology> Topology::WithConstants(std::span<const ConstantOverride> overrides) const {
  std::vector<ConstantOverride> merged = overrides_;
  for (const ConstantOverride& o : overrides) {
    auto same = std::find_if(merged.begin(), merged.end(),
                             [&](const ConstantOverride& m) { return m.name == o.name; });
    if (same != merged.end()) {
      same->value = o.value;
    } else {
      merged.push_back(o);
    }
  }
  std::sort(merged.begin(), merged.end(),
            [](const ConstantOverride& a, const ConstantOverride& b) { return a.name < b.name; });
  // Always from the table row, so that the result depends only on the merged overrides.
  AOIZORA_ASSIGN_OR_RETURN(ChipSpec spec,
                           ApplyConstantOverrides(GetChipSpec(generation()), merged));
  Topology out = *this;
  out.owned_spec_ = std::make_shared<const ChipSpec>(spec);
  out.spec_ = out.owned_spec_.get();
  out.overrides_ = std::move(merged);
  return out;
}

std::vector<int64_t> Topology::spec_shape() const {
  if (spec_->spec_dims == 2) return {shape_[0], shape_[1]};
  return {shape_[0], shape_[1], shape_[2]};
}

std::string Topology::ToString() const {
  return std::string(spec_->name) + ":" + JoinShape(spec_shape());
}

GridCoords Topology::DeviceGridCoords(int64_t device) const {
  GridCoords coords{};
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    coords[axis] = device % grid_size_[axis];
    device /= grid_size_[axis];
  }
  return coords;
}

int64_t Topology::DeviceAt(const GridCoords& coords) const {
  int64_t device = 0;
  for (int axis = 0; axis < kNumGridAxes; ++axis) device += coords[axis] * grid_stride_[axis];
  return device;
}

ChipCoords Topology::ChipOf(int64_t device) const {
  const GridCoords c = DeviceGridCoords(device);
  return {c[1], c[2], c[3]};
}

int64_t Topology::DeviceId(const ChipCoords& chip, int64_t core) const {
  return DeviceAt({core, chip.x, chip.y, chip.z});
}

Result<Topology> ParseSliceSpec(std::string_view spec) {
  const size_t colon = spec.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("bad slice spec '" + std::string(spec) +
                           "': expected GENERATION:SHAPE such as v5e:2x4 or v5p:2x2x2");
  }
  AOIZORA_ASSIGN_OR_RETURN(Generation generation, ParseGeneration(spec.substr(0, colon)));
  AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ParseShape(spec.substr(colon + 1), spec));
  return Topology::Create(generation, shape);
}

}  // namespace aoizora
