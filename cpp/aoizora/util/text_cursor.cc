#include "aoizora/util/text_cursor.h"

#include <cctype>

namespace aoizora {

void TextCursor::SkipSpaces() {
  while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
}

bool TextCursor::Consume(std::string_view token) {
  SkipSpaces();
  if (text_.substr(pos_, token.size()) != token) return false;
  pos_ += token.size();
  return true;
}

bool TextCursor::Peek(char c) {
  SkipSpaces();
  return pos_ < text_.size() && text_[pos_] == c;
}

bool TextCursor::AtEnd() {
  SkipSpaces();
  return pos_ == text_.size();
}

Result<int64_t> TextCursor::Int() {
  SkipSpaces();
  const size_t start = pos_;
  int64_t value = 0;
  while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
    // Checked before each digit, so the value never passes 2^44 and cannot overflow int64.
    if (value > (int64_t{1} << 40)) {
      if (overflow_ == Overflow::kTooLarge)
        return InvalidArgument("number too large at column " + std::to_string(start + 1));
      return Expected("a smaller number");
    }
    value = value * 10 + (text_[pos_++] - '0');
  }
  if (pos_ == start) return Expected("a number");
  return value;
}

Result<std::vector<int64_t>> TextCursor::IntList(char open, char close) {
  if (!Consume(std::string_view(&open, 1))) return Expected(std::string(1, open));
  std::vector<int64_t> values;
  if (Consume(std::string_view(&close, 1))) return values;
  while (true) {
    AOIZORA_ASSIGN_OR_RETURN(int64_t value, Int());
    values.push_back(value);
    if (Consume(std::string_view(&close, 1))) return values;
    if (!Consume(",")) return Expected(std::string("',' or '") + close + "'");
  }
}

Error TextCursor::Expected(const std::string& what) const {
  return InvalidArgument("bad " + subject_ + " '" + std::string(text_) + "': expected " + what +
                         " at column " + std::to_string(pos_ + 1));
}

}  // namespace aoizora
