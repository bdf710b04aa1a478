#pragma once
// Rastrigin-type: f(x) = ½‖Ax − b‖² − α cᵀcos(2πx) + α n with A ∈ R^{n×n}, b, c i.i.d. N(0, 1)
// (Diff-L2O eq. 5; the same family as the L2O-DM / RNNProp benchmark code).
#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "problems/objective.hpp"

namespace l2o::problems {

struct Rastrigin {
  static constexpr std::string_view name = "rastrigin";
  static constexpr std::string_view summary =
      "1/2 |Ax - b|^2 - alpha c'cos(2 pi x) + alpha n, A, b, c i.i.d. N(0,1) (Diff-L2O eq. 5)";

  struct Config {
    std::int64_t dim = 2;
    double alpha = 10.0;

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("dim", dim, "dimension n of x", at_least(1));
      v.field("alpha", alpha, "weight of the cosine term", at_least(0));
    }
  };

  static std::unique_ptr<Objective> sample(const Config& config, const Sampling& sampling);
  static std::unique_ptr<Objective> from_parameters(const Config& config,
                                                    const NamedTensors& parameters,
                                                    const Placement& placement);
};

}  // namespace l2o::problems
