#pragma once
// An HLO computation: instructions in printed order (the schedule order of a scheduled module),
// its parameters and ROOT.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aoizora/hlo/instruction.h"
#include "aoizora/hlo/shape.h"

namespace aoizora::hlo {

class Computation {
 public:
  std::string name;  // without '%'
  bool is_entry = false;
  std::string execution_thread;  // `, execution_thread="..."` after the body; empty = main
  // The printed signature `(p0: f32[8], ...) -> f32[8]`, if any.
  std::vector<std::pair<std::string, Shape>> signature_parameters;
  std::optional<Shape> signature_result;

  std::vector<Instruction> instructions;  // printed order
  int32_t root_index = -1;                // the ROOT (or the last instruction if none is marked)
  // parameter_indices[k] = index of parameter(k) in `instructions`, -1 if missing.
  std::vector<int32_t> parameter_indices;

  const Instruction* root() const {
    return root_index >= 0 ? &instructions[static_cast<size_t>(root_index)] : nullptr;
  }
  const Instruction* parameter(int64_t number) const;
  int64_t num_parameters() const { return static_cast<int64_t>(parameter_indices.size()); }
  // Index of the instruction called `instruction_name` ('%' optional), or -1.
  int32_t IndexOf(std::string_view instruction_name) const;
  const Instruction* Find(std::string_view instruction_name) const;

  // Rebuilds the name index; the parser calls it once the instruction list is final.
  void BuildIndex();

 private:
  std::unordered_map<std::string_view, int32_t> index_;  // views into instructions[i].name
};

}  // namespace aoizora::hlo
