#pragma once
// Sparse recovery LASSO of Math-L2O / GO-Math-L2O: f(x) = ½‖Wx − y‖² + λ‖x‖₁ with
// W ∈ R^{m×n} N(0, 1) with unit-norm columns, x_gt k-sparse (N(0, 1) values at k random
// positions), y = W x_gt; (m, n, k) = (250, 500, 50) and λ = 0.1 in the papers. Same objective
// (fused kernel, L = ‖W‖₂², f* by FISTA) as `lasso`; only the sampler differs.
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "problems/objective.hpp"

namespace l2o::problems {

struct LassoSparse {
  static constexpr std::string_view name = "lasso-sparse";
  static constexpr std::string_view summary =
      "1/2 |Wx - y|^2 + lambda |x|_1, unit-norm N(0,1) columns, y = W x_gt with x_gt sparse "
      "(Math-L2O / GO-Math-L2O); f* by FISTA";

  struct Config {
    std::int64_t dim = 500;
    std::int64_t rows = 0;
    std::int64_t sparsity = 0;
    double lambda = 0.1;

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("dim", dim, "dimension n of x", at_least(1));
      v.field("rows", rows, "rows m of W; 0 means n/2 (250 x 500 in the papers)", at_least(0));
      v.field("sparsity", sparsity, "nonzeros of x_gt; 0 means n/10 (50 in the papers)",
              at_least(0));
      v.field("lambda", lambda, "weight of the L1 term", at_least(0));
    }
    void validate(const std::string& where);
  };

  static std::unique_ptr<Objective> sample(const Config& config, const Sampling& sampling);
  // Parameters "A" [B, m, n] (W) and "b" [B, m] (y), as lasso.
  static std::unique_ptr<Objective> from_parameters(const Config& config,
                                                    const NamedTensors& parameters,
                                                    const Placement& placement);
};

}  // namespace l2o::problems
