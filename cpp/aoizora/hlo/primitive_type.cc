#include "aoizora/hlo/primitive_type.h"

#include <array>

namespace aoizora::hlo {
namespace {

// xla/xla_data.proto PrimitiveType, as printed by primitive_util::LowercasePrimitiveTypeName.
constexpr std::array<PrimitiveTypeInfo, 31> kTypes = {{
    {"pred", 1, 1, false},         {"s2", 1, 2, false},        {"s4", 1, 4, false},
    {"s8", 1, 8, false},           {"s16", 2, 16, false},      {"s32", 4, 32, false},
    {"s64", 8, 64, false},         {"u2", 1, 2, false},        {"u4", 1, 4, false},
    {"u8", 1, 8, false},           {"u16", 2, 16, false},      {"u32", 4, 32, false},
    {"u64", 8, 64, false},         {"f16", 2, 16, true},       {"bf16", 2, 16, true},
    {"f32", 4, 32, true},          {"f64", 8, 64, true},       {"c64", 8, 64, true},
    {"c128", 16, 128, true},       {"f8e5m2", 1, 8, true},     {"f8e4m3fn", 1, 8, true},
    {"f8e4m3b11fnuz", 1, 8, true}, {"f8e5m2fnuz", 1, 8, true}, {"f8e4m3fnuz", 1, 8, true},
    {"f8e4m3", 1, 8, true},        {"f8e3m4", 1, 8, true},     {"f8e8m0fnu", 1, 8, true},
    {"f4e2m1fn", 1, 4, true},      {"token", 0, 0, false},     {"opaque", 0, 0, false},
    {"tuple", 0, 0, false},
}};

}  // namespace

std::optional<PrimitiveTypeInfo> FindPrimitiveType(std::string_view name) {
  for (const PrimitiveTypeInfo& info : kTypes) {
    if (info.name == name) return info;
  }
  return std::nullopt;
}

}  // namespace aoizora::hlo
