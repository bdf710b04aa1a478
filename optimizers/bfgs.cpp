#include "optimizers/bfgs.hpp"

#include <ATen/ATen.h>

namespace l2o::optimizers {

namespace {

Tensor batch_dot(const Tensor& a, const Tensor& b) {
  return (a * b).sum(1);
}

Tensor matvec(const Tensor& H, const Tensor& v) {
  return at::bmm(H, v.unsqueeze(2)).squeeze(2);
}

Tensor batch_outer(const Tensor& a, const Tensor& b) {
  return a.unsqueeze(2) * b.unsqueeze(1);
}

// The rank-two update with uᵀy given (1 where no update is made, so that neither the value nor
// its gradient meets a division by zero).
Tensor rank_two_update(const Tensor& H, const Tensor& s, const Tensor& y, const Tensor& u,
                       const Tensor& uy) {
  const Tensor r = s - matvec(H, y);
  const Tensor inv = (1 / uy).view({-1, 1, 1});
  const Tensor ry = batch_dot(r, y).view({-1, 1, 1});
  return H + (batch_outer(r, u) + batch_outer(u, r)) * inv - ry * inv * inv * batch_outer(u, u);
}

class BfgsRollout final : public Rollout {
 public:
  BfgsRollout(const Bfgs::Config& config, const Objective& objective, const Tensor& x0)
      : iteration_(config, objective, x0) {}

  Tensor step() override {
    return iteration_.step([](const BfgsIteration::UpdateInputs& in) { return in.s; });
  }
  Counters counters() const override { return iteration_.counters(); }

 private:
  BfgsIteration iteration_;
};

}  // namespace

Tensor rank_two_update(const Tensor& H, const Tensor& s, const Tensor& y, const Tensor& u) {
  return rank_two_update(H, s, y, u, batch_dot(u, y));
}

BfgsIteration::BfgsIteration(const Bfgs::Config& config, const Objective& objective,
                             const Tensor& x0)
    : config_(config), f_(objective), x_(x0.clone()) {
  at::NoGradGuard no_grad;
  loss_ = f_.loss(x_);
  gradient_ = f_.grad(x_);
  const std::int64_t batch = x0.size(0), n = x0.size(1);
  Tensor gamma = at::ones({batch}, x0.options());
  if (config_.first_step == "polyak") {
    // |f|/‖g‖² scales as 1/c² under x → c·x, as the inverse Hessian does.
    const Tensor polyak = loss_.abs() / batch_dot(gradient_, gradient_);
    gamma = at::where(at::isfinite(polyak).logical_and(polyak > 0), polyak, gamma);
  }
  H_ = gamma.view({-1, 1, 1}) * at::eye(n, x0.options()).expand({batch, n, n});
  scaled_ = at::zeros({batch}, x0.options().dtype(at::kBool));
  const auto count = at::zeros({}, x0.options().dtype(at::kLong));
  updates_ = count.clone();
  skipped_ = count.clone();
  guarded_ = count.clone();
  failed_searches_ = count.clone();
}

Tensor BfgsIteration::step(const ChooseU& choose_u) {
  const Tensor d = -matvec(H_, gradient_);
  Tensor alpha, loss;
  {
    // Armijo backtracking on constants: the accepted step size carries no gradient.
    at::NoGradGuard no_grad;
    const Tensor x = x_.detach(), direction = d.detach();
    const Tensor slope = batch_dot(gradient_, direction);
    alpha = at::ones_like(loss_);
    Tensor accepted = at::zeros_like(scaled_);
    for (std::int64_t t = 0; t < config_.tries; ++t) {
      const Tensor trial = f_.loss(x + alpha.unsqueeze(1) * direction);
      loss = t == 0 ? trial : at::where(accepted, loss, trial);
      accepted = accepted.logical_or(trial <= loss_ + config_.c1 * alpha * slope);
      if (accepted.all().item<bool>()) break;
      // The last trial step is taken even when it fails: alpha is not reduced after it.
      if (t + 1 < config_.tries) alpha = at::where(accepted, alpha, alpha * config_.backtrack);
    }
    failed_searches_ += accepted.logical_not().sum();
  }

  const Tensor x = x_ + alpha.unsqueeze(1) * d;
  const Tensor gradient = f_.grad(x.detach());
  const Tensor s = x - x_;
  const Tensor y = gradient - gradient_;
  const Tensor update = batch_dot(s, y).detach() > 0;  // sᵀy ≤ 0 (or NaN): no update, H kept

  // Before the first update of an instance: H = initial_scaling·sᵀy/yᵀy·I.
  const Tensor first = update.logical_and(scaled_.logical_not());
  if (first.any().item<bool>()) {
    const std::int64_t n = x.size(1);
    const Tensor gamma = config_.initial_scaling * batch_dot(s, y) / batch_dot(y, y);
    const Tensor scaled = gamma.view({-1, 1, 1}) * at::eye(n, x.options()).unsqueeze(0);
    H_ = at::where(first.view({-1, 1, 1}), scaled, H_);
    scaled_ = scaled_.logical_or(first);
  }

  Tensor u = choose_u({H_, s, y, gradient});
  // The guard: uᵀy ≤ 0 would break positive definiteness; BFGS's u = s is used there instead.
  const Tensor guard = update.logical_and((batch_dot(u, y).detach() > 0).logical_not());
  u = at::where(guard.unsqueeze(1), s, u);
  const Tensor uy = at::where(update, batch_dot(u, y), at::ones_like(loss_));
  H_ = at::where(update.view({-1, 1, 1}), rank_two_update(H_, s, y, u, uy), H_);

  updates_ += update.sum();
  skipped_ += update.logical_not().sum();
  guarded_ += guard.sum();
  x_ = x;
  loss_ = loss;
  gradient_ = gradient;
  return x_;
}

void BfgsIteration::detach() {
  x_ = x_.detach();
  H_ = H_.detach();
}

Counters BfgsIteration::counters() const {
  return {{"updates", double(updates_.item<std::int64_t>())},
          {"skipped_updates", double(skipped_.item<std::int64_t>())},
          {"guard_fallbacks", double(guarded_.item<std::int64_t>())},
          {"line_search_failures", double(failed_searches_.item<std::int64_t>())}};
}

std::unique_ptr<Optimizer> Bfgs::make(const Config& config) {
  return std::make_unique<OptimizerOf<BfgsRollout, Config>>(config);
}

}  // namespace l2o::optimizers
