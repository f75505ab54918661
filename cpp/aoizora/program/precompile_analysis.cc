#include "aoizora/program/precompile_analysis.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "aoizora/hlo/limits.h"
#include "aoizora/hlo/parser.h"
#include "aoizora/hlo/verifier.h"
#include "aoizora/program/compiled_analysis.h"
#include "aoizora/program/hlo_cost.h"
#include "aoizora/program/kernel_cost.h"
#include "aoizora/program/mesh_axes_groups.h"
#include "aoizora/program/trip_count.h"

namespace aoizora {
namespace {

using hlo::Computation;
using hlo::Instruction;
using DimAxes = std::vector<std::vector<std::string>>;

constexpr int kMaxDepth = 64;

const std::string* FrontendAttribute(const Instruction& instruction, std::string_view key) {
  for (const auto& [k, v] : instruction.frontend_attributes)
    if (k == key) return &v;
  return nullptr;
}

// `#sdy.mesh<["data"=2, "model"=4]>` inside the module's xla.sdy.meshes attribute. Axis sizes
// must be positive and the mesh at most hlo::kMaxDevices devices.
Result<std::vector<hlo::MeshAxis>> ParseSdyMesh(std::string_view text) {
  std::vector<hlo::MeshAxis> axes;
  size_t pos = text.find("#sdy.mesh<");
  if (pos == std::string_view::npos) return axes;
  const size_t end = text.find('>', pos);
  int64_t devices = 1;
  while (pos < end) {
    const size_t q1 = text.find('"', pos);
    if (q1 == std::string_view::npos || q1 >= end) break;
    const size_t q2 = text.find('"', q1 + 1);
    if (q2 == std::string_view::npos || q2 >= end) break;
    size_t p = q2 + 1;
    while (p < end && (text[p] == ' ' || text[p] == '=')) ++p;
    const size_t digits = p;
    while (p < end && std::isdigit(static_cast<unsigned char>(text[p]))) ++p;
    int64_t size = 0;
    for (size_t d = digits; d < p && size <= hlo::kMaxDevices; ++d)
      size = size * 10 + (text[d] - '0');
    const std::string name(text.substr(q1 + 1, q2 - q1 - 1));
    if (size <= 0 || size > hlo::kMaxDevices || devices * size > hlo::kMaxDevices) {
      return InvalidArgument("xla.sdy.meshes: mesh axis '" + name + "' has size '" +
                             std::string(text.substr(digits, std::min<size_t>(p - digits, 24))) +
                             "'; axis sizes must be positive and the mesh at most " +
                             std::to_string(hlo::kMaxDevices) + " devices");
    }
    devices *= size;
    axes.push_back({name, size});
    pos = p;
  }
  return axes;
}

class Analyzer {
 public:
  Analyzer(const hlo::Module& module, PrecompileAnalysis& out) : module_(module), out_(out) {}

  int64_t AxisSize(const std::string& axis) const {
    for (const auto& a : out_.mesh)
      if (a.name == axis) return a.size;
    return 1;
  }

  int64_t Shards(const DimAxes& axes) const {
    std::set<std::string> distinct;
    for (const auto& dim : axes) distinct.insert(dim.begin(), dim.end());
    int64_t n = 1;
    for (const auto& a : distinct) n *= AxisSize(a);
    return std::min<int64_t>(n, out_.num_devices);
  }

  Result<double> PerDeviceBytes(const hlo::Shape& shape, const DimAxes& axes) const {
    if (shape.is_tuple || axes.size() != shape.dims.size()) {
      auto b = hlo::ShapeByteSize(shape);
      if (!b.ok()) return b.error();
      return static_cast<double>(*b);
    }
    auto element = hlo::ElementByteSize(shape.element_type);
    if (!element.ok()) return element.error();
    double bytes = static_cast<double>(*element);
    for (size_t d = 0; d < shape.dims.size(); ++d) {
      int64_t split = 1;
      for (const auto& a : axes[d]) split *= AxisSize(a);
      bytes *= static_cast<double>((shape.dims[d] + split - 1) / split);
    }
    return bytes;
  }

