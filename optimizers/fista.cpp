#include "optimizers/fista.hpp"

#include <ATen/ATen.h>

#include "optimizers/proximal.hpp"

namespace l2o::optimizers {

namespace {

class FistaRollout final : public Rollout {
 public:
  FistaRollout(const Fista::Config& config, const Objective& objective, const Tensor& x0)
      : restart_(config.restart),
        f_(objective),
        x_(x0.clone()),
        y_(x_),
        t_(at::ones({x0.size(0), 1}, x0.options())),
        step_(inverse_lipschitz_steps(objective, config.step_scale, Fista::name)) {}

  Tensor step() override {
    Tensor next = l1_prox(f_, y_ - step_ * f_.smooth_grad(y_), step_);
    Tensor t_next = 0.5 * (1 + at::sqrt(1 + 4 * t_ * t_));
    Tensor y_next = next + ((t_ - 1) / t_next) * (next - x_);
    if (restart_) {
      // Per instance: when the step opposes the momentum, drop the momentum.
      Tensor reset = ((y_ - next) * (next - x_)).sum(1, /*keepdim=*/true) > 0;
      y_next = at::where(reset, next, y_next);
      t_next = at::where(reset, at::ones_like(t_next), t_next);
    }
    x_ = next;
    y_ = y_next;
    t_ = t_next;
    return x_;
  }

 private:
  bool restart_;
  const Objective& f_;
  Tensor x_, y_, t_, step_;
};

}  // namespace

std::unique_ptr<Optimizer> Fista::make(const Config& config) {
  return std::make_unique<OptimizerOf<FistaRollout, Config>>(config);
}

}  // namespace l2o::optimizers
