// Whole real modules: the public Llama3 SPMD dump (shared/data/hlo) and TPU AOT compiles made by
// this project (tests/data/hlo/handwritten). Expected counts come from an independent line scan
// (a regex over the text), not from the parser.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "aoizora/hlo/parser.h"
#include "aoizora/hlo/test_util.h"

namespace aoizora::hlo {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// opcode -> count from lines "  [ROOT] name = <shape> opcode(".
std::map<std::string, int> CountOpcodesByRegex(const std::string& text) {
  static const std::regex kLine(R"(^\s*(ROOT\s+)?%?[\w.\-]+ = .*?[\]\})] ([a-z][a-z0-9\-]*)\()");
  std::map<std::string, int> counts;
  std::istringstream lines(text);
  std::string line;
  std::smatch match;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, match, kLine)) ++counts[match[2].str()];
  }
  return counts;
}

std::map<std::string, int> CountOpcodes(const Module& module) {
  std::map<std::string, int> counts;
  for (const auto& computation : module.computations) {
    for (const Instruction& inst : computation->instructions) ++counts[inst.opcode];
  }
  return counts;
}

TEST(RealModuleTest, Llama3SpmdDumpParsesWhole) {
  const std::string path = testing::SharedDataDir() + "/llama3_8b_cp_bf16_1x4.spmd.hlo";
  const std::string text = ReadFile(path);
  if (text.empty()) GTEST_SKIP() << "shared data not present: " << path;
  Result<Module> module = ParseModule(text, path);
  ASSERT_TRUE(module.ok()) << module.error().message();
  EXPECT_EQ(module->name, "jit_train_step");
  EXPECT_EQ(module->num_partitions, 4);
  ASSERT_NE(module->entry, nullptr);
  EXPECT_TRUE(module->entry->is_entry);
  const std::map<std::string, int> expected = CountOpcodesByRegex(text);
  EXPECT_EQ(CountOpcodes(*module), expected);
  // SOURCE.md: 18 all-gathers, 50 all-reduces, 11 collective-permutes, 2 while loops.
  EXPECT_EQ(expected.at("all-gather"), 18);
  EXPECT_EQ(expected.at("all-reduce"), 50);
  EXPECT_EQ(expected.at("collective-permute"), 11);
  EXPECT_EQ(expected.at("while"), 2);
  // Every while has a body and condition resolved; every all-reduce a reducer.
  for (const auto& computation : module->computations) {
    for (const Instruction& inst : computation->instructions) {
      if (inst.opcode == "while") {
        EXPECT_NE(inst.CalledComputationFor("body"), nullptr) << inst.name;
        EXPECT_NE(inst.CalledComputationFor("condition"), nullptr) << inst.name;
      }
      if (inst.opcode == "all-reduce") {
        EXPECT_NE(inst.CalledComputationFor("to_apply"), nullptr) << inst.name;
        EXPECT_TRUE(inst.replica_groups.has_value()) << inst.name;
      }
      if (inst.opcode == "collective-permute") {
        EXPECT_TRUE(inst.source_target_pairs.has_value()) << inst.name;
      }
      EXPECT_EQ(inst.operands.size(), inst.operand_names.size());
    }
  }
}

