#pragma once
// HLO shardings (`sharding={...}`), every printed form of hlo-text.md section 6.1: replicated,
// manual, unknown, unreduced, maximal, tiled with an explicit device list or an iota tile
// assignment (`[2,4]<=[4,2]T(1,0)`), last_tile_dim_replicate / last_tile_dims, shard_as/shard_like,
// metadata, tuples, and the named (V3 `mesh[...]`) form kept as raw text.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aoizora/hlo/shape.h"
#include "aoizora/util/result.h"

namespace aoizora::hlo {

enum class ShardingKind {
  kReplicated,
  kManual,
  kUnknown,
  kUnreduced,
  kMaximal,  // {maximal device=N}
  kTiled,    // devices=[...]
  kTuple,    // one sharding per tuple leaf
  kNamed,    // V3 `{mesh[...], [...]}`: kept in `raw` only
};

struct Sharding {
  ShardingKind kind = ShardingKind::kReplicated;
  int64_t maximal_device = -1;  // kMaximal

  // kTiled: the tile-assignment array shape `devices=[d0,..]`, including any trailing replicated
  // or subgroup dims.
  std::vector<int64_t> tile_assignment_dims;
  // Either an explicit device list (row-major over tile_assignment_dims) ...
  std::vector<int64_t> explicit_devices;
  // ... or the iota form `<=[reshape]T(perm)` (is_iota; an empty perm is the identity).
  bool is_iota = false;
  std::vector<int64_t> iota_reshape_dims;
  std::vector<int64_t> iota_perm;
  bool last_tile_dim_replicate = false;
  // last_tile_dims={manual, replicated, ...}: subgroup types of the trailing dims, as printed.
  std::vector<std::string> last_tile_dims;

  std::optional<int64_t> shard_as;
  std::optional<int64_t> shard_like;
  std::string metadata;  // raw `metadata=` value inside the sharding, if any

  std::vector<Sharding> tuple_elements;  // kTuple
  std::string raw;                       // the whole printed text, braces included

  bool IsTiled() const { return kind == ShardingKind::kTiled; }
  // Tensor dims covered by the tile assignment (total minus trailing replicate/subgroup dims).
  int64_t NumDataDims() const;
  // Number of devices in the tile assignment (product of tile_assignment_dims).
  int64_t NumTileDevices() const;
  // Tile-assignment devices in row-major order over tile_assignment_dims (expands the iota).
  Result<std::vector<int64_t>> Devices() const;
};

// The per-device shape of an array or tuple with global shape `global` under `sharding`: every
// tiled data dim becomes ceil(dim / tiles) (XLA pads the last tile). Replicated, maximal, manual,
// unknown and unreduced shardings leave the shape unchanged (manual shapes are already per
// device). A tuple sharding applies leaf by leaf; a non-tuple sharding on a tuple applies to every
// leaf. Errors name the mismatch (tile rank vs shape rank, leaf counts, named shardings).
Result<Shape> ShardedTileShape(const Shape& global, const Sharding& sharding);

}  // namespace aoizora::hlo
