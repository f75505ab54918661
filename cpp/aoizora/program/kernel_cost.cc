#include "aoizora/program/kernel_cost.h"

#include <cctype>
#include <string>

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

}  // namespace aoizora
