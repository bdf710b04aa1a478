#include "optimizers/gd.hpp"

#include <ATen/ATen.h>

namespace l2o::optimizers {

namespace {

class GradientDescentRollout final : public Rollout {
 public:
  GradientDescentRollout(const GradientDescent::Config& config, const Objective& objective,
                         const Tensor& x0)
      : lr_(config.lr), f_(objective), x_(x0.clone()) {}

  Tensor step() override {
    x_ = x_.add(f_.grad(x_), -lr_);
    return x_;
  }

 private:
  double lr_;
  const Objective& f_;
  Tensor x_;
};

}  // namespace

std::unique_ptr<Optimizer> GradientDescent::make(const Config& config) {
  return std::make_unique<OptimizerOf<GradientDescentRollout, Config>>(config);
}

}  // namespace l2o::optimizers
