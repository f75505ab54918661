#include "aoizora/hlo/instruction.h"

namespace aoizora::hlo {

const std::string* Instruction::FindAttribute(std::string_view attribute_name) const {
  for (const Attribute& attribute : attributes) {
    if (attribute.name == attribute_name) return &attribute.value;
  }
  return nullptr;
}

const Computation* Instruction::CalledComputationFor(std::string_view role) const {
  for (const CalledComputation& called : called_computations) {
    if (called.role == role) return called.computation;
  }
  return nullptr;
}

}  // namespace aoizora::hlo
