#pragma once
// A collective as the communication model sees it: what kind, how many bytes, which logical
// devices take part. This is the contract between the step program (program/, built from HLO) and
// the communication model (comm/): the program names devices by logical id (partition id in the
// compiled HLO); a placement (logical id -> physical device) decides which links they use.

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace aoizora {

enum class CollectiveKind {
  kAllGather,
  kReduceScatter,
  kAllReduce,
  kAllToAll,
  kCollectivePermute,
};

// "all-gather", "reduce-scatter", "all-reduce", "all-to-all", "collective-permute" (HLO opcodes).
std::string_view CollectiveKindName(CollectiveKind kind);
std::optional<CollectiveKind> CollectiveKindFromName(std::string_view name);

// Device groups in logical ids: every group runs the collective at the same time.
using DeviceGroups = std::vector<std::vector<int64_t>>;
// collective-permute: each pair sends `array_bytes` from source to target.
using SourceTargetPairs = std::vector<std::pair<int64_t, int64_t>>;

struct Collective {
  CollectiveKind kind = CollectiveKind::kAllGather;
  // V in shared/reference/tpu-hardware.md section 3: the full array per group. All-gather: the
  // gathered result; reduce-scatter: the operand before scattering; all-reduce: the buffer;
  // all-to-all: the whole array across the group (group size x per-device buffer);
  // collective-permute: the bytes each pair sends.
  double array_bytes = 0.0;
  DeviceGroups groups;      // empty for collective-permute
  SourceTargetPairs pairs;  // only for collective-permute
};

// V from the per-device HLO payload (hlo-text.md section 7 "payload": all-gather result R,
// reduce-scatter operand I, all-reduce buffer B, all-to-all buffer B, permute operand P).
double ArrayBytesFromPayload(CollectiveKind kind, double payload_bytes, int64_t group_size);

// Bytes each device sends (= receives), hlo-text.md section 7 table: (G-1)/G of the payload
// (2x for all-reduce); the payload itself for collective-permute.
double BytesSentPerDevice(CollectiveKind kind, double payload_bytes, int64_t group_size);

}  // namespace aoizora
