#include "aoizora/hlo/parser.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "aoizora/hlo/diagnostic.h"
#include "aoizora/hlo/lexer.h"
#include "aoizora/hlo/limits.h"
#include "aoizora/util/iota.h"

namespace aoizora::hlo {
namespace {

// Limits that keep hostile input from allocating without bound (ids index dense tables).
constexpr int64_t kMaxTableId = int64_t{1} << 20;
constexpr int64_t kMaxParameterNumber = int64_t{1} << 20;
constexpr int64_t kMaxTileDevices = kMaxDevices;

bool IsStackFrameSection(std::string_view word) {
  return word == "FileNames" || word == "FunctionNames" || word == "FileLocations" ||
         word == "StackFrames";
}

bool IsCalledComputationAttribute(std::string_view name) {
  return name == "calls" || name == "to_apply" || name == "body" || name == "condition" ||
         name == "select" || name == "scatter" || name == "true_computation" ||
         name == "false_computation" || name == "branch_computations" ||
         name == "called_computations" || name == "comparator";
}

// The "n" of "known_trip_count":{"n":"N"} (N quoted or not) in backend_config JSON, as printed:
// nullopt if there is no such field. Whether it is a valid count is KnownTripCountValue's call.
std::optional<std::string_view> FindKnownTripCountText(std::string_view json) {
  const size_t key = json.find("\"known_trip_count\"");
  if (key == std::string_view::npos) return std::nullopt;
  const size_t n_key = json.find("\"n\"", key);
  if (n_key == std::string_view::npos) return std::nullopt;
  size_t p = n_key + 3;
  while (p < json.size() && (json[p] == ' ' || json[p] == ':')) ++p;
  if (p < json.size() && json[p] == '"') {
    const size_t close = json.find('"', p + 1);
    if (close == std::string_view::npos) return json.substr(p + 1);
    return json.substr(p + 1, close - p - 1);
  }
  size_t end = p;
  while (end < json.size() && json[end] != ',' && json[end] != '}' && json[end] != ' ') ++end;
  return json.substr(p, end - p);
}

// A trip count as printed: decimal digits only, at most INT64_MAX ("1e3", "-1", "" and 20-digit
// values are nullopt, never truncated).
std::optional<int64_t> KnownTripCountValue(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const int64_t digit = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

class TokenParser {
 public:
  TokenParser(std::string_view text, std::string_view filename, const ParseOptions& options,
              size_t begin, size_t end)
      : text_(text), filename_(filename), options_(options), lexer_(text, begin, end) {
    Advance();
  }

  Result<Module> ParseModule();

  // Value parsers (each consumes one value starting at the current token).
  Result<Shape> ParseShape();
  Result<Sharding> ParseSharding();
  Result<ReplicaGroups> ParseReplicaGroups();
  Result<std::vector<int64_t>> ParseBracedInts();  // {1,2,3}
  Result<std::vector<std::pair<int64_t, int64_t>>> ParsePairs();
  Result<std::vector<int64_t>> ParseMeshDeviceIds();  // device_ids=(...)
  Result<Window> ParseWindow();
  Result<ConvolutionDimensionNumbers> ParseDimLabels();
  Result<OpMetadata> ParseMetadata();
  Result<std::vector<std::pair<std::string, std::string>>> ParseFrontendAttributes();
  Result<std::vector<std::string>> ParseNameList();  // %a or {%a, %b}
  Result<ProgramShape> ParseProgramShape();
  Result<int64_t> ParseInt();
  Result<bool> ParseBool();
  Result<std::string> ParseStringValue();  // "..." unescaped
  Result<std::string> ParseIdentValue();

  // Fails unless every token of the window was consumed.
  Status ExpectEnd(std::string_view what);

 private:
  // RAII nesting guard: every recursive production takes one.
  class DepthGuard {
   public:
    explicit DepthGuard(TokenParser& parser) : parser_(parser) { ++parser_.depth_; }
    ~DepthGuard() { --parser_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    bool too_deep() const { return parser_.depth_ > parser_.options_.max_nesting; }

   private:
    TokenParser& parser_;
  };

  void Advance() { tok_ = lexer_.Next(); }
  Token PeekToken() const {
    Lexer copy = lexer_;
    return copy.Next();
  }
  bool At(TokenKind kind) const { return tok_.kind == kind; }
  bool AtIdent(std::string_view word) const {
    return tok_.kind == TokenKind::kIdent && tok_.text == word;
  }
  bool Consume(TokenKind kind) {
    if (tok_.kind != kind) return false;
    Advance();
    return true;
  }
  // The next character after the current token (no skipping); '\0' at the end.
  char CharAfterToken() const { return tok_.end < text_.size() ? text_[tok_.end] : '\0'; }

  Error ErrorAt(size_t offset, std::string_view message) const {
    return MakeParseError(text_, filename_, offset, message);
  }
  std::string Describe(const Token& token) const;
  Error Expected(std::string_view what) const {
    if (tok_.kind == TokenKind::kError) return ErrorAt(tok_.begin, tok_.text);
    return ErrorAt(tok_.begin, "expected " + std::string(what) + ", got " + Describe(tok_));
  }
  Status Expect(TokenKind kind, std::string_view what) {
    if (!Consume(kind)) return Expected(what);
    return OkStatus();
  }
  Error TooDeep() const {
    return ErrorAt(tok_.begin, "nesting deeper than " + std::to_string(options_.max_nesting));
  }

  TokenParser Sub(size_t begin, size_t end) const {
    TokenParser sub(text_, filename_, options_, begin, end);
    sub.depth_ = depth_;
    return sub;
  }
  // Scans a raw attribute value starting at `pos`; returns its end offset.
  Result<size_t> ScanValue(size_t pos) const;

  Result<Layout> ParseLayout();
  Result<std::vector<int64_t>> ParseIntList(TokenKind open, TokenKind close);
  Result<Sharding> ParseSingleSharding();
  Status ParseStackFrames(Module& module);
  Result<std::unique_ptr<Computation>> ParseComputation();
  Status ParseInstruction(Instruction& inst);
  Status ParseOperands(Instruction& instruction);
  Status ApplyAttribute(Instruction& instruction, const Attribute& attribute, size_t begin,
                        size_t end);
  Status ApplyModuleAttribute(Module& module, const Attribute& attribute, size_t begin, size_t end);
  Status Resolve(Computation& computation);
  Status ResolveCalls(Module& module);
  Status SkipBalancedTokens();  // skips one token, or a whole bracketed group

  // Line and column of `offset`, counting newlines from the last position asked for (offsets
  // only grow as instructions are parsed, so the whole text is scanned once).
  SourcePosition PositionAt(size_t offset) {
    if (offset < cursor_offset_) {
      cursor_offset_ = cursor_line_start_ = 0;
      cursor_line_ = 1;
    }
    offset = std::min(offset, text_.size());
    for (size_t i = cursor_offset_; i < offset; ++i) {
      if (text_[i] == '\n') {
        ++cursor_line_;
        cursor_line_start_ = i + 1;
      }
    }
    cursor_offset_ = offset;
    return {cursor_line_, static_cast<int64_t>(offset - cursor_line_start_) + 1};
  }

  std::string_view text_;
  std::string_view filename_;
  const ParseOptions& options_;
  Lexer lexer_;
  Token tok_;
  int depth_ = 0;
  size_t cursor_offset_ = 0;
  size_t cursor_line_start_ = 0;
  int64_t cursor_line_ = 1;
};

std::string TokenParser::Describe(const Token& token) const {
  switch (token.kind) {
    case TokenKind::kEof:
      return "end of input";
    case TokenKind::kError:
      return std::string(token.text);
    default: {
      std::string shown(text_.substr(token.begin, std::min<size_t>(token.end - token.begin, 40)));
      return std::string(TokenKindName(token.kind)) + " '" + shown + "'";
    }
  }
}

Status TokenParser::ExpectEnd(std::string_view what) {
  if (tok_.kind == TokenKind::kEof) return OkStatus();
  if (tok_.kind == TokenKind::kError) return ErrorAt(tok_.begin, tok_.text);
  return ErrorAt(tok_.begin, "unexpected " + Describe(tok_) + " after " + std::string(what));
}

Result<size_t> TokenParser::ScanValue(size_t pos) const {
  std::string error;
  size_t error_pos = 0;
  const size_t end = lexer_.ScanRawValue(pos, options_.max_nesting, error, error_pos);
  if (end == std::string_view::npos) return ErrorAt(error_pos, error);
  return end;
}

Status TokenParser::SkipBalancedTokens() {
  int depth = 0;
  do {
    switch (tok_.kind) {
      case TokenKind::kEof:
        return Expected("a closing bracket");
      case TokenKind::kError:
        return ErrorAt(tok_.begin, tok_.text);
      case TokenKind::kLBrace:
      case TokenKind::kLParen:
      case TokenKind::kLSquare:
        if (++depth > options_.max_nesting) return TooDeep();
        break;
      case TokenKind::kRBrace:
      case TokenKind::kRParen:
      case TokenKind::kRSquare:
        if (--depth < 0) return Expected("a value");
        break;
      default:
        break;
    }
    Advance();
  } while (depth > 0);
  return OkStatus();
}

Result<int64_t> TokenParser::ParseInt() {
  if (!At(TokenKind::kInt)) return Expected("an integer");
  const int64_t value = tok_.int_value;
  Advance();
  return value;
}

Result<bool> TokenParser::ParseBool() {
  if (AtIdent("true")) {
    Advance();
    return true;
  }
  if (AtIdent("false")) {
    Advance();
    return false;
  }
  return Expected("true or false");
}

Result<std::string> TokenParser::ParseStringValue() {
  if (!At(TokenKind::kString)) return Expected("a string");
  std::string value = Unescape(tok_.text);
  Advance();
  return value;
}

Result<std::string> TokenParser::ParseIdentValue() {
  if (!At(TokenKind::kIdent)) return Expected("a name");
  std::string value(tok_.text);
  Advance();
  return value;
}

Result<std::vector<int64_t>> TokenParser::ParseIntList(TokenKind open, TokenKind close) {
  const std::string open_name(TokenKindName(open));
  if (!Consume(open)) return Expected(open_name);
  std::vector<int64_t> values;
  if (Consume(close)) return values;
  while (true) {
    AOIZORA_ASSIGN_OR_RETURN(int64_t value, ParseInt());
    values.push_back(value);
    if (Consume(close)) return values;
    if (!Consume(TokenKind::kComma)) return Expected("',' or " + std::string(TokenKindName(close)));
  }
}

Result<std::vector<int64_t>> TokenParser::ParseBracedInts() {
  return ParseIntList(TokenKind::kLBrace, TokenKind::kRBrace);
}

// ---------------------------------------------------------------------------------------------
// Shapes and layouts.

Result<Shape> TokenParser::ParseShape() {
  DepthGuard guard(*this);
  if (guard.too_deep()) return TooDeep();
  if (Consume(TokenKind::kLParen)) {
    Shape tuple;
    tuple.is_tuple = true;
    if (Consume(TokenKind::kRParen)) return tuple;
    while (true) {
      AOIZORA_ASSIGN_OR_RETURN(Shape element, ParseShape());
      tuple.tuple_shapes.push_back(std::move(element));
      if (Consume(TokenKind::kRParen)) return tuple;
      if (!Consume(TokenKind::kComma)) return Expected("',' or ')' in tuple shape");
    }
  }
  if (!At(TokenKind::kIdent) || CharAfterToken() != '[') return Expected("a shape");
  Shape shape;
  shape.element_type = std::string(tok_.text);
  Advance();
  if (!Consume(TokenKind::kLSquare)) return Expected("'['");
  if (!Consume(TokenKind::kRSquare)) {
    while (true) {
      bool dynamic = false;
      int64_t dim = 0;
      if (Consume(TokenKind::kQuestion)) {
        dynamic = true;
        dim = kUnboundedDim;
      } else {
        dynamic = Consume(TokenKind::kLeq);
        if (!At(TokenKind::kInt)) return Expected("a dimension size");
        if (tok_.int_value < 0)
          return ErrorAt(tok_.begin, "negative dimension size " + std::string(tok_.text));
        dim = tok_.int_value;
        Advance();
      }
      if (dynamic) shape.dynamic_dims.resize(shape.dims.size() + 1, false);
      shape.dims.push_back(dim);
      if (!shape.dynamic_dims.empty()) {
        shape.dynamic_dims.resize(shape.dims.size(), false);
        shape.dynamic_dims.back() = dynamic;
      }
      if (Consume(TokenKind::kRSquare)) break;
      if (!Consume(TokenKind::kComma)) return Expected("',' or ']' in dimensions");
    }
  }
  if (At(TokenKind::kLBrace)) {
    const TokenKind next = PeekToken().kind;
    if (next == TokenKind::kInt || next == TokenKind::kColon || next == TokenKind::kRBrace) {
      AOIZORA_ASSIGN_OR_RETURN(Layout layout, ParseLayout());
      shape.layout = std::move(layout);
    }
  }
  return shape;
}

Result<Layout> TokenParser::ParseLayout() {
  Layout layout;
  if (!Consume(TokenKind::kLBrace)) return Expected("'{'");
  while (At(TokenKind::kInt)) {
    layout.minor_to_major.push_back(tok_.int_value);
    Advance();
    if (!Consume(TokenKind::kComma)) break;
  }
  if (Consume(TokenKind::kColon)) {
    while (!At(TokenKind::kRBrace)) {
      if (AtIdent("T")) {
        Advance();
        if (!At(TokenKind::kLParen)) return Expected("'(' after T");
        while (Consume(TokenKind::kLParen)) {
          Tile tile;
          while (true) {
            if (Consume(TokenKind::kStar)) {
              tile.push_back(kTileCombineDim);
            } else {
              AOIZORA_ASSIGN_OR_RETURN(int64_t size, ParseInt());
              tile.push_back(size);
            }
            if (Consume(TokenKind::kRParen)) break;
            if (!Consume(TokenKind::kComma)) return Expected("',' or ')' in tile");
          }
          layout.tiles.push_back(std::move(tile));
        }
        continue;
      }
      if (AtIdent("E") || AtIdent("S")) {
        const bool is_e = tok_.text == "E";
        Advance();
        if (!Consume(TokenKind::kLParen)) return Expected("'('");
        AOIZORA_ASSIGN_OR_RETURN(int64_t value, ParseInt());
        if (!Consume(TokenKind::kRParen)) return Expected("')'");
        (is_e ? layout.element_size_bits : layout.memory_space) = value;
        continue;
      }
      if (At(TokenKind::kIdent) || At(TokenKind::kHash) || At(TokenKind::kStar)) {
        // D(..), L(n), #(type), *(type), SC(..), P(shape), M(n): kept as text.
        const size_t begin = tok_.begin;
        Advance();
        if (!At(TokenKind::kLParen)) return Expected("'(' in layout");
        size_t end = tok_.end;
        while (At(TokenKind::kLParen)) {
          AOIZORA_RETURN_IF_ERROR(SkipBalancedTokens());
          end = lexer_.position();
          if (At(TokenKind::kRBrace) || At(TokenKind::kEof)) end = tok_.begin;
        }
        std::string_view raw = text_.substr(begin, end - begin);
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '}')) raw.remove_suffix(1);
        layout.other += raw;
        continue;
      }
      return Expected("a layout field (T, E, S, ...) or '}'");
    }
  }
  if (!Consume(TokenKind::kRBrace)) return Expected("'}' closing the layout");
  return layout;
}

Result<ProgramShape> TokenParser::ParseProgramShape() {
  ProgramShape program;
  if (!Consume(TokenKind::kLBrace)) return Expected("'{'");
  if (!Consume(TokenKind::kLParen)) return Expected("'(' starting the parameter shapes");
  if (!Consume(TokenKind::kRParen)) {
    while (true) {
      AOIZORA_ASSIGN_OR_RETURN(Shape shape, ParseShape());
      program.parameters.push_back(std::move(shape));
      if (Consume(TokenKind::kRParen)) break;
      if (!Consume(TokenKind::kComma)) return Expected("',' or ')'");
    }
  }
  if (!Consume(TokenKind::kArrow)) return Expected("'->'");
  AOIZORA_ASSIGN_OR_RETURN(program.result, ParseShape());
  if (!Consume(TokenKind::kRBrace)) return Expected("'}'");
  return program;
}

// ---------------------------------------------------------------------------------------------
// Shardings and device groups.

Result<Sharding> TokenParser::ParseSharding() {
  DepthGuard guard(*this);
  if (guard.too_deep()) return TooDeep();
  const size_t begin = tok_.begin;
  if (!Consume(TokenKind::kLBrace)) return Expected("'{' starting a sharding");
  Sharding sharding;
  if (At(TokenKind::kLBrace) || At(TokenKind::kRBrace)) {
    sharding.kind = ShardingKind::kTuple;
    if (!Consume(TokenKind::kRBrace)) {
      while (true) {
        AOIZORA_ASSIGN_OR_RETURN(Sharding element, ParseSharding());
        sharding.tuple_elements.push_back(std::move(element));
        if (Consume(TokenKind::kRBrace)) break;
        if (!Consume(TokenKind::kComma)) return Expected("',' or '}' in tuple sharding");
      }
    }
  } else {
    AOIZORA_ASSIGN_OR_RETURN(sharding, ParseSingleSharding());
    if (!Consume(TokenKind::kRBrace)) return Expected("'}' closing the sharding");
  }
  const size_t end = tok_.kind == TokenKind::kEof ? lexer_.limit() : tok_.begin;
  std::string_view raw = text_.substr(begin, end - begin);
  while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
  sharding.raw = std::string(raw);
  return sharding;
}

Result<Sharding> TokenParser::ParseSingleSharding() {
  Sharding sharding;
  if (AtIdent("mesh") || AtIdent("maximal_mesh")) {
    // Named (V3) sharding: kept raw; skip to the closing brace of this sharding.
    sharding.kind = ShardingKind::kNamed;
    while (!At(TokenKind::kRBrace)) {
      if (At(TokenKind::kEof)) return Expected("'}' closing the sharding");
      AOIZORA_RETURN_IF_ERROR(SkipBalancedTokens());
    }
    return sharding;
  }
  if (AtIdent("replicated") || AtIdent("manual") || AtIdent("unknown") || AtIdent("unreduced")) {
    sharding.kind = tok_.text == "replicated" ? ShardingKind::kReplicated
                    : tok_.text == "manual"   ? ShardingKind::kManual
                    : tok_.text == "unknown"  ? ShardingKind::kUnknown
                                              : ShardingKind::kUnreduced;
    Advance();
  } else if (AtIdent("maximal")) {
    sharding.kind = ShardingKind::kMaximal;
    Advance();
    if (!At(TokenKind::kAttrName) || tok_.text != "device") return Expected("device=");
    Advance();
    AOIZORA_ASSIGN_OR_RETURN(sharding.maximal_device, ParseInt());
  } else if (At(TokenKind::kAttrName) && tok_.text == "devices") {
    sharding.kind = ShardingKind::kTiled;
    Advance();
    AOIZORA_ASSIGN_OR_RETURN(sharding.tile_assignment_dims,
                             ParseIntList(TokenKind::kLSquare, TokenKind::kRSquare));
    int64_t devices = 1;
    for (int64_t d : sharding.tile_assignment_dims) {
      if (d <= 0) return ErrorAt(tok_.begin, "tile assignment dimensions must be positive");
      devices *= d;
      if (devices > kMaxTileDevices) return ErrorAt(tok_.begin, "tile assignment is too large");
    }
    if (Consume(TokenKind::kLeq)) {
      sharding.is_iota = true;
      AOIZORA_ASSIGN_OR_RETURN(sharding.iota_reshape_dims,
                               ParseIntList(TokenKind::kLSquare, TokenKind::kRSquare));
      if (AtIdent("T") && CharAfterToken() == '(') {
        Advance();
        AOIZORA_ASSIGN_OR_RETURN(sharding.iota_perm,
                                 ParseIntList(TokenKind::kLParen, TokenKind::kRParen));
      }
    } else {
      while (true) {
        AOIZORA_ASSIGN_OR_RETURN(int64_t device, ParseInt());
        sharding.explicit_devices.push_back(device);
        if (static_cast<int64_t>(sharding.explicit_devices.size()) > devices) {
          return ErrorAt(tok_.begin, "more devices than the tile assignment " +
                                         std::to_string(devices) + " holds");
        }
        if (!Consume(TokenKind::kComma)) break;
      }
      if (static_cast<int64_t>(sharding.explicit_devices.size()) != devices) {
        return ErrorAt(tok_.begin, "tile assignment needs " + std::to_string(devices) +
                                       " devices, got " +
                                       std::to_string(sharding.explicit_devices.size()));
      }
    }
  } else {
    return Expected("a sharding (replicated, maximal, devices=..., manual, ...)");
  }
  // Trailing fields, in printed order but accepted in any.
  while (!At(TokenKind::kRBrace)) {
    if (AtIdent("last_tile_dim_replicate")) {
      sharding.last_tile_dim_replicate = true;
      Advance();
    } else if (At(TokenKind::kAttrName) && tok_.text == "last_tile_dims") {
      Advance();
      if (!Consume(TokenKind::kLBrace)) return Expected("'{'");
      while (!Consume(TokenKind::kRBrace)) {
        AOIZORA_ASSIGN_OR_RETURN(std::string type, ParseIdentValue());
        sharding.last_tile_dims.push_back(std::move(type));
        if (!At(TokenKind::kRBrace) && !Consume(TokenKind::kComma)) return Expected("',' or '}'");
      }
    } else if (AtIdent("shard_as") || AtIdent("shard_like")) {
      const bool as = tok_.text == "shard_as";
      Advance();
      AOIZORA_ASSIGN_OR_RETURN(int64_t group, ParseInt());
      (as ? sharding.shard_as : sharding.shard_like) = group;
    } else if (At(TokenKind::kAttrName) && tok_.text == "metadata") {
      Advance();
      const size_t begin = tok_.begin;
      AOIZORA_RETURN_IF_ERROR(SkipBalancedTokens());
      sharding.metadata = std::string(text_.substr(begin, lexer_.position() - begin));
      if (!At(TokenKind::kEof))
        sharding.metadata = std::string(text_.substr(begin, tok_.begin - begin));
      while (!sharding.metadata.empty() && sharding.metadata.back() == ' ')
        sharding.metadata.pop_back();
    } else {
      return Expected("a sharding field or '}'");
    }
  }
  if (sharding.kind == ShardingKind::kTiled && sharding.NumDataDims() < 0) {
    return ErrorAt(tok_.begin,
                   "tile assignment has fewer dimensions than its replicated/subgroup "
                   "dimensions");
  }
  return sharding;
}

Result<ReplicaGroups> TokenParser::ParseReplicaGroups() {
  ReplicaGroups groups;
  const size_t begin = tok_.begin;
  if (At(TokenKind::kLBrace)) {
    groups.form = ReplicaGroupsForm::kExplicit;
    Advance();
    if (!Consume(TokenKind::kRBrace)) {
      while (true) {
        AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> group, ParseBracedInts());
        groups.explicit_groups.push_back(std::move(group));
        if (Consume(TokenKind::kRBrace)) break;
        if (!Consume(TokenKind::kComma)) return Expected("',' or '}' in replica groups");
      }
    }
  } else if (At(TokenKind::kLSquare)) {
    groups.form = ReplicaGroupsForm::kIota;
    AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> gs,
                             ParseIntList(TokenKind::kLSquare, TokenKind::kRSquare));
    if (gs.size() != 2) return ErrorAt(begin, "iota replica groups need [groups,size]");
    groups.iota_num_groups = gs[0];
    groups.iota_group_size = gs[1];
    if (!Consume(TokenKind::kLeq)) return Expected("'<='");
    AOIZORA_ASSIGN_OR_RETURN(groups.iota_reshape_dims,
                             ParseIntList(TokenKind::kLSquare, TokenKind::kRSquare));
    if (AtIdent("T") && CharAfterToken() == '(') {
      Advance();
      AOIZORA_ASSIGN_OR_RETURN(groups.iota_perm,
                               ParseIntList(TokenKind::kLParen, TokenKind::kRParen));
    }
  } else if (AtIdent("mesh")) {
    groups.form = ReplicaGroupsForm::kMeshAxes;
    Advance();
    if (!Consume(TokenKind::kLSquare)) return Expected("'[' after mesh");
    while (!Consume(TokenKind::kRSquare)) {
      MeshAxis axis;
      if (!At(TokenKind::kString)) return Expected("a quoted mesh axis name");
      axis.name = Unescape(tok_.text);
      Advance();
      if (!Consume(TokenKind::kEqual)) return Expected("'='");
      AOIZORA_ASSIGN_OR_RETURN(axis.size, ParseInt());
      groups.mesh_axes.push_back(std::move(axis));
      if (!At(TokenKind::kRSquare) && !Consume(TokenKind::kComma)) return Expected("',' or ']'");
    }
    if (At(TokenKind::kComma)) {
      Advance();
      if (!At(TokenKind::kAttrName) || tok_.text != "device_ids") return Expected("device_ids=");
      Advance();
      AOIZORA_ASSIGN_OR_RETURN(groups.mesh_device_ids, ParseMeshDeviceIds());
    }
    if (!Consume(TokenKind::kLBrace)) return Expected("'{' listing the grouped axes");
    while (!Consume(TokenKind::kRBrace)) {
      MeshAxisRef ref;
      if (!At(TokenKind::kString)) return Expected("a quoted mesh axis name");
      ref.name = Unescape(tok_.text);
      Advance();
      if (Consume(TokenKind::kColon)) {
        if (!Consume(TokenKind::kLParen)) return Expected("'(' in sub-axis");
        AOIZORA_ASSIGN_OR_RETURN(ref.sub_axis_pre_size, ParseInt());
        if (!Consume(TokenKind::kRParen)) return Expected("')' in sub-axis");
        AOIZORA_ASSIGN_OR_RETURN(ref.sub_axis_size, ParseInt());
      }
      groups.group_axes.push_back(std::move(ref));
      if (!At(TokenKind::kRBrace) && !Consume(TokenKind::kComma)) return Expected("',' or '}'");
    }
  } else {
    return Expected("replica groups ({{..}}, [G,S]<=[..] or mesh[..] {..})");
  }
  const size_t end = tok_.kind == TokenKind::kEof ? lexer_.limit() : tok_.begin;
  groups.raw = std::string(text_.substr(begin, end - begin));
  return groups;
}

