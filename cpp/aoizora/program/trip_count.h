#pragma once
// The trip count of a while loop in a compiled module: from backend_config known_trip_count when
// XLA recorded it, else from the loop's induction-variable pattern (what lax.scan/fori_loop
// lower to): the condition compares a tuple element of the loop state against a constant, the
// body adds a constant to that element, and the initial tuple holds a constant there
// (looking through copy/convert/bitcast). nullopt when neither applies.

#include <cstdint>
#include <optional>

#include "aoizora/hlo/instruction.h"

namespace aoizora {

std::optional<int64_t> WhileTripCount(const hlo::Instruction& while_op);

// The most times per step the analyses let a loop body run (nested trip counts multiplied):
// 2^53, the largest count a double holds exactly. Beyond it a module is not a real program, and
// products of huge counts would reach infinity (and 0 x infinity = NaN) in the totals.
inline constexpr double kMaxLoopMultiplicity = 9007199254740992.0;

// Trip count of `for (i = init; i <direction> bound; i += step)`; nullopt if it never ends or
// the direction is unknown. direction is an HLO comparison direction (LT, LE, GT, GE, NE).
std::optional<int64_t> InductionTripCount(int64_t init, int64_t bound, int64_t step,
                                          std::string_view direction);

}  // namespace aoizora
