#pragma once
// Shared pieces of the proximal-gradient methods (ISTA, FISTA and the learned proximal methods).
#include <string_view>
#include <utility>

#include "problems/objective.hpp"

namespace l2o::optimizers {

// prox of τ‖·‖₁: sign(v)·max(|v| − τ, 0); τ broadcasts against v ([B, 1] or a scalar tensor).
Tensor soft_threshold(const Tensor& v, const Tensor& tau);

// prox of step·h for the objective's L1 term h(x) = λ‖x + u‖₁ (λ = l1_weight, u = l1_shift):
// soft_threshold(v + u, step·λ) − u. With u = 0 (every sampled family) it is the plain
// soft-threshold; under an objective shift it keeps proximal methods translation-equivariant.
Tensor l1_prox(const problems::Objective& objective, const Tensor& v, const Tensor& step);

// The two ends of the subdifferential of s + λ‖· + u‖₁ at x, given g = ∇s(x): where
// x_i + u_i ≠ 0 both are g_i + λ sign(x_i + u_i); where it is 0, g_i − λ and g_i + λ.
std::pair<Tensor, Tensor> l1_subgradient_ends(const problems::Objective& objective, const Tensor& x,
                                              const Tensor& g);

// scale / L per instance as a [B, 1] tensor on the objective's device and dtype; an InputError
// naming `method` when the family provides no Lipschitz constant.
Tensor inverse_lipschitz_steps(const problems::Objective& objective, double scale,
                               std::string_view method);

}  // namespace l2o::optimizers
