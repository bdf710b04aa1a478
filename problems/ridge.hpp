#pragma once
// Ridge regression: f(x) = ½‖Ax − b‖² + (λ/2)‖x‖² (LOA's test problem, λ = 0.1 on diabetes).
//  - "diabetes": scikit-learn's load_diabetes(scaled=True) — every feature column centred and
//    scaled to unit L2 norm — and the target (disease progression), 442 x 10; `target`
//    "centred" (the default) equals an unpenalised intercept, "raw" is LOA's code;
//  - "libsvm:PATH": a LIBSVM regression file the user supplies, features as written, the
//    target centred or raw.
//    Every instance is that data set; instances differ in their starting points.
//  - "synthetic": A ∈ R^{m×n}, b ∈ R^m i.i.d. N(0, 1) per instance.
// f* in closed form (Cholesky, float64).
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "problems/objective.hpp"

namespace l2o::problems {

struct Ridge {
  static constexpr std::string_view name = "ridge";
  static constexpr std::string_view summary =
      "1/2 |Ax - b|^2 + lambda/2 |x|^2 on diabetes (LOA) or Gaussian data; f* in closed form";

  struct Config {
    std::int64_t dim = 0;
    std::int64_t rows = 0;
    std::string dataset = "diabetes";
    double lambda = 0.1;
    std::string target = "centred";

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("dim", dim, "dimension n of x; 0: the data set's (synthetic: 10)", at_least(0));
      v.field("rows", rows, "rows m of A; 0: the data set's (synthetic: 50)", at_least(0));
      v.field("dataset", dataset,
              "the data: diabetes, synthetic, or libsvm:PATH (a LIBSVM regression file)");
      v.field("lambda", lambda, "weight of the (1/2)|x|^2 term", at_least(0));
      v.field("target", target,
              "real data: the target centred (an unpenalised intercept) or raw (LOA's code)",
              one_of({"centred", "raw"}));
    }
    void validate(const std::string& where);
  };

  static std::unique_ptr<Objective> sample(const Config& config, const Sampling& sampling);
  static std::unique_ptr<Objective> from_parameters(const Config& config,
                                                    const NamedTensors& parameters,
                                                    const Placement& placement);
};

}  // namespace l2o::problems
