#include "aoizora/placement/traversal.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <vector>

namespace aoizora::placement {
namespace {

using Points = std::vector<std::vector<int64_t>>;

Points Unflatten(const std::vector<int64_t>& flat, size_t k) {
  Points out;
  for (size_t i = 0; i < flat.size(); i += k)
    out.emplace_back(flat.begin() + i, flat.begin() + i + k);
  return out;
}

// Sum over digits of |a - b|: 1 means a single unit step of one digit.
int64_t Steps(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  int64_t d = 0;
  for (size_t t = 0; t < a.size(); ++t) d += std::llabs(a[t] - b[t]);
  return d;
}

void ExpectVisitsAll(const Points& points, const std::vector<int64_t>& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  ASSERT_EQ(static_cast<int64_t>(points.size()), n);
  std::set<std::vector<int64_t>> distinct(points.begin(), points.end());
  EXPECT_EQ(static_cast<int64_t>(distinct.size()), n);
  for (const auto& p : points) {
    for (size_t t = 0; t < sizes.size(); ++t) {
      EXPECT_GE(p[t], 0);
      EXPECT_LT(p[t], sizes[t]);
    }
  }
}

TEST(TraversalTest, RasterIsMixedRadixFirstDigitFastest) {
  auto digits = TraverseDigits(Traversal::kRaster, {2, 3});
  ASSERT_TRUE(digits.has_value());
  EXPECT_EQ(Unflatten(*digits, 2), (Points{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}, {1, 2}}));
}

TEST(TraversalTest, SnakeReversesOddRows) {
  auto digits = TraverseDigits(Traversal::kSnake, {3, 2});
  ASSERT_TRUE(digits.has_value());
  EXPECT_EQ(Unflatten(*digits, 2), (Points{{0, 0}, {1, 0}, {2, 0}, {2, 1}, {1, 1}, {0, 1}}));
}

TEST(TraversalTest, SnakeOnOneSegmentIsRasterSoNotOffered) {
  EXPECT_FALSE(TraverseDigits(Traversal::kSnake, {8}).has_value());
}

TEST(TraversalTest, SnakeStepsAreUnitInEveryShape) {
  for (const std::vector<int64_t>& sizes :
       {std::vector<int64_t>{2, 2}, {4, 4}, {3, 5}, {2, 3, 4}, {4, 2, 2}, {3, 3, 3}}) {
    auto digits = TraverseDigits(Traversal::kSnake, sizes);
    ASSERT_TRUE(digits.has_value());
    Points points = Unflatten(*digits, sizes.size());
    ExpectVisitsAll(points, sizes);
    for (size_t i = 1; i < points.size(); ++i) EXPECT_EQ(Steps(points[i - 1], points[i]), 1);
  }
}

TEST(TraversalTest, RingOnTwoByTwoIsTheSquare) {
  auto digits = TraverseDigits(Traversal::kRing, {2, 2});
  ASSERT_TRUE(digits.has_value());
  EXPECT_EQ(Unflatten(*digits, 2), (Points{{0, 0}, {1, 0}, {1, 1}, {0, 1}}));
}

TEST(TraversalTest, RingClosesWithUnitStepsOnEvenGrids) {
  for (const std::vector<int64_t>& sizes : {std::vector<int64_t>{2, 4},
                                            {4, 2},
                                            {4, 4},
                                            {3, 4},
                                            {4, 3},
                                            {2, 3},
                                            {3, 2},
                                            {2, 2, 2},
                                            {3, 3, 2},
                                            {4, 4, 4},
                                            {16, 16}}) {
    auto digits = TraverseDigits(Traversal::kRing, sizes);
    ASSERT_TRUE(digits.has_value());
    Points points = Unflatten(*digits, sizes.size());
    ExpectVisitsAll(points, sizes);
    for (size_t i = 0; i < points.size(); ++i) {
      EXPECT_EQ(Steps(points[i], points[(i + 1) % points.size()]), 1) << "index " << i;
    }
  }
}

TEST(TraversalTest, NoRingOnOddGrids) {
  EXPECT_FALSE(TraverseDigits(Traversal::kRing, {3, 3}).has_value());
  EXPECT_FALSE(TraverseDigits(Traversal::kRing, {2}).has_value());
}

TEST(TraversalTest, RingOnALineIsFolded) {
  auto digits = TraverseDigits(Traversal::kRing, {5});
  ASSERT_TRUE(digits.has_value());
  EXPECT_EQ(*digits, (std::vector<int64_t>{0, 2, 4, 3, 1}));
  digits = TraverseDigits(Traversal::kRing, {4});
  ASSERT_TRUE(digits.has_value());
  EXPECT_EQ(*digits, (std::vector<int64_t>{0, 2, 3, 1}));
}

}  // namespace
}  // namespace aoizora::placement
