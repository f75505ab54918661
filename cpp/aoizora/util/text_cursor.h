#pragma once
// A small cursor over compact one-line text forms such as iota groups `[4,2]<=[2,4]T(1,0)` and
// mesh-axes replica groups `mesh['x'=2]{'x'}`. Spaces between tokens are skipped. Errors read
// "bad <subject> '<text>': expected <what> at column <n>" (1-based column of the cursor).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aoizora/util/result.h"

namespace aoizora {

class TextCursor {
 public:
  // How Int() reports a number above 2^40. The two callers word it differently and tests assert
  // their texts, so the choice is the caller's.
  enum class Overflow {
    kTooLarge,       // "number too large at column <column of its first digit>"
    kExpectSmaller,  // Expected("a smaller number") at the offending digit
  };

  // `text` must outlive the cursor.
  TextCursor(std::string_view text, std::string subject, Overflow overflow)
      : text_(text), subject_(std::move(subject)), overflow_(overflow) {}

  void SkipSpaces();
  // Skips spaces, then consumes `token` if the text continues with it.
  bool Consume(std::string_view token);
  // Skips spaces; whether the next character is `c` (not consumed).
  bool Peek(char c);
  // Skips spaces; whether nothing is left.
  bool AtEnd();

  size_t pos() const { return pos_; }
  // The unread text (spaces not skipped).
  std::string_view rest() const { return text_.substr(pos_); }
  // Moves past `n` characters (at most to the end).
  void Advance(size_t n) { pos_ += std::min(n, text_.size() - pos_); }

  // A non-negative decimal integer (spaces skipped first).
  Result<int64_t> Int();
  // A comma-separated list of non-negative integers between `open` and `close`; may be empty.
  Result<std::vector<int64_t>> IntList(char open, char close);

  Error Expected(const std::string& what) const;

 private:
  std::string_view text_;
  std::string subject_;
  Overflow overflow_;
  size_t pos_ = 0;
};

}  // namespace aoizora
