#include "bindings.h"

namespace aoizora::bindings {

// The program stage has no Python surface yet.
void BindProgram(nanobind::module_& /*m*/) {}

}  // namespace aoizora::bindings
