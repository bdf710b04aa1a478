#pragma once
// Per-step statistics of a rollout over the test instances of a cell.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json_fwd.hpp"
#include "core/tensor.hpp"

namespace l2o::harness {

// values [K, B] (step × instance) -> {"mean", "median", "q10", "q90"}, each K numbers.
// Quantiles interpolate linearly between order statistics (numpy's default).
Json summarize_steps(const Tensor& values);

// The `eval` metrics of a cell from its loss history [K, B] and, where known, the reference
// minimum f* [B]: loss statistics, log10 of the mean loss (the papers' "log loss"), the count of
// non-finite (diverged) instances per step, and the gap f − f*, log10 of the mean gap and the
// relative gap (f − f*)/max(|f*|, 1e-12) and the normalized gap (f − f*)/(f₀ − f*) (LOA's
// metric) with their statistics. Non-finite numbers are written
// as JSON null; NaN instances rank as +inf in the quantiles.
// Also the loss of every instance at log-spaced checkpoint steps (0, 1, 2, 3, 4, 5, 6, 8, 10,
// 12, 15, 20, ... and the last), with f* per instance where known: what ECDFs and
// performance profiles across problems are drawn from.
// A finite mean gap <= 0 (a converged run ending a rounding error below f*) gives log10 of the
// dtype's resolution at f* (eps of the losses' dtype × mean |f*|), not null, and the final step's
// sets "final"."mean_gap_below_f_star" = true.
// Where f* is known, also iterations-to-target (see iterations_to_target) under "to_target",
// with its median and the share of instances never reaching the target in "final".
Json evaluation_metrics(const Tensor& losses, const std::optional<Tensor>& minimum,
                        double target = 1e-3);

// Per instance, the first step k at which the relative gap rel [K, B] is <= target, or -1
// where it never is (a NaN gap never is).
Tensor first_step_below(const Tensor& rel, double target);

// {"target", "median" (over instances; one that never reaches it counts as +inf, so the median
// is null when half of them never do), "mean_reached" (mean over those that do), "never" (their
// share), "mean_curve" (the first step where the mean relative gap is <= target, the papers'
// reading of a curve; null if never), "per_instance" (first steps, -1 for never)}.
Json iterations_to_target(const Tensor& rel, double target);

std::vector<std::int64_t> checkpoint_steps(std::int64_t steps);

// The per-step metrics a family reports beyond the loss (Objective::evaluation_metrics), by
// name, in the order first seen.
class ExtraSeries {
 public:
  // One step's values, name -> [B].
  void record(const std::vector<std::pair<std::string, Tensor>>& metrics);
  // eval["extra"][name]: the statistics of summarize_steps over the steps; eval["final"] gains
  // "<name>_mean" and "<name>_median" of the last step. Nothing when there were no metrics.
  void add_to(Json& eval) const;

 private:
  std::vector<std::pair<std::string, std::vector<Tensor>>> series_;
};

}  // namespace l2o::harness
