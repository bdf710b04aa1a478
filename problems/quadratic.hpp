#pragma once
// Quadratics, two kinds:
//  - "least-squares": f(x) = ‖Wx − y‖², W ∈ R^{n×n}, y ∈ R^n i.i.d. N(0, 1) (L2O-DM);
//  - "conditioned":   f(x) = ½xᵀQx − bᵀx, Q = U diag(λ) Uᵀ with U Haar-random, λ₁ = 1, λₙ = κ and
//    the rest log-uniform in [1, κ], b ~ N(0, I) (the training family of LOA).
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "problems/objective.hpp"

namespace l2o::problems {

struct Quadratic {
  static constexpr std::string_view name = "quadratic";
  static constexpr std::string_view summary =
      "|Wx - y|^2 (L2O-DM) or 1/2 x'Qx - b'x with condition number kappa (LOA); f* in closed form";

  struct Config {
    std::int64_t dim = 10;
    std::string kind = "least-squares";
    double condition = 100.0;

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("dim", dim, "dimension n of x", at_least(1));
      v.field("kind", kind, "which quadratic", one_of({"least-squares", "conditioned"}));
      v.field("condition", condition, "condition number kappa of Q (kind conditioned)",
              at_least(1));
    }
  };

  static std::unique_ptr<Objective> sample(const Config& config, const Sampling& sampling);
  static std::unique_ptr<Objective> from_parameters(const Config& config,
                                                    const NamedTensors& parameters,
                                                    const Placement& placement);
};

}  // namespace l2o::problems
