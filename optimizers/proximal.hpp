#pragma once
// Shared pieces of the proximal-gradient methods (ISTA, FISTA and the learned proximal methods).
#include <string_view>

#include "problems/objective.hpp"

namespace l2o::optimizers {

// prox of τ‖·‖₁: sign(v)·max(|v| − τ, 0); τ broadcasts against v ([B, 1] or a scalar tensor).
Tensor soft_threshold(const Tensor& v, const Tensor& tau);

// scale / L per instance as a [B, 1] tensor on the objective's device and dtype; an InputError
// naming `method` when the family provides no Lipschitz constant.
Tensor inverse_lipschitz_steps(const problems::Objective& objective, double scale,
                               std::string_view method);

}  // namespace l2o::optimizers
