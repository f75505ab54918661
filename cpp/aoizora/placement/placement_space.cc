#include "aoizora/placement/placement_space.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "aoizora/placement/mesh_shape.h"
#include "aoizora/placement/order_hash.h"
#include "aoizora/placement/symmetry.h"

namespace aoizora::placement {
namespace {

std::string SegmentName(const PhysicalGrid& grid, const Segment& s) {
  std::string name = grid.axis_name(s.physical_axis);
  name += std::to_string(s.size);
  if (s.size != s.total_size) {
    name += '@';
    name += std::to_string(s.digit_stride);
  }
  return name;
}

// Device-id offset of every index of one logical axis under one layout.
std::vector<int32_t> AxisTable(const PhysicalGrid& grid, const AxisLayout& layout,
                               int64_t axis_size) {
  std::vector<int32_t> table(axis_size, 0);
  const size_t k = layout.segments.size();
  if (k == 0) return table;
  std::vector<int64_t> sizes;
  for (const Segment& s : layout.segments) sizes.push_back(s.size);
  std::optional<std::vector<int64_t>> digits = TraverseDigits(layout.traversal, sizes);
  if (!digits) digits = TraverseDigits(Traversal::kRaster, sizes);
  for (int64_t i = 0; i < axis_size; ++i) {
    int64_t offset = 0;
    for (size_t t = 0; t < k; ++t) {
      const Segment& s = layout.segments[t];
      offset += (*digits)[i * k + t] * s.digit_stride * grid.stride(s.physical_axis);
    }
    table[i] = static_cast<int32_t>(offset);
  }
  return table;
}

// Logical ids are row-major (last axis fastest): walk them with a mixed-radix counter and add
// one table entry per axis.
void SumTables(const std::vector<int64_t>& mesh, const std::vector<const int32_t*>& tables,
               int64_t* index, int32_t* out, int64_t n) {
  const size_t m = mesh.size();
  std::fill(index, index + m, 0);
  for (int64_t logical = 0; logical < n; ++logical) {
    int32_t device = 0;
    for (size_t j = 0; j < m; ++j) device += tables[j][index[j]];
    out[logical] = device;
    for (size_t j = m; j-- > 0;) {
      if (++index[j] < mesh[j]) break;
      index[j] = 0;
    }
  }
}

}  // namespace

class PlacementEnumerator {
 public:
  PlacementEnumerator(PlacementSpace& space, const PlacementSpaceOptions& options)
      : space_(space),
        grid_(space.grid_),
        mesh_(space.mesh_shape_),
        options_(options),
        n_(grid_.num_devices()),
        symmetry_(grid_, options.axis_swaps),
        perm_(n_),
        canonical_(n_),
        scratch_(n_),
        counter_(mesh_.size()),
        digits_(grid_.rank()),
        remaining_(mesh_),
        chosen_(mesh_.size()),
        tables_(mesh_.size()) {}

  void Run() { AssignAxis(0, grid_.dims()[0], -1); }

 private:
  // Step A: cut physical axis p (with `left` of its length still to assign) into labelled digits,
  // major to minor.
  void AssignAxis(int64_t p, int64_t left, int64_t last_label) {
    if (space_.truncated_) return;
    if (left == 1) {
      const int64_t next = p + 1;
      if (next == grid_.rank()) {
        ExpandLayouts();
      } else {
        AssignAxis(next, grid_.dims()[next], -1);
      }
      return;
    }
    for (int64_t j = 0; j < static_cast<int64_t>(mesh_.size()); ++j) {
      // Two adjacent digits with one label are one bigger digit; keep only the merged form.
      if (j == last_label || remaining_[j] == 1) continue;
      const int64_t g = std::gcd(left, remaining_[j]);
      for (int64_t f = 2; f <= g; ++f) {
        if (g % f != 0) continue;
        remaining_[j] /= f;
        digits_[p].push_back({j, f});
        AssignAxis(p, left / f, j);
        digits_[p].pop_back();
        remaining_[j] *= f;
      }
    }
  }