TEST(RealModuleTest, TpuCompiledSmokeModule) {
  const std::string text = ReadFile(testing::HandwrittenDir() + "/tpu_smoke_compiled.hlo");
  ASSERT_FALSE(text.empty());
  Module module = testing::ParseOrDie(text);
  EXPECT_EQ(module.name, "jit_f");
  EXPECT_TRUE(module.is_scheduled);
  EXPECT_EQ(module.num_partitions, 8);
  EXPECT_EQ(module.replica_count, 1);
  ASSERT_TRUE(module.entry_computation_layout.has_value());
  ASSERT_EQ(module.entry_computation_layout->parameters.size(), 2u);
  EXPECT_EQ(ShapeToString(module.entry_computation_layout->result),
            "bf16[256]{0:T(256)(128)(2,1)}");
  // Stack-frame block: 1 file, 2 functions, 3 locations, 3 frames (ids are 1-based).
  EXPECT_EQ(module.stack_frames.file_names.size(), 2u);
  EXPECT_EQ(module.stack_frames.function_names[2], "f");
  EXPECT_EQ(module.stack_frames.file_locations[2].line, 9);
  EXPECT_EQ(module.stack_frames.stack_frames[3].parent_frame_id, 2);

  const Computation& entry = *module.entry;
  EXPECT_EQ(entry.name, "main.0_spmd");
  EXPECT_EQ(entry.root()->name, "all-reduce.1");
  const Instruction* param = entry.Find("param");
  ASSERT_NE(param, nullptr);
  ASSERT_TRUE(param->sharding.has_value());
  EXPECT_TRUE(param->sharding->is_iota);
  EXPECT_EQ(param->sharding->tile_assignment_dims, (std::vector<int64_t>{2, 4}));
  // The global x is bf16[1024,512]; the printed per-device parameter is bf16[512,128].
  Result<Shape> tile = ShardedTileShape(Shape::Array("bf16", {1024, 512}), *param->sharding);
  ASSERT_TRUE(tile.ok());
  EXPECT_EQ(tile->dims, param->shape.dims);

  const Instruction* copy_start = entry.Find("copy-start");
  ASSERT_NE(copy_start, nullptr);
  ASSERT_TRUE(copy_start->shape.is_tuple);
  EXPECT_EQ(copy_start->shape.tuple_shapes[0].layout->memory_space, 1);
  EXPECT_EQ(copy_start->shape.tuple_shapes[2].layout->memory_space, 2);

  const Instruction* all_reduce = entry.Find("all-reduce");
  ASSERT_NE(all_reduce, nullptr);
  EXPECT_EQ(all_reduce->channel_id, 1);
  EXPECT_EQ(all_reduce->use_global_device_ids, true);
  Result<GroupList> groups = all_reduce->replica_groups->Expand();
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(*groups, (GroupList{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  // The mesh-axes form: mesh (2,1,4), reduce over axis_0 -> pairs {i, i+4}.
  const Instruction* root = entry.root();
  ASSERT_TRUE(root->replica_groups.has_value());
  EXPECT_EQ(root->replica_groups->form, ReplicaGroupsForm::kMeshAxes);
  Result<GroupList> mesh_groups = root->replica_groups->Expand();
  ASSERT_TRUE(mesh_groups.ok()) << mesh_groups.error().message();
  EXPECT_EQ(*mesh_groups, (GroupList{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));

  const Instruction* fusion = entry.Find("fusion");
  ASSERT_NE(fusion, nullptr);
  EXPECT_EQ(fusion->fusion_kind, "kOutput");
  const Computation* fused = fusion->CalledComputationFor("calls");
  ASSERT_NE(fused, nullptr);
  EXPECT_EQ(fused->root()->opcode, "convolution");
  ASSERT_TRUE(fused->root()->convolution_dimension_numbers.has_value());
  EXPECT_EQ(fused->root()->convolution_dimension_numbers->input_feature_dim, 1);
  EXPECT_EQ(fused->root()->convolution_dimension_numbers->kernel_input_feature_dim, 0);
  EXPECT_TRUE(fused->root()->convolution_dimension_numbers->input_spatial_dims.empty());
  ASSERT_TRUE(fused->root()->metadata.has_value());
  EXPECT_EQ(fused->root()->metadata->op_name, "jit(f)/dot_general");
  EXPECT_EQ(fused->root()->metadata->stack_frame_id, 3);
}

TEST(RealModuleTest, PrecompileSmokeModule) {
  const std::string text = ReadFile(testing::HandwrittenDir() + "/tpu_smoke_precompile.hlo");
  ASSERT_FALSE(text.empty());
  Module module = testing::ParseOrDie(text);
  EXPECT_FALSE(module.is_scheduled);
  ASSERT_EQ(module.frontend_attributes.size(), 1u);
  EXPECT_EQ(module.frontend_attributes[0].first, "xla.sdy.meshes");
  EXPECT_EQ(module.frontend_attributes[0].second, "{mesh = #sdy.mesh<[\"data\"=2, \"model\"=4]>}");
  const Instruction* dot = module.entry->Find("dot_general.1");
  ASSERT_NE(dot, nullptr);
  ASSERT_TRUE(dot->dot_dimension_numbers.has_value());
  EXPECT_EQ(dot->dot_dimension_numbers->lhs_contracting_dims, (std::vector<int64_t>{1}));
  EXPECT_EQ(dot->dot_dimension_numbers->rhs_contracting_dims, (std::vector<int64_t>{0}));
  EXPECT_TRUE(dot->dot_dimension_numbers->lhs_batch_dims.empty());
  const Instruction* w = module.entry->Find("w.1");
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->sharding->last_tile_dim_replicate);
  EXPECT_EQ(w->sharding->Devices().value(), (std::vector<int64_t>{0, 4, 1, 5, 2, 6, 3, 7}));
  ASSERT_EQ(w->frontend_attributes.size(), 1u);
  EXPECT_EQ(w->frontend_attributes[0].second, "#sdy.sharding<@mesh, [{\"model\"}, {}]>");
  Result<Shape> tile = ShardedTileShape(w->shape, *w->sharding);
  ASSERT_TRUE(tile.ok());
  EXPECT_EQ(tile->dims, (std::vector<int64_t>{128, 256}));
  EXPECT_EQ(module.entry->root()->name, "convert_element_type.3");
  EXPECT_EQ(module.entry->parameter(1)->name, "w.1");
}

}  // namespace
}  // namespace aoizora::hlo
