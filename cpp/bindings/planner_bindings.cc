#include "bindings.h"

namespace aoizora::bindings {

// The planner stage has no Python surface yet.
void BindPlanner(nanobind::module_& /*m*/) {}

}  // namespace aoizora::bindings