Result<std::vector<int64_t>> TokenParser::ParseMeshDeviceIds() {
  const size_t at = tok_.begin;
  if (!Consume(TokenKind::kLParen)) return Expected("'(' after device_ids=");
  std::vector<int64_t> ids;
  if (At(TokenKind::kLSquare)) {  // iota tile assignment [dims]T(perm)
    AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                             ParseIntList(TokenKind::kLSquare, TokenKind::kRSquare));
    std::vector<int64_t> perm;
    if (AtIdent("T") && CharAfterToken() == '(') {
      Advance();
      AOIZORA_ASSIGN_OR_RETURN(perm, ParseIntList(TokenKind::kLParen, TokenKind::kRParen));
    }
    if (!DeviceCount(dims)) return ErrorAt(at, "device_ids iota is empty or too large");
    Result<std::vector<int64_t>> expanded = ExpandIota(dims, perm);
    if (!expanded.ok()) return ErrorAt(at, expanded.error().message());
    ids = std::move(expanded).value();
    if (!Consume(TokenKind::kRParen)) return Expected("')'");
    return ids;
  }
  while (!Consume(TokenKind::kRParen)) {
    AOIZORA_ASSIGN_OR_RETURN(int64_t id, ParseInt());
    ids.push_back(id);
    if (static_cast<int64_t>(ids.size()) > kMaxTileDevices)
      return ErrorAt(at, "too many device ids");
    if (!At(TokenKind::kRParen) && !Consume(TokenKind::kComma)) return Expected("',' or ')'");
  }
  return ids;
}

