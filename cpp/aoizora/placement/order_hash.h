#pragma once
// A 128-bit fingerprint of a device order, for deduplicating placements without storing them: the
// spaces of 16x16 slices hold 10^5 placements of 256 devices, whose orders would take hundreds of
// MB. Two independent 64-bit hashes make a collision (which would silently merge two placements)
// about 2^-100 likely for a million placements.

#include <cstddef>
#include <cstdint>

namespace aoizora::placement {

struct OrderHash {
  uint64_t a = 0;
  uint64_t b = 0;
  bool operator==(const OrderHash&) const = default;
};

struct OrderHashHasher {
  size_t operator()(const OrderHash& h) const { return static_cast<size_t>(h.a ^ (h.b << 1)); }
};

inline uint64_t Mix64(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

inline OrderHash HashOrder(const int32_t* order, int64_t n) {
  uint64_t a = 0x243f6a8885a308d3ull;
  uint64_t b = 0x13198a2e03707344ull;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t v = static_cast<uint32_t>(order[i]);
    a = (a ^ v) * 0x100000001b3ull;
    a ^= a >> 29;
    b = Mix64(b + v + 0x9e3779b97f4a7c15ull);
  }
  return {Mix64(a ^ static_cast<uint64_t>(n)), b};
}

}  // namespace aoizora::placement
