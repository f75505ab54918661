#include "aoizora/hlo/lexer.h"

#include <cctype>
#include <limits>
#include <vector>

namespace aoizora::hlo {
namespace {

constexpr size_t kNpos = std::string_view::npos;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentStart(char c) { return IsAlpha(c) || c == '_'; }
bool IsIdentChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || c == '.' || c == '-'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEof:
      return "end of input";
    case TokenKind::kError:
      return "invalid token";
    case TokenKind::kIdent:
      return "identifier";
    case TokenKind::kName:
      return "name";
    case TokenKind::kAttrName:
      return "attribute name";
    case TokenKind::kInt:
      return "integer";
    case TokenKind::kDecimal:
      return "decimal";
    case TokenKind::kString:
      return "string";
    case TokenKind::kDimLabels:
      return "dim labels";
    case TokenKind::kDxD:
      return "NxM";
    case TokenKind::kPad:
      return "padding";
    case TokenKind::kArrow:
      return "'->'";
    case TokenKind::kLeq:
      return "'<='";
    case TokenKind::kEllipsis:
      return "'...'";
    case TokenKind::kEqual:
      return "'='";
    case TokenKind::kComma:
      return "','";
    case TokenKind::kColon:
      return "':'";
    case TokenKind::kStar:
      return "'*'";
    case TokenKind::kHash:
      return "'#'";
    case TokenKind::kPlus:
      return "'+'";
    case TokenKind::kTilde:
      return "'~'";
    case TokenKind::kQuestion:
      return "'?'";
    case TokenKind::kLSquare:
      return "'['";
    case TokenKind::kRSquare:
      return "']'";
    case TokenKind::kLBrace:
      return "'{'";
    case TokenKind::kRBrace:
      return "'}'";
    case TokenKind::kLParen:
      return "'('";
    case TokenKind::kRParen:
      return "')'";
  }
  return "token";
}

Token Lexer::Make(TokenKind kind, size_t begin, size_t end, bool space) const {
  Token token;
  token.kind = kind;
  token.begin = begin;
  token.end = end;
  token.text = text_.substr(begin, end - begin);
  token.space_before = space;
  return token;
}

Token Lexer::Error(size_t at, std::string_view message) const {
  Token token;
  token.kind = TokenKind::kError;
  token.begin = at;
  token.end = at;
  token.text = message;
  return token;
}

size_t Lexer::SkipSpace(size_t pos) const {
  while (pos < end_) {
    const char c = text_[pos];
    if (IsSpace(c)) {
      ++pos;
    } else if (c == '/' && pos + 1 < end_ && text_[pos + 1] == '*') {
      const size_t close = text_.find("*/", pos + 2);
      if (close == kNpos || close + 2 > end_) return pos;  // unterminated: Next() reports it
      pos = close + 2;
    } else if (c == '/' && pos + 1 < end_ && text_[pos + 1] == '/') {
      while (pos < end_ && text_[pos] != '\n') ++pos;
    } else {
      break;
    }
  }
  return pos;
}

size_t Lexer::MatchDigits(size_t pos) const {
  while (pos < end_ && IsDigit(text_[pos])) ++pos;
  return pos;
}

size_t Lexer::MatchDimLabels(size_t pos) const {
  auto run = [&](size_t p, auto accept) {
    while (p < end_ && accept(text_[p])) ++p;
    return p;
  };
  auto bf = [](char c) { return IsDigit(c) || c == 'b' || c == 'f' || c == '?'; };
  auto io = [](char c) { return IsDigit(c) || c == 'i' || c == 'o' || c == '?'; };
  size_t p = run(pos, bf);
  if (p - pos < 2 || p >= end_ || text_[p] != '_') return kNpos;
  size_t q = run(p + 1, io);
  if (q - (p + 1) < 2 || q + 1 >= end_ || text_[q] != '-' || text_[q + 1] != '>') return kNpos;
  size_t r = run(q + 2, bf);
  if (r - (q + 2) < 2) return kNpos;
  return r;
}