Result<std::vector<std::pair<int64_t, int64_t>>> TokenParser::ParsePairs() {
  std::vector<std::pair<int64_t, int64_t>> pairs;
  if (!Consume(TokenKind::kLBrace)) return Expected("'{'");
  if (Consume(TokenKind::kRBrace)) return pairs;
  while (true) {
    const size_t at = tok_.begin;
    AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> pair, ParseBracedInts());
    if (pair.size() != 2) return ErrorAt(at, "a source-target pair needs exactly two ids");
    pairs.emplace_back(pair[0], pair[1]);
    if (Consume(TokenKind::kRBrace)) return pairs;
    if (!Consume(TokenKind::kComma)) return Expected("',' or '}'");
  }
}

// ---------------------------------------------------------------------------------------------
// Convolution and metadata attributes.

namespace {

// "3x3" / "3" -> {3,3} / {3}; "0_1x2_3" -> {{0,1},{2,3}}.
std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool ToInt(std::string_view text, int64_t& value) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text.size() > 18) return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (negative) value = -value;
  return true;
}

}  // namespace

Result<Window> TokenParser::ParseWindow() {
  Window window;
  if (!Consume(TokenKind::kLBrace)) return Expected("'{'");
  bool have_size = false;
  while (!Consume(TokenKind::kRBrace)) {
    if (!At(TokenKind::kAttrName)) return Expected("a window field (size=, stride=, pad=, ...)");
    const std::string_view field = tok_.text;
    const size_t field_at = tok_.begin;
    Advance();
    if (!At(TokenKind::kInt) && !At(TokenKind::kDxD) && !At(TokenKind::kPad)) {
      return Expected("a window value such as 3x3 or 0_1x0_1");
    }
    const std::string_view value = tok_.text;
    Advance();
    std::vector<std::string_view> parts = Split(value, 'x');
    if (field == "size") {
      have_size = true;
      window.dimensions.resize(parts.size());
    } else if (!have_size || parts.size() != window.dimensions.size()) {
      return ErrorAt(field_at, "window field '" + std::string(field) +
                                   "' must follow size= and have one entry per dimension");
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      WindowDimension& dim = window.dimensions[i];
      if (field == "pad") {
        std::vector<std::string_view> lohi = Split(parts[i], '_');
        if (lohi.size() != 2 || !ToInt(lohi[0], dim.padding_low) ||
            !ToInt(lohi[1], dim.padding_high)) {
          return ErrorAt(field_at, "bad window padding '" + std::string(value) + "'");
        }
        continue;
      }
      int64_t v = 0;
      if (!ToInt(parts[i], v))
        return ErrorAt(field_at, "bad window value '" + std::string(value) + "'");
      if (field == "size") {
        dim.size = v;
      } else if (field == "stride") {
        dim.stride = v;
      } else if (field == "lhs_dilate") {
        dim.base_dilation = v;
      } else if (field == "rhs_dilate") {
        dim.window_dilation = v;
      } else if (field == "rhs_reversal") {
        dim.window_reversal = v != 0;
      } else {
        return ErrorAt(field_at, "unknown window field '" + std::string(field) + "'");
      }
    }
  }
  return window;
}

