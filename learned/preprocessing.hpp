#pragma once
// Input preprocessing of the coordinate-wise learned optimizers.
#include <cstdint>

#include "core/tensor.hpp"

namespace l2o::learned {

// L2O-DM's LogAndSign (Andrychowicz et al. 2016, App. A), k = 5 by default:
//   [clamp(log(|g| + ε)/k, −1, 1), clamp(g·eᵏ, −1, 1)], ε the machine epsilon of g's dtype
// (as the authors' code). g [B, n] -> [B·n, 2].
Tensor log_and_sign(const Tensor& gradient, double k);

// The L2O-DM paper's k (10 "in all our experiments"), which the Diff-L2O models' log-sign input
// uses: |g| from e⁻¹⁰ to e¹⁰ keeps its sign at ±1; with k = 5 an MLP's first-layer gradients
// (about 1e-4 at L2O-DM's start) fall below e⁻⁵ and reach the network as −1 and 148·g, their
// sign nearly invisible.
inline constexpr double paper_log_sign_k = 10.0;

// RNNProp's inputs (Lv et al. 2017): Adam's moments with bias correction,
//   m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ),
// and the inputs [g/(√v̂ + ε), m̂/(√v̂ + ε)]. g [B, n] -> [B·n, 2].
class AdamNormalizer {
 public:
  AdamNormalizer(double beta1, double beta2, double eps)
      : beta1_(beta1), beta2_(beta2), eps_(eps) {}
  Tensor operator()(const Tensor& gradient);

 private:
  double beta1_, beta2_, eps_;
  Tensor m_, v_;
  std::int64_t t_ = 0;
};

}  // namespace l2o::learned
