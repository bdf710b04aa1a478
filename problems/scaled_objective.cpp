#include "problems/scaled_objective.hpp"

#include <ATen/ATen.h>

namespace l2o::problems {

ScaledObjective::ScaledObjective(std::unique_ptr<Objective> f, Tensor scale)
    : f_(std::move(f)), scale_(place(scale, f_->placement())) {}

Tensor ScaledObjective::loss(const Tensor& x) const {
  return f_->loss(scale_ * x);
}

Tensor ScaledObjective::grad(const Tensor& x) const {
  return scale_ * f_->grad(scale_ * x);
}

NamedTensors ScaledObjective::parameters() const {
  NamedTensors p = f_->parameters();
  p.emplace_back("scale", scale_);
  return p;
}

NamedTensors ScaledObjective::evaluation_metrics(const Tensor& x) const {
  return f_->evaluation_metrics(scale_ * x);
}

Tensor ScaledObjective::initial_points(std::uint64_t seed) const {
  return f_->initial_points(seed) / scale_;
}

}  // namespace l2o::problems
