#include "aoizora/comm/collective.h"

namespace aoizora {

std::string_view CollectiveKindName(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::kAllGather:
      return "all-gather";
    case CollectiveKind::kReduceScatter:
      return "reduce-scatter";
    case CollectiveKind::kAllReduce:
      return "all-reduce";
    case CollectiveKind::kAllToAll:
      return "all-to-all";
    case CollectiveKind::kCollectivePermute:
      return "collective-permute";
  }
  return "unknown";
}

std::optional<CollectiveKind> CollectiveKindFromName(std::string_view name) {
  for (CollectiveKind kind :
       {CollectiveKind::kAllGather, CollectiveKind::kReduceScatter, CollectiveKind::kAllReduce,
        CollectiveKind::kAllToAll, CollectiveKind::kCollectivePermute}) {
    if (CollectiveKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

double ArrayBytesFromPayload(CollectiveKind kind, double payload_bytes, int64_t group_size) {
  if (kind == CollectiveKind::kAllToAll) return payload_bytes * static_cast<double>(group_size);
  return payload_bytes;
}

double BytesSentPerDevice(CollectiveKind kind, double payload_bytes, int64_t group_size) {
  if (kind == CollectiveKind::kCollectivePermute) return payload_bytes;
  if (group_size <= 1) return 0.0;
  const double fraction = static_cast<double>(group_size - 1) / static_cast<double>(group_size);
  const double factor = kind == CollectiveKind::kAllReduce ? 2.0 : 1.0;
  return factor * fraction * payload_bytes;
}

}  // namespace aoizora
