#include "problems/objective.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"

namespace l2o::problems {

Tensor Objective::features() const {
  std::vector<Tensor> rows;
  for (const auto& [name, t] : parameters()) rows.push_back(t.reshape({batch(), -1}));
  return at::cat(rows, 1);
}

Tensor Objective::initial_points(std::uint64_t seed) const {
  return place(RandomStream(seed).normal({batch(), dim()}), placement());
}

}  // namespace l2o::problems

namespace l2o::problems {

Tensor take_parameter(const NamedTensors& parameters, const std::string& name,
                      const std::vector<std::int64_t>& trailing, const Placement& placement) {
  if (parameters.empty()) throw InputError("instance parameters: none given");
  for (const auto& [key, t] : parameters) {
    if (key != name) continue;
    std::vector<std::int64_t> expected{parameters.front().second.size(0)};
    expected.insert(expected.end(), trailing.begin(), trailing.end());
    if (t.sizes().vec() != expected)
      throw InputError(fmt::format("instance parameter \"{}\": expected shape [{}], got [{}]", name,
                                   fmt::join(expected, ", "), fmt::join(t.sizes(), ", ")));
    return place(t, placement);
  }
  throw InputError(fmt::format("instance parameters: \"{}\" is missing", name));
}

}  // namespace l2o::problems
