#pragma once
// Quantities with their unit in the type name (ASTRA-sim style). All internal values are SI:
// seconds, bytes, bytes per second, FLOPs, FLOP per second. The wrappers are explicit so that a
// bandwidth cannot be passed where a latency is expected; arithmetic that changes the unit is
// written out where it happens (Bytes / Bandwidth -> Seconds).

#include <compare>
#include <cstdint>

namespace aoizora {

struct Seconds {
  double value = 0.0;
  constexpr auto operator<=>(const Seconds&) const = default;
  constexpr Seconds operator+(Seconds other) const { return {value + other.value}; }
  constexpr Seconds operator-(Seconds other) const { return {value - other.value}; }
  constexpr Seconds operator*(double factor) const { return {value * factor}; }
  constexpr Seconds& operator+=(Seconds other) {
    value += other.value;
    return *this;
  }
};

// Bytes as a double so that fractional per-link shares (V/N over k sharers) stay exact enough.
struct Bytes {
  double value = 0.0;
  constexpr auto operator<=>(const Bytes&) const = default;
  constexpr Bytes operator+(Bytes other) const { return {value + other.value}; }
  constexpr Bytes operator*(double factor) const { return {value * factor}; }
  constexpr Bytes& operator+=(Bytes other) {
    value += other.value;
    return *this;
  }
};

struct Bandwidth {  // bytes per second
  double bytes_per_second = 0.0;
  constexpr auto operator<=>(const Bandwidth&) const = default;
};

struct FlopRate {  // FLOP per second
  double flops_per_second = 0.0;
  constexpr auto operator<=>(const FlopRate&) const = default;
};

struct Frequency {  // cycles per second
  double hertz = 0.0;
  constexpr auto operator<=>(const Frequency&) const = default;
};

constexpr Seconds TransferTime(Bytes bytes, Bandwidth bandwidth) {
  return {bytes.value / bandwidth.bytes_per_second};
}

constexpr Seconds ComputeTime(double flops, FlopRate rate) {
  return {flops / rate.flops_per_second};
}

constexpr Seconds Microseconds(double us) { return {us * 1e-6}; }

}  // namespace aoizora