Result<ConvolutionDimensionNumbers> TokenParser::ParseDimLabels() {
  if (!At(TokenKind::kDimLabels)) return Expected("dim labels such as b01f_01io->b01f");
  const size_t at = tok_.begin;
  const std::string_view labels = tok_.text;
  Advance();
  ConvolutionDimensionNumbers dnums;
  dnums.labels = std::string(labels);
  const size_t underscore = labels.find('_');
  const size_t arrow = labels.find("->");
  const std::string_view input = labels.substr(0, underscore);
  const std::string_view kernel = labels.substr(underscore + 1, arrow - underscore - 1);
  const std::string_view output = labels.substr(arrow + 2);
  // Each part: letter positions plus spatial digits 0..n-1 in any order, each once.
  auto parse_part = [&](std::string_view part, char a, char b, int64_t& pos_a, int64_t& pos_b,
                        std::vector<int64_t>& spatial) -> Status {
    pos_a = pos_b = -1;
    std::vector<int64_t> by_digit(part.size(), -1);
    size_t num_spatial = 0;
    for (size_t i = 0; i < part.size(); ++i) {
      const char c = part[i];
      const int64_t pos = static_cast<int64_t>(i);
      if (c == a && pos_a < 0) {
        pos_a = pos;
      } else if (c == b && pos_b < 0) {
        pos_b = pos;
      } else if (c >= '0' && c <= '9' && static_cast<size_t>(c - '0') < part.size() &&
                 by_digit[static_cast<size_t>(c - '0')] < 0) {
        by_digit[static_cast<size_t>(c - '0')] = pos;
        ++num_spatial;
      } else if (c != '?') {
        return ErrorAt(
            at, "bad dim labels '" + std::string(labels) + "' at '" + std::string(1, c) + "'");
      }
    }
    if (pos_a < 0 || pos_b < 0) {
      return ErrorAt(at, "dim labels '" + std::string(labels) + "' lack '" + std::string(1, a) +
                             "' or '" + std::string(1, b) + "'");
    }
    for (size_t d = 0; d < num_spatial; ++d) {
      if (by_digit[d] < 0)
        return ErrorAt(at, "dim labels '" + std::string(labels) + "' skip a spatial digit");
      spatial.push_back(by_digit[d]);
    }
    return OkStatus();
  };
  AOIZORA_RETURN_IF_ERROR(parse_part(input, 'b', 'f', dnums.input_batch_dim,
                                     dnums.input_feature_dim, dnums.input_spatial_dims));
  AOIZORA_RETURN_IF_ERROR(parse_part(kernel, 'i', 'o', dnums.kernel_input_feature_dim,
                                     dnums.kernel_output_feature_dim, dnums.kernel_spatial_dims));
  AOIZORA_RETURN_IF_ERROR(parse_part(output, 'b', 'f', dnums.output_batch_dim,
                                     dnums.output_feature_dim, dnums.output_spatial_dims));
  if (dnums.input_spatial_dims.size() != dnums.kernel_spatial_dims.size() ||
      dnums.input_spatial_dims.size() != dnums.output_spatial_dims.size()) {
    return ErrorAt(at, "dim labels '" + std::string(labels) + "' have different spatial ranks");
  }
  return dnums;
}

