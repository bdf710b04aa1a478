#pragma once
// Logistic regression with labels bᵢ = ±1, two regularisers:
//  - "l2" (LOA):          f(x) = (w/m)Σ log(1 + exp(−bᵢaᵢᵀx)) + (λ/2)‖x‖², λ = 1/m by default;
//  - "l1" (GO-Math-L2O):  f(x) = (w/m)Σ log(1 + exp(−bᵢaᵢᵀx)) + λ‖x‖₁, λ = 0.1 by default
//    (mean binary cross-entropy; composite, so ISTA/FISTA apply),
// with w = 1 (`data_term` "mean") or w = m ("sum": LOA's code sums over the examples, so its
// (1/m)/2‖x‖² is m times weaker relative to the data term than in the mean).
// Data: "synthetic" with `generator`
//  - "clusters": two clusters per instance, bᵢ = ±1 with equal odds and aᵢ = bᵢμ + N(0, I)
//    with μ ~ N(0, I/n) (‖μ‖ ≈ 1: overlapping classes); LOA's 50 x 10 by default, GO-Math-L2O's
//    1000 x 50 with rows/dim;
//  - "authors": LOA's code: the first ⌊m/2⌋ labels +1, the rest −1; aᵢ ~ N(0, I/n) shifted in
//    every entry by one scalar per class and instance, μ₊ ~ N(−0.1, 1), μ₋ ~ N(0.1, 1); then
//    the first column set to 1 (the intercept).
// "breast_cancer" (standardised) and "heart_scale" (already scaled to [−1, 1]), or
// "libsvm:PATH", a LIBSVM file the user supplies (mushrooms, w8a): label 1 is the positive class
// and must be one of exactly two labels (mushrooms' 1/2 become +1/−1, as in LOA's code). Every
// instance is that data set, instances differ in their starting points.
// ∇s is Lipschitz with L = w‖A‖₂²/(4m) + λ_l2. f* in float64: Newton to ‖∇f‖ ≤ 1e-10 (l2),
// FISTA with restart to a gradient-mapping tolerance (l1).
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "problems/objective.hpp"

namespace l2o::problems {

struct Logistic {
  static constexpr std::string_view name = "logistic";
  static constexpr std::string_view summary =
      "logistic regression (mean or sum) + lambda/2 |x|^2 (LOA) or + lambda |x|_1 (GO-Math-L2O), "
      "synthetic, real or LIBSVM data; f* by Newton / FISTA";

  struct Config {
    std::int64_t dim = 0;
    std::int64_t rows = 0;
    std::string dataset = "synthetic";
    std::string regularizer = "l2";
    double lambda = 0;
    std::string data_term = "mean";
    std::string generator = "clusters";

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("dim", dim, "dimension n of x; 0: the data set's (synthetic: 10)", at_least(0));
      v.field("rows", rows, "examples m; 0: the data set's (synthetic: 50)", at_least(0));
      v.field("dataset", dataset,
              "the data: synthetic, breast_cancer, heart_scale, or libsvm:PATH (a LIBSVM file)");
      v.field("regularizer", regularizer, "(lambda/2)|x|^2 or lambda |x|_1", one_of({"l2", "l1"}));
      v.field("lambda", lambda, "weight of the regularizer; 0: 1/m (l2, LOA) or 0.1 (l1)",
              at_least(0));
      v.field("data_term", data_term,
              "mean (1/m) or sum over the examples (LOA's code) of the logistic loss",
              one_of({"mean", "sum"}));
      v.field("generator", generator,
              "synthetic data: two Gaussian clusters, or LOA's code's generator",
              one_of({"clusters", "authors"}));
    }
    void validate(const std::string& where);
  };

  static std::unique_ptr<Objective> sample(const Config& config, const Sampling& sampling);
  // Parameters "A" [B, m, n] and "b" [B, m] with entries ±1.
  static std::unique_ptr<Objective> from_parameters(const Config& config,
                                                    const NamedTensors& parameters,
                                                    const Placement& placement);
};

}  // namespace l2o::problems
