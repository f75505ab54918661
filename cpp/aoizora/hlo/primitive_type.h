#pragma once
// XLA primitive (element) types as the HLO text names them (`f32`, `bf16`, `s4`, ...). The table is
// data: a type name the table does not know still parses (new types appear often in XLA) and keeps
// its name; only its size is unknown.

#include <cstdint>
#include <optional>
#include <string_view>

namespace aoizora::hlo {

struct PrimitiveTypeInfo {
  std::string_view name;
  // Bytes one element occupies in an unpacked buffer (XLA's ByteSizeOfPrimitiveType): 1 for pred
  // and for the sub-byte types (s4, u2, f4e2m1fn...), 0 for token and opaque.
  int64_t byte_size = 0;
  // Bits of information per element (4 for s4); 0 for token and opaque.
  int64_t bit_width = 0;
  bool is_floating = false;
};

// The entry for `name`, or nullopt if the table does not know it.
std::optional<PrimitiveTypeInfo> FindPrimitiveType(std::string_view name);

}  // namespace aoizora::hlo
