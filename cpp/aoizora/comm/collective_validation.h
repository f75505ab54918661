#pragma once
// Input checks for the communication model, kept apart from the hot path (CommModel::Estimate
// trusts its input; Cost() runs these first).

#include "aoizora/comm/collective.h"
#include "aoizora/comm/placement.h"
#include "aoizora/topology/topology.h"
#include "aoizora/util/result.h"

namespace aoizora {

// Bytes finite and >= 0; placement valid; every device id in [0, logical devices); no device twice
// across the groups; groups non-empty (an empty group list means one group of every logical
// device, as in HLO); collective-permute: pairs only, no source or target twice.
Status ValidateCollective(const Topology& topology, const Collective& collective,
                          const DeviceIds& placement);

}  // namespace aoizora
