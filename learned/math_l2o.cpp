#include "learned/math_l2o.hpp"

#include <ATen/ATen.h>

#include "learned/proximal_lstm.hpp"
#include "optimizers/proximal.hpp"

namespace l2o::learned {

namespace {

class MathL2oRollout final : public LearnedRollout {
 public:
  MathL2oRollout(const ProximalLstmNetwork& net, const Objective& objective, const Tensor& x0)
      : net_(net),
        f_(objective),
        inverse_l_(composite_inverse_lipschitz(objective, MathL2o::name)),
        x_(x0.detach()),
        z_(x_),
        state_(net.initial_state(x0)) {}

  Tensor step() override {
    const Tensor g = f_.smooth_grad(x_);
    count_network_evaluation();
    const Tensor raw = net_(at::stack({g.reshape(-1), x_.reshape(-1)}, 1), state_);
    const Tensor p = 2 * at::sigmoid(coefficient(raw, 0, x_));
    const Tensor a = 2 * at::sigmoid(coefficient(raw, 1, x_));
    const Tensor tau = p * inverse_l_;
    const Tensor z = optimizers::l1_prox(f_, x_ - tau * g, tau);
    x_ = z + a * (z - z_);
    z_ = z;
    return x_;
  }

  void detach() override {
    x_ = x_.detach();
    z_ = z_.detach();
    state_.detach();
  }

 private:
  const ProximalLstmNetwork& net_;
  const Objective& f_;
  Tensor inverse_l_, x_, z_;
  StackedLstm::State state_;
};

}  // namespace

TrainConfig MathL2o::training(const Config&, TrainProfile profile) {
  return proximal_l2o_training(profile);
}

std::unique_ptr<LearnedOptimizer> MathL2o::make(const Config& config, std::uint64_t init_seed) {
  return std::make_unique<ProximalLstmModel<MathL2oRollout, 2, 2>>(config, init_seed);
}

}  // namespace l2o::learned
