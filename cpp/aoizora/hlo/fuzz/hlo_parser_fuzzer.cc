// libFuzzer target: the parser must return a Module or an Error for every input, never crash,
// hang or leak; a successful parse must also survive the verifier (hlo/verifier.h, both modes) and
// the helpers the analyzers call, and the backend_config scanners (program/kernel_cost.h,
// program/compiler_estimate.h) must survive any text. The stages after the parser have their own
// target (hlo_analysis_fuzzer.cc).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aoizora/hlo/parser.h"
#include "aoizora/hlo/verifier.h"
#include "aoizora/program/compiler_estimate.h"
#include "aoizora/program/kernel_cost.h"

namespace {

void Exercise(const aoizora::hlo::Module& module) {
  using namespace aoizora::hlo;
  for (const auto& computation : module.computations) {
    for (const Instruction& inst : computation->instructions) {
      (void)aoizora::ParseKernelCostEstimate(inst.backend_config);
      (void)aoizora::ParseEstimatedCycles(inst.backend_config);
      (void)ShapeByteSize(inst.shape);
      (void)ShapeToString(inst.shape);
      if (inst.sharding) {
        (void)ShardedTileShape(inst.shape, *inst.sharding);
        if (inst.sharding->IsTiled()) (void)inst.sharding->Devices();
      }
      if (inst.replica_groups) {
        aoizora::Result<GroupList> groups = inst.replica_groups->Expand();
        aoizora::Result<CollectiveOpGroupMode> mode =
            GetCollectiveOpGroupMode(inst.channel_id.has_value(), inst.use_global_device_ids);
        if (groups.ok() && mode.ok()) {
          (void)LogicalDeviceGroups(*groups, *mode, module.replica_count, module.num_partitions);
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)aoizora::ParseKernelCostEstimate(text);  // the backend_config scanners on raw bytes too
  (void)aoizora::ParseEstimatedCycles(text);
  aoizora::Result<aoizora::hlo::Module> module = aoizora::hlo::ParseModule(text, "fuzz.hlo");
  if (module.ok()) {
    Exercise(*module);
    for (bool strict : {true, false}) {
      std::vector<std::string> warnings;
      (void)aoizora::hlo::VerifyModule(*module, {strict}, warnings, text);
    }
  }
  return 0;
}
