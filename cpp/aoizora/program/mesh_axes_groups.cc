#include "aoizora/program/mesh_axes_groups.h"

#include <algorithm>
#include <string>
#include <vector>

#include "aoizora/hlo/mesh_axis.h"
#include "aoizora/util/iota.h"
#include "aoizora/util/text_cursor.h"

namespace aoizora {
namespace {

using hlo::MeshAxis;

// A reference to (part of) a mesh axis in the group list.
struct AxisRef {
  std::string name;
  int64_t pre_size = 1;
  int64_t size = -1;  // -1: the whole axis
};

// 'name' or "name"
Result<std::string> Quoted(TextCursor& s) {
  s.SkipSpaces();
  const std::string_view rest = s.rest();
  if (rest.empty() || (rest[0] != '\'' && rest[0] != '"')) return s.Expected("a quoted axis name");
  const size_t close = rest.find(rest[0], 1);
  if (close == std::string_view::npos) {
    s.Advance(rest.size());
    return s.Expected("a closing quote");
  }
  s.Advance(close + 1);
  return std::string(rest.substr(1, close - 1));
}

Result<std::vector<MeshAxis>> ParseMesh(TextCursor& s) {
  if (!s.Consume("mesh")) return s.Expected("'mesh'");
  if (!s.Consume("[")) return s.Expected("'['");
  std::vector<MeshAxis> axes;
  while (!s.Consume("]")) {
    if (!axes.empty() && !s.Consume(",")) return s.Expected("',' or ']'");
    MeshAxis axis;
    AOIZORA_ASSIGN_OR_RETURN(axis.name, Quoted(s));
    if (!s.Consume("=")) return s.Expected("'='");
    AOIZORA_ASSIGN_OR_RETURN(axis.size, s.Int());
    if (axis.size < 1) return s.Expected("a positive axis size");
    axes.push_back(std::move(axis));
  }
  return axes;
}

// device_ids=([d0,d1,...]T(p0,...)) or device_ids=([n]) ; returns the flattened device order.
Result<std::vector<int64_t>> ParseDeviceIds(TextCursor& s, int64_t total) {
  if (!s.Consume("device_ids")) return s.Expected("'device_ids'");
  if (!s.Consume("=")) return s.Expected("'='");
  if (!s.Consume("(")) return s.Expected("'('");
  std::vector<int64_t> ids;
  if (s.Peek('[')) {
    AOIZORA_ASSIGN_OR_RETURN(auto dims, s.IntList('[', ']'));
    std::vector<int64_t> perm;
    if (s.Consume("T")) {
      AOIZORA_ASSIGN_OR_RETURN(perm, s.IntList('(', ')'));
    }
    AOIZORA_ASSIGN_OR_RETURN(ids, ExpandIota(dims, perm));
  } else {
    // An explicit id list: device_ids=(3,1,0,2)
    while (true) {
      AOIZORA_ASSIGN_OR_RETURN(int64_t v, s.Int());
      ids.push_back(v);
      if (!s.Consume(",")) break;
    }
  }
  if (!s.Consume(")")) return s.Expected("')'");
  if (static_cast<int64_t>(ids.size()) != total)
    return s.Expected("device_ids with " + std::to_string(total) + " ids (the mesh size)");
  return ids;
}

Result<std::vector<AxisRef>> ParseAxisRefs(TextCursor& s) {
  if (!s.Consume("{")) return s.Expected("'{'");
  std::vector<AxisRef> refs;
  while (!s.Consume("}")) {
    if (!refs.empty() && !s.Consume(",")) return s.Expected("',' or '}'");
    AxisRef ref;
    AOIZORA_ASSIGN_OR_RETURN(ref.name, Quoted(s));
    if (s.Consume(":")) {
      if (!s.Consume("(")) return s.Expected("'(' of a sub-axis");
      AOIZORA_ASSIGN_OR_RETURN(ref.pre_size, s.Int());
      if (!s.Consume(")")) return s.Expected("')' of a sub-axis");
      AOIZORA_ASSIGN_OR_RETURN(ref.size, s.Int());
    }
    refs.push_back(std::move(ref));
  }
  return refs;
}

// One factor of a mesh axis after splitting it at every sub-axis boundary.
struct Factor {
  int axis = 0;
  int64_t begin = 1;  // product of the more-major factors of the same axis
  int64_t size = 1;
};

}  // namespace

Result<DeviceGroups> ExpandMeshAxesGroups(std::string_view text) {
  TextCursor s(text, "mesh-axes replica groups", TextCursor::Overflow::kExpectSmaller);
  AOIZORA_ASSIGN_OR_RETURN(auto axes, ParseMesh(s));
  int64_t total = 1;
  for (const auto& a : axes) {
    total *= a.size;
    if (total > (int64_t{1} << 31)) return s.Expected("a smaller mesh");
  }
  std::vector<int64_t> ids(total);
  for (int64_t i = 0; i < total; ++i) ids[i] = i;
  s.Consume(",");
  if (!s.Peek('{')) {
    AOIZORA_ASSIGN_OR_RETURN(ids, ParseDeviceIds(s, total));
  }
  AOIZORA_ASSIGN_OR_RETURN(auto refs, ParseAxisRefs(s));
  if (!s.AtEnd()) return s.Expected("the end of the groups");

  // Split points per axis: every sub-axis boundary (pre, pre*size).
  std::vector<std::vector<int64_t>> cuts(axes.size());
  std::vector<int> ref_axis(refs.size());
  for (size_t r = 0; r < refs.size(); ++r) {
    auto it = std::find_if(axes.begin(), axes.end(),
                           [&](const MeshAxis& a) { return a.name == refs[r].name; });
    if (it == axes.end()) return s.Expected("a mesh axis name, not '" + refs[r].name + "'");
    int a = static_cast<int>(it - axes.begin());
    ref_axis[r] = a;
    if (refs[r].size < 0) continue;
    int64_t end = refs[r].pre_size * refs[r].size;
    if (refs[r].pre_size < 1 || refs[r].size < 1 || axes[a].size % end != 0)
      return s.Expected("a sub-axis (" + std::to_string(refs[r].pre_size) + ")" +
                        std::to_string(refs[r].size) + " that divides axis '" + axes[a].name + "'");
    cuts[a].push_back(refs[r].pre_size);
    cuts[a].push_back(end);
  }
  // Factors of each axis, major to minor; the device array is row-major over all factors.
  std::vector<Factor> factors;
  for (size_t a = 0; a < axes.size(); ++a) {
    auto& c = cuts[a];
    c.push_back(1);
    c.push_back(axes[a].size);
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
    for (size_t i = 0; i + 1 < c.size(); ++i) {
      if (c[i + 1] % c[i] != 0) return s.Expected("nested sub-axes of axis '" + axes[a].name + "'");
      factors.push_back({static_cast<int>(a), c[i], c[i + 1] / c[i]});
    }
  }
  // Which factors each reference covers, in the order listed.
  std::vector<int> group_factors;
  std::vector<bool> in_group(factors.size(), false);
  for (size_t r = 0; r < refs.size(); ++r) {
    int64_t lo = refs[r].size < 0 ? 1 : refs[r].pre_size;
    int64_t hi = refs[r].size < 0 ? axes[ref_axis[r]].size : refs[r].pre_size * refs[r].size;
    for (size_t f = 0; f < factors.size(); ++f) {
      if (factors[f].axis != ref_axis[r] || factors[f].begin < lo ||
          factors[f].begin * factors[f].size > hi)
        continue;
      if (in_group[f]) return s.Expected("each axis listed once, not '" + refs[r].name + "' again");
      in_group[f] = true;
      group_factors.push_back(static_cast<int>(f));
    }
  }
  std::vector<int> outer_factors;
  for (size_t f = 0; f < factors.size(); ++f)
    if (!in_group[f]) outer_factors.push_back(static_cast<int>(f));

  // Row-major strides of the factor array.
  std::vector<int64_t> stride(factors.size(), 1);
  for (int f = static_cast<int>(factors.size()) - 2; f >= 0; --f)
    stride[f] = stride[f + 1] * factors[f + 1].size;
  auto offsets = [&](const std::vector<int>& fs) {
    std::vector<int64_t> out = {0};
    for (int f : fs) {
      std::vector<int64_t> next;
      next.reserve(out.size() * factors[f].size);
      for (int64_t base : out)
        for (int64_t i = 0; i < factors[f].size; ++i) next.push_back(base + i * stride[f]);
      out = std::move(next);
    }
    return out;
  };
  const std::vector<int64_t> outer = offsets(outer_factors);
  const std::vector<int64_t> inner = offsets(group_factors);
  DeviceGroups groups;
  groups.reserve(outer.size());
  for (int64_t o : outer) {
    std::vector<int64_t> group;
    group.reserve(inner.size());
    for (int64_t i : inner) group.push_back(ids[o + i]);
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace aoizora
