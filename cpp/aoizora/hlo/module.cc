#include "aoizora/hlo/module.h"

namespace aoizora::hlo {

const Computation* Module::FindComputation(std::string_view computation_name) const {
  if (!computation_name.empty() && computation_name.front() == '%') {
    computation_name.remove_prefix(1);
  }
  auto it = index_.find(computation_name);
  return it == index_.end() ? nullptr : it->second;
}

int64_t Module::num_instructions() const {
  int64_t count = 0;
  for (const auto& computation : computations) {
    count += static_cast<int64_t>(computation->instructions.size());
  }
  return count;
}

void Module::BuildIndex() {
  index_.clear();
  index_.reserve(computations.size());
  for (const auto& computation : computations) {
    index_.emplace(computation->name, computation.get());
  }
}

}  // namespace aoizora::hlo