  Result<DeviceGroups> GroupsOver(const std::set<std::string>& axes) const {
    std::string text = "mesh[";
    for (size_t i = 0; i < out_.mesh.size(); ++i)
      text += (i ? "," : "") + ("'" + out_.mesh[i].name + "'=") + std::to_string(out_.mesh[i].size);
    text += "] {";
    bool first = true;
    for (const auto& a : out_.mesh) {  // mesh order
      if (!axes.count(a.name)) continue;
      text += (first ? "'" : ",'") + a.name + "'";
      first = false;
    }
    return ExpandMeshAxesGroups(text + "}");
  }

  Status Walk(const Computation& computation, const std::vector<std::optional<DimAxes>>& params,
              double multiplicity, int depth) {
    if (depth > kMaxDepth) return InvalidArgument("calls nested too deeply at " + computation.name);
    for (const Instruction& instruction : computation.instructions) {
      AOIZORA_RETURN_IF_ERROR(Visit(instruction, params, multiplicity, depth));
    }
    return OkStatus();
  }

 private:
  std::optional<DimAxes> Of(const Instruction* value) const {
    if (value == nullptr) return std::nullopt;
    auto it = sharding_.find(value);
    if (it == sharding_.end()) return std::nullopt;
    return it->second;
  }

  std::optional<DimAxes> Annotated(const Instruction& instruction) const {
    const std::string* attr = FrontendAttribute(instruction, "xla.sdy.sharding");
    if (attr == nullptr) return std::nullopt;
    auto axes = ParseSdyDimAxes(*attr);
    if (!axes.ok() || axes->size() != instruction.shape.dims.size()) return std::nullopt;
    return *axes;
  }

  std::optional<DimAxes> Propagate(const Instruction& instruction) const {
    const std::string& op = instruction.opcode;
    if (instruction.operands.empty()) return std::nullopt;
    const auto in = Of(instruction.operands[0]);
    if (op == "broadcast" && in && instruction.dimensions) {
      DimAxes out(instruction.shape.dims.size());
      const auto& dims = *instruction.dimensions;
      for (size_t i = 0; i < dims.size() && i < in->size(); ++i)
        if (dims[i] >= 0 && static_cast<size_t>(dims[i]) < out.size()) out[dims[i]] = (*in)[i];
      return out;
    }
    if (op == "transpose" && in && instruction.dimensions) {
      DimAxes out;
      for (int64_t d : *instruction.dimensions)
        out.push_back(d >= 0 && static_cast<size_t>(d) < in->size() ? (*in)[d]
                                                                    : DimAxes::value_type{});
      return out;
    }
    if (IsElementwiseOpcode(op) || op == "copy" || op == "reshape" || op == "bitcast" ||
        op == "custom-call") {
      for (const Instruction* operand : instruction.operands) {
        auto s = Of(operand);
        if (s && operand->shape.dims == instruction.shape.dims) return s;
      }
    }
    return std::nullopt;
  }

  Status Visit(const Instruction& instruction, const std::vector<std::optional<DimAxes>>& params,
               double multiplicity, int depth) {
    const std::string& op = instruction.opcode;
    std::optional<DimAxes> sharding;
    if (op == "parameter") {
      const auto n = static_cast<size_t>(std::max<int64_t>(instruction.parameter_number, 0));
      if (n < params.size()) sharding = params[n];
      if (!sharding) sharding = Annotated(instruction);
    } else if (op == "dot" || op == "convolution") {
      AOIZORA_ASSIGN_OR_RETURN(sharding, AddMatmul(instruction, multiplicity));
    } else if (op == "call") {
      std::vector<std::optional<DimAxes>> args;
      for (const Instruction* operand : instruction.operands) args.push_back(Of(operand));
      for (const auto& called : instruction.called_computations)
        if (called.computation != nullptr) {
          AOIZORA_RETURN_IF_ERROR(Walk(*called.computation, args, multiplicity, depth + 1));
          sharding = Of(called.computation->root());
        }
    } else if (op == "while") {
      // Shardings are not followed through loop-state tuples; dots inside count as replicated.
      const double n = static_cast<double>(WhileTripCount(instruction).value_or(1));
      if (multiplicity * n > kMaxLoopMultiplicity) {
        return InvalidArgument(hlo::InstructionLocation(module_, instruction) + ": while loop '" +
                               instruction.name + "' would run its body more than 2^53 times");
      }
      if (const Computation* body = instruction.CalledComputationFor("body"))
        AOIZORA_RETURN_IF_ERROR(Walk(*body, {}, multiplicity * n, depth + 1));
    } else if (op == "custom-call" && !IsConstraint(instruction)) {
      AddKernel(instruction, multiplicity);
    } else if (op == "custom-call" && IsConstraint(instruction)) {
      sharding = Annotated(instruction);
      if (sharding && !instruction.operands.empty()) {
        AOIZORA_RETURN_IF_ERROR(AddResharding(instruction, Of(instruction.operands[0]), *sharding));
      }
    }
    if (!sharding && op != "custom-call") sharding = Annotated(instruction);
    if (!sharding) sharding = Propagate(instruction);
    if (sharding) sharding_[&instruction] = std::move(*sharding);
    return OkStatus();
  }

