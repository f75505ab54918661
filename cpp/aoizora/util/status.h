#pragma once
// Error values shared across the core. Anything user input can cause (a malformed HLO file, an
// unknown topology, an out-of-range device id) is reported as an Error in a Result<T>; assertions
// are kept for internal invariants only.

#include <string>
#include <string_view>
#include <utility>

namespace aoizora {

enum class ErrorCode {
  kInvalidArgument,  // a value the caller passed is not allowed (names the value)
  kParseError,       // text input does not follow its grammar (carries file:line:col)
  kNotFound,         // a named thing (file, computation, instruction) does not exist
  kUnimplemented,    // valid input the core does not handle yet
  kInternal,         // a bug: an invariant that should have held did not
};

std::string_view ErrorCodeName(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid argument: <message>"
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
};

inline Error InvalidArgument(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}
inline Error ParseError(std::string message) {
  return Error(ErrorCode::kParseError, std::move(message));
}
inline Error NotFound(std::string message) {
  return Error(ErrorCode::kNotFound, std::move(message));
}
inline Error Unimplemented(std::string message) {
  return Error(ErrorCode::kUnimplemented, std::move(message));
}
inline Error Internal(std::string message) {
  return Error(ErrorCode::kInternal, std::move(message));
}

}  // namespace aoizora
