#pragma once
// Per-step statistics of a rollout over the test instances of a cell.
#include <optional>

#include "core/json_fwd.hpp"
#include "core/tensor.hpp"

namespace l2o::harness {

// values [K, B] (step × instance) -> {"mean", "median", "q10", "q90"}, each K numbers.
// Quantiles interpolate linearly between order statistics (numpy's default).
Json summarize_steps(const Tensor& values);

// The `eval` metrics of a cell from its loss history [K, B] and, where known, the reference
// minimum f* [B]: loss statistics, log10 of the mean loss (the papers' "log loss"), and the
// gap f − f* and relative gap (f − f*)/max(|f*|, 1e-12) with their statistics. Non-finite
// numbers (a diverged instance) are written as JSON null.
Json evaluation_metrics(const Tensor& losses, const std::optional<Tensor>& minimum);

}  // namespace l2o::harness
