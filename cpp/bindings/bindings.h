#pragma once
// The one nanobind module aoizora._core. Each pipeline stage contributes one Bind<Stage>
// function in its own <stage>_bindings.cc so stages can evolve independently.

#include <nanobind/nanobind.h>

#include <stdexcept>
#include <utility>

#include "aoizora/util/result.h"

namespace aoizora::bindings {

// Raised in Python for a core Error: ValueError for bad input, RuntimeError otherwise. The CLI
// maps ValueError to exit code 2.
[[noreturn]] void ThrowError(const Error& error);

template <typename T>
T ValueOrThrow(Result<T> result) {
  if (!result.ok()) ThrowError(result.error());
  return std::move(result).value();
}

inline void OkOrThrow(const Status& status) {
  if (!status.ok()) ThrowError(status.error());
}

void BindTopology(nanobind::module_& m);
void BindHlo(nanobind::module_& m);
void BindProgram(nanobind::module_& m);
void BindComm(nanobind::module_& m);
void BindPlacement(nanobind::module_& m);
void BindPlanner(nanobind::module_& m);

}  // namespace aoizora::bindings
