#pragma once
// Math-L2O (L2O-PA; Liu et al. 2023, "Towards constituting mathematical structures for learning
// to optimize") on F = s + λ‖x‖₁: inputs [∇s(x_k), x_k] per coordinate → LSTM 2 × 20 → Linear
// 20 + ReLU → heads P = 2σ(·), A = 2σ(·);
//   z_{k+1} = prox_{(P/L)λ‖·‖₁}(x_k − (P/L)∇s(x_k)),  x_{k+1} = z_{k+1} + A(z_{k+1} − z_k),
// z_0 = x_0. The raw iterate is an input, which is what makes it sensitive to shifts of x.
#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/proximal_lstm.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

struct MathL2o {
  static constexpr std::string_view name = "math-l2o";
  static constexpr std::string_view summary =
      "L2O-PA: coordinate-wise LSTM on [grad s, x] choosing a proximal step P/L and momentum A "
      "(composite s + lambda |x|_1 problems)";

  using Config = ProximalLstmConfig;

  static TrainConfig training(const Config& config, TrainProfile profile);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);
};

}  // namespace l2o::learned
