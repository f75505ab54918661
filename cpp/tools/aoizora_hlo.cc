// aoizora-hlo: analyze HLO dump files without Python.
//
//   aoizora-hlo analyze FILE     JSON summary of a compiled module (FLOPs, bytes, collectives)
//
// Exit codes: 0 success, 1 failure while running, 2 bad input (parse errors print
// file:line:col with the source line and a caret on stderr).

#include <cstdio>
#include <string>
#include <string_view>

#include "aoizora/program/compiled_analysis.h"
#include "aoizora/program/program_summary.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: aoizora-hlo analyze FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string_view(argv[1]) != "analyze") return Usage();
  auto analysis = aoizora::AnalyzeCompiledFile(argv[2]);
  if (!analysis.ok()) {
    std::fprintf(stderr, "aoizora-hlo: %s\n", analysis.error().message().c_str());
    return analysis.error().code() == aoizora::ErrorCode::kInternal ? 1 : 2;
  }
  const std::string json = aoizora::SummaryToJson(aoizora::Summarize(*analysis));
  std::fwrite(json.data(), 1, json.size(), stdout);
  return 0;
}