size_t Lexer::MatchDecimal(size_t pos) const {
  size_t p = pos;
  if (p < end_ && text_[p] == '-') ++p;
  const size_t int_end = MatchDigits(p);
  bool has_int = int_end > p;
  size_t q = int_end;
  bool has_dot = false;
  bool has_frac = false;
  if (q < end_ && text_[q] == '.') {
    // "1.5", "1." and ".5"; but not the "..." token.
    if (q + 1 < end_ && text_[q + 1] == '.') return kNpos;
    has_dot = true;
    const size_t frac_end = MatchDigits(q + 1);
    has_frac = frac_end > q + 1;
    q = frac_end;
  }
  if (!has_int && !has_frac) return kNpos;
  bool has_exp = false;
  if (q < end_ && (text_[q] == 'e' || text_[q] == 'E')) {
    size_t s = q + 1;
    if (s < end_ && (text_[s] == '+' || text_[s] == '-')) ++s;
    const size_t exp_end = MatchDigits(s);
    if (exp_end > s) {
      has_exp = true;
      q = exp_end;
    }
  }
  if (!has_dot && !has_exp) return kNpos;
  return q;
}

size_t Lexer::MatchDxD(size_t pos) const {
  size_t p = MatchDigits(pos);
  if (p == pos) return kNpos;
  int parts = 1;
  while (p + 1 < end_ && text_[p] == 'x' && IsDigit(text_[p + 1])) {
    p = MatchDigits(p + 1);
    ++parts;
  }
  return parts >= 2 ? p : kNpos;
}

size_t Lexer::MatchPad(size_t pos) const {
  auto signed_int = [&](size_t p) -> size_t {
    size_t q = p;
    if (q < end_ && text_[q] == '-') ++q;
    const size_t e = MatchDigits(q);
    return e > q ? e : kNpos;
  };
  auto part = [&](size_t p) -> size_t {
    size_t a = signed_int(p);
    if (a == kNpos || a >= end_ || text_[a] != '_') return kNpos;
    size_t b = signed_int(a + 1);
    if (b == kNpos) return kNpos;
    if (b < end_ && text_[b] == '_') {
      size_t c = signed_int(b + 1);
      if (c != kNpos) return c;
    }
    return b;
  };
  size_t p = part(pos);
  if (p == kNpos) return kNpos;
  while (p < end_ && text_[p] == 'x') {
    size_t q = part(p + 1);
    if (q == kNpos) break;
    p = q;
  }
  return p;
}

Token Lexer::LexNumberOrPattern(size_t start, bool space) {
  // Fast path: a plain non-negative integer not followed by anything that could extend it into
  // a decimal, NxM, padding or dim-labels token.
  if (IsDigit(text_[start])) {
    const size_t digits_end = MatchDigits(start);
    const char after = digits_end < end_ ? text_[digits_end] : '\0';
    if (digits_end - start < 19 && after != '.' && after != 'e' && after != 'E' && after != 'x' &&
        after != '_' && after != 'b' && after != 'f' && after != '?' && !IsDigit(after)) {
      int64_t value = 0;
      for (size_t i = start; i < digits_end; ++i) value = value * 10 + (text_[i] - '0');
      pos_ = digits_end;
      Token token = Make(TokenKind::kInt, start, digits_end, space);
      token.int_value = value;
      return token;
    }
  }
  size_t e = MatchDimLabels(start);
  if (e != kNpos) {
    pos_ = e;
    return Make(TokenKind::kDimLabels, start, e, space);
  }
  if (text_[start] == '-' && end_ - start >= 4) {
    std::string_view rest = text_.substr(start + 1, end_ - start - 1);
    if (rest.substr(0, 3) == "inf" || rest.substr(0, 3) == "nan") {
      size_t p = start + 4;
      while (p < end_ && IsIdentChar(text_[p])) ++p;
      pos_ = p;
      return Make(TokenKind::kDecimal, start, p, space);
    }
  }
  e = MatchDecimal(start);
  if (e != kNpos) {
    pos_ = e;
    return Make(TokenKind::kDecimal, start, e, space);
  }
  e = MatchDxD(start);
  if (e != kNpos) {
    pos_ = e;
    return Make(TokenKind::kDxD, start, e, space);
  }
  e = MatchPad(start);
  if (e != kNpos) {
    pos_ = e;
    return Make(TokenKind::kPad, start, e, space);
  }
  size_t p = start;
  const bool negative = text_[p] == '-';
  if (negative) ++p;
  const size_t digits_end = MatchDigits(p);
  if (digits_end == p) return Error(start, "expected a number after '-'");
  uint64_t magnitude = 0;
  constexpr uint64_t kLimit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  for (size_t i = p; i < digits_end; ++i) {
    const uint64_t digit = static_cast<uint64_t>(text_[i] - '0');
    if (magnitude > (kLimit - digit) / 10) return Error(start, "integer does not fit in int64");
    magnitude = magnitude * 10 + digit;
  }
  pos_ = digits_end;
  Token token = Make(TokenKind::kInt, start, digits_end, space);
  token.int_value = negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
  return token;
}

