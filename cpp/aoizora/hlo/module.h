#pragma once
// A parsed HLO module: header attributes, optional stack-frame tables, computations
// (callee-first as printed) and the entry computation. Move-only: instructions and computations
// point at each other (operands, called computations), and those pointers stay valid for the
// module's lifetime, including across moves.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aoizora/hlo/computation.h"
#include "aoizora/hlo/instruction.h"
#include "aoizora/hlo/shape.h"

namespace aoizora::hlo {

// entry_computation_layout={(p0, p1, ...)->result}
struct ProgramShape {
  std::vector<Shape> parameters;
  Shape result;
};

// The FileNames / FunctionNames / FileLocations / StackFrames block printed after the header of
// modules with metadata. Ids are 1-based as printed; index 0 of each table is unused.
struct FileLocation {
  int64_t file_name_id = 0;
  int64_t function_name_id = 0;
  int64_t line = 0;
  int64_t end_line = 0;
  int64_t column = 0;
  int64_t end_column = 0;
};
struct StackFrame {
  int64_t file_location_id = 0;
  int64_t parent_frame_id = 0;
};
struct StackFrameTables {
  std::vector<std::string> file_names;
  std::vector<std::string> function_names;
  std::vector<FileLocation> file_locations;
  std::vector<StackFrame> stack_frames;
};

class Module {
 public:
  Module() = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  std::string name;
  std::string filename;  // the name the parser was given (labels diagnostics)
  bool is_scheduled = false;
  int64_t replica_count = 1;   // absent in the header means 1
  int64_t num_partitions = 1;  // absent in the header means 1
  std::optional<ProgramShape> entry_computation_layout;
  std::vector<std::pair<std::string, std::string>> frontend_attributes;  // values unescaped
  std::vector<Attribute> attributes;  // every header attribute, raw, printed order
  StackFrameTables stack_frames;

  std::vector<std::unique_ptr<Computation>> computations;  // printed order (callees first)
  const Computation* entry = nullptr;  // ENTRY, or the last computation if none is marked

  const Computation* FindComputation(std::string_view computation_name) const;
  int64_t num_instructions() const;
  // Rebuilds the computation name index; the parser calls it once computations are final.
  void BuildIndex();

 private:
  std::unordered_map<std::string_view, const Computation*> index_;
};

}  // namespace aoizora::hlo
