#pragma once
// Gradient descent: x ← x − lr·∇f(x).
#include <memory>
#include <string_view>

#include "optimizers/optimizer.hpp"

namespace l2o::optimizers {

struct GradientDescent {
  static constexpr std::string_view name = "gd";
  static constexpr std::string_view summary = "gradient descent, x <- x - lr grad f(x)";

  struct Config {
    double lr = 0.01;
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("lr", lr, "step size", greater_than(0));
    }
  };

  static std::unique_ptr<Optimizer> make(const Config& config);
};

}  // namespace l2o::optimizers