Result<OpMetadata> TokenParser::ParseMetadata() {
  OpMetadata metadata;
  if (!Consume(TokenKind::kLBrace)) return Expected("'{'");
  while (!Consume(TokenKind::kRBrace)) {
    if (Consume(TokenKind::kComma)) continue;
    if (!At(TokenKind::kAttrName)) return Expected("a metadata field such as op_name=");
    const std::string_view key = tok_.text;
    Advance();
    if (key == "op_type" || key == "op_name" || key == "source_file") {
      AOIZORA_ASSIGN_OR_RETURN(std::string value, ParseStringValue());
      (key == "op_type"   ? metadata.op_type
       : key == "op_name" ? metadata.op_name
                          : metadata.source_file) = std::move(value);
    } else if (key == "source_line" || key == "stack_frame_id") {
      AOIZORA_ASSIGN_OR_RETURN(int64_t value, ParseInt());
      (key == "source_line" ? metadata.source_line : metadata.stack_frame_id) = value;
    } else {
      AOIZORA_RETURN_IF_ERROR(SkipBalancedTokens());
    }
  }
  return metadata;
}

Result<std::vector<std::pair<std::string, std::string>>> TokenParser::ParseFrontendAttributes() {
  std::vector<std::pair<std::string, std::string>> attributes;
  if (!Consume(TokenKind::kLBrace)) return Expected("'{'");
  while (!Consume(TokenKind::kRBrace)) {
    if (!At(TokenKind::kAttrName)) return Expected("an attribute key such as name=");
    std::string key(tok_.text);
    const size_t value_at = tok_.end;
    Advance();
    if (At(TokenKind::kString)) {
      attributes.emplace_back(std::move(key), Unescape(tok_.text));
      Advance();
    } else {
      AOIZORA_ASSIGN_OR_RETURN(size_t end, ScanValue(value_at));
      const size_t begin = lexer_.SkipSpace(value_at);
      attributes.emplace_back(std::move(key), std::string(text_.substr(begin, end - begin)));
      lexer_.Seek(end);
      Advance();
    }
    if (!At(TokenKind::kRBrace) && !Consume(TokenKind::kComma)) return Expected("',' or '}'");
  }
  return attributes;
}

