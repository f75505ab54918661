#include "aoizora/program/compiler_estimate.h"

#include <cctype>

namespace aoizora {
namespace {

constexpr std::string_view kKey = "\"estimated_cycles\"";
constexpr int kMaxDigits = 15;  // < 2^53: every such integer is exact in a double

size_t SkipSpaces(std::string_view text, size_t pos) {
  while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  return pos;
}

}  // namespace

std::optional<double> ParseEstimatedCycles(std::string_view text) {
  const size_t key = text.find(kKey);
  if (key == std::string_view::npos) return std::nullopt;
  size_t pos = SkipSpaces(text, key + kKey.size());
  if (pos >= text.size() || text[pos] != ':') return std::nullopt;
  pos = SkipSpaces(text, pos + 1);
  const bool quoted = pos < text.size() && text[pos] == '"';
  if (quoted) ++pos;
  const size_t first = pos;
  double value = 0.0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    value = value * 10.0 + (text[pos] - '0');
    ++pos;
  }
  const size_t digits = pos - first;
  if (digits == 0 || digits > kMaxDigits) return std::nullopt;
  // The number must end where the JSON value ends: "12e3", "12.5" or "12x" are not cycles.
  if (quoted) {
    if (pos >= text.size() || text[pos] != '"') return std::nullopt;
  } else {
    const size_t end = SkipSpaces(text, pos);
    if (end < text.size() && text[end] != ',' && text[end] != '}') return std::nullopt;
  }
  return value;
}

}  // namespace aoizora
