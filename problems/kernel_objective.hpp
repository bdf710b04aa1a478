#pragma once
// Base of the families whose loss and gradient are hand-written batched kernels over tensor
// memory. One fused pass gives f and ∇f for all B instances (no per-op dispatch), and an
// autograd function with the analytic backward lets meta-training differentiate through it.
// Each family also states its formula in plain LibTorch ops: the path on other devices, the
// reference in the gradient tests, and the baseline in the benchmarks.
#include "problems/objective.hpp"

namespace l2o::problems {

class KernelObjective : public Objective {
 public:
  explicit KernelObjective(Placement placement) : placement_(placement) {}

  Placement placement() const override { return placement_; }
  Tensor loss(const Tensor& x) const override { return evaluate(x, /*smooth_only=*/false); }
  Tensor grad(const Tensor& x) const override { return gradient(x, false); }
  Tensor smooth_loss(const Tensor& x) const override { return evaluate(x, true); }
  Tensor smooth_grad(const Tensor& x) const override { return gradient(x, true); }

  // The same loss and gradient in plain LibTorch ops; plain_loss is autograd-differentiable.
  virtual Tensor plain_loss(const Tensor& x, bool smooth_only) const = 0;
  virtual Tensor plain_grad(const Tensor& x, bool smooth_only) const = 0;

  // The fused kernel, for contiguous float32/float64 CPU x: writes loss [B] and, when `grad`
  // is given, ∇ [B, n]. Public so that the autograd wrapper and benchmarks can call it.
  virtual void kernel(const Tensor& x, Tensor& loss, Tensor* grad, bool smooth_only) const = 0;

 private:
  Tensor evaluate(const Tensor& x, bool smooth_only) const;
  Tensor gradient(const Tensor& x, bool smooth_only) const;
  bool kernel_applies(const Tensor& x) const;

  Placement placement_;
};

}  // namespace l2o::problems
