#pragma once
// The HLO text lexer (shared/reference/hlo-text.md section 2). Works on a window [begin, end) of
// the whole text so that attribute values can be re-lexed in place with file positions intact.
// Tokens are views into the text; no allocation.

#include <cstdint>
#include <string>
#include <string_view>

namespace aoizora::hlo {

enum class TokenKind {
  kEof,
  kError,      // text = what is wrong; begin = where
  kIdent,      // [a-zA-Z_][a-zA-Z0-9_.-]* with an optional '%' (text excludes the '%')
  kName,       // identifier directly followed by ':' (text excludes ':')
  kAttrName,   // identifier directly followed by '=' (text excludes '=')
  kInt,        // [-]?\d+   (int_value; text as printed)
  kDecimal,    // floats, -inf, -nan
  kString,     // "..." or '...' (text = the raw contents between the quotes, escapes intact)
  kDimLabels,  // b01f_01io->b01f
  kDxD,        // 3x3
  kPad,        // 0_0x1_1_0
  kArrow,      // ->
  kLeq,        // <=
  kEllipsis,   // ...
  kEqual,
  kComma,
  kColon,
  kStar,
  kHash,
  kPlus,
  kTilde,
  kQuestion,
  kLSquare,
  kRSquare,
  kLBrace,
  kRBrace,
  kLParen,
  kRParen,
};

std::string_view TokenKindName(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string_view text;
  size_t begin = 0;  // offset of the first character in the whole text
  size_t end = 0;    // offset one past the token (after a name's ':' or attribute's '=')
  int64_t int_value = 0;
  bool space_before = false;  // whitespace or a comment precedes the token
};

class Lexer {
 public:
  Lexer(std::string_view text, size_t begin, size_t end)
      : text_(text), pos_(begin), end_(end < text.size() ? end : text.size()) {}
  explicit Lexer(std::string_view text) : Lexer(text, 0, text.size()) {}

  Token Next();
  size_t position() const { return pos_; }
  void Seek(size_t pos) { pos_ = pos < end_ ? pos : end_; }
  size_t limit() const { return end_; }
  std::string_view text() const { return text_; }

  // Scans one raw attribute value starting at `pos` (after `name=`), at character level: a run of
  // characters up to a ',' or whitespace or an unmatched closing bracket at nesting depth 0;
  // brackets nest, strings and comments are skipped. Returns the end offset, or sets `error` and
  // `error_pos`. An empty value is an error.
  size_t ScanRawValue(size_t pos, int max_depth, std::string& error, size_t& error_pos) const;

  // The offset of the first non-space, non-comment character at or after `pos`.
  size_t SkipSpace(size_t pos) const;

 private:
  Token Make(TokenKind kind, size_t begin, size_t end, bool space) const;
  Token Error(size_t at, std::string_view message) const;
  Token LexNumberOrPattern(size_t start, bool space);
  Token LexIdentifier(size_t start, bool space);
  Token LexString(size_t start, bool space);
  // Returns the end of a match of `pattern` at `pos`, or npos.
  size_t MatchDimLabels(size_t pos) const;
  size_t MatchDecimal(size_t pos) const;
  size_t MatchDxD(size_t pos) const;
  size_t MatchPad(size_t pos) const;
  size_t MatchDigits(size_t pos) const;  // end of \d+ at pos (pos itself if none)

  std::string_view text_;
  size_t pos_;
  size_t end_;
};

// C-unescapes the contents of a string token (\" \' \\ \n \t \r \xHH \ooo).
std::string Unescape(std::string_view raw);

}  // namespace aoizora::hlo
