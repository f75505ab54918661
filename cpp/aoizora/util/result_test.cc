#include "aoizora/util/result.h"

#include <gtest/gtest.h>

#include <string>

#include "aoizora/util/units.h"

namespace aoizora {
namespace {

Result<int> ParsePositive(int x) {
  if (x <= 0) return InvalidArgument("expected a positive value, got " + std::to_string(x));
  return x;
}

Result<int> Doubled(int x) {
  AOIZORA_ASSIGN_OR_RETURN(int v, ParsePositive(x));
  return 2 * v;
}

Status CheckBoth(int a, int b) {
  AOIZORA_RETURN_IF_ERROR(ParsePositive(a));
  AOIZORA_RETURN_IF_ERROR(ParsePositive(b));
  return OkStatus();
}

TEST(ResultTest, CarriesValue) {
  Result<int> r = Doubled(21);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
}

TEST(ResultTest, PropagatesErrorWithMessage) {
  Result<int> r = Doubled(-3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().ToString(), "invalid argument: expected a positive value, got -3");
}

TEST(ResultTest, StatusStopsAtFirstError) {
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  Status s = CheckBoth(1, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("got 0"), std::string::npos);
}

TEST(UnitsTest, TransferTimeIsBytesOverBandwidth) {
  Seconds t = TransferTime(Bytes{4.5e10}, Bandwidth{4.5e10});
  EXPECT_DOUBLE_EQ(t.value, 1.0);
  EXPECT_DOUBLE_EQ(Microseconds(2.5).value, 2.5e-6);
}

}  // namespace
}  // namespace aoizora
