#pragma once
// BFGS with the inverse-Hessian update and Armijo backtracking (the reproduction notes in
// docs/design.md):
//   d = −H g;  α ∈ {1, 0.1, 0.01, ...} (at most `tries`), the first with
//   f(x + αd) ≤ f(x) + c₁·α·gᵀd;  s = αd, y = ∇f(x + s) − g;
//   H ← H + (r uᵀ + u rᵀ)/(uᵀy) − (rᵀy)/(uᵀy)²·u uᵀ, r = s − H y, with u = s (this form is BFGS
//   for u = s and keeps the secant equation H⁺y = s for any u: LOA's learned BFGS picks u).
// Two protocols, i.e. two answers to what the spec leaves open (`protocol`):
//  - "authors" (the default): Castera & Ochs's code (camcastera/L2OtoLOA), which their published
//    LOA weights assume. The given x0 is their x₋₁: one gradient step 1/(2L) (L the family's
//    Lipschitz constant) that is not counted gives x₀, then H = initial_scaling·sᵀy/yᵀy·I from
//    that pair. Each step first updates H with the last (s, y) and then moves along −H g, so
//    step k of the suite is their iteration k. No safeguards: the update is made whatever the
//    signs of sᵀy and uᵀy (both counted), and when every trial fails Armijo the step is one
//    more backtrack smaller than the last trial (1e-5 with 5 tries). A trial whose loss is NaN
//    passes their test (f − f₀ − c₁αgᵀd > 0 is false); the NaN is then the recorded divergence.
//  - "safeguarded": the suite's own variant, which never breaks positive definiteness:
//    first step H = γ₀ I with γ₀ = |f(x₀)|/‖∇f(x₀)‖² ("polyak" `first_step`, the default: with it
//    every step transforms with the problem under x → c·x) or γ₀ = 1 ("identity"); H ←
//    initial_scaling·sᵀy/yᵀy·I just before the first update (Nocedal & Wright eq. 6.20); an update
//    with sᵀy ≤ 0 is skipped (H kept); uᵀy ≤ 0 falls back to u = s (the guard); when no trial
//    passes Armijo the last (smallest) one is taken. Each of these is counted.
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
    std::string protocol = "authors";
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("c1", c1, "Armijo constant", between(0, 1));
      v.field("backtrack", backtrack, "step factor after a failed Armijo test", between(0, 1));
      v.field("tries", tries, "trial steps per line search (1, backtrack, ...)", at_least(1));
      v.field("initial_scaling", initial_scaling, "H = this * s'y/y'y * I before the 1st update",
              greater_than(0));
      v.field("first_step", first_step,
              "safeguarded protocol: H on the first step, |f|/|g|^2 I or I",
              one_of({"polyak", "identity"}));
      v.field("protocol", protocol,
              "authors: Castera & Ochs's iteration (uncounted 1/(2L) gradient step first, no "
              "s'y or u'y safeguard); safeguarded: the suite's own variant",
              one_of({"authors", "safeguarded"}));
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

  // One iteration; returns the new iterate. Authors' protocol: the update with the last (s, y)
  // and u = choose_u(...), then the line search along −H g. Safeguarded: the line search, then
  // the update with u = choose_u(...) where that gives uᵀy > 0, else with u = s (the guard).
  // Throws InputError (at construction) for the authors' protocol on a family without a
  // Lipschitz constant.
  Tensor step(const ChooseU& choose_u);
  void detach();
  Counters counters() const;
  // The authors' protocol: x₀, after the uncounted gradient step; safeguarded: nullopt.
  std::optional<Tensor> start_point() const;

 private:
  bool authors() const { return config_.protocol == "authors"; }
  // Armijo backtracking from x_ along d: the step sizes [B] (constants) and f at the new point.
  std::pair<Tensor, Tensor> line_search(const Tensor& d);
  void update_as_authors(const ChooseU& choose_u);
  void update_safeguarded(const ChooseU& choose_u, const Tensor& s, const Tensor& y,
                          const Tensor& gradient);

  Bfgs::Config config_;
  const Objective& f_;
  Tensor x_, loss_, gradient_, H_;
  Tensor s_, y_;   // authors' protocol: the last move, for the update at the next step
  Tensor start_;   // authors' protocol: x₀
  Tensor scaled_;  // [B] bool: instances whose H has been scaled by sᵀy/yᵀy
  Tensor updates_, skipped_, guarded_, failed_searches_, nonpositive_sy_, nonpositive_uy_;
};

}  // namespace l2o::optimizers
