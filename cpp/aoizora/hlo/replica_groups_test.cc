// Replica groups in every printed form and the four device-id modes (hlo-text.md 6.3).

#include "aoizora/hlo/replica_groups.h"

#include <gtest/gtest.h>

#include "aoizora/hlo/test_util.h"

namespace aoizora::hlo {
namespace {

ReplicaGroups GroupsOf(const std::string& attribute) {
  Module module = testing::ParseOrDie(
      "ENTRY e {\n  p = f32[8]{0} parameter(0)\n  ROOT a = f32[8]{0} all-reduce(p), " + attribute +
      ", to_apply=e\n}\n");
  if (module.entry == nullptr || !module.entry->root()->replica_groups) return {};
  return *module.entry->root()->replica_groups;
}

GroupList Expanded(const std::string& attribute) {
  Result<GroupList> groups = GroupsOf(attribute).Expand();
  EXPECT_TRUE(groups.ok()) << attribute;
  return groups.ok() ? *groups : GroupList{};
}

TEST(ReplicaGroupsTest, ExplicitForms) {
  EXPECT_EQ(Expanded("replica_groups={}"), GroupList{});
  EXPECT_EQ(Expanded("replica_groups={{0}}"), (GroupList{{0}}));
  EXPECT_EQ(Expanded("replica_groups={{0,1},{2,3}}"), (GroupList{{0, 1}, {2, 3}}));
}

TEST(ReplicaGroupsTest, IotaForms) {
  EXPECT_EQ(Expanded("replica_groups=[1,4]<=[4]"), (GroupList{{0, 1, 2, 3}}));
  EXPECT_EQ(Expanded("replica_groups=[2,4]<=[8]"), (GroupList{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_EQ(Expanded("replica_groups=[4,2]<=[2,4]T(1,0)"),
            (GroupList{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
  EXPECT_EQ(GroupsOf("replica_groups=[4,2]<=[2,4]T(1,0)").raw, "[4,2]<=[2,4]T(1,0)");
}

TEST(ReplicaGroupsTest, MeshAxesForms) {
  // Mesh x=2, y=4 (devices iota over (x, y)): grouping over y gives the mesh rows.
  EXPECT_EQ(Expanded("replica_groups=mesh['x'=2,'y'=4] {'y'}"),
            (GroupList{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_EQ(Expanded("replica_groups=mesh['x'=2,'y'=4] {'x'}"),
            (GroupList{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
  // Both axes, listed y first: group order follows the list.
  EXPECT_EQ(Expanded("replica_groups=mesh['x'=2,'y'=2] {'y','x'}"), (GroupList{{0, 2, 1, 3}}));
  // Sub-axis 'y':(2)2 of y=4: y splits major-to-minor as [pre=2, size=2, rest=1], y = 2*i0 + i1,
  // and the group varies i1 (the minor factor here).
  EXPECT_EQ(Expanded("replica_groups=mesh['y'=4] {'y':(2)2}"), (GroupList{{0, 1}, {2, 3}}));
  EXPECT_FALSE(GroupsOf("replica_groups=mesh['x'=2] {'z'}").Expand().ok());
}

TEST(ReplicaGroupsTest, MeshAxesWithDeviceOrder) {
  // device_ids=([2,4]T(1,0)) = arange(8).reshape(2,4).T = 0,4,1,5,2,6,3,7 at mesh positions
  // a0 * 2 + a2; grouping over axis_0 takes positions {0,2,4,6} and {1,3,5,7}.
  const std::string attribute =
      "replica_groups=mesh['axis_0'=4,'axis_1'=1,'axis_2'=2], device_ids=([2,4]T(1,0)) {'axis_0'}";
  EXPECT_EQ(GroupsOf(attribute).mesh_device_ids, (std::vector<int64_t>{0, 4, 1, 5, 2, 6, 3, 7}));
  EXPECT_EQ(Expanded(attribute), (GroupList{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  // An explicit device order.
  EXPECT_EQ(Expanded("replica_groups=mesh['x'=2,'y'=2], device_ids=(3,2,1,0) {'y'}"),
            (GroupList{{3, 2}, {1, 0}}));
  EXPECT_FALSE(
      GroupsOf("replica_groups=mesh['x'=2,'y'=2], device_ids=(3,2,1) {'y'}").Expand().ok());
}

TEST(ReplicaGroupsTest, DeviceIdModes) {
  EXPECT_EQ(GetCollectiveOpGroupMode(false, std::nullopt).value(),
            CollectiveOpGroupMode::kCrossReplica);
  EXPECT_EQ(GetCollectiveOpGroupMode(false, false).value(), CollectiveOpGroupMode::kCrossReplica);
  EXPECT_EQ(GetCollectiveOpGroupMode(true, std::nullopt).value(),
            CollectiveOpGroupMode::kCrossPartition);
  EXPECT_EQ(GetCollectiveOpGroupMode(true, false).value(),
            CollectiveOpGroupMode::kCrossReplicaAndPartition);
  EXPECT_EQ(GetCollectiveOpGroupMode(true, true).value(), CollectiveOpGroupMode::kFlattenedId);
  EXPECT_FALSE(GetCollectiveOpGroupMode(false, true).ok());
}

TEST(ReplicaGroupsTest, LogicalIdsPerMode) {
  // 3 replicas x 2 partitions; logical id = replica * 2 + partition.
  // kCrossReplica {{0},{1,2}}: per partition p, {0*2+p}, {1*2+p, 2*2+p}.
  EXPECT_EQ(LogicalDeviceGroups({{0}, {1, 2}}, CollectiveOpGroupMode::kCrossReplica, 3, 2).value(),
            (GroupList{{0}, {2, 4}, {1}, {3, 5}}));
  // kCrossPartition {{0,1}}: per replica r, {2r, 2r+1}.
  EXPECT_EQ(LogicalDeviceGroups({{0, 1}}, CollectiveOpGroupMode::kCrossPartition, 3, 2).value(),
            (GroupList{{0, 1}, {2, 3}, {4, 5}}));
  // kCrossReplicaAndPartition {{0},{1,2}}: all partitions of those replicas.
  EXPECT_EQ(
      LogicalDeviceGroups({{0}, {1, 2}}, CollectiveOpGroupMode::kCrossReplicaAndPartition, 3, 2)
          .value(),
      (GroupList{{0, 1}, {2, 3, 4, 5}}));
  // kFlattenedId: ids as written.
  EXPECT_EQ(
      LogicalDeviceGroups({{0, 5}, {1, 4}}, CollectiveOpGroupMode::kFlattenedId, 3, 2).value(),
      (GroupList{{0, 5}, {1, 4}}));
  // Empty = everyone in the domain.
  EXPECT_EQ(LogicalDeviceGroups({}, CollectiveOpGroupMode::kCrossPartition, 1, 4).value(),
            (GroupList{{0, 1, 2, 3}}));
  EXPECT_FALSE(LogicalDeviceGroups({}, CollectiveOpGroupMode::kFlattenedId, 1, 4).ok());
  // Out-of-range ids name the id.
  Result<GroupList> bad =
      LogicalDeviceGroups({{0, 9}}, CollectiveOpGroupMode::kCrossPartition, 1, 4);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("9"), std::string::npos);
}

}  // namespace
}  // namespace aoizora::hlo
