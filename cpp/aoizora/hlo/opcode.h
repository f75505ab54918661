#pragma once
// The one list of HLO opcodes the project knows: every opcode XLA defines (HLO_OPCODE_LIST in
// openxla/xla xla/hlo/ir/hlo_opcode.h, 2025) plus the async "syntax sugar" spellings the printer
// derives from them: a wrapped op `X` in an async-start/-update/-done prints as `X-start`,
// `X-update`, `X-done` (`reduce-scatter-start`, `call-start`, `custom-call-done`, `fusion-start`,
// ...; shared/reference/hlo-text.md section 6.4). The parser keeps any opcode; the analyzers
// check against this list so that a misspelt or new opcode is reported instead of being costed
// as nothing (hlo/verifier.h).

#include <span>
#include <string_view>

namespace aoizora::hlo {

// True for an opcode of the list, or `X-start` / `X-update` / `X-done` of one.
bool IsKnownOpcode(std::string_view opcode);

// The opcodes of XLA's list (without the derived async spellings), sorted.
std::span<const std::string_view> XlaOpcodes();

}  // namespace aoizora::hlo
