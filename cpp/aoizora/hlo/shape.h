#pragma once
// HLO shapes and layouts as printed: `bf16[512,128]{1,0:T(8,128)(2,1)S(1)}`, `f32[<=8,?]`,
// `(f32[2]{0}, (s32[], token[]))` (shared/reference/hlo-text.md section 4).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aoizora/util/result.h"

namespace aoizora::hlo {

// One tile of a tiled layout, e.g. (8,128). A `*` entry (combine dimension) is kTileCombineDim.
inline constexpr int64_t kTileCombineDim = -1;
using Tile = std::vector<int64_t>;

struct Layout {
  std::vector<int64_t> minor_to_major;
  std::vector<Tile> tiles;        // T(8,128)(2,1) -> {{8,128},{2,1}}
  int64_t element_size_bits = 0;  // E(n); 0 = not set (unpacked)
  int64_t memory_space = 0;       // S(n); 0 = default HBM
  // Sub-fields kept as text, in printed order: D(..), L(n), #(type), *(type), SC(..), P(..), M(n).
  std::string other;
};

// A dimension printed `?` (unbounded dynamic) has this size.
inline constexpr int64_t kUnboundedDim = -1;

struct Shape {
  bool is_tuple = false;
  // Array shapes: element type name as printed ("bf16"; kept even if unknown to the type table).
  std::string element_type;
  std::vector<int64_t> dims;        // `<=N` stores N; `?` stores kUnboundedDim
  std::vector<bool> dynamic_dims;   // empty if no dim is dynamic, else one flag per dim
  std::optional<Layout> layout;     // absent when not printed
  std::vector<Shape> tuple_shapes;  // tuples only

  bool IsArray() const { return !is_tuple; }
  bool IsToken() const { return !is_tuple && element_type == "token"; }
  bool IsDynamicDim(size_t i) const { return i < dynamic_dims.size() && dynamic_dims[i]; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  int64_t memory_space() const { return layout ? layout->memory_space : 0; }

  static Shape Array(std::string element_type, std::vector<int64_t> dims);
  static Shape Tuple(std::vector<Shape> elements);
};

// Number of elements of an array shape (1 for a scalar). Errors for tuples, unbounded dims and
// overflow.
Result<int64_t> ElementCount(const Shape& shape);

// Bytes of one element of `element_type` (1 for pred and sub-byte types, 0 for token/opaque).
// Errors for a type the table does not know.
Result<int64_t> ElementByteSize(std::string_view element_type);

// ShapeUtil::ByteSizeOfElements conventions (hlo-text.md section 4): elements x element bytes, or
// ceil(elements x bits / 8) when the layout sets E(bits); bounded dynamic dims count at their
// bound; tuple shapes are the sum of their leaves (not XLA's pointer table); token[] is 0. Tiling
// padding is not included. Errors for unknown element types and unbounded (`?`) dims.
Result<int64_t> ShapeByteSize(const Shape& shape);

// The array leaves of a (possibly nested) tuple shape in order; an array shape is its own leaf.
std::vector<const Shape*> ShapeLeaves(const Shape& shape);

// Prints the shape the way XLA does (`bf16[8,128]{1,0:T(8,128)(2,1)}`, `(f32[], s32[2]{0})`).
std::string ShapeToString(const Shape& shape, bool print_layout = true);

bool operator==(const Layout& a, const Layout& b);
bool operator==(const Shape& a, const Shape& b);

}  // namespace aoizora::hlo
