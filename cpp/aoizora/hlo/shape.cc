#include "aoizora/hlo/shape.h"

#include <limits>

#include "aoizora/hlo/primitive_type.h"

namespace aoizora::hlo {
namespace {

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

bool MulOverflows(int64_t a, int64_t b) { return a != 0 && b > kMaxInt64 / a; }

void AppendInts(std::string& out, const std::vector<int64_t>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += values[i] == kTileCombineDim ? std::string("*") : std::to_string(values[i]);
  }
}

void AppendLayout(std::string& out, const Layout& layout) {
  out += '{';
  AppendInts(out, layout.minor_to_major);
  const bool has_sub = !layout.tiles.empty() || layout.element_size_bits || layout.memory_space ||
                       !layout.other.empty();
  if (has_sub) {
    out += ':';
    for (const Tile& tile : layout.tiles) {
      out += (&tile == &layout.tiles.front()) ? "T(" : "(";
      AppendInts(out, tile);
      out += ')';
    }
    if (layout.element_size_bits) out += "E(" + std::to_string(layout.element_size_bits) + ")";
    if (layout.memory_space) out += "S(" + std::to_string(layout.memory_space) + ")";
    out += layout.other;
  }
  out += '}';
}

void AppendShape(std::string& out, const Shape& shape, bool print_layout) {
  if (shape.is_tuple) {
    out += '(';
    for (size_t i = 0; i < shape.tuple_shapes.size(); ++i) {
      if (i) out += ", ";
      AppendShape(out, shape.tuple_shapes[i], print_layout);
    }
    out += ')';
    return;
  }
  out += shape.element_type;
  out += '[';
  for (size_t i = 0; i < shape.dims.size(); ++i) {
    if (i) out += ',';
    if (shape.dims[i] == kUnboundedDim) {
      out += '?';
      continue;
    }
    if (shape.IsDynamicDim(i)) out += "<=";
    out += std::to_string(shape.dims[i]);
  }
  out += ']';
  if (print_layout && shape.layout) AppendLayout(out, *shape.layout);
}

void CollectLeaves(const Shape& shape, std::vector<const Shape*>& out) {
  if (!shape.is_tuple) {
    out.push_back(&shape);
    return;
  }
  for (const Shape& element : shape.tuple_shapes) CollectLeaves(element, out);
}

}  // namespace

Shape Shape::Array(std::string element_type, std::vector<int64_t> dims) {
  Shape shape;
  shape.element_type = std::move(element_type);
  shape.dims = std::move(dims);
  return shape;
}

Shape Shape::Tuple(std::vector<Shape> elements) {
  Shape shape;
  shape.is_tuple = true;
  shape.tuple_shapes = std::move(elements);
  return shape;
}

Result<int64_t> ElementCount(const Shape& shape) {
  if (shape.is_tuple)
    return InvalidArgument("element count of a tuple shape " + ShapeToString(shape));
  int64_t count = 1;
  for (int64_t dim : shape.dims) {
    if (dim < 0) {
      return InvalidArgument("shape " + ShapeToString(shape) + " has an unbounded dimension");
    }
    if (MulOverflows(count, dim)) {
      return InvalidArgument("element count of " + ShapeToString(shape) + " overflows int64");
    }
    count *= dim;
  }
  return count;
}

Result<int64_t> ElementByteSize(std::string_view element_type) {
  std::optional<PrimitiveTypeInfo> info = FindPrimitiveType(element_type);
  if (!info) {
    return InvalidArgument("unknown element type '" + std::string(element_type) +
                           "': its size is not in the primitive type table");
  }
  return info->byte_size;
}

Result<int64_t> ShapeByteSize(const Shape& shape) {
  if (shape.is_tuple) {
    int64_t total = 0;
    for (const Shape& element : shape.tuple_shapes) {
      AOIZORA_ASSIGN_OR_RETURN(int64_t bytes, ShapeByteSize(element));
      if (bytes > kMaxInt64 - total) return InvalidArgument("tuple byte size overflows int64");
      total += bytes;
    }
    return total;
  }
  AOIZORA_ASSIGN_OR_RETURN(int64_t element_bytes, ElementByteSize(shape.element_type));
  AOIZORA_ASSIGN_OR_RETURN(int64_t elements, ElementCount(shape));
  const int64_t bits = shape.layout ? shape.layout->element_size_bits : 0;
  if (bits > 0 && element_bytes > 0) {
    if (MulOverflows(elements, bits)) return InvalidArgument("byte size overflows int64");
    return (elements * bits + 7) / 8;
  }
  if (MulOverflows(elements, element_bytes)) {
    return InvalidArgument("byte size of " + ShapeToString(shape) + " overflows int64");
  }
  return elements * element_bytes;
}

std::vector<const Shape*> ShapeLeaves(const Shape& shape) {
  std::vector<const Shape*> leaves;
  CollectLeaves(shape, leaves);
  return leaves;
}

std::string ShapeToString(const Shape& shape, bool print_layout) {
  std::string out;
  AppendShape(out, shape, print_layout);
  return out;
}

bool operator==(const Layout& a, const Layout& b) {
  return a.minor_to_major == b.minor_to_major && a.tiles == b.tiles &&
         a.element_size_bits == b.element_size_bits && a.memory_space == b.memory_space &&
         a.other == b.other;
}

bool operator==(const Shape& a, const Shape& b) {
  return a.is_tuple == b.is_tuple && a.element_type == b.element_type && a.dims == b.dims &&
         a.dynamic_dims == b.dynamic_dims && a.layout == b.layout &&
         a.tuple_shapes == b.tuple_shapes;
}

}  // namespace aoizora::hlo
