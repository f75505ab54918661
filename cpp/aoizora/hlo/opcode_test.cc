#include "aoizora/hlo/opcode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "aoizora/hlo/parser.h"
#include "aoizora/hlo/test_util.h"

namespace aoizora::hlo {
namespace {

TEST(OpcodeTest, TableIsSortedAndUnique) {
  const auto opcodes = XlaOpcodes();
  EXPECT_TRUE(std::is_sorted(opcodes.begin(), opcodes.end()));
  EXPECT_EQ(std::adjacent_find(opcodes.begin(), opcodes.end()), opcodes.end());
  for (std::string_view op : opcodes) EXPECT_TRUE(IsKnownOpcode(op)) << op;
}

TEST(OpcodeTest, AsyncSpellingsOfKnownOpsAreKnown) {
  for (std::string_view op : {"all-gather-start",
                              "all-gather-done",
                              "all-reduce-start",
                              "collective-permute-start",
                              "collective-permute-done",
                              "copy-start",
                              "copy-done",
                              "async-start",
                              "async-update",
                              "async-done",
                              "call-start",
                              "call-update",
                              "call-done",
                              "reduce-scatter-start",
                              "reduce-scatter-done",
                              "all-to-all-start",
                              "all-to-all-done",
                              "ragged-all-to-all-start",
                              "collective-broadcast-start",
                              "custom-call-start",
                              "custom-call-update",
                              "custom-call-done",
                              "fusion-start",
                              "fusion-done",
                              "send",
                              "send-done",
                              "recv",
                              "recv-done"}) {
    EXPECT_TRUE(IsKnownOpcode(op)) << op;
  }
}

TEST(OpcodeTest, MisspeltAndInventedOpcodesAreUnknown) {
  for (std::string_view op :
       {"dott", "Dot", "brand-new-op", "", "-start", "start", "dot-", "dott-start",
        "all-gather-start-start", "copy-done-done", "async-start-done", "fusion-start-update"}) {
    EXPECT_FALSE(IsKnownOpcode(op)) << op;
  }
}

// Every opcode our own compiles and the shared real-world dump print is in the table.
TEST(OpcodeTest, EveryOpcodeInTheFixturesIsKnown) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const std::string& dir : {testing::SourceDir() + "/tests/data/hlo/generated",
                                 testing::HandwrittenDir(), testing::SharedDataDir()}) {
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".hlo") files.push_back(entry.path());
    }
  }
  ASSERT_GE(files.size(), 40u) << "fixtures not found under " << testing::SourceDir();
  std::set<std::string> seen;
  for (const fs::path& path : files) {
    Result<Module> module = ParseModuleFile(path.string());
    ASSERT_TRUE(module.ok()) << module.error().message();
    for (const auto& computation : module->computations) {
      for (const Instruction& inst : computation->instructions) {
        seen.insert(inst.opcode);
        // grammar_long_form.hlo keeps one invented opcode on purpose (the parser keeps it).
        if (inst.opcode == "brand-new-op") continue;
        EXPECT_TRUE(IsKnownOpcode(inst.opcode)) << path << ": " << inst.opcode;
      }
    }
  }
  // The async and TPU forms the table must cover are really printed there.
  for (const char* op : {"all-gather-start", "collective-permute-start", "copy-start",
                         "async-start", "fusion", "custom-call", "while", "conditional"}) {
    EXPECT_TRUE(seen.count(op)) << op;
  }
}

}  // namespace
}  // namespace aoizora::hlo