Token Lexer::LexIdentifier(size_t start, bool space) {
  size_t p = start;
  if (text_[p] == '%') ++p;
  const size_t name_begin = p;
  if (p >= end_ || !IsIdentStart(text_[p])) return Error(start, "expected a name after '%'");
  ++p;
  while (p < end_ && IsIdentChar(text_[p])) {
    if (text_[p] == '-' && p + 1 < end_ && text_[p + 1] == '>') break;  // "bf_io->bf" style
    ++p;
  }
  const std::string_view name = text_.substr(name_begin, p - name_begin);
  if (p < end_ && text_[p] == ':') {
    pos_ = p + 1;
    Token token = Make(TokenKind::kName, start, p + 1, space);
    token.text = name;
    return token;
  }
  if (p < end_ && text_[p] == '=' && !(p + 1 < end_ && text_[p + 1] == '=')) {
    pos_ = p + 1;
    Token token = Make(TokenKind::kAttrName, start, p + 1, space);
    token.text = name;
    return token;
  }
  pos_ = p;
  Token token = Make(TokenKind::kIdent, start, p, space);
  token.text = name;
  return token;
}

Token Lexer::LexString(size_t start, bool space) {
  const char quote = text_[start];
  size_t p = start + 1;
  while (p < end_ && text_[p] != quote) {
    if (text_[p] == '\\') ++p;
    ++p;
  }
  if (p >= end_) return Error(start, "unterminated string");
  pos_ = p + 1;
  Token token = Make(TokenKind::kString, start, p + 1, space);
  token.text = text_.substr(start + 1, p - start - 1);
  return token;
}

Token Lexer::Next() {
  const size_t before = pos_;
  pos_ = SkipSpace(pos_);
  const bool space = pos_ != before;
  if (pos_ >= end_) return Make(TokenKind::kEof, end_, end_, space);
  const size_t start = pos_;
  const char c = text_[start];
  const char next = start + 1 < end_ ? text_[start + 1] : '\0';
  if (c == '/' && next == '*') return Error(start, "unterminated comment");
  if (IsDigit(c) || (c == '-' && (IsDigit(next) || next == 'i' || next == 'n' || next == '.')) ||
      (c == '.' && IsDigit(next))) {
    return LexNumberOrPattern(start, space);
  }
  if (c == 'b' || c == 'f' || c == '?') {
    const size_t e = MatchDimLabels(start);
    if (e != kNpos) {
      pos_ = e;
      return Make(TokenKind::kDimLabels, start, e, space);
    }
  }
  if (IsIdentStart(c) || c == '%') return LexIdentifier(start, space);
  if (c == '"' || c == '\'') return LexString(start, space);
  auto single = [&](TokenKind kind) {
    pos_ = start + 1;
    return Make(kind, start, start + 1, space);
  };
  switch (c) {
    case '-':
      if (next == '>') {
        pos_ = start + 2;
        return Make(TokenKind::kArrow, start, start + 2, space);
      }
      break;
    case '<':
      if (next == '=') {
        pos_ = start + 2;
        return Make(TokenKind::kLeq, start, start + 2, space);
      }
      break;
    case '.':
      if (next == '.' && start + 2 < end_ && text_[start + 2] == '.') {
        pos_ = start + 3;
        return Make(TokenKind::kEllipsis, start, start + 3, space);
      }
      break;
    case '=':
      return single(TokenKind::kEqual);
    case ',':
      return single(TokenKind::kComma);
    case ':':
      return single(TokenKind::kColon);
    case '*':
      return single(TokenKind::kStar);
    case '#':
      return single(TokenKind::kHash);
    case '+':
      return single(TokenKind::kPlus);
    case '~':
      return single(TokenKind::kTilde);
    case '?':
      return single(TokenKind::kQuestion);
    case '[':
      return single(TokenKind::kLSquare);
    case ']':
      return single(TokenKind::kRSquare);
    case '{':
      return single(TokenKind::kLBrace);
    case '}':
      return single(TokenKind::kRBrace);
    case '(':
      return single(TokenKind::kLParen);
    case ')':
      return single(TokenKind::kRParen);
    default:
      break;
  }
  return Error(start, "unexpected character");
}

