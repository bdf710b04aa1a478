#pragma once
// Float64 reference solvers shared by the families' reference_minimum() and
// reference_solution() (included by their .cpp files only). Tolerance-based, never a fixed
// iteration count; NaN when the cap is reached, so that an unconverged f* is never taken for one.
#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Core>

namespace l2o::problems::reference {

// min s(x) + λ‖x‖₁ over x ∈ R^n: FISTA with step τ = 0.9999/L and gradient-based adaptive
// restart (O'Donoghue & Candès), from x = 0, stopped when the gradient mapping
// ‖y − prox(y − τ∇s(y))‖∞/τ falls below 1e-10. `grad(y)` is ∇s(y). The minimiser, or NaN
// everywhere when the cap is reached.
template <class Grad>
Eigen::VectorXd fista_l1_solution(Eigen::Index n, double lambda, double lipschitz,
                                  const Grad& grad) {
  constexpr double tolerance = 1e-10;
  constexpr int max_iterations = 1'000'000;
  const double step = 0.9999 / lipschitz;
  auto prox = [&](const Eigen::VectorXd& v) {
    return v
        .unaryExpr([t = lambda * step](double e) {
          return std::copysign(std::max(std::abs(e) - t, 0.0), e);
        })
        .eval();
  };
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n), y = x;
  double t = 1.0;
  for (int k = 0; k < max_iterations; ++k) {
    Eigen::VectorXd next = prox(y - step * grad(y));
    if ((y - next).template lpNorm<Eigen::Infinity>() / step <= tolerance) return next;
    bool restart = (y - next).dot(next - x) > 0;
    double t_next = restart ? 1.0 : 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t));
    y = restart ? next : (next + ((t - 1.0) / t_next) * (next - x)).eval();
    x = std::move(next);
    t = t_next;
  }
  return Eigen::VectorXd::Constant(n, std::numeric_limits<double>::quiet_NaN());
}

// Its minimum: `value(x)` (s(x) + λ‖x‖₁) at the solution, NaN when unconverged.
template <class Grad, class Value>
double fista_l1_minimum(Eigen::Index n, double lambda, double lipschitz, const Grad& grad,
                        const Value& value) {
  const Eigen::VectorXd x = fista_l1_solution(n, lambda, lipschitz, grad);
  return x.allFinite() ? value(x) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace l2o::problems::reference
