#include "optimizers/proximal.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace l2o::optimizers {

Tensor soft_threshold(const Tensor& v, const Tensor& tau) {
  return at::sign(v) * at::relu(v.abs() - tau);
}

Tensor inverse_lipschitz_steps(const problems::Objective& objective, double scale,
                               std::string_view method) {
  auto L = objective.lipschitz();
  if (!L)
    throw InputError(
        fmt::format("{} needs the Lipschitz constant of the gradient, and this problem family "
                    "provides none; use it on lasso, rastrigin or quadratic",
                    method));
  return place(scale / *L, objective.placement()).unsqueeze(1);
}

}  // namespace l2o::optimizers
