#include "aoizora/topology/chip_constants.h"

#include <array>
#include <cmath>
#include <sstream>

namespace aoizora {
namespace {

enum class Range { kPositive, kFraction };  // (0, inf) or (0, 1]

struct NamedConstant {
  std::string_view name;
  Range range;
  double (*get)(const ChipSpec&);
  void (*set)(ChipSpec&, double);
};

// One row per calibratable ChipSpec field; names as in the bindings' chip dictionary.
constexpr std::array<NamedConstant, 13> kConstants = {{
    {"bf16_flops_per_second", Range::kPositive,
     [](const ChipSpec& s) { return s.bf16_peak.flops_per_second; },
     [](ChipSpec& s, double v) { s.bf16_peak = {v}; }},
    {"hbm_bytes_per_second", Range::kPositive,
     [](const ChipSpec& s) { return s.hbm_bandwidth.bytes_per_second; },
     [](ChipSpec& s, double v) { s.hbm_bandwidth = {v}; }},
    {"ici_link_one_way_bytes_per_second", Range::kPositive,
     [](const ChipSpec& s) { return s.ici_link_one_way.bytes_per_second; },
     [](ChipSpec& s, double v) { s.ici_link_one_way = {v}; }},
    {"ici_hop_latency_seconds", Range::kPositive,
     [](const ChipSpec& s) { return s.ici_hop_latency.value; },
     [](ChipSpec& s, double v) { s.ici_hop_latency = {v}; }},
    {"collective_fixed_latency_seconds", Range::kPositive,
     [](const ChipSpec& s) { return s.collective_fixed_latency.value; },
     [](ChipSpec& s, double v) { s.collective_fixed_latency = {v}; }},
    {"die_to_die_one_way_bytes_per_second", Range::kPositive,
     [](const ChipSpec& s) { return s.die_to_die_one_way.bytes_per_second; },
     [](ChipSpec& s, double v) { s.die_to_die_one_way = {v}; }},
    {"matmul_efficiency", Range::kFraction, [](const ChipSpec& s) { return s.matmul_efficiency; },
     [](ChipSpec& s, double v) { s.matmul_efficiency = v; }},
    {"attention_efficiency", Range::kFraction,
     [](const ChipSpec& s) { return s.attention_efficiency; },
     [](ChipSpec& s, double v) { s.attention_efficiency = v; }},
    {"hbm_efficiency", Range::kFraction, [](const ChipSpec& s) { return s.hbm_efficiency; },
     [](ChipSpec& s, double v) { s.hbm_efficiency = v; }},
    {"fast_memory_bandwidth_ratio", Range::kPositive,
     [](const ChipSpec& s) { return s.fast_memory_bandwidth_ratio; },
     [](ChipSpec& s, double v) { s.fast_memory_bandwidth_ratio = v; }},
    {"tensorcore_clock_hz", Range::kPositive,
     [](const ChipSpec& s) { return s.tensorcore_clock.hertz; },
     [](ChipSpec& s, double v) { s.tensorcore_clock = {v}; }},
    {"vpu_ops_per_cycle", Range::kPositive, [](const ChipSpec& s) { return s.vpu_ops_per_cycle; },
     [](ChipSpec& s, double v) { s.vpu_ops_per_cycle = v; }},
    {"transcendentals_per_cycle", Range::kPositive,
     [](const ChipSpec& s) { return s.transcendentals_per_cycle; },
     [](ChipSpec& s, double v) { s.transcendentals_per_cycle = v; }},
}};

constexpr std::array<std::string_view, kConstants.size()> kNames = [] {
  std::array<std::string_view, kConstants.size()> names{};
  for (size_t i = 0; i < kConstants.size(); ++i) names[i] = kConstants[i].name;
  return names;
}();

// What the chip is rather than how fast it runs: changing these would change slice shapes,
// device counts or memory verdicts, which no micro-benchmark measures.
constexpr std::array<std::string_view, 9> kStructural = {
    "generation", "device_kind",        "spec_dims",      "max_chips",           "hbm_bytes",
    "mxu_tile",   "ici_links_per_chip", "cores_per_chip", "tensorcores_per_chip"};

const NamedConstant* Find(std::string_view name) {
  for (const NamedConstant& c : kConstants) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string KnownNames() {
  std::string out;
  for (std::string_view name : kNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string Quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

Status CheckOverride(const ChipSpec& base, const NamedConstant& c, double value) {
  std::ostringstream v;
  v << value;
  if (!std::isfinite(value) || value <= 0.0) {
    return InvalidArgument("calibrated constant " + Quoted(c.name) + " must be positive, got " +
                           v.str());
  }
  if (c.range == Range::kFraction && value > 1.0) {
    return InvalidArgument("calibrated constant " + Quoted(c.name) +
                           " is a fraction of peak and must be at most 1, got " + v.str());
  }
  if (c.get(base) == 0.0) {  // a link or unit this chip does not have
    return InvalidArgument("calibrated constant " + Quoted(c.name) + " does not apply to " +
                           std::string(base.name) + " (it has none)");
  }
  return OkStatus();
}

}  // namespace

std::span<const std::string_view> CalibratableConstantNames() { return kNames; }

Result<double> ConstantValue(const ChipSpec& spec, std::string_view name) {
  const NamedConstant* c = Find(name);
  if (c == nullptr) {
    return InvalidArgument("unknown chip constant " + Quoted(name) +
                           "; calibratable: " + KnownNames());
  }
  return c->get(spec);
}

Result<ChipSpec> ApplyConstantOverrides(const ChipSpec& base,
                                        std::span<const ConstantOverride> overrides) {
  ChipSpec out = base;
  for (const ConstantOverride& o : overrides) {
    const NamedConstant* c = Find(o.name);
    if (c == nullptr) {
      for (std::string_view s : kStructural) {
        if (s == o.name) {
          return InvalidArgument("chip constant " + Quoted(o.name) +
                                 " is structural (what the chip is) and cannot be calibrated; "
                                 "calibratable: " +
                                 KnownNames());
        }
      }
      return InvalidArgument("unknown chip constant " + Quoted(o.name) +
                             "; calibratable: " + KnownNames());
    }
    if (Status s = CheckOverride(base, *c, o.value); !s.ok()) return s.error();
    c->set(out, o.value);
  }
  return out;
}

}  // namespace aoizora
