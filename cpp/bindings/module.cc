#include <nanobind/nanobind.h>

#include "bindings.h"

namespace nb = nanobind;

namespace aoizora::bindings {

void ThrowError(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParseError:
    case ErrorCode::kNotFound:
      throw nb::value_error(error.message().c_str());
    default:
      throw std::runtime_error(error.ToString());
  }
}

}  // namespace aoizora::bindings

NB_MODULE(_core, m) {
  m.doc() = "AoiZora C++ core: HLO analysis, topology and communication model, placement search";
  m.attr("__version__") = AOIZORA_VERSION;
  using namespace aoizora::bindings;
  BindTopology(m);
  BindHlo(m);
  BindProgram(m);
  BindComm(m);
  BindPlacement(m);
  BindPlanner(m);
}
