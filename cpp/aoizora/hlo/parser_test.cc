// Grammar coverage (shared/reference/hlo-text.md section 9 checklist) on hand-written modules.

#include "aoizora/hlo/parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "aoizora/hlo/test_util.h"

namespace aoizora::hlo {
namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream in(testing::HandwrittenDir() + "/" + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class LongFormTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    text_ = new std::string(ReadFixture("grammar_long_form.hlo"));
    Result<Module> parsed = ParseModule(*text_, "grammar_long_form.hlo");
    if (!parsed.ok()) FAIL() << parsed.error().message();
    module_ = new Module(std::move(parsed).value());
  }
  static void TearDownTestSuite() {
    delete module_;
    delete text_;
  }
  const Instruction& Entry(std::string_view name) {
    const Instruction* inst = module_->entry->Find(name);
    EXPECT_NE(inst, nullptr) << name;
    static const Instruction kEmpty;
    return inst ? *inst : kEmpty;
  }
  static std::string* text_;
  static Module* module_;
};
std::string* LongFormTest::text_ = nullptr;
Module* LongFormTest::module_ = nullptr;

TEST_F(LongFormTest, MultiLineHeaderAndUnknownHeaderAttribute) {
  EXPECT_EQ(module_->name, "grammar_long_form");
  EXPECT_TRUE(module_->is_scheduled);
  EXPECT_EQ(module_->replica_count, 2);
  EXPECT_EQ(module_->num_partitions, 4);
  ASSERT_EQ(module_->attributes.size(), 5u);
  EXPECT_EQ(module_->attributes[4].name, "some_future_flag");
  EXPECT_EQ(module_->attributes[4].value, "{a,b}");
  ASSERT_TRUE(module_->entry_computation_layout.has_value());
  EXPECT_EQ(module_->entry_computation_layout->parameters[1].layout->element_size_bits, 4);
  EXPECT_TRUE(module_->entry_computation_layout->result.is_tuple);
  EXPECT_EQ(module_->stack_frames.file_names.at(1), "model.py");
  EXPECT_EQ(module_->stack_frames.file_locations.at(1).end_column, 9);
}

TEST_F(LongFormTest, ComputationsInOrderWithEntryLast) {
  ASSERT_EQ(module_->computations.size(), 5u);
  EXPECT_EQ(module_->computations[0]->name, "add.1");
  EXPECT_EQ(module_->entry, module_->computations[4].get());
  EXPECT_EQ(module_->entry->signature_parameters.size(), 2u);
  EXPECT_EQ(module_->entry->signature_parameters[1].first, "q");
}

TEST_F(LongFormTest, RootNotLastAndOperandShapes) {
  const Computation& entry = *module_->entry;
  EXPECT_EQ(entry.root_index, 0);
  EXPECT_EQ(entry.root()->name, "out");
  // ROOT refers forward to later instructions.
  EXPECT_EQ(entry.root()->operands[0]->name, "done");
  const Instruction* sum = module_->FindComputation("add.1")->root();
  ASSERT_EQ(sum->operand_shapes.size(), 2u);
  EXPECT_EQ(ShapeToString(sum->operand_shapes[1]), "f32[]");
  EXPECT_EQ(sum->operands[1]->parameter_number, 1);
}

TEST_F(LongFormTest, LayoutsWithTilesMemorySpaceAndElementBits) {
  const Instruction& a = Entry("a");
  ASSERT_TRUE(a.shape.layout.has_value());
  EXPECT_EQ(a.shape.layout->tiles, (std::vector<Tile>{{8, 128}}));
  EXPECT_EQ(a.shape.layout->memory_space, 3);
  const Instruction& q = Entry("q");
  EXPECT_EQ(q.shape.layout->element_size_bits, 4);
  // s4[64] with E(4): 64 x 4 bits = 32 bytes.
  EXPECT_EQ(ShapeByteSize(q.shape).value(), 32);
}

TEST_F(LongFormTest, ShardingsOnParametersAndTupleRoot) {
  const Instruction& a = Entry("a");
  ASSERT_TRUE(a.sharding.has_value());
  EXPECT_EQ(a.sharding->explicit_devices, (std::vector<int64_t>{0, 2, 1, 3}));
  EXPECT_TRUE(a.sharding->last_tile_dim_replicate);
  EXPECT_EQ(a.sharding->metadata, "{op_name=\"a\"}");
  EXPECT_EQ(a.metadata->op_name, "a \"quoted\" 'single'");
  EXPECT_EQ(a.metadata->source_line, 3);
  EXPECT_EQ(Entry("q").sharding->kind, ShardingKind::kMaximal);
  EXPECT_EQ(Entry("q").sharding->maximal_device, 1);
  const Sharding& root = *module_->entry->root()->sharding;
  ASSERT_EQ(root.kind, ShardingKind::kTuple);
  ASSERT_EQ(root.tuple_elements.size(), 2u);
  EXPECT_EQ(root.tuple_elements[1].kind, ShardingKind::kReplicated);
  Result<Shape> tiles = ShardedTileShape(module_->entry->root()->shape, root);
  ASSERT_TRUE(tiles.ok());
  EXPECT_EQ(ShapeToString(*tiles), "(f32[2,16]{1,0}, f32[])");
}