size_t Lexer::ScanRawValue(size_t pos, int max_depth, std::string& error, size_t& error_pos) const {
  const size_t value_begin = SkipSpace(pos);
  std::string closers;  // expected closing brackets, innermost last
  std::vector<size_t> open_pos;
  size_t p = value_begin;
  auto fail = [&](size_t at, std::string message) {
    error = std::move(message);
    error_pos = at;
    return kNpos;
  };
  while (true) {
    if (p >= end_) {
      if (!closers.empty()) {
        return fail(open_pos.back(), std::string("unterminated '") + text_[open_pos.back()] +
                                         "' in attribute value");
      }
      break;
    }
    const char c = text_[p];
    if (closers.empty() && (c == ',' || c == ')' || c == '}' || c == ']' || IsSpace(c))) {
      // The mesh-axes replica group form `mesh[..] {..}` has one space inside.
      const std::string_view so_far = text_.substr(value_begin, p - value_begin);
      // With a device order it is `mesh[..], device_ids=(..) {..}`.
      if (so_far.substr(0, 5) == "mesh[") {
        const size_t q = SkipSpace(c == ',' ? p + 1 : p);
        if (c == ',' && text_.substr(q, 11) == "device_ids=" && q + 11 <= end_) {
          p = q + 11;
          continue;
        }
        if (IsSpace(c) && q < end_ && text_[q] == '{' &&
            (so_far.back() == ']' || so_far.back() == ')')) {
          p = q;
          continue;
        }
      }
      break;
    }
    if (c == '"' || c == '\'') {
      size_t q = p + 1;
      while (q < end_ && text_[q] != c) {
        if (text_[q] == '\\') ++q;
        ++q;
      }
      if (q >= end_) return fail(p, "unterminated string");
      p = q + 1;
      continue;
    }
    if (c == '/' && p + 1 < end_ && (text_[p + 1] == '*' || text_[p + 1] == '/')) {
      const size_t q = SkipSpace(p);
      if (q == p) return fail(p, "unterminated comment");
      p = q;
      continue;
    }
    if (c == '{' || c == '[' || c == '(') {
      if (static_cast<int>(closers.size()) >= max_depth) {
        return fail(p, "attribute value nests deeper than " + std::to_string(max_depth));
      }
      closers.push_back(c == '{' ? '}' : c == '[' ? ']' : ')');
      open_pos.push_back(p);
      ++p;
      continue;
    }
    if (c == '}' || c == ']' || c == ')') {
      if (c != closers.back()) {
        return fail(p, std::string("'") + c + "' does not match '" + text_[open_pos.back()] + "'");
      }
      closers.pop_back();
      open_pos.pop_back();
      ++p;
      continue;
    }
    ++p;
  }
  if (p == value_begin) return fail(value_begin, "expected an attribute value");
  return p;
}

std::string Unescape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c != '\\' || i + 1 >= raw.size()) {
      out += c;
      continue;
    }
    const char e = raw[++i];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'x': {
        int value = 0;
        int digits = 0;
        while (digits < 2 && i + 1 < raw.size() &&
               std::isxdigit(static_cast<unsigned char>(raw[i + 1]))) {
          const char h = raw[++i];
          value = value * 16 + (IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
          ++digits;
        }
        out += static_cast<char>(value);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int value = e - '0';
          int digits = 1;
          while (digits < 3 && i + 1 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '7') {
            value = value * 8 + (raw[++i] - '0');
            ++digits;
          }
          out += static_cast<char>(value);
        } else {
          out += e;  // \" \' \\ and anything else: the character itself
        }
    }
  }
  return out;
}

}  // namespace aoizora::hlo
