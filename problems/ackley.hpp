#pragma once
// Ackley-type: f(x) = 20 + e − 20·exp(−0.2‖Ax + b‖₂) − exp((1/n) cᵀcos(2πx)) with A ∈ R^{n×n},
// b, c i.i.d. N(0, 1) (Diff-L2O eq. 6 as printed: no 1/n inside the norm).
#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "problems/objective.hpp"

namespace l2o::problems {

struct Ackley {
  static constexpr std::string_view name = "ackley";
  static constexpr std::string_view summary =
      "20 + e - 20 exp(-0.2 |Ax + b|) - exp(c'cos(2 pi x) / n), A, b, c i.i.d. N(0,1) (Diff-L2O "
      "eq. 6)";

  struct Config {
    std::int64_t dim = 2;

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("dim", dim, "dimension n of x", at_least(1));
    }
  };

  static std::unique_ptr<Objective> sample(const Config& config, const Sampling& sampling);
  static std::unique_ptr<Objective> from_parameters(const Config& config,
                                                    const NamedTensors& parameters,
                                                    const Placement& placement);
};

}  // namespace l2o::problems
