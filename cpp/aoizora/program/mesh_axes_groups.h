#pragma once
// Replica groups in XLA's mesh-axes ("V3") text form, which libtpu prints for some collectives:
//
//   mesh['axis_0'=2,'axis_1'=4] {'axis_1'}
//   mesh['axis_0'=4,'axis_1'=1,'axis_2'=2], device_ids=([2,4]T(1,0)) {'axis_0'}
//   mesh['x'=8] {'x':(2)4}            (sub-axis: pre-size 2, size 4 of axis x)
//
// Meaning: the logical device ids laid out on the mesh (row-major over the listed axes; iota, or
// the iota expansion given by device_ids), and one group per combination of the axes *not*
// listed in braces, the group's members varying over the listed axes (row-major, in the order
// listed). A sub-axis 'x':(p)s is the middle factor of x split as [p, s, size(x)/(p*s)].
// Verified against our TPU fixtures: the groups equal those the CPU backend prints explicitly
// for the same programs (tests/data/hlo/generated).

#include <string_view>

#include "aoizora/comm/collective.h"
#include "aoizora/util/result.h"

namespace aoizora {

// Parses and expands the text above (everything after `replica_groups=`). Errors name the text
// and the column.
Result<DeviceGroups> ExpandMeshAxesGroups(std::string_view text);

}  // namespace aoizora
