#pragma once
// Size limits that keep hostile or corrupt HLO text from allocating without bound: device lists
// (shardings, replica groups, mesh device ids) are expanded eagerly into dense vectors.

#include <cstdint>
#include <optional>
#include <vector>

namespace aoizora::hlo {

// More logical devices than any TPU/GPU system has (the largest TPU pods have ~9k chips).
inline constexpr int64_t kMaxDevices = int64_t{1} << 20;

// The product of `dims` if every dim is positive and the product is at most kMaxDevices.
inline std::optional<int64_t> DeviceCount(const std::vector<int64_t>& dims) {
  int64_t product = 1;
  for (int64_t d : dims) {
    if (d <= 0 || d > kMaxDevices) return std::nullopt;
    product *= d;
    if (product > kMaxDevices) return std::nullopt;
  }
  return product;
}

}  // namespace aoizora::hlo
