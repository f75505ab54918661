// The verifier on the hostile-input reproducers of issue 13 (cpp/aoizora/hlo/testdata/hostile/):
// each is an error naming the instruction, the value and file:line:col, or (lenient mode, for
// unknown opcodes and malformed trip counts) a listed warning.

#include "aoizora/hlo/verifier.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "aoizora/hlo/parser.h"
#include "aoizora/hlo/test_util.h"

namespace aoizora::hlo {
namespace {

std::string HostileDir() { return testing::SourceDir() + "/cpp/aoizora/hlo/testdata/hostile"; }

std::string ReadHostile(const std::string& name) {
  std::ifstream in(HostileDir() + "/" + name);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Verified {
  Status status = OkStatus();
  std::vector<std::string> warnings;
};

// Parses `text` (it must parse) and verifies it; `with_text` passes the source for the caret.
Verified Verify(const std::string& text, const std::string& filename, bool strict,
                bool with_text = true) {
  Result<Module> module = ParseModule(text, filename);
  EXPECT_TRUE(module.ok()) << module.error().message();
  Verified v;
  if (!module.ok()) return v;
  v.status = VerifyModule(*module, {strict}, v.warnings, with_text ? text : std::string_view());
  return v;
}

Verified VerifyFixture(const std::string& name, bool strict = true) {
  return Verify(ReadHostile(name), name, strict);
}

std::string ErrorOf(const Verified& v) {
  EXPECT_FALSE(v.status.ok()) << "expected a verification error";
  return v.status.ok() ? "" : v.status.error().message();
}

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(VerifierTest, UnknownOpcodeIsAnErrorWithPositionAndCaret) {
  const Verified v = VerifyFixture("unknown_opcode.hlo");
  const std::string message = ErrorOf(v);
  EXPECT_EQ(v.status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Has(message,
                  "unknown_opcode.hlo:7:3: instruction 'typo' (dott): unknown opcode "
                  "'dott'"))
      << message;
  EXPECT_TRUE(Has(message, "\n  typo = f32[64,32]{1,0} dott(a, b)")) << message;
  EXPECT_TRUE(Has(message, "\n  ^")) << message;
}

TEST(VerifierTest, WithoutTheTextTheMessageStillHasFileLineColumn) {
  const Verified v = Verify(ReadHostile("unknown_opcode.hlo"), "unknown_opcode.hlo", true, false);
  EXPECT_EQ(ErrorOf(v).rfind("unknown_opcode.hlo:7:3: instruction 'typo' (dott)", 0), 0u);
}

TEST(VerifierTest, UnknownOpcodeIsOneListedWarningWhenLenient) {
  std::string text = ReadHostile("unknown_opcode.hlo");
  // A second use of the same opcode: still one warning, counting both.
  text.replace(text.find("  ROOT sum"), 0,
               "  typo2 = f32[64,32]{1,0} dott(a, b), lhs_contracting_dims={1}, "
               "rhs_contracting_dims={0}\n");
  const Verified v = Verify(text, "unknown_opcode.hlo", false);
  ASSERT_TRUE(v.status.ok()) << v.status.error().message();
  ASSERT_EQ(v.warnings.size(), 1u);
  EXPECT_TRUE(Has(v.warnings[0],
                  "unknown_opcode.hlo:7:3: unknown opcode 'dott' (2 instructions, "
                  "the first 'typo')"))
      << v.warnings[0];
}

TEST(VerifierTest, TripCountBeyondInt64IsNotTruncated) {
  const std::string text = ReadHostile("trip_count_beyond_int64.hlo");
  Result<Module> module = ParseModule(text, "t.hlo");
  ASSERT_TRUE(module.ok());
  const Instruction* loop = module->entry->Find("loop");
  ASSERT_NE(loop, nullptr);
  EXPECT_FALSE(loop->known_trip_count.has_value());
  EXPECT_EQ(loop->malformed_known_trip_count, "12345678901234567890");

  const std::string message = ErrorOf(VerifyFixture("trip_count_beyond_int64.hlo"));
  EXPECT_TRUE(Has(message,
                  "trip_count_beyond_int64.hlo:24:3: instruction 'loop' (while): "
                  "backend_config known_trip_count n=\"12345678901234567890\" is not an "
                  "integer in [0, 2^63)"))
      << message;
  const Verified lenient = VerifyFixture("trip_count_beyond_int64.hlo", false);
  ASSERT_TRUE(lenient.status.ok());
  ASSERT_EQ(lenient.warnings.size(), 1u);
  EXPECT_TRUE(Has(lenient.warnings[0],
                  "trip_count_beyond_int64.hlo:24:3: instruction 'loop': "
                  "backend_config known_trip_count n=\"12345678901234567890\""))
      << lenient.warnings[0];
}

TEST(VerifierTest, TripCountWithExponentIsNotReadAsOne) {
  Result<Module> module = ParseModule(ReadHostile("trip_count_exponent.hlo"), "t.hlo");
  ASSERT_TRUE(module.ok());
  EXPECT_FALSE(module->entry->Find("loop")->known_trip_count.has_value());
  EXPECT_TRUE(Has(ErrorOf(VerifyFixture("trip_count_exponent.hlo")),
                  "known_trip_count n=\"1e3\" is not an integer"));
}

TEST(VerifierTest, TripCountSpellings) {
  auto count = [](const std::string& config) -> std::optional<int64_t> {
    const std::string text =
        "ENTRY e {\n  ROOT p = f32[] parameter(0), backend_config=" + config + "\n}\n";
    Result<Module> module = ParseModule(text, "t.hlo");
    EXPECT_TRUE(module.ok()) << module.error().message();
    return module.ok() ? module->entry->root()->known_trip_count : std::nullopt;
  };
  EXPECT_EQ(count(R"({"known_trip_count":{"n":"5"}})"), 5);
  EXPECT_EQ(count(R"({"known_trip_count":{"n":5}})"), 5);
  EXPECT_EQ(count(R"({"known_trip_count": {"n": "0"}})"), 0);
  EXPECT_EQ(count(R"({"known_trip_count":{"n":"9223372036854775807"}})"), INT64_MAX);
  for (const char* bad : {"9223372036854775808", "-1", "1e3", "", "0x10", "+5", "5 "}) {
    EXPECT_EQ(count(std::string(R"({"known_trip_count":{"n":")") + bad + "\"}}"), std::nullopt)
        << bad;
  }
}

TEST(VerifierTest, PermutePairBeyondThePartitionCount) {
  const std::string message = ErrorOf(VerifyFixture("permute_pair_beyond_partitions.hlo"));
  EXPECT_TRUE(Has(message,
                  "permute_pair_beyond_partitions.hlo:5:3: instruction 'cp' "
                  "(collective-permute): source_target_pairs {3,9}: partition id 9 is "
                  "outside the module's num_partitions=4"))
      << message;
  // Without a channel the ids are replica ids.
  const std::string no_channel = ErrorOf(
      Verify("HloModule m, replica_count=2\nENTRY e {\n  x = f32[4]{0} parameter(0)\n"
             "  ROOT cp = f32[4]{0} collective-permute(x), source_target_pairs={{0,1},{1,-1}}\n}\n",
             "m.hlo", true));
  EXPECT_TRUE(Has(no_channel, "replica id -1 is outside the module's replica_count=2"))
      << no_channel;
}

TEST(VerifierTest, RepeatedPermuteSourcesAndGroupIdsAreErrors) {
  // XLA's verifier rejects both; without the rule, a few printed ids could expand to billions of
  // logical pairs or group members (ids x partitions).
  std::string message =
      ErrorOf(Verify("HloModule m, num_partitions=4\nENTRY e {\n  x = f32[4]{0} parameter(0)\n"
                     "  ROOT cp = f32[4]{0} collective-permute(x), channel_id=1, "
                     "source_target_pairs={{0,1},{0,2}}\n}\n",
                     "m.hlo", true));
  EXPECT_TRUE(Has(message,
                  "m.hlo:4:3: instruction 'cp' (collective-permute): "
                  "source_target_pairs {0,2}: source 0 appears more than once"))
      << message;
  message =
      ErrorOf(Verify("HloModule m, num_partitions=4\nENTRY e {\n  x = f32[4]{0} parameter(0)\n"
                     "  ROOT cp = f32[4]{0} collective-permute(x), channel_id=1, "
                     "source_target_pairs={{0,3},{1,3}}\n}\n",
                     "m.hlo", true));
  EXPECT_TRUE(Has(message, "source_target_pairs {1,3}: target 3 appears more than once"))
      << message;
  message = ErrorOf(
      Verify("HloModule m, num_partitions=1048576\nadd {\n  a = f32[] parameter(0)\n"
             "  b = f32[] parameter(1)\n  ROOT s = f32[] add(a, b)\n}\nENTRY e {\n"
             "  x = f32[4]{0} parameter(0)\n"
             "  ROOT ar = f32[4]{0} all-reduce(x), replica_groups={{0,0,0,0}}, to_apply=add\n}\n",
             "m.hlo", true));
  EXPECT_TRUE(Has(message,
                  "m.hlo:9:3: instruction 'ar' (all-reduce): replica_groups "
                  "{{0,0,0,0}}: id 0 appears more than once"))
      << message;
}

TEST(VerifierTest, ShardingDevicesBeyondThePartitionCount) {
  std::string message = ErrorOf(VerifyFixture("sharding_device_beyond_partitions.hlo"));
  EXPECT_TRUE(Has(message,
                  "sharding_device_beyond_partitions.hlo:4:3: instruction 'x' "
                  "(parameter): sharding {devices=[2,2]0,1,2,7}: device id 7 is outside "
                  "the module's num_partitions=4"))
      << message;
  message = ErrorOf(VerifyFixture("sharding_iota_beyond_partitions.hlo"));
  EXPECT_TRUE(Has(message,
                  "sharding {devices=[2,4]<=[8]}: its 8 devices are more than the "
                  "module's num_partitions=4"))
      << message;
  message =
      ErrorOf(Verify("HloModule m, num_partitions=2\nENTRY e {\n  ROOT x = (f32[], f32[]) "
                     "parameter(0), sharding={{replicated}, {maximal device=2}}\n}\n",
                     "m.hlo", true));
  EXPECT_TRUE(Has(message, "device 2 is outside the module's num_partitions=2")) << message;
}

TEST(VerifierTest, TupleIndexOutOfRange) {
  std::string message = ErrorOf(VerifyFixture("tuple_index_out_of_range.hlo"));
  EXPECT_TRUE(Has(message,
                  "tuple_index_out_of_range.hlo:7:3: instruction 'e' "
                  "(get-tuple-element): index=5 is out of range for the 2-element tuple "
                  "'t'"))
      << message;
  message =
      ErrorOf(Verify("ENTRY e {\n  a = f32[8]{0} parameter(0)\n  ROOT g = f32[8]{0} "
                     "get-tuple-element(a), index=0\n}\n",
                     "m.hlo", true));
  EXPECT_TRUE(Has(message, "index=0 of operand 'a', which is not a tuple (f32[8])")) << message;
  message =
      ErrorOf(Verify("ENTRY e {\n  a = (f32[8]{0}) parameter(0)\n  ROOT g = f32[8]{0} "
                     "get-tuple-element(a)\n}\n",
                     "m.hlo", true));
  EXPECT_TRUE(Has(message, "get-tuple-element needs index=N")) << message;
}

TEST(VerifierTest, AbsurdShapes) {
  std::string message = ErrorOf(VerifyFixture("absurd_parameter_shape.hlo"));
  EXPECT_TRUE(Has(message,
                  "absurd_parameter_shape.hlo:4:3: instruction 'huge' (parameter): "
                  "shape f32[4294967296,4294967296] has more elements than an int64 can "
                  "count"))
      << message;
  // 2^62 elements fit, their 2^64 bytes do not.
  message = ErrorOf(Verify(
      "ENTRY e {\n  ROOT p = (f32[], f32[4611686018427387904]) parameter(0)\n}", "m.hlo", true));
  EXPECT_TRUE(Has(message,
                  "shape (f32[], f32[4611686018427387904]) has more bytes than an int64 "
                  "can count"))
      << message;
  // Unknown element types and unbounded dims have no size to check.
  EXPECT_TRUE(
      Verify("ENTRY e {\n  ROOT p = (f8e9m9xyz[4], f32[?,4]) parameter(0)\n}", "m.hlo", true)
          .status.ok());
}

TEST(VerifierTest, DeviceCountIsBounded) {
  const std::string message =
      ErrorOf(Verify("HloModule m, replica_count=1048576, num_partitions=2\nENTRY e {\n  ROOT p = "
                     "f32[] parameter(0)\n}\n",
                     "m.hlo", true));
  EXPECT_TRUE(Has(message,
                  "m.hlo: replica_count 1048576 x num_partitions 2 is more than 1048576 "
                  "devices"))
      << message;
}

TEST(VerifierTest, CallGraphCyclesDepthAndBlowUpAreErrors) {
  // A fusion that calls its own computation once sent the cost model into unbounded recursion.
  std::string message = ErrorOf(Verify(
      "HloModule m\nfused {\n  p = f32[4]{0} parameter(0)\n"
      "  ROOT f = f32[4]{0} fusion(p), kind=kLoop, calls=fused\n}\nENTRY e {\n"
      "  x = f32[4]{0} parameter(0)\n  ROOT y = f32[4]{0} fusion(x), kind=kLoop, calls=fused\n}\n",
      "m.hlo", true));
  EXPECT_TRUE(Has(message,
                  "m.hlo:4:3: instruction 'f' (fusion): calls computation 'fused', "
                  "which is already being called"))
      << message;
  // Each computation calls the previous one twice: 2^30 instruction visits once inlined.
  std::string text = "HloModule m\nc0 {\n  ROOT p = f32[] parameter(0)\n}\n";
  for (int i = 1; i <= 30; ++i) {
    const std::string prev = "c" + std::to_string(i - 1);
    text += "c" + std::to_string(i) +
            " {\n  p = f32[] parameter(0)\n  a = f32[] call(p), to_apply=" + prev +
            "\n  ROOT b = f32[] call(a), to_apply=" + prev + "\n}\n";
  }
  text += "ENTRY e {\n  x = f32[] parameter(0)\n  ROOT y = f32[] call(x), to_apply=c30\n}\n";
  message = ErrorOf(Verify(text, "m.hlo", true));
  EXPECT_TRUE(Has(message, "expands to more than 16777216 instructions")) << message;
  // A chain of 70 calls.
  text = "HloModule m\nc0 {\n  ROOT p = f32[] parameter(0)\n}\n";
  for (int i = 1; i <= 70; ++i) {
    text += "c" + std::to_string(i) + " {\n  p = f32[] parameter(0)\n  ROOT a = f32[] call(p), " +
            "to_apply=c" + std::to_string(i - 1) + "\n}\n";
  }
  message = ErrorOf(Verify(text, "m.hlo", true));
  EXPECT_TRUE(Has(message, "nest")) << message;
  EXPECT_TRUE(Has(message, "more than 64")) << message;
}

// The project's own compiled fixtures (and the handwritten TPU module) pass in strict mode.
TEST(VerifierTest, CompiledFixturesVerifyClean) {
  int checked = 0;
  for (const std::string& path :
       {testing::HandwrittenDir() + "/tpu_smoke_compiled.hlo",
        testing::SourceDir() + "/tests/data/hlo/generated/mlp_train.tpu.compiled.hlo",
        testing::SourceDir() + "/tests/data/hlo/generated/scan_shard_map.tpu.compiled.hlo",
        testing::SourceDir() + "/tests/data/hlo/generated/permute.tpu.compiled.hlo",
        testing::SourceDir() + "/tests/data/hlo/generated/splash_attention.tpu.compiled.hlo"}) {
    Result<Module> module = ParseModuleFile(path);
    ASSERT_TRUE(module.ok()) << module.error().message();
    std::vector<std::string> warnings;
    const Status status = VerifyModule(*module, {}, warnings);
    EXPECT_TRUE(status.ok()) << status.error().message();
    EXPECT_TRUE(warnings.empty());
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

}  // namespace
}  // namespace aoizora::hlo
