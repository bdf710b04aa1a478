#include "optimizers/momentum.hpp"

#include <ATen/ATen.h>

namespace l2o::optimizers {

namespace {

class MomentumRollout final : public Rollout {
 public:
  MomentumRollout(const Momentum::Config& config, const Objective& objective, const Tensor& x0)
      : config_(config), f_(objective), x_(x0.clone()) {}

  Tensor step() override {
    Tensor g = f_.grad(x_);
    // The op sequence of torch::optim::SGD, so that results agree bit for bit.
    velocity_ = velocity_.defined() ? velocity_.mul(config_.momentum).add(g) : g.clone();
    Tensor direction = config_.nesterov ? g.add(velocity_, config_.momentum) : velocity_;
    x_ = x_.add(direction, -config_.lr);
    return x_;
  }

 private:
  Momentum::Config config_;
  const Objective& f_;
  Tensor x_, velocity_;
};

}  // namespace

std::unique_ptr<Optimizer> Momentum::make(const Config& config) {
  return std::make_unique<OptimizerOf<MomentumRollout, Config>>(config);
}

}  // namespace l2o::optimizers
