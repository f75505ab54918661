#pragma once
// Checks a parsed module for what the parser accepts but an analysis must not take at face value
// (the parser keeps any opcode and reads values as printed; this decides whether the module can be
// costed without a silently wrong answer):
//   * every opcode is one XLA defines (hlo/opcode.h); an unknown one (`dott`) would cost nothing;
//   * a while's backend_config known_trip_count is an integer in [0, 2^63) ("1e3", "-1" and
//     20-digit counts are malformed, never truncated);
//   * replica_count x num_partitions is at most 2^20 devices;
//   * source_target_pairs ids are partition ids below num_partitions (with a channel_id) or
//     replica ids below replica_count (without one), and no id is a source (or a target) twice
//     (once per slice in the 4-operand in-place form), as XLA's verifier requires;
//   * no id appears twice in replica_groups;
//   * sharding device ids (explicit lists, iota tile assignments, maximal devices) are below
//     num_partitions;
//   * get-tuple-element has one tuple operand and an index inside it;
//   * no array shape has more than 2^63 - 1 elements or bytes;
//   * the call graph (calls, while bodies, fusions, branches, reducers) has no cycle, nests at
//     most 64 deep and expands to at most 2^24 instructions with every call inlined.
// The first two depend on the mode: strict (the default) makes them errors, lenient makes each a
// warning (the analyzer then costs an unknown opcode's FLOPs as zero and ignores a malformed trip
// count). The others are errors in both modes. Every message names the instruction, the value and
// its file:line:col.

#include <string>
#include <string_view>
#include <vector>

#include "aoizora/hlo/module.h"
#include "aoizora/util/result.h"

namespace aoizora::hlo {

struct VerifyOptions {
  bool strict = true;
};

// The first error, if any; in lenient mode the warnings are appended to `warnings` (one per unknown
// opcode, listing how many instructions use it, and one per malformed trip count). With `text`,
// the source the module was parsed from, an error also quotes the line with a caret under the
// instruction (as parse errors do); without it the message starts with file:line:col.
Status VerifyModule(const Module& module, const VerifyOptions& options,
                    std::vector<std::string>& warnings, std::string_view text = {});

// "file:line:col" of an instruction parsed from text ("file" alone otherwise).
std::string InstructionLocation(const Module& module, const Instruction& instruction);

}  // namespace aoizora::hlo
