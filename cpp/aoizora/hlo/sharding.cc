#include "aoizora/hlo/sharding.h"

#include "aoizora/hlo/limits.h"
#include "aoizora/util/iota.h"

namespace aoizora::hlo {
namespace {

std::string IntsToString(const std::vector<int64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(values[i]);
  }
  return out + "]";
}

Result<Shape> TileArray(const Shape& array, const Sharding& sharding) {
  if (array.is_tuple) return Internal("TileArray called on a tuple shape");
  if (!sharding.IsTiled()) return array;
  const int64_t data_dims = sharding.NumDataDims();
  if (data_dims != array.rank()) {
    return InvalidArgument("sharding " + sharding.raw + " tiles " + std::to_string(data_dims) +
                           " dimensions but shape " + ShapeToString(array) + " has rank " +
                           std::to_string(array.rank()));
  }
  Shape tile = array;
  for (int64_t i = 0; i < data_dims; ++i) {
    const int64_t parts = sharding.tile_assignment_dims[static_cast<size_t>(i)];
    int64_t& dim = tile.dims[static_cast<size_t>(i)];
    if (dim == kUnboundedDim) continue;
    dim = (dim + parts - 1) / parts;
  }
  return tile;
}

}  // namespace

int64_t Sharding::NumDataDims() const {
  int64_t dims = static_cast<int64_t>(tile_assignment_dims.size());
  if (last_tile_dim_replicate) --dims;
  dims -= static_cast<int64_t>(last_tile_dims.size());
  return dims;
}

int64_t Sharding::NumTileDevices() const {
  int64_t count = 1;
  for (int64_t d : tile_assignment_dims) count *= d;
  return count;
}

Result<std::vector<int64_t>> Sharding::Devices() const {
  if (kind != ShardingKind::kTiled) {
    return InvalidArgument("sharding " + raw + " has no tile assignment");
  }
  if (!is_iota) return explicit_devices;
  std::optional<int64_t> count = DeviceCount(iota_reshape_dims);
  if (!count || *count != NumTileDevices()) {
    return InvalidArgument("sharding " + raw + ": iota " + IntsToString(iota_reshape_dims) +
                           " does not have the " + std::to_string(NumTileDevices()) +
                           " devices of " + IntsToString(tile_assignment_dims));
  }
  AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> devices, ExpandIota(iota_reshape_dims, iota_perm));
  if (static_cast<int64_t>(devices.size()) != NumTileDevices()) {
    return InvalidArgument("sharding " + raw + ": iota " + IntsToString(iota_reshape_dims) +
                           " does not have the " + std::to_string(NumTileDevices()) +
                           " devices of " + IntsToString(tile_assignment_dims));
  }
  return devices;
}

Result<Shape> ShardedTileShape(const Shape& global, const Sharding& sharding) {
  if (sharding.kind == ShardingKind::kNamed) {
    return Unimplemented("named (mesh) sharding " + sharding.raw + " is kept as text only");
  }
  if (!global.is_tuple) {
    if (sharding.kind == ShardingKind::kTuple) {
      if (sharding.tuple_elements.size() != 1) {
        return InvalidArgument("tuple sharding " + sharding.raw + " on array shape " +
                               ShapeToString(global));
      }
      return ShardedTileShape(global, sharding.tuple_elements[0]);
    }
    return TileArray(global, sharding);
  }
  Shape result = global;
  std::vector<const Shape*> leaves = ShapeLeaves(global);
  if (sharding.kind == ShardingKind::kTuple && sharding.tuple_elements.size() != leaves.size()) {
    return InvalidArgument("tuple sharding " + sharding.raw + " has " +
                           std::to_string(sharding.tuple_elements.size()) + " elements but shape " +
                           ShapeToString(global) + " has " + std::to_string(leaves.size()) +
                           " leaves");
  }
  // Walk the copy's leaves in the same order as the original's.
  std::vector<Shape*> out_leaves;
  std::vector<Shape*> stack = {&result};
  while (!stack.empty()) {
    Shape* s = stack.back();
    stack.pop_back();
    if (!s->is_tuple) {
      out_leaves.push_back(s);
      continue;
    }
    for (auto it = s->tuple_shapes.rbegin(); it != s->tuple_shapes.rend(); ++it) {
      stack.push_back(&*it);
    }
  }
  for (size_t i = 0; i < out_leaves.size(); ++i) {
    const Sharding& leaf_sharding =
        sharding.kind == ShardingKind::kTuple ? sharding.tuple_elements[i] : sharding;
    if (leaf_sharding.kind == ShardingKind::kTuple || leaf_sharding.kind == ShardingKind::kNamed) {
      return InvalidArgument("sharding " + leaf_sharding.raw + " cannot apply to a tuple leaf");
    }
    AOIZORA_ASSIGN_OR_RETURN(*out_leaves[i], TileArray(*out_leaves[i], leaf_sharding));
  }
  return result;
}

}  // namespace aoizora::hlo