  static bool IsConstraint(const Instruction& instruction) {
    const std::string& t = instruction.custom_call_target;
    return t == "Sharding" || t == "xla.sdy.FuncResultSharding" ||
           t == "xla.sdy.ShardingConstraint";
  }

  // A custom kernel that declares its cost (Pallas), or whose cost we infer (splash attention,
  // kernel_cost.h): its FLOPs, split like a dot's over the mesh axes its operands are sharded on.
  void AddKernel(const Instruction& instruction, double multiplicity) {
    auto estimate = ParseKernelCostEstimate(instruction.backend_config);
    if (!estimate) estimate = InferAttentionKernelCost(instruction);
    if (!estimate) return;
    DimAxes all;
    for (const Instruction* operand : instruction.operands) {
      if (const auto s = Of(operand)) all.insert(all.end(), s->begin(), s->end());
    }
    const double global = estimate->flops * multiplicity;
    const double per_device = global / static_cast<double>(Shards(all));
    out_.flops_global += global;
    out_.flops_per_device += per_device;
    out_.kernel_flops_per_device += per_device;
  }

  Result<std::optional<DimAxes>> AddMatmul(const Instruction& instruction, double multiplicity) {
    AOIZORA_ASSIGN_OR_RETURN(OpCost cost, InstructionCost(instruction));
    const auto lhs = instruction.operands.size() > 0 ? Of(instruction.operands[0]) : std::nullopt;
    const auto rhs = instruction.operands.size() > 1 ? Of(instruction.operands[1]) : std::nullopt;
    DimAxes all;
    if (lhs) all.insert(all.end(), lhs->begin(), lhs->end());
    if (rhs) all.insert(all.end(), rhs->begin(), rhs->end());
    PrecompileMatmul mm;
    mm.name = instruction.name;
    mm.flops_global = cost.flops * multiplicity;
    mm.count = multiplicity;
    if (!cost.matmuls.empty()) mm.dims = cost.matmuls.front();
    mm.shards = Shards(all);
    mm.flops_per_device = mm.flops_global / static_cast<double>(mm.shards);
    out_.flops_global += mm.flops_global;
    out_.flops_per_device += mm.flops_per_device;
    out_.matmuls.push_back(mm);
    if (instruction.opcode != "dot" || !instruction.dot_dimension_numbers)
      return std::optional<DimAxes>();
    return DotOutput(instruction, lhs, rhs, multiplicity);
  }

