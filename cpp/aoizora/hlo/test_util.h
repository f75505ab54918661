#pragma once
// Helpers shared by the hlo gtests: fixture paths and parse-or-fail.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "aoizora/hlo/parser.h"

namespace aoizora::hlo::testing {

// Repository root (AOIZORA_SOURCE_DIR from ctest, else the compile-time source dir).
inline std::string SourceDir() {
  if (const char* dir = std::getenv("AOIZORA_SOURCE_DIR")) return dir;
  return AOIZORA_HLO_TEST_SOURCE_DIR;
}

inline std::string SharedDataDir() { return SourceDir() + "/../shared/data/hlo"; }
inline std::string HandwrittenDir() { return SourceDir() + "/tests/data/hlo/handwritten"; }

// Parses `text` and fails the test (with the diagnostic) on error.
inline Module ParseOrDie(std::string_view text) {
  Result<Module> module = ParseModule(text, "test.hlo");
  if (!module.ok()) {
    ADD_FAILURE() << module.error().message();
    return Module();
  }
  return std::move(module).value();
}

// The parse error message, or "" (and a test failure) if the text parsed.
inline std::string ParseErrorOf(std::string_view text) {
  Result<Module> module = ParseModule(text, "bad.hlo");
  if (module.ok()) {
    ADD_FAILURE() << "expected a parse error for:\n" << text;
    return "";
  }
  return module.error().message();
}

}  // namespace aoizora::hlo::testing
