#include "learned/go_math_l2o.hpp"

#include <array>
#include <limits>
#include <vector>

#include <ATen/ATen.h>

#include "learned/proximal_lstm.hpp"
#include "optimizers/proximal.hpp"

namespace l2o::learned {

namespace {

// Per instance: ∇s, the lower and the upper subgradient end, [B, n] each.
std::array<Tensor, 3> raw_inputs(const Objective& f, const Tensor& x, const Tensor& g) {
  auto [lower, upper] = optimizers::l1_subgradient_ends(f, x, g);
  return {g, lower, upper};
}

class GoMathL2oRollout final : public LearnedRollout {
 public:
  GoMathL2oRollout(const ProximalLstmNetwork& net, const Objective& objective, const Tensor& x0)
      : net_(net),
        f_(objective),
        r_scale_(0.9999 * composite_inverse_lipschitz(objective, GoMathL2o::name)),
        x_(x0.detach()),
        v_(at::zeros_like(x_)),
        norms_(GoMathL2o::input_norms(objective, x_)),
        state_(net.initial_state(x0)) {}

  Tensor step() override {
    const Tensor g = f_.smooth_grad(x_);
    count_network_evaluation();
    const Tensor raw = net_(GoMathL2o::inputs(f_, x_, g, norms_), state_);
    const Tensor r = 2 * at::sigmoid(coefficient(raw, 0, x_)) * r_scale_;
    const Tensor q = 2 * at::sigmoid(coefficient(raw, 1, x_));
    const Tensor b = at::sigmoid(coefficient(raw, 2, x_));
    const Tensor next = optimizers::l1_prox(f_, x_ - r * g - q * v_, r);
    v_ = b * v_ + (1 - b) * (x_ - next);
    x_ = next;
    return x_;
  }

  void detach() override {
    x_ = x_.detach();
    v_ = v_.detach();
    state_.detach();
  }

 private:
  const ProximalLstmNetwork& net_;
  const Objective& f_;
  Tensor r_scale_, x_, v_, norms_;
  StackedLstm::State state_;
};

}  // namespace

Tensor GoMathL2o::input_norms(const Objective& objective, const Tensor& x0) {
  const Tensor x = x0.detach();
  auto parts = raw_inputs(objective, x, objective.smooth_grad(x));
  const double tiny = x.scalar_type() == at::kDouble ? std::numeric_limits<double>::min()
                                                     : std::numeric_limits<float>::min();
  std::vector<Tensor> norms;
  for (const Tensor& p : parts) norms.push_back(p.norm(2, {1}).clamp_min(tiny));
  return at::stack(norms, 1);
}

Tensor GoMathL2o::inputs(const Objective& objective, const Tensor& x, const Tensor& gradient,
                         const Tensor& norms) {
  auto parts = raw_inputs(objective, x, gradient);
  std::vector<Tensor> columns;
  for (std::size_t j = 0; j < parts.size(); ++j)
    columns.push_back((parts[j] / norms.select(1, std::int64_t(j)).unsqueeze(1)).reshape(-1));
  return at::stack(columns, 1);
}

TrainConfig GoMathL2o::training(const Config&, TrainProfile profile) {
  return proximal_l2o_training(profile);
}

std::unique_ptr<LearnedOptimizer> GoMathL2o::make(const Config& config, std::uint64_t init_seed) {
  return std::make_unique<ProximalLstmModel<GoMathL2oRollout, 3, 3>>(config, init_seed);
}

}  // namespace l2o::learned
