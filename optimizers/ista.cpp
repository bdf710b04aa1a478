#include "optimizers/ista.hpp"

#include <ATen/ATen.h>

#include "optimizers/proximal.hpp"

namespace l2o::optimizers {

namespace {

class IstaRollout final : public Rollout {
 public:
  IstaRollout(const Ista::Config& config, const Objective& objective, const Tensor& x0)
      : f_(objective),
        x_(x0.clone()),
        step_(inverse_lipschitz_steps(objective, config.step_scale, Ista::name)) {}

  Tensor step() override {
    x_ = l1_prox(f_, x_ - step_ * f_.smooth_grad(x_), step_);
    return x_;
  }

 private:
  const Objective& f_;
  Tensor x_, step_;
};

}  // namespace

std::unique_ptr<Optimizer> Ista::make(const Config& config) {
  return std::make_unique<OptimizerOf<IstaRollout, Config>>(config);
}

}  // namespace l2o::optimizers
