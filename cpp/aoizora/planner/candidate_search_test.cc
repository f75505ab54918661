#include "aoizora/planner/candidate_search.h"

#include <gtest/gtest.h>

#include <map>

namespace aoizora {
namespace {

// A compiler stand-in for the search logic only: the real one is the Python adapter.
class FakeCompiler {
 public:
  explicit FakeCompiler(std::map<int64_t, CompileOutcome> outcomes)
      : outcomes_(std::move(outcomes)) {}
  CompileBatchFn Fn() {
    return [this](const std::vector<int64_t>& batch) {
      ++calls;
      std::vector<CompileOutcome> out;
      for (int64_t i : batch) out.push_back(outcomes_.at(i));
      return out;
    };
  }
  int calls = 0;

 private:
  std::map<int64_t, CompileOutcome> outcomes_;
};

CandidateBound Bound(std::string label, double q1, bool fits = true) {
  return CandidateBound{std::move(label), q1, -1.0, fits, fits ? "" : "needs 20 GB"};
}
CompileOutcome Ok(double q2) { return CompileOutcome{true, "", q2}; }

TEST(CandidateSearchTest, ExactModeStopsWhenBoundCannotBeatIncumbent) {
  // Q1: c=1.0 a=2.0 b=3.5 d=5.0. Compiling c gives Q2 = 3.0; a (Q1 2.0 < 3.0) must still be
  // compiled and gives 2.5; b (3.5 >= 2.5) and d are pruned without compiling.
  std::vector<CandidateBound> cands = {Bound("a", 2.0), Bound("b", 3.5), Bound("c", 1.0),
                                       Bound("d", 5.0)};
  FakeCompiler compiler({{0, Ok(2.5)}, {1, Ok(1.0)}, {2, Ok(3.0)}, {3, Ok(0.1)}});
  auto r = RunCandidateSearch(cands, SearchOptions{}, compiler.Fn());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->compile_order, (std::vector<int64_t>{2, 0}));
  ASSERT_TRUE(r->best.has_value());
  EXPECT_EQ(*r->best, 0);
  EXPECT_DOUBLE_EQ(r->best_q2_seconds, 2.5);
  EXPECT_EQ(r->status[1], CandidateStatus::kPrunedBound);
  EXPECT_EQ(r->num_compiled, 2);
  EXPECT_EQ(r->num_pruned_bound, 2);
}

TEST(CandidateSearchTest, MemoryPrunedCandidatesAreNeverCompiled) {
  std::vector<CandidateBound> cands = {Bound("big", 0.5, /*fits=*/false), Bound("ok", 1.0)};
  FakeCompiler compiler({{1, Ok(2.0)}});
  auto r = RunCandidateSearch(cands, SearchOptions{}, compiler.Fn());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status[0], CandidateStatus::kPrunedMemory);
  EXPECT_EQ(r->num_pruned_memory, 1);
  EXPECT_EQ(*r->best, 1);
}

TEST(CandidateSearchTest, FailedCompilesAreRecordedAndSkipped) {
  std::vector<CandidateBound> cands = {Bound("crash", 1.0), Bound("fine", 2.0)};
  FakeCompiler compiler(
      {{0, CompileOutcome{false, "compile timed out after 600 s", 0.0}}, {1, Ok(3.0)}});
  auto r = RunCandidateSearch(cands, SearchOptions{}, compiler.Fn());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status[0], CandidateStatus::kFailed);
  EXPECT_EQ(r->outcomes[0].failure_reason, "compile timed out after 600 s");
  EXPECT_EQ(*r->best, 1);
  EXPECT_EQ(r->num_failed, 1);
}

