#pragma once
// LASSO: f(x) = ½‖Ax − b‖² + λ‖x‖₁ with A ∈ R^{m×n}, b ∈ R^m i.i.d. N(0, 1)
// (Diff-L2O eq. 3–4; (m, n) = (5, 10) and (25, 50), λ = 0.005).
#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "problems/objective.hpp"

namespace l2o::problems {

struct Lasso {
  static constexpr std::string_view name = "lasso";
  static constexpr std::string_view summary =
      "1/2 |Ax - b|^2 + lambda |x|_1, A and b i.i.d. N(0,1) (Diff-L2O eq. 3-4); f* by FISTA";

  struct Config {
    std::int64_t dim = 10;
    std::int64_t rows = 0;
    double lambda = 0.005;

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("dim", dim, "dimension n of x", at_least(1));
      v.field("rows", rows, "rows m of A; 0 means n/2 as in the paper", at_least(0));
      v.field("lambda", lambda, "weight of the L1 term", at_least(0));
    }
    std::int64_t row_count() const { return rows > 0 ? rows : (dim + 1) / 2; }
  };

  static std::unique_ptr<Objective> sample(const Config& config, const Sampling& sampling);
  static std::unique_ptr<Objective> from_parameters(const Config& config,
                                                    const NamedTensors& parameters,
                                                    const Placement& placement);
};

// A batch of LASSO instances ½‖A_i x − b_i‖² + λ‖x‖₁ (A [B, m, n], b [B, m], placed): the fused
// kernel, L = ‖A_i‖₂² and f* by FISTA. Shared by the families that differ only in how A and b
// are drawn (lasso-sparse).
std::unique_ptr<Objective> make_lasso_objective(Tensor A, Tensor b, double lambda,
                                                const Placement& placement);

}  // namespace l2o::problems