TEST_F(LongFormTest, AsyncCollectivesInAllThreeSpellings) {
  const Instruction& ags = Entry("ags");
  EXPECT_EQ(ags.opcode, "all-gather-start");
  EXPECT_EQ(ags.dimensions, (std::vector<int64_t>{0}));
  EXPECT_EQ(ags.shape.tuple_shapes.size(), 2u);
  EXPECT_EQ(ags.replica_groups->Expand().value(), (GroupList{{0, 1, 2, 3}}));
  EXPECT_EQ(ags.backend_config,
            "{\"collective_backend_config\":{\"is_sync\":false,\"note\":\"brace } inside\"}}");
  EXPECT_EQ(Entry("agd").operands[0], &ags);
  EXPECT_EQ(Entry("agd").control_predecessors[0]->name, "q");
  const Instruction& cps = Entry("cps");
  ASSERT_TRUE(cps.source_target_pairs.has_value());
  EXPECT_EQ(cps.source_target_pairs->size(), 4u);
  EXPECT_EQ((*cps.source_target_pairs)[3], (std::pair<int64_t, int64_t>{3, 0}));
  EXPECT_EQ(cps.shape.tuple_shapes.size(), 4u);
  const Instruction& rss = Entry("rss");
  EXPECT_EQ(rss.opcode, "reduce-scatter-start");
  EXPECT_TRUE(rss.shape.tuple_shapes[0].is_tuple);
  EXPECT_EQ(rss.CalledComputationFor("to_apply")->name, "add.1");
  const Instruction& as = Entry("as");
  const Computation* wrapped = as.CalledComputationFor("calls");
  ASSERT_NE(wrapped, nullptr);
  EXPECT_EQ(wrapped->root()->opcode, "reduce-scatter");
  EXPECT_EQ(Entry("ad").operands[0]->opcode, "async-update");
}

