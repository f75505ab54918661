#pragma once
// Recognises a collective in a compiled module and describes it for the step program: kind,
// per-device payload (shared/reference/hlo-text.md section 7), groups in logical device ids (all
// four device-id modes, every printed group form) or source-target pairs. Handles the three async
// spellings of section 6.4: real -start opcodes, the sugared wrappers (reduce-scatter-start,
// all-to-all-start, ...) and explicit async-start with calls= (the wrapped root, possibly inside
// a fusion).

#include <optional>
#include <string_view>

#include "aoizora/hlo/instruction.h"
#include "aoizora/hlo/module.h"
#include "aoizora/program/step_program.h"
#include "aoizora/util/result.h"

namespace aoizora {

enum class CollectiveRole {
  kNone,   // not a collective
  kSync,   // a synchronous collective (counted here)
  kStart,  // an async start (counted here)
  kDone,   // an async done (0 traffic; closes the window)
  kUpdate  // async-update (no traffic)
};

// Explicit async wrappers: `async-start` (calls=) and `call-start` (to_apply=; libtpu uses it to
// run work such as all-gathers and copies on the SparseCore, async_execution_thread="sparsecore",
// while the TensorCore goes on).
bool IsAsyncWrapperStart(std::string_view opcode);
bool IsAsyncWrapperUpdate(std::string_view opcode);

CollectiveRole ClassifyCollective(const hlo::Instruction& instruction);

// The collective an instruction performs (a sync op or an async start), or nullopt if it is not
// one (or is a done/update). Errors for malformed group attributes, naming the instruction.
Result<std::optional<CollectiveOp>> ExtractCollective(const hlo::Instruction& instruction,
                                                      const hlo::Module& module);

// The logical groups of a `replica_groups=` attribute under the instruction's device-id mode.
Result<DeviceGroups> CollectiveGroups(const hlo::Instruction& instruction,
                                      const hlo::Module& module);

}  // namespace aoizora
