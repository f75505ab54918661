#include "aoizora/util/iota.h"

#include <string>

#include "aoizora/util/text_cursor.h"

namespace aoizora {
namespace {

// Far above any real slice (16x16x24 v5p = 6,144 chips; 2 devices per tpu7x chip) and small
// enough that hostile input cannot make us allocate gigabytes.
constexpr int64_t kMaxIotaElements = int64_t{1} << 20;

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(dims[i]);
  }
  return out + "]";
}

}  // namespace

Result<std::vector<int64_t>> ExpandIota(const std::vector<int64_t>& reshape_dims,
                                        const std::vector<int64_t>& perm) {
  const size_t rank = reshape_dims.size();
  int64_t total = 1;
  for (int64_t d : reshape_dims) {
    if (d <= 0)
      return InvalidArgument("iota dims must be positive, got " + DimsToString(reshape_dims));
    total *= d;
    if (total > kMaxIotaElements) {
      return InvalidArgument("iota dims " + DimsToString(reshape_dims) + " are too large");
    }
  }
  std::vector<int64_t> order = perm;
  if (order.empty()) {
    for (size_t i = 0; i < rank; ++i) order.push_back(static_cast<int64_t>(i));
  }
  if (order.size() != rank) {
    return InvalidArgument("transpose " + DimsToString(perm) + " does not match iota dims " +
                           DimsToString(reshape_dims));
  }
  std::vector<bool> seen(rank, false);
  for (int64_t p : order) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p]) {
      return InvalidArgument("transpose " + DimsToString(perm) + " is not a permutation of 0.." +
                             std::to_string(rank - 1));
    }
    seen[p] = true;
  }
  // Row-major strides of the reshaped iota; walk the transposed index space.
  std::vector<int64_t> strides(rank, 1);
  for (size_t i = rank; i-- > 1;) strides[i - 1] = strides[i] * reshape_dims[i];
  std::vector<int64_t> out_dims(rank);
  for (size_t i = 0; i < rank; ++i) out_dims[i] = reshape_dims[order[i]];
  std::vector<int64_t> index(rank, 0);
  std::vector<int64_t> result;
  result.reserve(total);
  for (int64_t n = 0; n < total; ++n) {
    int64_t value = 0;
    for (size_t i = 0; i < rank; ++i) value += index[i] * strides[order[i]];
    result.push_back(value);
    for (size_t i = rank; i-- > 0;) {
      if (++index[i] < out_dims[i]) break;
      index[i] = 0;
    }
  }
  return result;
}

Result<std::vector<std::vector<int64_t>>> ExpandIotaGroups(int64_t num_groups, int64_t group_size,
                                                           const std::vector<int64_t>& reshape_dims,
                                                           const std::vector<int64_t>& perm) {
  AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> flat, ExpandIota(reshape_dims, perm));
  if (num_groups <= 0 || group_size <= 0 ||
      num_groups * group_size != static_cast<int64_t>(flat.size())) {
    return InvalidArgument("iota groups [" + std::to_string(num_groups) + "," +
                           std::to_string(group_size) + "] do not cover the " +
                           std::to_string(flat.size()) + " ids of " + DimsToString(reshape_dims));
  }
  std::vector<std::vector<int64_t>> groups(num_groups);
  for (int64_t g = 0; g < num_groups; ++g) {
    groups[g].assign(flat.begin() + g * group_size, flat.begin() + (g + 1) * group_size);
  }
  return groups;
}

Result<std::vector<std::vector<int64_t>>> ParseIotaGroups(std::string_view text) {
  TextCursor cursor(text, "iota groups", TextCursor::Overflow::kTooLarge);
  AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> shape, cursor.IntList('[', ']'));
  if (shape.size() != 2) return cursor.Expected("a group shape [G,S] with two numbers");
  if (!cursor.Consume("<=")) return cursor.Expected("'<='");
  AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> dims, cursor.IntList('[', ']'));
  std::vector<int64_t> perm;
  if (cursor.Consume("T")) {
    AOIZORA_ASSIGN_OR_RETURN(perm, cursor.IntList('(', ')'));
  }
  if (!cursor.AtEnd()) return cursor.Expected("the end of the groups");
  return ExpandIotaGroups(shape[0], shape[1], dims, perm);
}

}  // namespace aoizora
