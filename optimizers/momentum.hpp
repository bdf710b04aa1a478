#pragma once
// Momentum with the update semantics of torch::optim::SGD (dampening 0):
//   v ← μ·v + ∇f(x)  (v = ∇f(x₀) on the first step),  d = ∇f(x) + μ·v (Nesterov) or v,
//   x ← x − lr·d.
#include <memory>
#include <string_view>

#include "optimizers/optimizer.hpp"

namespace l2o::optimizers {

struct Momentum {
  static constexpr std::string_view name = "momentum";
  // Measured by `l2obench equivariance` besides the defaults.
  static constexpr std::string_view equivariance_variants =
      R"([{"label": "nesterov", "nesterov": true}])";
  static constexpr std::string_view summary =
      "heavy-ball or Nesterov momentum (torch::optim::SGD semantics)";

  struct Config {
    double lr = 0.01;
    double momentum = 0.9;
    bool nesterov = false;
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("lr", lr, "step size", greater_than(0));
      v.field("momentum", momentum, "momentum factor mu", half_open_unit_interval());
      v.field("nesterov", nesterov, "Nesterov's variant instead of heavy ball");
    }
  };

  static std::unique_ptr<Optimizer> make(const Config& config);
};

}  // namespace l2o::optimizers
