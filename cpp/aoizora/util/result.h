#pragma once
// Result<T>: a value or an Error, in the spirit of absl::StatusOr / std::expected (C++23, which
// GCC 12 in C++20 mode does not offer). Status is Result<void>.
//
//   Result<Topology> topo = ParseSliceSpec("v5e:2x4");
//   if (!topo.ok()) return topo.error();
//   Use(*topo);
//
// AOIZORA_ASSIGN_OR_RETURN(auto topo, ParseSliceSpec(spec)); keeps call sites to one line.

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

#include "aoizora/util/status.h"

namespace aoizora {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}      // NOLINT implicit
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT implicit

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(storage_);
  }

  T& value() & {
    assert(ok());
    return std::get<0>(storage_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(storage_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(storage_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT implicit

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(!ok());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status OkStatus() { return Status(); }

}  // namespace aoizora

#define AOIZORA_CONCAT_INNER(a, b) a##b
#define AOIZORA_CONCAT(a, b) AOIZORA_CONCAT_INNER(a, b)

// Evaluates `expr` (a Result<T>); on error returns the error from the enclosing function,
// otherwise moves the value into `lhs` (a declaration such as `auto x` or an lvalue).
#define AOIZORA_ASSIGN_OR_RETURN(lhs, expr) \
  AOIZORA_ASSIGN_OR_RETURN_IMPL(AOIZORA_CONCAT(_aoizora_result_, __LINE__), lhs, expr)
#define AOIZORA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.error();                  \
  lhs = std::move(tmp).value()

// Evaluates `expr` (a Status or Result<T>) and returns its error from the enclosing function.
#define AOIZORA_RETURN_IF_ERROR(expr)                          \
  do {                                                         \
    auto _aoizora_status = (expr);                             \
    if (!_aoizora_status.ok()) return _aoizora_status.error(); \
  } while (false)
