#pragma once
// One HLO instruction as printed: `[ROOT] name = shape opcode(operands), attr=value, ...`.
// Every attribute is kept raw (name -> text, printed order); the ones the analyzers need are also
// parsed into typed fields. Unknown opcodes and attributes are kept, not rejected.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aoizora/hlo/replica_groups.h"
#include "aoizora/hlo/shape.h"
#include "aoizora/hlo/sharding.h"

namespace aoizora::hlo {

class Computation;

struct Attribute {
  std::string name;   // without '='
  std::string value;  // raw text as printed (strings keep their quotes)
};

// dot: lhs_batch_dims={..}, lhs_contracting_dims={..}, rhs_batch_dims={..},
// rhs_contracting_dims={..}.
struct DotDimensionNumbers {
  std::vector<int64_t> lhs_batch_dims;
  std::vector<int64_t> lhs_contracting_dims;
  std::vector<int64_t> rhs_batch_dims;
  std::vector<int64_t> rhs_contracting_dims;
};

// One spatial dimension of `window={size=3x3 stride=2x2 pad=0_1x0_1 lhs_dilate=.. rhs_dilate=..
// rhs_reversal=..}`.
struct WindowDimension {
  int64_t size = 1;
  int64_t stride = 1;
  int64_t padding_low = 0;
  int64_t padding_high = 0;
  int64_t base_dilation = 1;    // lhs_dilate
  int64_t window_dilation = 1;  // rhs_dilate
  bool window_reversal = false;
};

struct Window {
  std::vector<WindowDimension> dimensions;
};

// Convolution `dim_labels=b01f_01io->b01f`: positions of batch/feature/spatial dims in the input,
// kernel and output shapes. Spatial lists are in spatial order (digit 0, 1, ...).
struct ConvolutionDimensionNumbers {
  int64_t input_batch_dim = 0;
  int64_t input_feature_dim = 0;
  std::vector<int64_t> input_spatial_dims;
  int64_t kernel_input_feature_dim = 0;
  int64_t kernel_output_feature_dim = 0;
  std::vector<int64_t> kernel_spatial_dims;
  int64_t output_batch_dim = 0;
  int64_t output_feature_dim = 0;
  std::vector<int64_t> output_spatial_dims;
  std::string labels;  // as printed
};

// metadata={op_type=".." op_name=".." source_file=".." source_line=N stack_frame_id=N ...}
// (strings unescaped). Other keys stay in the raw attribute.
struct OpMetadata {
  std::string op_type;
  std::string op_name;
  std::string source_file;
  int64_t source_line = 0;
  int64_t stack_frame_id = 0;
};

// A computation an instruction calls, with the attribute that names it ("calls", "to_apply",
// "body", "condition", "branch_computations", "true_computation", "false_computation",
// "called_computations", "select", "scatter", ...).
struct CalledComputation {
  std::string role;
  std::string name;
  const Computation* computation = nullptr;  // resolved after the module is parsed
};

struct Instruction {
  std::string name;    // without '%'
  std::string opcode;  // as printed, e.g. "all-gather-start"; unknown opcodes kept
  Shape shape;
  bool is_root = false;

  // Operands by name, and resolved to instructions of the same computation (same order).
  std::vector<std::string> operand_names;
  std::vector<int32_t> operand_indices;
  std::vector<const Instruction*> operands;
  std::vector<Shape> operand_shapes;  // only if the text printed them (else empty)

  int64_t parameter_number = -1;  // parameter(N)
  std::string literal;            // constant(...): the text between the parentheses

  std::vector<Attribute> attributes;  // all of them, printed order

  // Typed views of known attributes.
  std::optional<Sharding> sharding;
  std::optional<ReplicaGroups> replica_groups;
  std::optional<int64_t> channel_id;
  std::optional<bool> use_global_device_ids;
  std::optional<std::vector<std::pair<int64_t, int64_t>>> source_target_pairs;
  std::optional<std::vector<int64_t>> dimensions;  // dimensions={..}
  std::optional<DotDimensionNumbers> dot_dimension_numbers;
  std::optional<Window> window;
  std::optional<ConvolutionDimensionNumbers> convolution_dimension_numbers;  // dim_labels=
  int64_t feature_group_count = 1;
  int64_t batch_group_count = 1;
  std::optional<int64_t> tuple_index;  // get-tuple-element index=N
  std::string fusion_kind;             // kind=kLoop
  std::string custom_call_target;      // unescaped
  std::vector<CalledComputation> called_computations;
  std::string backend_config;  // the JSON text (unquoted/unescaped if it was printed as a string)
  std::optional<int64_t> known_trip_count;  // backend_config {"known_trip_count":{"n":"N"}}
  // The printed "n" when it is not an integer in [0, 2^63) ("1e3", "-1", 20 digits, ...):
  // known_trip_count is then absent, and the verifier reports it (hlo/verifier.h).
  std::optional<std::string> malformed_known_trip_count;
  std::vector<std::pair<std::string, std::string>> frontend_attributes;  // values unescaped
  std::optional<OpMetadata> metadata;
  std::vector<std::string> control_predecessor_names;
  std::vector<const Instruction*> control_predecessors;

  // Byte offset of the instruction's first character in the HLO text, and its 1-based line and
  // column there (0 when the instruction was not parsed from text), for diagnostics. (Not
  // metadata's source_line, which is the frontend's Python line.)
  int64_t source_offset = 0;
  int64_t source_line = 0;
  int64_t source_column = 0;

  // The raw value of attribute `name`, or nullptr.
  const std::string* FindAttribute(std::string_view attribute_name) const;
  // The first called computation with this role ("to_apply", "body", ...), or nullptr.
  const Computation* CalledComputationFor(std::string_view role) const;
};

}  // namespace aoizora::hlo
