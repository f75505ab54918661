// CompiledCandidate and PrecompiledCandidate on the project's compiled fixtures, the candidate
// search driven as a state machine, and the two spellings of a device order.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "aoizora/planner/candidate_search.h"
#include "aoizora/planner/compiled_candidate.h"
#include "aoizora/planner/precompiled_candidate.h"
#include "aoizora/topology/device_order.h"

namespace aoizora {
namespace {

using placement::ComputeSource;

std::string Fixture(const std::string& name) {
  const char* root = std::getenv("AOIZORA_SOURCE_DIR");
  std::ifstream in(std::string(root != nullptr ? root : ".") + "/tests/data/hlo/generated/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Topology V5e2x4() { return ParseSliceSpec("v5e:2x4").value(); }

TEST(DeviceOrderTest, CoordinatesAndIdsRoundTrip) {
  const Topology t = ParseSliceSpec("tpu7x:2x2x1").value();
  const DeviceIds ids = IdOrder(t);
  const DeviceCoordsList coords = CoordsOfDevices(t, ids);
  ASSERT_EQ(coords.size(), 8u);
  EXPECT_EQ(coords[1], (std::vector<int64_t>{0, 0, 0, 1}));  // the second core of chip 0
  EXPECT_EQ(coords[2], (std::vector<int64_t>{1, 0, 0, 0}));
  auto back = DeviceIdsOfCoords(t, coords);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, ids);
}

TEST(DeviceOrderTest, BadCoordinatesNameTheLogicalDevice) {
  auto out = DeviceIdsOfCoords(V5e2x4(), {{0, 0, 0}, {0, 4, 0}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message().find("logical device 1 is at chip (0,4,0) core 0, outside"),
            std::string::npos)
      << out.error().message();
  auto short_row = DeviceIdsOfCoords(V5e2x4(), {{0, 0}});
  ASSERT_FALSE(short_row.ok());
  EXPECT_NE(short_row.error().message().find("has 2 coordinates"), std::string::npos);
}

TEST(PrecompiledCandidateTest, Q1IsTheBoundOfItsAnalysis) {
  const std::string text = Fixture("mlp_train.tpu.pre.hlo");
  auto candidate = PrecompiledCandidate::Create(text, "mlp.pre.hlo", V5e2x4());
  ASSERT_TRUE(candidate.ok()) << candidate.error().ToString();
  auto q1 = candidate->Q1(ComputeSource::kCompiler);
  auto direct =
      ComputeQ1(AnalyzePrecompileText(text).value(), V5e2x4().chip(), ComputeSource::kCompiler);
  ASSERT_TRUE(q1.ok() && direct.ok());
  EXPECT_EQ(q1->seconds, direct->seconds);
  EXPECT_EQ(q1->flops_per_device, candidate->analysis().flops_per_device);
  EXPECT_EQ(q1->num_collectives, static_cast<int64_t>(candidate->analysis().collectives.size()));
  EXPECT_GT(q1->alpha_beta_seconds, 0.0);
}

TEST(PrecompiledCandidateTest, RefusesASliceOfAnotherSize) {
  auto candidate = PrecompiledCandidate::Create(Fixture("mlp_train.tpu.pre.hlo"), "<string>",
                                                ParseSliceSpec("v5e:4x4").value());
  ASSERT_FALSE(candidate.ok());
  EXPECT_EQ(candidate.error().message(), "the module runs on 8 devices but v5e:4x4 has 16");
}

TEST(CompiledCandidateTest, RankScoreAndOracleAgree) {
  auto candidate =
      CompiledCandidate::Create(Fixture("mlp_train.tpu.compiled.hlo"), "mlp.hlo", V5e2x4(),
                                std::vector<int64_t>{2, 4}, {"data", "model"});
  ASSERT_TRUE(candidate.ok()) << candidate.error().ToString();
  RankOptions options;
  options.top = 3;
  options.baselines = {IdOrder(V5e2x4())};
  auto ranking = candidate->Rank(options, ComputeSource::kCompiler);
  ASSERT_TRUE(ranking.ok()) << ranking.error().ToString();
  ASSERT_EQ(ranking->placements.size(), 3u);
  EXPECT_EQ(ranking->topology, "v5e:2x4");
  EXPECT_EQ(ranking->placements[0].rank, 1);
  ASSERT_EQ(ranking->baselines.size(), 1u);
  EXPECT_GE(ranking->baselines[0].rank, 1);
  EXPECT_GE(ranking->baselines[0].seconds, ranking->placements[0].seconds);

  const RankedPlacement& best = ranking->placements[0];
  EXPECT_EQ(best.device_coords, CoordsOfDevices(V5e2x4(), best.device_ids));
  auto score = candidate->Score(best.device_ids, ComputeSource::kCompiler);
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(score->breakdown.seconds, best.breakdown.seconds);

  auto oracle = candidate->Oracle(ComputeSource::kCompiler);
  ASSERT_TRUE(oracle.ok()) << oracle.error().ToString();
  EXPECT_LE(oracle->best_seconds, best.seconds * (1 + 1e-12));
  EXPECT_EQ(oracle->structured_best_seconds, best.seconds);

  auto profile = candidate->Profile(2, ComputeSource::kRoofline);
  ASSERT_TRUE(profile.ok());
  EXPECT_LE(profile->profile.ops.size(), 2u);
  EXPECT_GE(profile->num_ops, static_cast<int64_t>(profile->profile.ops.size()));
  EXPECT_EQ(profile->source_used, ComputeSource::kRoofline);
}

TEST(CompiledCandidateTest, BadMeshAndMissingMeshAreErrors) {
  const std::string text = Fixture("mlp_train.tpu.compiled.hlo");
  auto bad = CompiledCandidate::Create(text, "<string>", V5e2x4(), std::vector<int64_t>{4, 4});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  auto no_mesh = CompiledCandidate::Create(text, "<string>", V5e2x4(), std::nullopt);
  ASSERT_TRUE(no_mesh.ok());
  EXPECT_TRUE(no_mesh->Profile(1, ComputeSource::kCompiler).ok());
  auto rank = no_mesh->Rank({}, ComputeSource::kCompiler);
  ASSERT_FALSE(rank.ok());
  EXPECT_NE(rank.error().message().find("mesh_shape"), std::string::npos);
  EXPECT_FALSE(no_mesh->Profile(-1, ComputeSource::kCompiler).ok());
}

CandidateBound Bound(std::string label, double q1, double priority = -1.0,
                     std::string family = "") {
  return CandidateBound{std::move(label), q1, priority, true, "", std::move(family)};
}

// The state machine handed the same outcomes as the callback gives the same search.
TEST(CandidateSearchStateTest, DrivenLoopEqualsTheCallbackSearch) {
  std::vector<CandidateBound> cands = {Bound("a", 2.0), Bound("b", 3.5), Bound("c", 1.0),
                                       Bound("d", 1.0, 0.5), Bound("e", 2.0, 2.5)};
  cands[1].fits_memory = false;
  const std::map<int64_t, CompileOutcome> outcomes = {{0, {true, "", 2.5}},
                                                      {1, {true, "", 1.0}},
                                                      {2, {false, "oom", 0.0}},
                                                      {3, {true, "", 3.0}},
                                                      {4, {true, "", 2.2}}};
  for (SearchMode mode : {SearchMode::kExact, SearchMode::kTopK}) {
    for (int64_t batch_size : {1, 2, 3}) {
      SearchOptions options{mode, 2, batch_size};
      auto want = RunCandidateSearch(cands, options, [&](const std::vector<int64_t>& batch) {
        std::vector<CompileOutcome> out;
        for (int64_t i : batch) out.push_back(outcomes.at(i));
        return out;
      });
      ASSERT_TRUE(want.ok());
      auto search = CandidateSearch::Create(cands, options);
      ASSERT_TRUE(search.ok());
      for (auto batch = search->NextBatch(); !batch->empty(); batch = search->NextBatch()) {
        std::vector<CompileOutcome> out;
        for (int64_t i : *batch) out.push_back(outcomes.at(i));
        ASSERT_TRUE(search->Record(out).ok());
      }
      EXPECT_TRUE(search->done());
      const SearchResult& got = search->result();
      EXPECT_EQ(got.compile_order, want->compile_order);
      EXPECT_EQ(got.status, want->status);
      EXPECT_EQ(got.best, want->best);
      EXPECT_EQ(got.num_pruned_bound, want->num_pruned_bound);
      EXPECT_EQ(got.num_pruned_memory, 1);
    }
  }
}

TEST(CandidateSearchStateTest, CompileOrderAndPrunable) {
  std::vector<CandidateBound> cands = {Bound("a1", 1.0, 1.0, "a"), Bound("a2", 1.0, 1.1, "a"),
                                       Bound("b1", 1.0, 2.0, "b"), Bound("solo", 0.5, 3.0)};
  EXPECT_EQ(CompileOrder(cands, {SearchMode::kExact, 4, 1}).value(),
            (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(CompileOrder(cands, {SearchMode::kTopK, 3, 1}).value(),
            (std::vector<int64_t>{0, 2, 3}));
  EXPECT_FALSE(CompileOrder(cands, {SearchMode::kTopK, 0, 1}).ok());
  const SearchOptions exact{SearchMode::kExact, 4, 1};
  EXPECT_FALSE(Prunable(9.0, std::nullopt, exact));
  EXPECT_TRUE(Prunable(2.0, 2.0, exact));
  EXPECT_FALSE(Prunable(1.5, 2.0, exact));
  EXPECT_FALSE(Prunable(9.0, 2.0, {SearchMode::kTopK, 4, 1}));
}

TEST(CandidateSearchStateTest, MisuseIsAnError) {
  auto search =
      CandidateSearch::Create({Bound("a", 1.0), Bound("b", 2.0)}, {SearchMode::kExact, 4, 2});
  ASSERT_TRUE(search.ok());
  EXPECT_FALSE(search->Record({}).ok());  // nothing handed out yet
  ASSERT_EQ(search->NextBatch().value(), (std::vector<int64_t>{0, 1}));
  EXPECT_FALSE(search->NextBatch().ok());                // outcomes missing
  EXPECT_FALSE(search->Record({{true, "", 1.0}}).ok());  // one short
  EXPECT_FALSE(search->Record({{true, "", 1.0}, {true, "", -1.0}}).ok());
  EXPECT_EQ(search->result().num_compiled, 0);  // nothing recorded by a failed Record
  ASSERT_TRUE(search->Record({{true, "", 1.0}, {false, "oom", 0.0}}).ok());
  EXPECT_TRUE(search->NextBatch()->empty());
  EXPECT_EQ(search->result().status,
            (std::vector<CandidateStatus>{CandidateStatus::kCompiled, CandidateStatus::kFailed}));
}

TEST(CandidateSearchStateTest, ParseSearchModeNamesTheBadValue) {
  EXPECT_EQ(ParseSearchMode("topk").value(), SearchMode::kTopK);
  auto bad = ParseSearchMode("fastest");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "unknown search mode 'fastest'; use exact or topk");
}

}  // namespace
}  // namespace aoizora
