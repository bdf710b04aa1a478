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
// minimum f* [B]: loss statistics, log10 of the mean loss (the papers' "log loss"), the count of
// non-finite (diverged) instances per step, and the gap f − f*, log10 of the mean gap and the
// relative gap (f − f*)/max(|f*|, 1e-12) with their statistics. Non-finite numbers are written
// as JSON null; NaN instances rank as +inf in the quantiles.
Json evaluation_metrics(const Tensor& losses, const std::optional<Tensor>& minimum);

}  // namespace l2o::harness