TEST_F(LongFormTest, WhileLoopWithTripCountAndCollectiveInBody) {
  const Instruction& loop = Entry("loop");
  EXPECT_EQ(loop.known_trip_count, 10);
  const Computation* body = loop.CalledComputationFor("body");
  ASSERT_NE(body, nullptr);
  const Instruction* ar = body->Find("ar");
  ASSERT_NE(ar, nullptr);
  EXPECT_EQ(ar->replica_groups->Expand().value(), (GroupList{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_EQ(loop.CalledComputationFor("condition")->root()->FindAttribute("direction")[0], "LT");
  EXPECT_EQ(Entry("done").tuple_index, 1);
}

TEST_F(LongFormTest, LiteralsAndFrontendAttributes) {
  EXPECT_EQ(Entry("nan").literal, "nan");
  EXPECT_EQ(Entry("neg").literal, "-inf");
  EXPECT_EQ(Entry("big").literal, "{...}");
  EXPECT_EQ(Entry("lit").literal, "{ {1, 2}, {3, 4} }");
  const Instruction& done = Entry("done");
  ASSERT_EQ(done.frontend_attributes.size(), 2u);
  EXPECT_EQ(done.frontend_attributes[0], (std::pair<std::string, std::string>{"_xla_stream", "1"}));
  EXPECT_EQ(done.frontend_attributes[1].second, "{k={v}}");
}

TEST_F(LongFormTest, ConvolutionWindowAndDimLabels) {
  const Instruction& conv = Entry("conv");
  ASSERT_TRUE(conv.window.has_value());
  ASSERT_EQ(conv.window->dimensions.size(), 2u);
  EXPECT_EQ(conv.window->dimensions[0].size, 3);
  EXPECT_EQ(conv.window->dimensions[0].stride, 2);
  EXPECT_EQ(conv.window->dimensions[1].stride, 1);
  EXPECT_EQ(conv.window->dimensions[0].padding_low, 0);
  EXPECT_EQ(conv.window->dimensions[0].padding_high, 1);
  EXPECT_EQ(conv.window->dimensions[1].padding_low, 1);
  EXPECT_EQ(conv.window->dimensions[1].window_dilation, 2);
  const ConvolutionDimensionNumbers& d = *conv.convolution_dimension_numbers;
  EXPECT_EQ(d.input_batch_dim, 0);
  EXPECT_EQ(d.input_feature_dim, 3);
  EXPECT_EQ(d.input_spatial_dims, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(d.kernel_input_feature_dim, 2);
  EXPECT_EQ(d.kernel_output_feature_dim, 3);
  EXPECT_EQ(conv.feature_group_count, 2);
  EXPECT_EQ(conv.batch_group_count, 1);
  const Instruction& dot = Entry("dot");
  EXPECT_EQ(dot.dot_dimension_numbers->lhs_contracting_dims, (std::vector<int64_t>{1}));
  EXPECT_EQ(*dot.FindAttribute("operand_precision"), "{default,highest}");
}

TEST_F(LongFormTest, UnknownOpcodesTypesAndAttributesAreKept) {
  const Instruction& cc = Entry("cc");
  EXPECT_EQ(cc.custom_call_target, "Sharding");
  EXPECT_EQ(*cc.FindAttribute("mystery_attr"), "[1:2]");
  const Instruction& added = Entry("new");
  EXPECT_EQ(added.opcode, "brand-new-op");
  EXPECT_EQ(added.shape.element_type, "f8e9m9xyz");
  EXPECT_FALSE(ShapeByteSize(added.shape).ok());
  EXPECT_EQ(added.operand_names, (std::vector<std::string>{"a", "q"}));
  EXPECT_EQ(*added.FindAttribute("unknown_attr"), "{x=1}");
}

TEST(ParserTest, ShortFormWithoutHeaderOrSignatures) {
  Module module = testing::ParseOrDie(R"(
r {
  a = f32[] parameter(0)
  b = f32[] parameter(1)
  ROOT c = f32[] maximum(a, b)
}
e {
  p = f32[4]{0} parameter(0)
  z = f32[] constant(0)
  ROOT m = f32[] reduce(p, z), dimensions={0}, to_apply=r
})");
  EXPECT_EQ(module.name, "");
  EXPECT_EQ(module.entry->name, "e");  // no ENTRY: the last computation
  EXPECT_FALSE(module.entry->signature_result.has_value());
  EXPECT_EQ(module.entry->root()->CalledComputationFor("to_apply")->root()->opcode, "maximum");
}

TEST(ParserTest, DynamicAndUnboundedDimsAndEmptyTuple) {
  Module module = testing::ParseOrDie(R"(ENTRY e {
  p = f32[<=8,?,3]{2,1,0} parameter(0)
  t = () tuple()
  n = ((f32[1]{0}, (s32[], token[])), pred[]) parameter(1)
  ROOT s = f32[]{:T(256)} constant(1)
})");
  const Instruction* p = module.entry->Find("p");
  EXPECT_EQ(p->shape.dims, (std::vector<int64_t>{8, kUnboundedDim, 3}));
  EXPECT_TRUE(p->shape.IsDynamicDim(0));
  EXPECT_TRUE(p->shape.IsDynamicDim(1));
  EXPECT_FALSE(p->shape.IsDynamicDim(2));
  EXPECT_EQ(ShapeToString(p->shape), "f32[<=8,?,3]{2,1,0}");
  EXPECT_TRUE(module.entry->Find("t")->shape.is_tuple);
  EXPECT_TRUE(module.entry->Find("t")->shape.tuple_shapes.empty());
  const Shape& n = module.entry->Find("n")->shape;
  EXPECT_EQ(ShapeLeaves(n).size(), 4u);
  // 4 + 4 + 0 (token) + 1 (pred) bytes.
  EXPECT_EQ(ShapeByteSize(n).value(), 9);
  EXPECT_EQ(module.entry->root()->shape.layout->tiles, (std::vector<Tile>{{256}}));
  EXPECT_TRUE(module.entry->root()->shape.layout->minor_to_major.empty());
}

TEST(ParserTest, IndexCommentsInOperandsTupleShapesAndTupleShardings) {
  Module module = testing::ParseOrDie(R"(ENTRY e {
  a = f32[] parameter(0)
  ROOT t = (f32[], f32[], f32[], f32[], f32[], /*index=5*/f32[], f32[]) tuple(a, a, a, a, a, /*index=5*/a, a), sharding={{replicated}, {replicated}, {replicated}, {replicated}, {maximal device=0}, /*index=5*/{replicated}, {devices=[1]<=[1]}}
})");
  const Instruction* t = module.entry->root();
  EXPECT_EQ(t->shape.tuple_shapes.size(), 7u);
  EXPECT_EQ(t->operands.size(), 7u);
  ASSERT_EQ(t->sharding->tuple_elements.size(), 7u);
  EXPECT_EQ(t->sharding->tuple_elements[4].kind, ShardingKind::kMaximal);
  EXPECT_TRUE(t->sharding->tuple_elements[6].is_iota);
}

TEST(ParserTest, ShardingForms) {
  Module module = testing::ParseOrDie(R"(ENTRY e {
  a = f32[64,1024] parameter(0), sharding={devices=[4,1,2]<=[2,4]T(1,0) last_tile_dim_replicate}
  b = f32[8,8] parameter(1), sharding={devices=[2,2,2]<=[8] last_tile_dims={manual}}
  c = f32[8,8] parameter(2), sharding={devices=[2,1]0,1 shard_as 1}
  d = f32[8,8] parameter(3), sharding={manual}
  f = f32[8,8] parameter(4), sharding={unknown shard_like 2}
  g = f32[8,8] parameter(5), sharding={mesh['x'=8,'y'=4], [{'y'}, {}]}
  h = f32[8,8] parameter(6), sharding={devices=[4,4]<=[4,2,2]T(1,0,2)}
  ROOT u = f32[8,8] parameter(7), sharding={unreduced}
})");
  const Computation& e = *module.entry;
  // hlo-text.md 6.2 worked example: tile t of rows lives on devices {t, t+4}.
  const Sharding& a = *e.Find("a")->sharding;
  EXPECT_EQ(a.NumDataDims(), 2);
  EXPECT_EQ(a.Devices().value(), (std::vector<int64_t>{0, 4, 1, 5, 2, 6, 3, 7}));
  Result<Shape> a_tile = ShardedTileShape(e.Find("a")->shape, a);
  EXPECT_EQ(a_tile->dims, (std::vector<int64_t>{16, 1024}));
  EXPECT_EQ(ShapeByteSize(*a_tile).value(), 65536);
  const Sharding& b = *e.Find("b")->sharding;
  EXPECT_EQ(b.last_tile_dims, (std::vector<std::string>{"manual"}));
  EXPECT_EQ(b.NumDataDims(), 2);
  EXPECT_EQ(e.Find("c")->sharding->shard_as, 1);
  EXPECT_EQ(e.Find("d")->sharding->kind, ShardingKind::kManual);
  EXPECT_EQ(e.Find("f")->sharding->kind, ShardingKind::kUnknown);
  EXPECT_EQ(e.Find("f")->sharding->shard_like, 2);
  const Sharding& g = *e.Find("g")->sharding;
  EXPECT_EQ(g.kind, ShardingKind::kNamed);
  EXPECT_EQ(g.raw, "{mesh['x'=8,'y'=4], [{'y'}, {}]}");
  EXPECT_FALSE(ShardedTileShape(e.Find("g")->shape, g).ok());
  // hlo-text.md 6.2: [4,4]<=[4,2,2]T(1,0,2).
  EXPECT_EQ(e.Find("h")->sharding->Devices().value(),
            (std::vector<int64_t>{0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15}));
  EXPECT_EQ(e.root()->sharding->kind, ShardingKind::kUnreduced);
}

TEST(ParserTest, TileShapeUsesCeil) {
  Sharding s;
  s.kind = ShardingKind::kTiled;
  s.tile_assignment_dims = {4, 3};
  s.is_iota = true;
  s.iota_reshape_dims = {12};
  Result<Shape> tile = ShardedTileShape(Shape::Array("bf16", {10, 7}), s);
  ASSERT_TRUE(tile.ok());
  EXPECT_EQ(tile->dims, (std::vector<int64_t>{3, 3}));  // ceil(10/4), ceil(7/3)
  EXPECT_FALSE(ShardedTileShape(Shape::Array("bf16", {10}), s).ok());
}

TEST(ParserTest, ExecutionThreadAndStringModuleName) {
  Module module = testing::ParseOrDie(R"(HloModule m
%async_comp (p: f32[2]) -> f32[2] {
  %p = f32[2]{0} parameter(0)
  ROOT %n = f32[2]{0} negate(%p)
}, execution_thread="sparsecore"
ENTRY %e (x: f32[2]) -> f32[2] {
  %x = f32[2]{0} parameter(0)
  %s = ((f32[2]{0}), f32[2]{0}, u32[]) async-start(%x), async_execution_thread="sparsecore", calls=%async_comp
  ROOT %d = f32[2]{0} async-done(%s)
})");
  EXPECT_EQ(module.computations[0]->execution_thread, "sparsecore");
  EXPECT_EQ(module.entry->Find("s")->called_computations[0].computation,
            module.computations[0].get());
}

}  // namespace
}  // namespace aoizora::hlo
