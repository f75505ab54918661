#include "aoizora/program/mesh_axes_groups.h"

#include <gtest/gtest.h>

namespace aoizora {
namespace {

DeviceGroups Expand(std::string_view text) {
  auto r = ExpandMeshAxesGroups(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : DeviceGroups{};
}

TEST(MeshAxesGroups, MinorAxisGivesRows) {
  // Mesh (2,4) iota: [[0,1,2,3],[4,5,6,7]]; varying axis_1 gives the rows.
  EXPECT_EQ(Expand("mesh['axis_0'=2,'axis_1'=4] {'axis_1'}"),
            (DeviceGroups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
}

TEST(MeshAxesGroups, MajorAxisGivesColumns) {
  EXPECT_EQ(Expand("mesh['axis_0'=2,'axis_1'=4] {'axis_0'}"),
            (DeviceGroups{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
}

TEST(MeshAxesGroups, DeviceIdsTransposed) {
  // ids = iota(2,4).T = [0,4,1,5,2,6,3,7] on mesh (4,1,2): d[a0,0,a2] = ids[2*a0 + a2].
  EXPECT_EQ(Expand("mesh['axis_0'=4,'axis_1'=1,'axis_2'=2], device_ids=([2,4]T(1,0)) {'axis_0'}"),
            (DeviceGroups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_EQ(Expand("mesh['axis_0'=4,'axis_1'=1,'axis_2'=2], device_ids=([2,4]T(1,0)) {'axis_2'}"),
            (DeviceGroups{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
}

TEST(MeshAxesGroups, SeveralAxesInListedOrder) {
  // Mesh (2,2,2) iota; group over {c, a}: members vary c fastest... listed order c then a means
  // c is the major index inside the group.
  EXPECT_EQ(Expand("mesh['a'=2,'b'=2,'c'=2] {'c','a'}"),
            (DeviceGroups{{0, 4, 1, 5}, {2, 6, 3, 7}}));
  EXPECT_EQ(Expand("mesh['a'=2,'b'=2,'c'=2] {}"),
            (DeviceGroups{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}));
}

TEST(MeshAxesGroups, SubAxis) {
  // Axis x of size 8 split [2,4]: 'x':(2)4 is the minor factor of size 4.
  EXPECT_EQ(Expand("mesh['x'=8] {'x':(2)4}"), (DeviceGroups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  // 'x':(1)2 is the major factor: ids 0 and 4 differ in it.
  EXPECT_EQ(Expand("mesh['x'=8] {'x':(1)2}"), (DeviceGroups{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
}

TEST(MeshAxesGroups, ErrorsNameTheProblem) {
  auto unknown = ExpandMeshAxesGroups("mesh['x'=4] {'y'}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("'y'"), std::string::npos);
  EXPECT_FALSE(ExpandMeshAxesGroups("mesh['x'=4").ok());
  EXPECT_FALSE(ExpandMeshAxesGroups("mesh['x'=4] {'x':(3)2}").ok());
  EXPECT_FALSE(ExpandMeshAxesGroups("mesh['x'=4], device_ids=([8]) {'x'}").ok());
  EXPECT_FALSE(ExpandMeshAxesGroups("").ok());
}

}  // namespace
}  // namespace aoizora
