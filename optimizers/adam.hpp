#pragma once
// Adam with the update of torch::optim::Adam (LibTorch 1.13), step for step:
//   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
//   x ← x − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε),  g = ∇f(x) + weight_decay·x.
#include <memory>
#include <string_view>

#include "optimizers/optimizer.hpp"

namespace l2o::optimizers {

struct Adam {
  static constexpr std::string_view name = "adam";
  static constexpr std::string_view summary = "Adam (torch::optim::Adam semantics)";

  struct Config {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("lr", lr, "step size", greater_than(0));
      v.field("beta1", beta1, "decay of the first moment", half_open_unit_interval());
      v.field("beta2", beta2, "decay of the second moment", half_open_unit_interval());
      v.field("eps", eps, "added to the denominator", greater_than(0));
      v.field("weight_decay", weight_decay, "L2 penalty added to the gradient", at_least(0));
    }
  };

  static std::unique_ptr<Optimizer> make(const Config& config);
};

}  // namespace l2o::optimizers
