#pragma once
// (Not CoordinateScaledObjective, which scales each coordinate separately for training, nor
// CoordinateChange, the non-owning twins of equivariance measurements.)
// g(x) = F(c·x + t) for scalars c > 0 and t: the out-of-distribution scenarios' objective shift
// (c = 1: the minimiser moves by −t) and data scaling (t = 0: F(c·x), i.e. the data matrix of a
// linear model scaled by c, the minimiser at x*/c). min g = min F, so f* is forwarded. The
// composite structure survives: λ‖c·x + t + u‖₁ = cλ‖x + (t + u)/c‖₁, so g reports
// l1_weight cλ and l1_shift (t + u)/c and proximal methods stay exact (optimizers/proximal.hpp).
// Starting points are F's; the harness shifts them itself (the start scenarios).
#include <memory>

#include "problems/objective.hpp"

namespace l2o::problems {

class UniformAffineObjective final : public Objective {
 public:
  UniformAffineObjective(std::unique_ptr<Objective> f, double scale, double shift);

  std::int64_t batch() const override { return f_->batch(); }
  std::int64_t dim() const override { return f_->dim(); }
  Placement placement() const override { return f_->placement(); }
  Tensor loss(const Tensor& x) const override { return f_->loss(inner(x)); }
  Tensor grad(const Tensor& x) const override { return scale_ * f_->grad(inner(x)); }
  double l1_weight() const override { return scale_ * f_->l1_weight(); }
  double l1_shift() const override { return (shift_ + f_->l1_shift()) / scale_; }
  Tensor smooth_loss(const Tensor& x) const override { return f_->smooth_loss(inner(x)); }
  Tensor smooth_grad(const Tensor& x) const override { return scale_ * f_->smooth_grad(inner(x)); }
  std::optional<Tensor> lipschitz() const override;
  Tensor features() const override { return f_->features(); }
  NamedTensors parameters() const override { return f_->parameters(); }
  std::optional<Tensor> reference_minimum() const override { return f_->reference_minimum(); }
  Tensor initial_points(std::uint64_t seed) const override { return f_->initial_points(seed); }
  void rewind() const override { f_->rewind(); }
  NamedTensors evaluation_metrics(const Tensor& x) const override {
    return f_->evaluation_metrics(inner(x));
  }

 private:
  // Skips the arithmetic where it is the identity, so that c = 1, t = 0 is bit for bit F.
  Tensor inner(const Tensor& x) const;

  std::unique_ptr<Objective> f_;
  double scale_, shift_;
};

}  // namespace l2o::problems
