#include "bindings.h"

namespace aoizora::bindings {

// The hlo stage has no Python surface yet.
void BindHlo(nanobind::module_& /*m*/) {}

}  // namespace aoizora::bindings
