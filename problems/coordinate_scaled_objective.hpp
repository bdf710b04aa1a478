#pragma once
// Three wrappers change x before f sees it; they differ in what and why: this one scales each
// coordinate (training on badly scaled problems), UniformAffineObjective applies one scalar
// c·x + t (the out-of-distribution scenarios), CoordinateChange builds equivariance twins.
// g(x) = f(s∘x): the same instances in rescaled coordinates (s [B, n] > 0). Starting points
// map to x₀/s so that g starts where f would; min g = min f. Used to train learned optimizers
// on badly scaled problems (RNNProp's random per-coordinate scaling) and to measure scale
// equivariance. The L1 term of f is not of the form λ‖x‖₁ in the new coordinates, so g
// presents itself as one non-smooth whole (l1_weight 0).
#include <memory>

#include "problems/objective.hpp"

namespace l2o::problems {

class CoordinateScaledObjective final : public Objective {
 public:
  CoordinateScaledObjective(std::unique_ptr<Objective> f, Tensor scale);

  std::int64_t batch() const override { return f_->batch(); }
  std::int64_t dim() const override { return f_->dim(); }
  Placement placement() const override { return f_->placement(); }
  Tensor loss(const Tensor& x) const override;
  Tensor grad(const Tensor& x) const override;
  Tensor features() const override { return f_->features(); }
  NamedTensors parameters() const override;
  std::optional<Tensor> reference_minimum() const override { return f_->reference_minimum(); }
  Tensor initial_points(std::uint64_t seed) const override;
  void rewind() const override { f_->rewind(); }
  NamedTensors evaluation_metrics(const Tensor& x) const override;

 private:
  std::unique_ptr<Objective> f_;
  Tensor scale_;
};

}  // namespace l2o::problems
