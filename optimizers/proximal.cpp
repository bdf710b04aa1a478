#include "optimizers/proximal.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace l2o::optimizers {

Tensor soft_threshold(const Tensor& v, const Tensor& tau) {
  return at::sign(v) * at::relu(v.abs() - tau);
}

Tensor l1_prox(const problems::Objective& objective, const Tensor& v, const Tensor& step) {
  const double u = objective.l1_shift();
  const Tensor tau = step * objective.l1_weight();
  return u == 0 ? soft_threshold(v, tau) : soft_threshold(v + u, tau) - u;
}

std::pair<Tensor, Tensor> l1_subgradient_ends(const problems::Objective& objective, const Tensor& x,
                                              const Tensor& g) {
  const double lambda = objective.l1_weight(), u = objective.l1_shift();
  const Tensor sign = at::sign(u == 0 ? x : x + u);
  // sign 0 (on the kink): the ends g − λ and g + λ; elsewhere both g + λ·sign.
  const Tensor at_kink = (sign == 0).to(g.scalar_type());
  return {g + lambda * (sign - at_kink), g + lambda * (sign + at_kink)};
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
