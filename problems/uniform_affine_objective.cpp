#include "problems/uniform_affine_objective.hpp"

#include <ATen/ATen.h>

namespace l2o::problems {

UniformAffineObjective::UniformAffineObjective(std::unique_ptr<Objective> f, double scale,
                                               double shift)
    : f_(std::move(f)), scale_(scale), shift_(shift) {}

Tensor UniformAffineObjective::inner(const Tensor& x) const {
  Tensor y = scale_ == 1.0 ? x : scale_ * x;
  return shift_ == 0.0 ? y : y + shift_;
}

std::optional<Tensor> UniformAffineObjective::lipschitz() const {
  auto L = f_->lipschitz();
  if (!L) return std::nullopt;
  return *L * (scale_ * scale_);
}

}  // namespace l2o::problems
