#include "problems/kernel_objective.hpp"

#include <ATen/ATen.h>
#include <torch/autograd.h>

namespace l2o::problems {

namespace {

// f(x) through the fused kernel, with ∇f saved for an analytic backward. First order only:
// the saved gradient is a constant for autograd, as in L2O meta-training, which drops
// second derivatives.
struct KernelLoss : torch::autograd::Function<KernelLoss> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& x,
                        const KernelObjective* objective, bool smooth_only) {
    Tensor loss, grad;
    objective->kernel(x.contiguous(), loss, &grad, smooth_only);
    ctx->save_for_backward({grad});
    return loss;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    Tensor grad = ctx->get_saved_variables()[0];
    return {grad_out[0].unsqueeze(1) * grad, Tensor(), Tensor()};
  }
};

}  // namespace

bool KernelObjective::kernel_applies(const Tensor& x) const {
  return x.is_cpu() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble) &&
         x.scalar_type() == placement_.dtype;
}

Tensor KernelObjective::evaluate(const Tensor& x, bool smooth_only) const {
  if (!kernel_applies(x)) return plain_loss(x, smooth_only);
  if (x.requires_grad() && at::GradMode::is_enabled())
    return KernelLoss::apply(x, this, smooth_only);
  Tensor loss;
  kernel(x.contiguous(), loss, nullptr, smooth_only);
  return loss;
}

Tensor KernelObjective::gradient(const Tensor& x, bool smooth_only) const {
  if (!kernel_applies(x)) return plain_grad(x.detach(), smooth_only);
  Tensor loss, grad;
  kernel(x.detach().contiguous(), loss, &grad, smooth_only);
  return grad;
}

}  // namespace l2o::problems
