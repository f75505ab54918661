#include "aoizora/hlo/diagnostic.h"

#include <algorithm>

namespace aoizora::hlo {
namespace {

// Lines longer than this are shown as a window around the column (compiled modules have lines of
// many kilobytes: backend_config JSON).
constexpr size_t kMaxShownLine = 160;
constexpr size_t kContextBefore = 80;

// Control characters and non-ASCII bytes would break the caret alignment; show them as '?'.
char Printable(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (u == '\t' || (u >= 0x20 && u < 0x7f)) ? c : '?';
}

}  // namespace

SourcePosition PositionOf(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  SourcePosition pos;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      line_start = i + 1;
    }
  }
  pos.column = static_cast<int64_t>(offset - line_start) + 1;
  return pos;
}

Error MakeParseError(std::string_view text, std::string_view filename, size_t offset,
                     std::string_view message) {
  offset = std::min(offset, text.size());
  const SourcePosition pos = PositionOf(text, offset);
  const size_t line_start = offset - static_cast<size_t>(pos.column - 1);
  size_t line_end = text.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = text.size();

  size_t shown_begin = line_start;
  size_t shown_end = line_end;
  std::string prefix;
  std::string suffix;
  if (line_end - line_start > kMaxShownLine) {
    shown_begin = offset - line_start > kContextBefore ? offset - kContextBefore : line_start;
    shown_end = std::min(line_end, shown_begin + kMaxShownLine);
    if (shown_begin > line_start) prefix = "...";
    if (shown_end < line_end) suffix = "...";
  }
  std::string out(filename);
  out += ':' + std::to_string(pos.line) + ':' + std::to_string(pos.column) + ": ";
  out += message;
  out += '\n';
  out += prefix;
  std::string caret(prefix.size(), ' ');
  for (size_t i = shown_begin; i < shown_end; ++i) {
    const char c = Printable(text[i]);
    out += c;
    if (i < offset) caret += (c == '\t') ? '\t' : ' ';
  }
  out += suffix;
  out += '\n';
  caret += '^';
  out += caret;
  return Error(ErrorCode::kParseError, std::move(out));
}

}  // namespace aoizora::hlo
