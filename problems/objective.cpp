#include "problems/objective.hpp"

#include <algorithm>

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

NamedTensors draw_gaussian_parameters(RandomStream& stream, std::int64_t count,
                                      const std::vector<ParameterShape>& shapes) {
  NamedTensors out;
  for (const auto& [name, trailing] : shapes) {
    std::vector<std::int64_t> sizes{count};
    sizes.insert(sizes.end(), trailing.begin(), trailing.end());
    out.emplace_back(name, stream.normal(sizes));
  }
  return out;
}

std::vector<Tensor> take_parameters(const NamedTensors& parameters,
                                    const std::vector<ParameterShape>& shapes,
                                    const Placement& placement) {
  if (parameters.empty()) throw InputError("instance parameters: none given");
  const std::int64_t batch =
      parameters.front().second.dim() > 0 ? parameters.front().second.size(0) : 0;
  std::vector<Tensor> out;
  for (const auto& [name, trailing] : shapes) {
    auto it = std::find_if(parameters.begin(), parameters.end(),
                           [&](const auto& p) { return p.first == name; });
    if (it == parameters.end())
      throw InputError(fmt::format("instance parameters: \"{}\" is missing", name));
    std::vector<std::int64_t> expected{batch};
    expected.insert(expected.end(), trailing.begin(), trailing.end());
    if (it->second.sizes().vec() != expected)
      throw InputError(fmt::format("instance parameter \"{}\": expected shape [{}], got [{}]", name,
                                   fmt::join(expected, ", "), fmt::join(it->second.sizes(), ", ")));
    out.push_back(place(it->second, placement));
  }
  return out;
}

}  // namespace l2o::problems