Result<std::vector<std::string>> TokenParser::ParseNameList() {
  std::vector<std::string> names;
  if (At(TokenKind::kIdent)) {
    names.emplace_back(tok_.text);
    Advance();
    return names;
  }
  if (!Consume(TokenKind::kLBrace)) return Expected("a name or '{'");
  while (!Consume(TokenKind::kRBrace)) {
    AOIZORA_ASSIGN_OR_RETURN(std::string name, ParseIdentValue());
    names.push_back(std::move(name));
    if (!At(TokenKind::kRBrace) && !Consume(TokenKind::kComma)) return Expected("',' or '}'");
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Instructions, computations, module.

Status TokenParser::ApplyAttribute(Instruction& inst, const Attribute& attribute, size_t begin,
                                   size_t end) {
  const std::string_view name = attribute.name;
  // Attributes the analyzers do not need stay raw without a second look.
  static const std::unordered_set<std::string_view> kTyped = {"sharding",
                                                              "replica_groups",
                                                              "channel_id",
                                                              "use_global_device_ids",
                                                              "source_target_pairs",
                                                              "dimensions",
                                                              "lhs_batch_dims",
                                                              "lhs_contracting_dims",
                                                              "rhs_batch_dims",
                                                              "rhs_contracting_dims",
                                                              "window",
                                                              "dim_labels",
                                                              "feature_group_count",
                                                              "batch_group_count",
                                                              "index",
                                                              "kind",
                                                              "custom_call_target",
                                                              "backend_config",
                                                              "frontend_attributes",
                                                              "metadata",
                                                              "control-predecessors"};
  const bool called = IsCalledComputationAttribute(name);
  if (!called && !kTyped.count(name)) return OkStatus();
  if (name == "backend_config") {
    std::string_view value = attribute.value;
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) {
      inst.backend_config = Unescape(value.substr(1, value.size() - 2));
    } else {
      inst.backend_config = attribute.value;
    }
    if (const auto n = FindKnownTripCountText(inst.backend_config)) {
      inst.known_trip_count = KnownTripCountValue(*n);
      if (!inst.known_trip_count) {
        inst.malformed_known_trip_count = std::string(n->substr(0, 40));
        if (n->size() > 40) *inst.malformed_known_trip_count += "...";
      }
    }
    return OkStatus();
  }
  TokenParser sub = Sub(begin, end);
  if (called) {
    AOIZORA_ASSIGN_OR_RETURN(std::vector<std::string> names, sub.ParseNameList());
    for (std::string& callee : names) {
      inst.called_computations.push_back({std::string(name), std::move(callee), nullptr});
    }
  } else if (name == "sharding") {
    AOIZORA_ASSIGN_OR_RETURN(inst.sharding, sub.ParseSharding());
  } else if (name == "replica_groups") {
    AOIZORA_ASSIGN_OR_RETURN(inst.replica_groups, sub.ParseReplicaGroups());
  } else if (name == "channel_id") {
    AOIZORA_ASSIGN_OR_RETURN(inst.channel_id, sub.ParseInt());
  } else if (name == "use_global_device_ids") {
    AOIZORA_ASSIGN_OR_RETURN(inst.use_global_device_ids, sub.ParseBool());
  } else if (name == "source_target_pairs") {
    AOIZORA_ASSIGN_OR_RETURN(inst.source_target_pairs, sub.ParsePairs());
  } else if (name == "dimensions") {
    AOIZORA_ASSIGN_OR_RETURN(inst.dimensions, sub.ParseBracedInts());
  } else if (name.size() > 5 && name.substr(name.size() - 5) == "_dims") {
    if (!inst.dot_dimension_numbers) inst.dot_dimension_numbers.emplace();
    DotDimensionNumbers& d = *inst.dot_dimension_numbers;
    std::vector<int64_t>& target = name == "lhs_batch_dims"         ? d.lhs_batch_dims
                                   : name == "lhs_contracting_dims" ? d.lhs_contracting_dims
                                   : name == "rhs_batch_dims"       ? d.rhs_batch_dims
                                                                    : d.rhs_contracting_dims;
    AOIZORA_ASSIGN_OR_RETURN(target, sub.ParseBracedInts());
  } else if (name == "window") {
    AOIZORA_ASSIGN_OR_RETURN(inst.window, sub.ParseWindow());
  } else if (name == "dim_labels") {
    AOIZORA_ASSIGN_OR_RETURN(inst.convolution_dimension_numbers, sub.ParseDimLabels());
  } else if (name == "feature_group_count" || name == "batch_group_count") {
    AOIZORA_ASSIGN_OR_RETURN(int64_t count, sub.ParseInt());
    (name == "feature_group_count" ? inst.feature_group_count : inst.batch_group_count) = count;
  } else if (name == "index") {
    AOIZORA_ASSIGN_OR_RETURN(inst.tuple_index, sub.ParseInt());
  } else if (name == "kind") {
    AOIZORA_ASSIGN_OR_RETURN(inst.fusion_kind, sub.ParseIdentValue());
  } else if (name == "custom_call_target") {
    AOIZORA_ASSIGN_OR_RETURN(inst.custom_call_target, sub.ParseStringValue());
  } else if (name == "frontend_attributes") {
    AOIZORA_ASSIGN_OR_RETURN(inst.frontend_attributes, sub.ParseFrontendAttributes());
  } else if (name == "metadata") {
    AOIZORA_ASSIGN_OR_RETURN(inst.metadata, sub.ParseMetadata());
  } else if (name == "control-predecessors") {
    AOIZORA_ASSIGN_OR_RETURN(inst.control_predecessor_names, sub.ParseNameList());
  }
  return sub.ExpectEnd("the value of '" + std::string(name) + "'");
}

Status TokenParser::ParseOperands(Instruction& inst) {
  if (Consume(TokenKind::kRParen)) return OkStatus();
  while (true) {
    if (At(TokenKind::kLParen) || (At(TokenKind::kIdent) && CharAfterToken() == '[')) {
      AOIZORA_ASSIGN_OR_RETURN(Shape shape, ParseShape());
      // Operand shapes are printed for all operands or none.
      inst.operand_shapes.resize(inst.operand_names.size());
      inst.operand_shapes.push_back(std::move(shape));
    }
    if (!At(TokenKind::kIdent)) return Expected("an operand name");
    inst.operand_names.emplace_back(tok_.text);
    Advance();
    if (Consume(TokenKind::kRParen)) break;
    if (!Consume(TokenKind::kComma)) return Expected("',' or ')' after an operand");
  }
  if (!inst.operand_shapes.empty() && inst.operand_shapes.size() != inst.operand_names.size()) {
    return ErrorAt(tok_.begin,
                   "instruction '" + inst.name + "' prints shapes for some operands but not all");
  }
  return OkStatus();
}

Status TokenParser::ParseInstruction(Instruction& inst) {
  inst.source_offset = static_cast<int64_t>(tok_.begin);
  const SourcePosition position = PositionAt(tok_.begin);
  inst.source_line = position.line;
  inst.source_column = position.column;
  if (AtIdent("ROOT")) {
    inst.is_root = true;
    Advance();
  }
  if (At(TokenKind::kAttrName)) {  // `name=shape` without spaces
    inst.name = std::string(tok_.text);
    Advance();
  } else {
    if (!At(TokenKind::kIdent)) return Expected("an instruction name");
    inst.name = std::string(tok_.text);
    Advance();
    if (!Consume(TokenKind::kEqual)) return Expected("'=' after the instruction name");
  }
  AOIZORA_ASSIGN_OR_RETURN(inst.shape, ParseShape());
  if (!At(TokenKind::kIdent)) return Expected("an opcode");
  inst.opcode = std::string(tok_.text);
  Advance();
  if (!At(TokenKind::kLParen)) return Expected("'(' after the opcode");
  if (inst.opcode == "constant") {
    const size_t open = tok_.begin;
    AOIZORA_ASSIGN_OR_RETURN(size_t end, ScanValue(open));
    if (end <= open + 1 || text_[end - 1] != ')') return ErrorAt(open, "bad constant literal");
    inst.literal = std::string(text_.substr(open + 1, end - open - 2));
    lexer_.Seek(end);
    Advance();
  } else {
    Advance();
    if (inst.opcode == "parameter") {
      if (!At(TokenKind::kInt)) return Expected("a parameter number");
      if (tok_.int_value < 0 || tok_.int_value >= kMaxParameterNumber) {
        return ErrorAt(tok_.begin, "parameter number " + std::string(tok_.text) + " out of range");
      }
      inst.parameter_number = tok_.int_value;
      Advance();
      if (!Consume(TokenKind::kRParen)) return Expected("')'");
    } else {
      AOIZORA_RETURN_IF_ERROR(ParseOperands(inst));
    }
  }
  while (At(TokenKind::kComma)) {
    Advance();
    if (!At(TokenKind::kAttrName)) return Expected("an attribute such as name=value");
    Attribute attribute;
    attribute.name = std::string(tok_.text);
    AOIZORA_ASSIGN_OR_RETURN(size_t end, ScanValue(tok_.end));
    const size_t begin = lexer_.SkipSpace(tok_.end);
    attribute.value = std::string(text_.substr(begin, end - begin));
    AOIZORA_RETURN_IF_ERROR(ApplyAttribute(inst, attribute, begin, end));
    inst.attributes.push_back(std::move(attribute));
    lexer_.Seek(end);
    Advance();
  }
  return OkStatus();
}

Result<std::unique_ptr<Computation>> TokenParser::ParseComputation() {
  auto computation = std::make_unique<Computation>();
  const size_t start = tok_.begin;
  if (AtIdent("ENTRY")) {
    computation->is_entry = true;
    Advance();
  }
  if (!At(TokenKind::kIdent)) return Expected("a computation name");
  computation->name = std::string(tok_.text);
  Advance();
  if (Consume(TokenKind::kLParen)) {
    if (!Consume(TokenKind::kRParen)) {
      while (true) {
        if (!At(TokenKind::kName)) return Expected("a parameter 'name:'");
        std::string param_name(tok_.text);
        Advance();
        AOIZORA_ASSIGN_OR_RETURN(Shape shape, ParseShape());
        computation->signature_parameters.emplace_back(std::move(param_name), std::move(shape));
        if (Consume(TokenKind::kRParen)) break;
        if (!Consume(TokenKind::kComma)) return Expected("',' or ')' in the signature");
      }
    }
    if (!Consume(TokenKind::kArrow)) return Expected("'->' in the signature");
    AOIZORA_ASSIGN_OR_RETURN(computation->signature_result, ParseShape());
  }
  if (!Consume(TokenKind::kLBrace)) return Expected("'{' starting the computation body");
  while (!Consume(TokenKind::kRBrace)) {
    if (At(TokenKind::kEof)) return Expected("'}' closing computation '" + computation->name + "'");
    // Parsed in place: an Instruction is large, and moving each one shows in profiles.
    AOIZORA_RETURN_IF_ERROR(ParseInstruction(computation->instructions.emplace_back()));
  }
  if (At(TokenKind::kComma) && PeekToken().kind == TokenKind::kAttrName) {
    Advance();
    const std::string_view attr = tok_.text;
    Advance();
    if (attr != "execution_thread")
      return ErrorAt(tok_.begin, "unknown computation attribute '" + std::string(attr) + "'");
    AOIZORA_ASSIGN_OR_RETURN(computation->execution_thread, ParseStringValue());
  }
  if (computation->instructions.empty())
    return ErrorAt(start, "computation '" + computation->name + "' has no instructions");
  AOIZORA_RETURN_IF_ERROR(Resolve(*computation));
  return computation;
}

Status TokenParser::Resolve(Computation& c) {
  c.BuildIndex();
  for (size_t i = 0; i < c.instructions.size(); ++i) {
    Instruction& inst = c.instructions[i];
    if (c.IndexOf(inst.name) != static_cast<int32_t>(i)) {
      return ErrorAt(
          static_cast<size_t>(inst.source_offset),
          "instruction '" + inst.name + "' is defined twice in computation '" + c.name + "'");
    }
    if (inst.is_root) {
      if (c.root_index >= 0) {
        return ErrorAt(static_cast<size_t>(inst.source_offset),
                       "computation '" + c.name + "' has a second ROOT '" + inst.name + "'");
      }
      c.root_index = static_cast<int32_t>(i);
    }
    if (inst.opcode == "parameter") {
      const size_t number = static_cast<size_t>(inst.parameter_number);
      if (number >= c.parameter_indices.size()) c.parameter_indices.resize(number + 1, -1);
      if (c.parameter_indices[number] >= 0) {
        return ErrorAt(
            static_cast<size_t>(inst.source_offset),
            "parameter(" + std::to_string(number) + ") appears twice in '" + c.name + "'");
      }
      c.parameter_indices[number] = static_cast<int32_t>(i);
    }
  }
  if (c.root_index < 0) c.root_index = static_cast<int32_t>(c.instructions.size() - 1);
  for (Instruction& inst : c.instructions) {
    inst.operand_indices.reserve(inst.operand_names.size());
    inst.operands.reserve(inst.operand_names.size());
    for (const std::string& operand : inst.operand_names) {
      const int32_t index = c.IndexOf(operand);
      if (index < 0) {
        return ErrorAt(static_cast<size_t>(inst.source_offset),
                       "instruction '" + inst.name + "' uses unknown operand '" + operand + "'");
      }
      inst.operand_indices.push_back(index);
      inst.operands.push_back(&c.instructions[static_cast<size_t>(index)]);
    }
    for (const std::string& pred : inst.control_predecessor_names) {
      const Instruction* p = c.Find(pred);
      if (p == nullptr) {
        return ErrorAt(
            static_cast<size_t>(inst.source_offset),
            "instruction '" + inst.name + "' has unknown control predecessor '" + pred + "'");
      }
      inst.control_predecessors.push_back(p);
    }
  }
  return OkStatus();
}

Status TokenParser::ParseStackFrames(Module& module) {
  StackFrameTables& tables = module.stack_frames;
  while (At(TokenKind::kIdent) && IsStackFrameSection(tok_.text)) {
    const std::string_view section = tok_.text;
    Advance();
    while (At(TokenKind::kInt)) {
      const int64_t id = tok_.int_value;
      if (id < 0 || id >= kMaxTableId)
        return ErrorAt(tok_.begin, "stack frame table id out of range");
      const size_t index = static_cast<size_t>(id);
      Advance();
      if (section == "FileNames" || section == "FunctionNames") {
        std::vector<std::string>& table =
            section == "FileNames" ? tables.file_names : tables.function_names;
        AOIZORA_ASSIGN_OR_RETURN(std::string value, ParseStringValue());
        if (index >= table.size()) table.resize(index + 1);
        table[index] = std::move(value);
        continue;
      }
      if (!Consume(TokenKind::kLBrace)) return Expected("'{'");
      FileLocation location;
      StackFrame frame;
      while (!Consume(TokenKind::kRBrace)) {
        if (Consume(TokenKind::kComma)) continue;
        if (!At(TokenKind::kAttrName)) return Expected("a field such as line=");
        const std::string_view key = tok_.text;
        Advance();
        AOIZORA_ASSIGN_OR_RETURN(int64_t value, ParseInt());
        if (key == "file_name_id") location.file_name_id = value;
        if (key == "function_name_id") location.function_name_id = value;
        if (key == "line") location.line = value;
        if (key == "end_line") location.end_line = value;
        if (key == "column") location.column = value;
        if (key == "end_column") location.end_column = value;
        if (key == "file_location_id") frame.file_location_id = value;
        if (key == "parent_frame_id") frame.parent_frame_id = value;
      }
      if (section == "FileLocations") {
        if (index >= tables.file_locations.size()) tables.file_locations.resize(index + 1);
        tables.file_locations[index] = location;
      } else {
        if (index >= tables.stack_frames.size()) tables.stack_frames.resize(index + 1);
        tables.stack_frames[index] = frame;
      }
    }
  }
  return OkStatus();
}

Status TokenParser::ApplyModuleAttribute(Module& module, const Attribute& attribute, size_t begin,
                                         size_t end) {
  const std::string_view name = attribute.name;
  TokenParser sub = Sub(begin, end);
  if (name == "is_scheduled") {
    AOIZORA_ASSIGN_OR_RETURN(module.is_scheduled, sub.ParseBool());
  } else if (name == "replica_count" || name == "num_partitions") {
    const size_t at = sub.tok_.begin;
    AOIZORA_ASSIGN_OR_RETURN(int64_t count, sub.ParseInt());
    if (count <= 0) return ErrorAt(at, std::string(name) + " must be positive");
    (name == "replica_count" ? module.replica_count : module.num_partitions) = count;
  } else if (name == "entry_computation_layout") {
    AOIZORA_ASSIGN_OR_RETURN(module.entry_computation_layout, sub.ParseProgramShape());
  } else if (name == "frontend_attributes") {
    AOIZORA_ASSIGN_OR_RETURN(module.frontend_attributes, sub.ParseFrontendAttributes());
  } else {
    return OkStatus();
  }
  return sub.ExpectEnd("the value of '" + std::string(name) + "'");
}

Status TokenParser::ResolveCalls(Module& module) {
  module.BuildIndex();
  for (const auto& computation : module.computations) {
    for (Instruction& inst : computation->instructions) {
      for (CalledComputation& called : inst.called_computations) {
        called.computation = module.FindComputation(called.name);
        if (called.computation == nullptr) {
          return ErrorAt(static_cast<size_t>(inst.source_offset),
                         "instruction '" + inst.name + "' calls unknown computation '" +
                             called.name + "' (" + called.role + "=)");
        }
      }
    }
  }
  return OkStatus();
}

Result<Module> TokenParser::ParseModule() {
  Module module;
  module.filename = std::string(filename_);
  if (AtIdent("HloModule")) {
    Advance();
    if (!At(TokenKind::kIdent) && !At(TokenKind::kString)) return Expected("a module name");
    module.name = At(TokenKind::kString) ? Unescape(tok_.text) : std::string(tok_.text);
    Advance();
    while (At(TokenKind::kComma)) {
      Advance();
      if (!At(TokenKind::kAttrName)) return Expected("a module attribute such as name=value");
      Attribute attribute;
      attribute.name = std::string(tok_.text);
      AOIZORA_ASSIGN_OR_RETURN(size_t end, ScanValue(tok_.end));
      const size_t begin = lexer_.SkipSpace(tok_.end);
      attribute.value = std::string(text_.substr(begin, end - begin));
      AOIZORA_RETURN_IF_ERROR(ApplyModuleAttribute(module, attribute, begin, end));
      module.attributes.push_back(std::move(attribute));
      lexer_.Seek(end);
      Advance();
    }
  }
  AOIZORA_RETURN_IF_ERROR(ParseStackFrames(module));
  const Computation* entry = nullptr;
  std::unordered_set<std::string_view> names;
  while (!At(TokenKind::kEof)) {
    const size_t at = tok_.begin;
    AOIZORA_ASSIGN_OR_RETURN(std::unique_ptr<Computation> computation, ParseComputation());
    if (!names.insert(computation->name).second) {
      return ErrorAt(at, "computation '" + computation->name + "' is defined twice");
    }
    if (computation->is_entry) {
      if (entry != nullptr)
        return ErrorAt(at, "a second ENTRY computation '" + computation->name + "'");
      entry = computation.get();
    }
    module.computations.push_back(std::move(computation));
  }
  if (module.computations.empty()) return ErrorAt(tok_.begin, "the module has no computations");
  module.entry = entry != nullptr ? entry : module.computations.back().get();
  AOIZORA_RETURN_IF_ERROR(ResolveCalls(module));
  return module;
}

}  // namespace

Result<Module> ParseModule(std::string_view text, std::string_view filename,
                           const ParseOptions& options) {
  TokenParser parser(text, filename, options, 0, text.size());
  return parser.ParseModule();
}

Result<Module> ParseModuleFile(const std::string& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open HLO file '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return NotFound("cannot read HLO file '" + path + "'");
  const std::string text = buffer.str();
  return ParseModule(text, path, options);
}

}  // namespace aoizora::hlo
