#pragma once
// Parser diagnostics: "file:line:col: message", then the source line and a caret under the
// column (long lines are shown as a window around the column).

#include <cstddef>
#include <string>
#include <string_view>

#include "aoizora/util/status.h"

namespace aoizora::hlo {

struct SourcePosition {
  int64_t line = 1;    // 1-based
  int64_t column = 1;  // 1-based, in bytes
};

SourcePosition PositionOf(std::string_view text, size_t offset);

// ErrorCode::kParseError with the rendered diagnostic as its message.
Error MakeParseError(std::string_view text, std::string_view filename, size_t offset,
                     std::string_view message);

}  // namespace aoizora::hlo
