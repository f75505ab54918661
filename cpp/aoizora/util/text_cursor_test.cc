#include "aoizora/util/text_cursor.h"

#include <gtest/gtest.h>

namespace aoizora {
namespace {

using Overflow = TextCursor::Overflow;

TEST(TextCursorTest, ConsumesTokensAcrossSpaces) {
  TextCursor c("  <= T ", "demo", Overflow::kTooLarge);
  EXPECT_FALSE(c.Consume("<=="));
  EXPECT_EQ(c.pos(), 2u);  // a failed Consume still skips the leading spaces
  EXPECT_TRUE(c.Consume("<="));
  EXPECT_EQ(c.pos(), 4u);
  EXPECT_FALSE(c.AtEnd());
  EXPECT_TRUE(c.Peek('T'));
  EXPECT_EQ(c.pos(), 5u);  // Peek does not consume
  EXPECT_TRUE(c.Consume("T"));
  EXPECT_TRUE(c.AtEnd());
  EXPECT_EQ(c.pos(), 7u);
}

TEST(TextCursorTest, ReadsIntListsWithSpacesAndEmptyLists) {
  TextCursor c("[4, 2 ]( )", "demo", Overflow::kTooLarge);
  auto dims = c.IntList('[', ']');
  ASSERT_TRUE(dims.ok()) << dims.error().ToString();
  EXPECT_EQ(*dims, (std::vector<int64_t>{4, 2}));
  auto empty = c.IntList('(', ')');
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_TRUE(c.AtEnd());
}

TEST(TextCursorTest, ErrorsNameSubjectTextAndColumn) {
  TextCursor c("[4;2]", "demo groups", Overflow::kTooLarge);
  auto r = c.IntList('[', ']');
  ASSERT_FALSE(r.ok());
  // The ';' is the third character.
  EXPECT_EQ(r.error().message(), "bad demo groups '[4;2]': expected ',' or ']' at column 3");
  TextCursor missing("x", "demo", Overflow::kTooLarge);
  auto no_open = missing.IntList('(', ')');
  ASSERT_FALSE(no_open.ok());
  EXPECT_EQ(no_open.error().message(), "bad demo 'x': expected ( at column 1");
  TextCursor no_number("[ ,]", "demo", Overflow::kTooLarge);
  auto nan = no_number.IntList('[', ']');
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.error().message(), "bad demo '[ ,]': expected a number at column 3");
}

TEST(TextCursorTest, OverflowIsReportedInTheCallersWording) {
  // 2^40 = 1099511627776 (13 digits); after 13 digits of 9s the value passes 2^40, so the 14th
  // digit (column 15 after the '[') is refused.
  const std::string text = "[99999999999999]";
  TextCursor too_large(text, "demo", Overflow::kTooLarge);
  auto a = too_large.IntList('[', ']');
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message(), "number too large at column 2");
  TextCursor smaller(text, "demo", Overflow::kExpectSmaller);
  auto b = smaller.IntList('[', ']');
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message(),
            "bad demo '[99999999999999]': expected a smaller number at column 15");
  // 2^40 itself still fits.
  TextCursor fits("1099511627776", "demo", Overflow::kTooLarge);
  auto v = fits.Int();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, int64_t{1} << 40);
}

TEST(TextCursorTest, RestAndAdvanceStayInsideTheText) {
  TextCursor c("ab", "demo", Overflow::kTooLarge);
  c.Advance(1);
  EXPECT_EQ(c.rest(), "b");
  c.Advance(10);
  EXPECT_EQ(c.pos(), 2u);
  EXPECT_TRUE(c.rest().empty());
}

}  // namespace
}  // namespace aoizora
