#pragma once
// BFGS with the inverse-Hessian update and Armijo backtracking (REPRODUCTION.md):
//   d = −H g;  α ∈ {1, 0.1, 0.01, ...} (at most `tries`), the first with
//   f(x + αd) ≤ f(x) + c₁·α·gᵀd;  s = αd, y = ∇f(x + s) − g;
//   H ← H + (r uᵀ + u rᵀ)/(uᵀy) − (rᵀy)/(uᵀy)²·u uᵀ, r = s − H y, with u = s (this form is BFGS
//   for u = s and keeps the secant equation H⁺y = s for any u: LOA's learned BFGS picks u).
// Choices the spec leaves open, all per instance:
//  - first step: H = γ₀ I with γ₀ = |f(x₀)|/‖∇f(x₀)‖² ("polyak", the default: with it every
//    step transforms with the problem under x → c·x, so BFGS is scale-equivariant from step 1)
//    or γ₀ = 1 ("identity", the textbook choice, not scale-equivariant on the first step);
//  - H ← initial_scaling·sᵀy/yᵀy·I just before the first update (Nocedal & Wright eq. 6.20);
//  - an update with sᵀy ≤ 0 is skipped (H kept): the update would not be positive definite;
//  - when no trial step passes Armijo, the last (smallest) one is taken anyway, so that the
//    iterate never stalls for good; such steps are counted.
// Batched over instances: H is [B, n, n], products are bmm.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "optimizers/optimizer.hpp"

namespace l2o::optimizers {

struct Bfgs {
  static constexpr std::string_view name = "bfgs";
  static constexpr std::string_view summary =
      "BFGS, inverse-Hessian update, Armijo backtracking (c1 1e-2, x0.1, 5 tries)";

  struct Config {
    double c1 = 1e-2;
    double backtrack = 0.1;
    std::int64_t tries = 5;
    double initial_scaling = 0.8;
    std::string first_step = "polyak";
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("c1", c1, "Armijo constant", between(0, 1));
      v.field("backtrack", backtrack, "step factor after a failed Armijo test", between(0, 1));
      v.field("tries", tries, "trial steps per line search (1, backtrack, ...)", at_least(1));
      v.field("initial_scaling", initial_scaling, "H = this * s'y/y'y * I before the 1st update",
              greater_than(0));
      v.field("first_step", first_step, "H on the first step: |f|/|g|^2 I or I",
              one_of({"polyak", "identity"}));
    }
  };

  static std::unique_ptr<Optimizer> make(const Config& config);
};

// H + (r uᵀ + u rᵀ)/(uᵀy) − (rᵀy)/(uᵀy)²·u uᵀ with r = s − H y: H [B, n, n]; s, y, u [B, n].
Tensor rank_two_update(const Tensor& H, const Tensor& s, const Tensor& y, const Tensor& u);

// The state of a BFGS-type rollout, shared by `bfgs` and the learned `loa-bfgs`, which differ
// only in the vector u of the rank-two update. Under grad mode the iterate keeps its autograd
// graph through d = −H g (the accepted step sizes and the gradients are constants).
class BfgsIteration {
 public:
  // What chooses u: the BFGS state before the update (H already scaled on the first update)
  // and the new gradient; returns u [B, n].
  struct UpdateInputs {
    const Tensor &H, &s, &y, &gradient;
  };
  using ChooseU = std::function<Tensor(const UpdateInputs&)>;

  BfgsIteration(const Bfgs::Config& config, const Objective& objective, const Tensor& x0);

  // One iteration: line search along −H g, then the update with u = choose_u(...) where that
  // gives uᵀy > 0, else with u = s (the guard, counted). Returns the new iterate.
  Tensor step(const ChooseU& choose_u);
  void detach();
  Counters counters() const;

 private:
  Bfgs::Config config_;
  const Objective& f_;
  Tensor x_, loss_, gradient_, H_;
  Tensor scaled_;  // [B] bool: instances whose H has been scaled by sᵀy/yᵀy
  Tensor updates_, skipped_, guarded_, failed_searches_;
};

}  // namespace l2o::optimizers
