#include "problems/counting_objective.hpp"

#include <ATen/ATen.h>

namespace l2o::problems {

OracleCounts CountingObjective::counts() const {
  return {.function = double(function_calls_) + partial_function_evaluations_ / double(batch()),
          .gradient = double(gradient_calls_)};
}

Tensor CountingObjective::loss(const Tensor& x) const {
  ++function_calls_;
  return f_.loss(x);
}

Tensor CountingObjective::grad(const Tensor& x) const {
  ++gradient_calls_;
  return f_.grad(x);
}

Tensor CountingObjective::loss_where(const Tensor& x, const Tensor& needed) const {
  partial_function_evaluations_ += needed.sum().item<double>();
  return f_.loss_where(x, needed);
}

Tensor CountingObjective::smooth_loss(const Tensor& x) const {
  ++function_calls_;
  return f_.smooth_loss(x);
}

Tensor CountingObjective::smooth_grad(const Tensor& x) const {
  ++gradient_calls_;
  return f_.smooth_grad(x);
}

}  // namespace l2o::problems
