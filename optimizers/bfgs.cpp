#include "optimizers/bfgs.hpp"

#include <ATen/ATen.h>

#include "core/error.hpp"

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
  std::optional<Tensor> start_point() const override { return iteration_.start_point(); }

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
  const std::int64_t batch = x0.size(0), n = x0.size(1);
  const Tensor identity = at::eye(n, x0.options()).expand({batch, n, n});
  if (authors()) {
    const auto lipschitz = f_.lipschitz();
    if (!lipschitz)
      throw InputError(
          "bfgs/loa-bfgs \"protocol\": \"authors\" starts with a gradient step 1/(2L), but this "
          "problem has no Lipschitz constant L; use \"protocol\": \"safeguarded\"");
    // x0 is the authors' x₋₁; their x₀ is one uncounted gradient step away.
    const Tensor step = 0.5 / lipschitz->to(x0.options());
    const Tensor previous_gradient = f_.grad(x_);
    x_ = x_ - step.unsqueeze(1) * previous_gradient;
    start_ = x_;
    gradient_ = f_.grad(x_);
    loss_ = f_.loss(x_);
    s_ = x_ - x0;
    y_ = gradient_ - previous_gradient;
    const Tensor gamma = config_.initial_scaling * batch_dot(s_, y_) / batch_dot(y_, y_);
    H_ = gamma.view({-1, 1, 1}) * identity;
    scaled_ = at::ones({batch}, x0.options().dtype(at::kBool));
  } else {
    loss_ = f_.loss(x_);
    gradient_ = f_.grad(x_);
    Tensor gamma = at::ones({batch}, x0.options());
    if (config_.first_step == "polyak") {
      // |f|/‖g‖² scales as 1/c² under x → c·x, as the inverse Hessian does.
      const Tensor polyak = loss_.abs() / batch_dot(gradient_, gradient_);
      gamma = at::where(at::isfinite(polyak).logical_and(polyak > 0), polyak, gamma);
    }
    H_ = gamma.view({-1, 1, 1}) * identity;
    scaled_ = at::zeros({batch}, x0.options().dtype(at::kBool));
  }
  const auto count = at::zeros({}, x0.options().dtype(at::kLong));
  updates_ = count.clone();
  skipped_ = count.clone();
  guarded_ = count.clone();
  failed_searches_ = count.clone();
  nonpositive_sy_ = count.clone();
  nonpositive_uy_ = count.clone();
}

std::pair<Tensor, Tensor> BfgsIteration::line_search(const Tensor& d) {
  // Armijo backtracking on constants: the accepted step size carries no gradient.
  at::NoGradGuard no_grad;
  const Tensor x = x_.detach(), direction = d.detach();
  const Tensor slope = batch_dot(gradient_, direction);
  Tensor alpha = at::ones_like(loss_), loss;
  Tensor accepted = at::zeros_like(scaled_);
  for (std::int64_t t = 0; t < config_.tries; ++t) {
    // Later trials matter only to the instances still searching (the cost count charges those).
    const Tensor at_trial = x + alpha.unsqueeze(1) * direction;
    const Tensor trial =
        t == 0 ? f_.loss(at_trial) : f_.loss_where(at_trial, accepted.logical_not());
    loss = t == 0 ? trial : at::where(accepted, loss, trial);
    // The authors' test fails only where the excess is > 0, so a NaN trial passes it.
    accepted = accepted.logical_or(
        authors() ? ((trial - loss_ - config_.c1 * alpha * slope) > 0).logical_not()
                  : trial <= loss_ + config_.c1 * alpha * slope);
    if (accepted.all().item<bool>()) break;
    // Safeguarded: the last trial step is taken even when it fails. Authors: one more backtrack.
    if (authors() || t + 1 < config_.tries)
      alpha = at::where(accepted, alpha, alpha * config_.backtrack);
  }
  const Tensor failed = accepted.logical_not();
  failed_searches_ += failed.sum();
  // The authors' fallback step was never tried: f there is evaluated now.
  if (authors() && failed.any().item<bool>())
    loss = at::where(failed, f_.loss_where(x + alpha.unsqueeze(1) * direction, failed), loss);
  return {alpha, loss};
}

void BfgsIteration::update_as_authors(const ChooseU& choose_u) {
  const Tensor u = choose_u({H_, s_, y_, gradient_});
  const Tensor uy = batch_dot(u, y_);
  H_ = rank_two_update(H_, s_, y_, u, uy);
  updates_ += x_.size(0);
  nonpositive_sy_ += (batch_dot(s_, y_).detach() > 0).logical_not().sum();
  nonpositive_uy_ += (uy.detach() > 0).logical_not().sum();
}

void BfgsIteration::update_safeguarded(const ChooseU& choose_u, const Tensor& s, const Tensor& y,
                                       const Tensor& gradient) {
  const Tensor update = batch_dot(s, y).detach() > 0;  // sᵀy ≤ 0 (or NaN): no update, H kept

  // Before the first update of an instance: H = initial_scaling·sᵀy/yᵀy·I.
  const Tensor first = update.logical_and(scaled_.logical_not());
  if (first.any().item<bool>()) {
    const std::int64_t n = s.size(1);
    const Tensor gamma = config_.initial_scaling * batch_dot(s, y) / batch_dot(y, y);
    const Tensor scaled = gamma.view({-1, 1, 1}) * at::eye(n, s.options()).unsqueeze(0);
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
}

Tensor BfgsIteration::step(const ChooseU& choose_u) {
  if (authors()) update_as_authors(choose_u);
  const Tensor d = -matvec(H_, gradient_);
  const auto [alpha, loss] = line_search(d);
  // The authors' s is the step itself; the safeguarded iteration takes the difference of iterates.
  const Tensor move = alpha.unsqueeze(1) * d;
  const Tensor x = x_ + move;
  const Tensor gradient = f_.grad(x.detach());
  if (authors()) {
    s_ = move;
    y_ = gradient - gradient_;
  } else {
    update_safeguarded(choose_u, x - x_, gradient - gradient_, gradient);
  }
  x_ = x;
  loss_ = loss;
  gradient_ = gradient;
  return x_;
}

void BfgsIteration::detach() {
  x_ = x_.detach();
  H_ = H_.detach();
  if (s_.defined()) s_ = s_.detach();
}

std::optional<Tensor> BfgsIteration::start_point() const {
  if (start_.defined()) return start_;
  return std::nullopt;
}

Counters BfgsIteration::counters() const {
  auto value = [](const Tensor& count) { return double(count.item<std::int64_t>()); };
  if (authors())
    return {{"updates", value(updates_)},
            {"updates_with_nonpositive_sy", value(nonpositive_sy_)},
            {"updates_with_nonpositive_uy", value(nonpositive_uy_)},
            {"line_search_failures", value(failed_searches_)}};
  return {{"updates", value(updates_)},
          {"skipped_updates", value(skipped_)},
          {"guard_fallbacks", value(guarded_)},
          {"line_search_failures", value(failed_searches_)}};
}

std::unique_ptr<Optimizer> Bfgs::make(const Config& config) {
  return std::make_unique<OptimizerOf<BfgsRollout, Config>>(config);
}

}  // namespace l2o::optimizers
