#pragma once
// ISTA (proximal gradient) on f = s + λ‖x‖₁: x ← prox_{τλ‖·‖₁}(x − τ∇s(x)), τ = step_scale / L.
#include <memory>
#include <string_view>

#include "optimizers/optimizer.hpp"

namespace l2o::optimizers {

struct Ista {
  static constexpr std::string_view name = "ista";
  static constexpr std::string_view summary =
      "proximal gradient with step step_scale/L (needs a Lipschitz constant)";

  struct Config {
    double step_scale = 1.0;
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("step_scale", step_scale, "step size as a multiple of 1/L", greater_than(0));
    }
  };

  static std::unique_ptr<Optimizer> make(const Config& config);
};

}  // namespace l2o::optimizers
