#include "problems/coordinate_scaled_objective.hpp"

#include <ATen/ATen.h>

namespace l2o::problems {

CoordinateScaledObjective::CoordinateScaledObjective(std::unique_ptr<Objective> f, Tensor scale)
    : f_(std::move(f)), scale_(place(scale, f_->placement())) {}

Tensor CoordinateScaledObjective::loss(const Tensor& x) const {
  return f_->loss(scale_ * x);
}

Tensor CoordinateScaledObjective::grad(const Tensor& x) const {
  return scale_ * f_->grad(scale_ * x);
}

NamedTensors CoordinateScaledObjective::parameters() const {
  NamedTensors p = f_->parameters();
  p.emplace_back("scale", scale_);
  return p;
}

NamedTensors CoordinateScaledObjective::evaluation_metrics(const Tensor& x) const {
  return f_->evaluation_metrics(scale_ * x);
}

Tensor CoordinateScaledObjective::initial_points(std::uint64_t seed) const {
  return f_->initial_points(seed) / scale_;
}

}  // namespace l2o::problems
