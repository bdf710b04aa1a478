#pragma once
// (Not CoordinateChange nor UniformAffineObjective: this wrapper changes no number.)
// What an optimizer's rollout is given in a cell, so that its oracle calls are counted: every
// call is forwarded unchanged to the wrapped objective (the same instances, the same minibatch
// stream) and counted per instance, as evaluations of f (loss, smooth_loss, loss_where) or of
// ∇f (grad, smooth_grad). A batched call evaluates every instance once; loss_where charges only
// the instances that need the result. The L1 term's prox and subgradient ends are closed forms
// of l1_weight and l1_shift, not oracle calls, and the problem's features and Lipschitz constant
// are data: none of them is counted. The wrapped objective is not owned and must outlive this.
#include <cstdint>

#include "problems/objective.hpp"

namespace l2o::problems {

// Evaluations per instance so far, the mean over the batch's instances.
struct OracleCounts {
  double function = 0, gradient = 0;
};

class CountingObjective final : public Objective {
 public:
  explicit CountingObjective(const Objective& f) : f_(f) {}

  OracleCounts counts() const;

  std::int64_t batch() const override { return f_.batch(); }
  std::int64_t dim() const override { return f_.dim(); }
  Placement placement() const override { return f_.placement(); }
  Tensor loss(const Tensor& x) const override;
  Tensor grad(const Tensor& x) const override;
  Tensor loss_where(const Tensor& x, const Tensor& needed) const override;
  double l1_weight() const override { return f_.l1_weight(); }
  double l1_shift() const override { return f_.l1_shift(); }
  Tensor smooth_loss(const Tensor& x) const override;
  Tensor smooth_grad(const Tensor& x) const override;
  std::optional<Tensor> lipschitz() const override { return f_.lipschitz(); }
  Tensor features() const override { return f_.features(); }
  NamedTensors parameters() const override { return f_.parameters(); }
  std::optional<Tensor> reference_minimum() const override { return f_.reference_minimum(); }
  Tensor initial_points(std::uint64_t seed) const override { return f_.initial_points(seed); }
  void rewind() const override { f_.rewind(); }
  NamedTensors evaluation_metrics(const Tensor& x) const override {
    return f_.evaluation_metrics(x);
  }

 private:
  const Objective& f_;
  // Calls that evaluated every instance; instance evaluations charged by loss_where, summed
  // over the instances.
  mutable std::int64_t function_calls_ = 0, gradient_calls_ = 0;
  mutable double partial_function_evaluations_ = 0;
};

}  // namespace l2o::problems