TEST(CandidateSearchTest, TopKTakesOneCandidatePerFamilyFirst) {
  // Priorities a1 < a2 < b1 < a3 < c1: with families a/b/c, K = 3 compiles a1, b1, c1 (the best
  // of each family) rather than a1, a2, b1; K = 4 adds the best remaining one, a2.
  auto member = [](std::string label, double priority, std::string family) {
    CandidateBound b = Bound(std::move(label), 0.5);
    b.priority_seconds = priority;
    b.family = std::move(family);
    return b;
  };
  std::vector<CandidateBound> cands = {member("a1", 1.0, "a"), member("a2", 2.0, "a"),
                                       member("b1", 3.0, "b"), member("a3", 4.0, "a"),
                                       member("c1", 5.0, "c")};
  FakeCompiler compiler({{0, Ok(9.0)}, {1, Ok(8.0)}, {2, Ok(7.0)}, {3, Ok(6.0)}, {4, Ok(5.0)}});
  SearchOptions options;
  options.mode = SearchMode::kTopK;
  options.top_k = 3;
  options.batch_size = 8;
  auto three = RunCandidateSearch(cands, options, compiler.Fn());
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->compile_order, (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(three->status[1], CandidateStatus::kOutsideTopK);
  EXPECT_EQ(*three->best, 4);
  options.top_k = 4;
  auto four = RunCandidateSearch(cands, options, compiler.Fn());
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->compile_order, (std::vector<int64_t>{0, 2, 4, 1}));
}

TEST(CandidateSearchTest, TopKCompilesExactlyKSmallestBounds) {
  std::vector<CandidateBound> cands = {Bound("a", 4.0), Bound("b", 1.0), Bound("c", 3.0),
                                       Bound("d", 2.0)};
  FakeCompiler compiler({{1, Ok(9.0)}, {3, Ok(8.0)}});
  SearchOptions options;
  options.mode = SearchMode::kTopK;
  options.top_k = 2;
  auto r = RunCandidateSearch(cands, options, compiler.Fn());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->compile_order, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(*r->best, 3);
}

TEST(CandidateSearchTest, BatchesGoToTheCompilerTogether) {
  std::vector<CandidateBound> cands = {Bound("a", 1.0), Bound("b", 1.1), Bound("c", 1.2),
                                       Bound("d", 9.0)};
  FakeCompiler compiler({{0, Ok(5.0)}, {1, Ok(4.0)}, {2, Ok(6.0)}, {3, Ok(1.0)}});
  SearchOptions options;
  options.batch_size = 2;
  auto r = RunCandidateSearch(cands, options, compiler.Fn());
  ASSERT_TRUE(r.ok());
  // Batch {a,b} then {c} (Q1 1.2 < 4.0); d (9.0 >= 4.0) is pruned.
  EXPECT_EQ(compiler.calls, 2);
  EXPECT_EQ(r->compile_order, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(*r->best, 1);
}

TEST(CandidateSearchTest, PriorityOrdersCompilesButOnlyTheBoundPrunes) {
  // a: loose bound but poor estimate; b: better estimate. b is compiled first (Q2 2.5); a's
  // bound 1.0 < 2.5 could still win, so exact mode compiles it too; c's bound 3.0 cannot.
  std::vector<CandidateBound> cands = {Bound("a", 1.0), Bound("b", 2.0), Bound("c", 3.0)};
  cands[0].priority_seconds = 5.0;
  cands[1].priority_seconds = 2.2;
  cands[2].priority_seconds = 3.1;
  FakeCompiler compiler({{0, Ok(2.0)}, {1, Ok(2.5)}, {2, Ok(0.1)}});
  auto r = RunCandidateSearch(cands, SearchOptions{}, compiler.Fn());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->compile_order, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(*r->best, 0);
  EXPECT_EQ(r->status[2], CandidateStatus::kPrunedBound);
  SearchOptions topk;
  topk.mode = SearchMode::kTopK;
  topk.top_k = 1;
  FakeCompiler again({{1, Ok(2.5)}});
  auto t = RunCandidateSearch(cands, topk, again.Fn());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->compile_order, (std::vector<int64_t>{1}));
}

TEST(CandidateSearchTest, RejectsInvalidBoundsAndOptions) {
  FakeCompiler compiler({});
  auto nan = RunCandidateSearch({Bound("weird", -1.0)}, SearchOptions{}, compiler.Fn());
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.error().message().find("weird"), std::string::npos);
  SearchOptions bad;
  bad.mode = SearchMode::kTopK;
  bad.top_k = 0;
  EXPECT_FALSE(RunCandidateSearch({Bound("a", 1.0)}, bad, compiler.Fn()).ok());
  EXPECT_EQ(compiler.calls, 0);
}

TEST(CandidateSearchTest, NothingFitsMeansNoBest) {
  FakeCompiler compiler({});
  auto r = RunCandidateSearch({Bound("a", 1.0, false)}, SearchOptions{}, compiler.Fn());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->best.has_value());
  EXPECT_EQ(compiler.calls, 0);
}

}  // namespace
}  // namespace aoizora
