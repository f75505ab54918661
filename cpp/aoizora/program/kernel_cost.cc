#include "aoizora/program/kernel_cost.h"

#include <cctype>
#include <string>
#include <vector>

namespace aoizora {
namespace {

constexpr std::string_view kKey = "\"cost_estimate\"";

size_t SkipSpaces(std::string_view text, size_t pos) {
  while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  return pos;
}

// The `{...}` object that follows `"cost_estimate":`, without nested objects (it has none).
std::optional<std::string_view> CostObject(std::string_view text) {
  const size_t key = text.find(kKey);
  if (key == std::string_view::npos) return std::nullopt;
  size_t pos = SkipSpaces(text, key + kKey.size());
  if (pos >= text.size() || text[pos] != ':') return std::nullopt;
  pos = SkipSpaces(text, pos + 1);
  if (pos >= text.size() || text[pos] != '{') return std::nullopt;
  const size_t end = text.find('}', pos);
  if (end == std::string_view::npos) return std::nullopt;
  return text.substr(pos + 1, end - pos - 1);
}

// `"name": 123` or `"name":"123"` inside the object.
std::optional<double> Field(std::string_view object, std::string_view name) {
  const std::string quoted = "\"" + std::string(name) + "\"";
  const size_t at = object.find(quoted);
  if (at == std::string_view::npos) return std::nullopt;
  size_t pos = SkipSpaces(object, at + quoted.size());
  if (pos >= object.size() || object[pos] != ':') return std::nullopt;
  pos = SkipSpaces(object, pos + 1);
  if (pos < object.size() && object[pos] == '"') ++pos;
  const size_t first = pos;
  double value = 0.0;
  while (pos < object.size() && std::isdigit(static_cast<unsigned char>(object[pos]))) {
    value = value * 10.0 + (object[pos] - '0');
    ++pos;
  }
  if (pos == first || pos - first > 30) return std::nullopt;  // no digits, or absurdly long
  return value;
}

}  // namespace

std::optional<KernelCostEstimate> ParseKernelCostEstimate(std::string_view backend_config) {
  const auto object = CostObject(backend_config);
  if (!object) return std::nullopt;
  const auto flops = Field(*object, "flops");
  const auto transcendentals = Field(*object, "transcendentals");
  const auto bytes = Field(*object, "bytes_accessed");
  if (!flops || !transcendentals || !bytes) return std::nullopt;
  return KernelCostEstimate{*flops, *transcendentals, *bytes};
}

namespace {

// Compiled modules name the call after the kernel ("splash_mha_fwd_segmented_residuals.1") and
// keep it in op_name; lowered (pre-compile) modules name neither, but carry the kernel's block
// sizes as frontend attribute kernel_metadata, whose fields are splash's BlockSizes.
bool IsSplashForward(const hlo::Instruction& call) {
  auto names = [](std::string_view text) {
    return text.find("splash_mha_fwd") != std::string_view::npos;
  };
  if (names(call.name) || (call.metadata && names(call.metadata->op_name))) return true;
  for (const auto& [key, value] : call.frontend_attributes) {
    if (key == "kernel_metadata" && value.find("block_kv_compute") != std::string::npos &&
        value.find("use_fused_bwd_kernel") != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool IsFloat(std::string_view element_type) {
  return element_type == "bf16" || element_type == "f16" || element_type == "f32" ||
         element_type.starts_with("f8");
}

}  // namespace

std::optional<KernelCostEstimate> InferAttentionKernelCost(const hlo::Instruction& call) {
  if (!IsSplashForward(call)) return std::nullopt;
  // q, k, v: the first three floating-point operands of rank >= 3, [batch..., heads, length, d]
  // (vmap over a batch adds leading dims). Leading dims multiply into independent heads.
  struct Operand {
    double heads = 1.0;
    int64_t length = 0;
    int64_t head_dim = 0;
  };
  std::vector<Operand> qkv;
  for (const hlo::Instruction* operand : call.operands) {
    if (operand == nullptr) continue;
    const hlo::Shape& shape = operand->shape;
    if (shape.is_tuple || shape.rank() < 3 || !IsFloat(shape.element_type)) continue;
    Operand o;
    for (int64_t d : shape.dims) {
      if (d <= 0) return std::nullopt;
    }
    for (size_t i = 0; i + 2 < shape.dims.size(); ++i)
      o.heads *= static_cast<double>(shape.dims[i]);
    o.length = shape.dims[shape.dims.size() - 2];
    o.head_dim = shape.dims.back();
    qkv.push_back(o);
    if (qkv.size() == 3) break;
  }
  if (qkv.size() != 3) return std::nullopt;
  const Operand& q = qkv[0];
  const Operand& k = qkv[1];
  const Operand& v = qkv[2];
  // Multi-head attention: one K/V head per query head, K and V of one length.
  if (q.heads != k.heads || k.heads != v.heads || k.length != v.length ||
      q.head_dim != k.head_dim) {
    return std::nullopt;
  }
  const double scores = q.heads * static_cast<double>(q.length) * static_cast<double>(k.length);
  KernelCostEstimate cost;
  cost.flops = 2.0 * scores * static_cast<double>(q.head_dim + v.head_dim);
  cost.transcendentals = scores;
  return cost;
}

}  // namespace aoizora