  // Output sharding of a dot (batch, lhs free, rhs free) and the partial-sum all-reduce when a
  // contracting dim is sharded.
  Result<std::optional<DimAxes>> DotOutput(const Instruction& dot,
                                           const std::optional<DimAxes>& lhs,
                                           const std::optional<DimAxes>& rhs, double multiplicity) {
    const auto& dn = *dot.dot_dimension_numbers;
    auto axes_at = [](const std::optional<DimAxes>& s, int64_t d) {
      return s && d >= 0 && static_cast<size_t>(d) < s->size() ? (*s)[d] : DimAxes::value_type{};
    };
    std::set<std::string> contracting;
    for (int64_t d : dn.lhs_contracting_dims)
      for (const auto& a : axes_at(lhs, d)) contracting.insert(a);
    for (int64_t d : dn.rhs_contracting_dims)
      for (const auto& a : axes_at(rhs, d)) contracting.insert(a);
    DimAxes out;
    auto is_in = [](const std::vector<int64_t>& v, int64_t d) {
      return std::find(v.begin(), v.end(), d) != v.end();
    };
    for (int64_t d : dn.lhs_batch_dims) out.push_back(axes_at(lhs, d));
    const int64_t lhs_rank = dot.operands[0]->shape.rank();
    const int64_t rhs_rank = dot.operands.size() > 1 ? dot.operands[1]->shape.rank() : 0;
    for (int64_t d = 0; d < lhs_rank; ++d)
      if (!is_in(dn.lhs_batch_dims, d) && !is_in(dn.lhs_contracting_dims, d))
        out.push_back(axes_at(lhs, d));
    for (int64_t d = 0; d < rhs_rank; ++d)
      if (!is_in(dn.rhs_batch_dims, d) && !is_in(dn.rhs_contracting_dims, d))
        out.push_back(axes_at(rhs, d));
    for (auto& dim : out)  // an axis that splits the contraction cannot also split the output
      dim.erase(std::remove_if(dim.begin(), dim.end(),
                               [&](const std::string& a) { return contracting.count(a) > 0; }),
                dim.end());
    if (out.size() != dot.shape.dims.size()) return std::optional<DimAxes>();
    if (!contracting.empty()) {
      PrecompileCollective c;
      c.source = dot.name;
      c.reason = "partial-sum";
      c.count = multiplicity;
      c.collective.kind = CollectiveKind::kAllReduce;
      AOIZORA_ASSIGN_OR_RETURN(c.collective.array_bytes, PerDeviceBytes(dot.shape, out));
      AOIZORA_ASSIGN_OR_RETURN(c.collective.groups, GroupsOver(contracting));
      out_.collectives.push_back(std::move(c));
    }
    return std::optional<DimAxes>(out);
  }

  Status AddResharding(const Instruction& at, const std::optional<DimAxes>& from,
                       const DimAxes& to) {
    if (!from || from->size() != to.size() || *from == to) return OkStatus();
    std::set<std::string> to_axes;
    for (const auto& dim : to) to_axes.insert(dim.begin(), dim.end());
    std::set<std::string> gathered, moved;
    DimAxes kept(from->size());
    for (size_t d = 0; d < from->size(); ++d) {
      for (const auto& a : (*from)[d]) {
        const bool same_dim = std::find(to[d].begin(), to[d].end(), a) != to[d].end();
        if (!to_axes.count(a)) {
          gathered.insert(a);
          continue;
        }
        kept[d].push_back(a);
        if (!same_dim) moved.insert(a);
      }
    }
    AOIZORA_ASSIGN_OR_RETURN(double after_gather, PerDeviceBytes(at.shape, kept));
    if (!gathered.empty()) {
      PrecompileCollective c{at.name, "constraint", {}, 1.0};
      c.collective.kind = CollectiveKind::kAllGather;
      c.collective.array_bytes = after_gather;
      AOIZORA_ASSIGN_OR_RETURN(c.collective.groups, GroupsOver(gathered));
      out_.collectives.push_back(std::move(c));
    }
    if (!moved.empty()) {
      PrecompileCollective c{at.name, "constraint", {}, 1.0};
      c.collective.kind = CollectiveKind::kAllToAll;
      int64_t group = 1;
      for (const auto& a : moved) group *= AxisSize(a);
      c.collective.array_bytes = after_gather * static_cast<double>(group);
      AOIZORA_ASSIGN_OR_RETURN(c.collective.groups, GroupsOver(moved));
      out_.collectives.push_back(std::move(c));
    }
    return OkStatus();
  }

