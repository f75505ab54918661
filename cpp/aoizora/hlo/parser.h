#pragma once
// Parses HLO module text as XLA prints it (short parsable and long forms, pre-compile and
// compiled modules; shared/reference/hlo-text.md). Errors are ErrorCode::kParseError with the
// message "file:line:col: message", then the source line and a caret under the column. The parser
// never crashes or loops on any input (fuzzed, see cpp/aoizora/hlo/fuzz/).

#include <string_view>

#include "aoizora/hlo/module.h"
#include "aoizora/util/result.h"

namespace aoizora::hlo {

struct ParseOptions {
  // Deepest nesting of tuples, braces and literals accepted (deeper input is an error, never a
  // stack overflow).
  int max_nesting = 256;
};

// `filename` only labels diagnostics.
Result<Module> ParseModule(std::string_view text, std::string_view filename = "<string>",
                           const ParseOptions& options = {});

// Reads and parses a file; a missing/unreadable file is ErrorCode::kNotFound naming the path.
Result<Module> ParseModuleFile(const std::string& path, const ParseOptions& options = {});

}  // namespace aoizora::hlo
