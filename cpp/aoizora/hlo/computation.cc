#include "aoizora/hlo/computation.h"

namespace aoizora::hlo {

const Instruction* Computation::parameter(int64_t number) const {
  if (number < 0 || number >= num_parameters()) return nullptr;
  const int32_t index = parameter_indices[static_cast<size_t>(number)];
  return index >= 0 ? &instructions[static_cast<size_t>(index)] : nullptr;
}

int32_t Computation::IndexOf(std::string_view instruction_name) const {
  if (!instruction_name.empty() && instruction_name.front() == '%') {
    instruction_name.remove_prefix(1);
  }
  auto it = index_.find(instruction_name);
  return it == index_.end() ? -1 : it->second;
}

const Instruction* Computation::Find(std::string_view instruction_name) const {
  const int32_t index = IndexOf(instruction_name);
  return index >= 0 ? &instructions[static_cast<size_t>(index)] : nullptr;
}

void Computation::BuildIndex() {
  index_.clear();
  index_.reserve(instructions.size());
  for (size_t i = 0; i < instructions.size(); ++i) {
    index_.emplace(instructions[i].name, static_cast<int32_t>(i));
  }
}

}  // namespace aoizora::hlo
