// Diagnostics: file:line:col, the source line and a caret; errors never crash.

#include <gtest/gtest.h>

#include "aoizora/hlo/diagnostic.h"
#include "aoizora/hlo/test_util.h"

namespace aoizora::hlo {
namespace {

using testing::ParseErrorOf;

TEST(ErrorTest, RendersLineColumnSourceAndCaret) {
  const std::string message =
      ParseErrorOf("ENTRY e {\n  a = f32[2]{0} parameter(0)\n  ROOT b = f32[2 add(a, a)\n}\n");
  // Line 3, column 18 is where "add" stands instead of ',' or ']'.
  EXPECT_EQ(message,
            "bad.hlo:3:18: expected ',' or ']' in dimensions, got identifier 'add'\n"
            "  ROOT b = f32[2 add(a, a)\n"
            "                 ^");
}

TEST(ErrorTest, UnknownOperandNamesTheOperand) {
  const std::string message = ParseErrorOf("ENTRY e {\n  ROOT b = f32[] negate(nothere)\n}\n");
  EXPECT_NE(message.find("bad.hlo:2:3: instruction 'b' uses unknown operand 'nothere'"),
            std::string::npos)
      << message;
}

TEST(ErrorTest, UnknownComputation) {
  const std::string message = ParseErrorOf(
      "ENTRY e {\n  p = f32[] parameter(0)\n  ROOT r = f32[] call(p), to_apply=missing\n}");
  EXPECT_NE(message.find("calls unknown computation 'missing'"), std::string::npos) << message;
}

TEST(ErrorTest, Duplicates) {
  EXPECT_NE(ParseErrorOf("e {\n a = f32[] parameter(0)\n a = f32[] parameter(1)\n}")
                .find("defined twice"),
            std::string::npos);
  EXPECT_NE(ParseErrorOf("e {\n ROOT a = f32[] parameter(0)\n ROOT b = f32[] parameter(1)\n}")
                .find("second ROOT"),
            std::string::npos);
  EXPECT_NE(
      ParseErrorOf("ENTRY e {\n a = f32[] parameter(0)\n}\nENTRY f {\n a = f32[] parameter(0)\n}")
          .find("second ENTRY"),
      std::string::npos);
}

TEST(ErrorTest, LexicalErrors) {
  EXPECT_NE(ParseErrorOf("e {\n a = f32[] custom-call(), custom_call_target=\"open\n}")
                .find("unterminated string"),
            std::string::npos);
  EXPECT_NE(ParseErrorOf("e { /* never closed").find("unterminated comment"), std::string::npos);
  EXPECT_NE(
      ParseErrorOf("e {\n a = f32[99999999999999999999] parameter(0)\n}").find("does not fit"),
      std::string::npos);
  EXPECT_NE(ParseErrorOf("e {\n a = f32[] parameter(0), backend_config={\"a\":[}\n}")
                .find("does not match"),
            std::string::npos);
  EXPECT_NE(ParseErrorOf("").find("no computations"), std::string::npos);
}

TEST(ErrorTest, BadAttributeValuesPointIntoTheValue) {
  const std::string message =
      ParseErrorOf("e {\n p = f32[8]{0} parameter(0), sharding={devices=[2,2]0,1,2}\n}");
  EXPECT_NE(message.find("bad.hlo:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("needs 4 devices, got 3"), std::string::npos) << message;
  EXPECT_NE(ParseErrorOf("e {\n p = f32[8] parameter(0), dim_labels=b01f_01io->bf\n}")
                .find("spatial ranks"),
            std::string::npos);
  EXPECT_NE(
      ParseErrorOf("e {\n p = f32[8] parameter(0), window={stride=2}\n}").find("must follow size="),
      std::string::npos);
}

TEST(ErrorTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "e {\n a = ";
  for (int i = 0; i < 100000; ++i) deep += '(';
  deep += "f32[]";
  EXPECT_NE(ParseErrorOf(deep).find("nesting deeper"), std::string::npos);
  std::string braces = "e {\n a = f32[] parameter(0), x=";
  for (int i = 0; i < 100000; ++i) braces += '{';
  EXPECT_NE(ParseErrorOf(braces).find("nests deeper"), std::string::npos);
}

TEST(ErrorTest, LongLinesShowAWindowAroundTheColumn) {
  std::string line =
      " p = f32[] parameter(0), backend_config={\"k\":\"" + std::string(1000, 'x') + "\"}, ??";
  const std::string message = ParseErrorOf("e {\n" + line + "\n}");
  const size_t first_newline = message.find('\n');
  const size_t second_newline = message.find('\n', first_newline + 1);
  const std::string shown = message.substr(first_newline + 1, second_newline - first_newline - 1);
  const std::string caret = message.substr(second_newline + 1);
  EXPECT_LE(shown.size(), 170u);
  EXPECT_EQ(shown.substr(0, 3), "...");
  ASSERT_EQ(caret.back(), '^');
  EXPECT_EQ(shown.substr(caret.size() - 1, 2), "??");
}

TEST(ErrorTest, PositionOfCountsLinesAndColumns) {
  EXPECT_EQ(PositionOf("ab\ncd", 4).line, 2);
  EXPECT_EQ(PositionOf("ab\ncd", 4).column, 2);
  EXPECT_EQ(PositionOf("ab", 99).column, 3);
}

TEST(ErrorTest, MissingFileIsNotFound) {
  Result<Module> module = ParseModuleFile("/nonexistent/x.hlo");
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(module.error().message().find("/nonexistent/x.hlo"), std::string::npos);
}

}  // namespace
}  // namespace aoizora::hlo