  // Step B: per logical axis, every segment order and traversal.
  void ExpandLayouts() {
    std::vector<std::vector<Segment>> natural(mesh_.size());
    for (int64_t p = 0; p < grid_.rank(); ++p) {
      int64_t stride = grid_.dims()[p];
      for (const auto& [label, size] : digits_[p]) {
        stride /= size;
        natural[label].push_back({p, size, stride, grid_.dims()[p]});
      }
    }
    PlacementSpace::Assignment assignment;
    for (size_t j = 0; j < mesh_.size(); ++j) {
      assignment.axes.push_back(AxisOptions(natural[j], mesh_[j]));
    }
    space_.assignments_.push_back(std::move(assignment));
    Product(0);
  }

  std::vector<PlacementSpace::AxisOption> AxisOptions(const std::vector<Segment>& natural,
                                                      int64_t axis_size) {
    std::vector<PlacementSpace::AxisOption> out;
    if (natural.empty()) {
      out.push_back({AxisLayout{}, std::vector<int32_t>(axis_size, 0)});
      return out;
    }
    std::vector<size_t> order(natural.size());
    std::iota(order.begin(), order.end(), 0);
    do {
      AxisLayout layout;
      std::vector<int64_t> sizes;
      for (size_t t : order) {
        layout.segments.push_back(natural[t]);
        sizes.push_back(natural[t].size);
      }
      for (Traversal tr : {Traversal::kRaster, Traversal::kSnake, Traversal::kRing}) {
        if (!TraverseDigits(tr, sizes)) continue;
        layout.traversal = tr;
        out.push_back({layout, AxisTable(grid_, layout, axis_size)});
      }
    } while (std::next_permutation(order.begin(), order.end()));
    return out;
  }

  void Product(size_t j) {
    if (space_.truncated_) return;
    const auto& axes = space_.assignments_.back().axes;
    if (j == axes.size()) {
      Emit();
      return;
    }
    for (size_t o = 0; o < axes[j].size(); ++o) {
      chosen_[j] = static_cast<int32_t>(o);
      tables_[j] = axes[j][o].table.data();
      Product(j + 1);
      if (space_.truncated_) return;
    }
  }

  void Emit() {
    ++space_.structured_count_;
    SumTables(mesh_, tables_, counter_.data(), perm_.data(), n_);
    if (!seen_.insert(HashOrder(perm_.data(), n_)).second) return;
    ++space_.distinct_count_;
    const int32_t* key = perm_.data();
    if (options_.reduce_symmetry) {
      symmetry_.Canonicalize(perm_.data(), canonical_.data(), scratch_.data());
      key = canonical_.data();
    }
    auto [it, inserted] = classes_.emplace(HashOrder(key, n_), space_.members_.size());
    if (!inserted) {
      ++space_.members_[it->second];
      return;
    }
    space_.class_assignment_.push_back(static_cast<int32_t>(space_.assignments_.size() - 1));
    space_.class_options_.insert(space_.class_options_.end(), chosen_.begin(), chosen_.end());
    space_.members_.push_back(1);
    if (space_.size() >= options_.max_classes) space_.truncated_ = true;
  }

