#pragma once
// FISTA (Beck & Teboulle): x⁺ = prox_{τλ‖·‖₁}(y − τ∇s(y)), t⁺ = (1 + √(1 + 4t²))/2,
// y ← x⁺ + ((t − 1)/t⁺)(x⁺ − x), τ = step_scale / L; optional gradient-based adaptive restart.
#include <memory>
#include <string_view>

#include "optimizers/optimizer.hpp"

namespace l2o::optimizers {

struct Fista {
  static constexpr std::string_view name = "fista";
  static constexpr std::string_view summary =
      "accelerated proximal gradient (needs a Lipschitz constant)";

  struct Config {
    double step_scale = 1.0;
    bool restart = false;
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("step_scale", step_scale, "step size as a multiple of 1/L", greater_than(0));
      v.field("restart", restart, "gradient-based adaptive restart (O'Donoghue & Candes)");
    }
  };

  static std::unique_ptr<Optimizer> make(const Config& config);
};

}  // namespace l2o::optimizers