  const hlo::Module& module_;
  PrecompileAnalysis& out_;
  std::unordered_map<const Instruction*, DimAxes> sharding_;
};

}  // namespace

Result<std::vector<std::vector<std::string>>> ParseSdyDimAxes(std::string_view text) {
  const size_t at = text.find('@');
  if (at == std::string_view::npos)
    return InvalidArgument("no '@mesh' in sdy sharding '" + std::string(text) + "'");
  size_t pos = text.find('[', at);
  if (pos == std::string_view::npos)
    return InvalidArgument("no dimension list in sdy sharding '" + std::string(text) + "'");
  ++pos;
  DimAxes dims;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == ',')) ++pos;
    if (pos >= text.size() || text[pos] == ']') break;
    if (text[pos] != '{')
      return InvalidArgument("expected '{' at column " + std::to_string(pos + 1) +
                             " of sdy sharding '" + std::string(text) + "'");
    const size_t close = text.find('}', pos);
    if (close == std::string_view::npos)
      return InvalidArgument("unclosed '{' in sdy sharding '" + std::string(text) + "'");
    std::vector<std::string> axes;
    for (size_t q = text.find('"', pos); q != std::string_view::npos && q < close;) {
      const size_t q2 = text.find('"', q + 1);
      if (q2 == std::string_view::npos || q2 > close) break;
      axes.emplace_back(text.substr(q + 1, q2 - q - 1));
      q = text.find('"', q2 + 1);
    }
    dims.push_back(std::move(axes));
    pos = close + 1;
  }
  return dims;
}

Result<PrecompileAnalysis> AnalyzePrecompileText(std::string_view text, std::string_view filename,
                                                 const AnalysisOptions& options) {
  AOIZORA_ASSIGN_OR_RETURN(hlo::Module module, hlo::ParseModule(text, filename));
  PrecompileAnalysis out;
  out.module_name = module.name;
  for (const auto& [key, value] : module.frontend_attributes)
    if (key == "xla.sdy.meshes") {
      auto mesh = ParseSdyMesh(value);
      if (!mesh.ok()) return InvalidArgument(std::string(filename) + ": " + mesh.error().message());
      out.mesh = std::move(mesh).value();
    }
  out.num_devices = 1;
  for (const auto& a : out.mesh) out.num_devices *= a.size;
  if (out.mesh.empty()) {
    out.num_devices = std::max<int64_t>(module.num_partitions, 1);
    out.warnings.push_back("no xla.sdy.meshes attribute: shardings are not read (replicated)");
  }
  if (module.entry == nullptr) return InvalidArgument("module '" + module.name + "' has no entry");
  // Device ids (permute pairs, shardings) range over the mesh: lowered modules print no
  // num_partitions.
  if (module.num_partitions < out.num_devices) module.num_partitions = out.num_devices;
  AOIZORA_RETURN_IF_ERROR(hlo::VerifyModule(module, {options.strict}, out.warnings, text));

  Analyzer analyzer(module, out);
  AOIZORA_RETURN_IF_ERROR(analyzer.Walk(*module.entry, {}, 1.0, 0));

  for (const Instruction& p : module.entry->instructions) {
    if (p.opcode != "parameter") continue;
    auto global = hlo::ShapeByteSize(p.shape);
    if (!global.ok()) return global.error();
    out.parameter_bytes_global += static_cast<double>(*global);
    std::optional<DimAxes> axes;
    for (const auto& [k, v] : p.frontend_attributes)
      if (k == "xla.sdy.sharding") {
        auto parsed = ParseSdyDimAxes(v);
        if (parsed.ok()) axes = *parsed;
      }
    AOIZORA_ASSIGN_OR_RETURN(double per_device,
                             analyzer.PerDeviceBytes(p.shape, axes.value_or(DimAxes{})));
    out.parameter_bytes_per_device += per_device;
  }

  // Explicit collectives (manual regions print per-device shapes and real groups): the compiled
  // analysis finds them, loops expanded (the partition count was set above).
  AOIZORA_ASSIGN_OR_RETURN(CompiledModuleAnalysis explicit_ops, AnalyzeVerifiedModule(module));
  for (const StepOp& step : explicit_ops.program.ops) {
    const auto* c = std::get_if<CollectiveOp>(&step.op);
    if (c == nullptr) continue;
    out.collectives.push_back({c->name, "explicit", c->ToCollective(), step.multiplicity});
  }
  for (auto& w : explicit_ops.program.warnings) out.warnings.push_back(std::move(w));
  return out;
}

}  // namespace aoizora