  PlacementSpace& space_;
  const PhysicalGrid& grid_;
  const std::vector<int64_t>& mesh_;
  const PlacementSpaceOptions& options_;
  int64_t n_;
  SliceSymmetry symmetry_;
  std::vector<int32_t> perm_;
  std::vector<int32_t> canonical_;
  std::vector<int32_t> scratch_;
  std::vector<int64_t> counter_;
  std::vector<std::vector<std::pair<int64_t, int64_t>>> digits_;  // per physical axis
  std::vector<int64_t> remaining_;
  std::vector<int32_t> chosen_;
  std::vector<const int32_t*> tables_;
  std::unordered_set<OrderHash, OrderHashHasher> seen_;
  std::unordered_map<OrderHash, size_t, OrderHashHasher> classes_;
};

Status CheckMeshShape(const PhysicalGrid& grid, const std::vector<int64_t>& mesh_shape) {
  AOIZORA_ASSIGN_OR_RETURN(const LogicalMeshShape shape, CheckLogicalMeshShape(mesh_shape, 16));
  const int64_t product = shape.num_devices;
  const std::string& text = shape.text;
  if (product != grid.num_devices()) {
    return InvalidArgument("logical mesh " + text + " does not have " +
                           std::to_string(grid.num_devices()) + " devices (the slice " +
                           grid.ToString() + ")");
  }
  return OkStatus();
}

DeviceIds BuildDeviceIds(const PhysicalGrid& grid, const std::vector<int64_t>& mesh_shape,
                         const StructuredPlacement& placement) {
  std::vector<std::vector<int32_t>> tables;
  std::vector<const int32_t*> pointers;
  for (size_t j = 0; j < mesh_shape.size(); ++j) {
    tables.push_back(AxisTable(grid, placement.axes[j], mesh_shape[j]));
  }
  for (const auto& t : tables) pointers.push_back(t.data());
  std::vector<int32_t> order(grid.num_devices());
  std::vector<int64_t> index(mesh_shape.size());
  SumTables(mesh_shape, pointers, index.data(), order.data(), grid.num_devices());
  return DeviceIds(order.begin(), order.end());
}

std::string DescribePlacement(const PhysicalGrid& grid, const StructuredPlacement& placement,
                              const std::vector<std::string>& axis_names) {
  std::string out;
  for (size_t j = 0; j < placement.axes.size(); ++j) {
    const AxisLayout& layout = placement.axes[j];
    if (layout.segments.empty()) continue;
    if (!out.empty()) out += " | ";
    if (j < axis_names.size()) {
      out += axis_names[j];
    } else {
      out += "axis";
      out += std::to_string(j);
    }
    out += "=";
    for (size_t t = 0; t < layout.segments.size(); ++t) {
      if (t) out += ",";
      out += SegmentName(grid, layout.segments[t]);
    }
    if (layout.segments.size() > 1 || layout.traversal == Traversal::kRing) {
      out += " ";
      out += TraversalName(layout.traversal);
    }
  }
  return out;
}

Result<PlacementSpace> PlacementSpace::Enumerate(const PhysicalGrid& grid,
                                                 const std::vector<int64_t>& mesh_shape,
                                                 const PlacementSpaceOptions& options) {
  AOIZORA_RETURN_IF_ERROR(CheckMeshShape(grid, mesh_shape));
  if (options.max_classes < 1) {
    return InvalidArgument("max_classes must be >= 1, got " + std::to_string(options.max_classes));
  }
  PlacementSpace space(grid);
  space.mesh_shape_ = mesh_shape;
  PlacementEnumerator(space, options).Run();
  return space;
}

void PlacementSpace::FillOrder(int64_t i, int32_t* out) const {
  const Assignment& a = assignments_[class_assignment_[i]];
  const size_t m = mesh_shape_.size();
  const int32_t* options = &class_options_[i * m];
  // Small fixed scratch: logical meshes have a handful of axes.
  int64_t index[16] = {};
  const int32_t* tables[16] = {};
  for (size_t j = 0; j < m; ++j) tables[j] = a.axes[j][options[j]].table.data();
  const int64_t n = num_devices();
  for (int64_t logical = 0; logical < n; ++logical) {
    int32_t device = 0;
    for (size_t j = 0; j < m; ++j) device += tables[j][index[j]];
    out[logical] = device;
    for (size_t j = m; j-- > 0;) {
      if (++index[j] < mesh_shape_[j]) break;
      index[j] = 0;
    }
  }
}

DeviceIds PlacementSpace::device_ids(int64_t i) const {
  std::vector<int32_t> order(num_devices());
  FillOrder(i, order.data());
  return DeviceIds(order.begin(), order.end());
}

StructuredPlacement PlacementSpace::structure(int64_t i) const {
  const Assignment& a = assignments_[class_assignment_[i]];
  const size_t m = mesh_shape_.size();
  StructuredPlacement sp;
  for (size_t j = 0; j < m; ++j) sp.axes.push_back(a.axes[j][class_options_[i * m + j]].layout);
  return sp;
}

}  // namespace aoizora::placement
