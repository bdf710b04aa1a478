#pragma once
// GO-Math-L2O ("Towards robust learning to optimize with theoretical guarantees", 2025) on
// F = s + λ‖x‖₁: gradient-only inputs — ∇s(x_k) and the two ends of the subdifferential of F
// at x_k, each divided by its norm at x₀ (x_k itself is not an input) — → LSTM 2 × 20 → Linear
// 20 + ReLU → heads R = 2σ(·)·0.9999/L, Q = 2σ(·), B = σ(·);
//   x_{k+1} = prox_{Rλ‖·‖₁}(x_k − R∇s(x_k) − Q V_k),  G_k = x_k − x_{k+1},
//   V_{k+1} = B V_k + (1 − B) G_k,  V_0 = 0.
// Under an objective shift F(x + t) the inputs at x − t equal those at x (the subdifferential
// is taken where the shifted L1 term has its kinks), which is the method's robustness claim.
#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/proximal_lstm.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

struct GoMathL2o {
  static constexpr std::string_view name = "go-math-l2o";
  static constexpr std::string_view summary =
      "GO-Math-L2O: coordinate-wise LSTM on normalised gradient-only features choosing a "
      "proximal step R, a history weight Q and its decay B (composite s + lambda |x|_1)";

  using Config = ProximalLstmConfig;

  static TrainConfig training(const Config& config, TrainProfile profile);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);

  // The inputs: the norms at x₀ of ∇s and of the two subgradient ends, [B, 3] (the divisors,
  // floored at the dtype's tiny so that a start at the optimum does not divide by 0) ...
  static Tensor input_norms(const Objective& objective, const Tensor& x0);
  // ... and the features at x, [B·n, 3]: ∇s, lower end, upper end, each over its norm.
  static Tensor inputs(const Objective& objective, const Tensor& x, const Tensor& gradient,
                       const Tensor& norms);
};

}  // namespace l2o::learned
