#include "optimizers/adam.hpp"

#include <cmath>

#include <ATen/ATen.h>

namespace l2o::optimizers {

namespace {

class AdamRollout final : public Rollout {
 public:
  AdamRollout(const Adam::Config& config, const Objective& objective, const Tensor& x0)
      : config_(config),
        f_(objective),
        x_(x0.clone()),
        m_(at::zeros_like(x0)),
        v_(at::zeros_like(x0)) {}

  // The same in-place op sequence as torch::optim::Adam::step, so results agree bit for bit.
  Tensor step() override {
    ++t_;
    Tensor g = f_.grad(x_);
    if (config_.weight_decay != 0) g = g.add(x_, config_.weight_decay);
    const double bias1 = 1 - std::pow(config_.beta1, t_), bias2 = 1 - std::pow(config_.beta2, t_);
    m_.mul_(config_.beta1).add_(g, 1 - config_.beta1);
    v_.mul_(config_.beta2).addcmul_(g, g, 1 - config_.beta2);
    Tensor denom = (v_.sqrt() / std::sqrt(bias2)).add_(config_.eps);
    x_ = x_.addcdiv(m_, denom, -config_.lr / bias1);
    return x_;
  }

 private:
  Adam::Config config_;
  const Objective& f_;
  Tensor x_, m_, v_;
  std::int64_t t_ = 0;
};

}  // namespace

std::unique_ptr<Optimizer> Adam::make(const Config& config) {
  return std::make_unique<OptimizerOf<AdamRollout, Config>>(config);
}

}  // namespace l2o::optimizers
