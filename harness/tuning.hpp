#pragma once
// Tuning as part of a suite. An optimizer entry's "tune" object is a search space over fields of
// its config (and, for a learned optimizer, "train.<field>" of its training config):
//
//   {"name": "adam", "label": "adam-tuned",
//    "tune": {"lr": {"log_uniform": [1e-4, 1]}, "beta1": {"grid": [0.8, 0.9]},
//             "trials": 14, "objective": "final_loss"}}
//
// Each parameter is {"grid": [values...]}, {"uniform": [lo, hi]} or {"log_uniform": [lo, hi]}
// (0 < lo < hi); integer fields round what a continuous range draws. Without "trials" every
// parameter must be a grid and the trials are their product; with it, `trials` distinct points
// of an all-grid product, or otherwise `trials` independent draws of every parameter. The draws
// come from the suite's seed, the entry's name, config and "tune" object, never its label: the
// same suite gives the same trials on every machine.
//
// Per (problem, tuned optimizer), each trial is a trial cell: a rollout of the suite's steps on
// test_instances instances of the problem's validation split (repetition 0, in distribution:
// every scenario of a problem shares its trials), written to <out>/tuning/<id>.json. The test
// cells of the entry run the trial with the best validation score under "objective" and record
// every trial and the pick in their "tuning" block.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_fwd.hpp"
#include "harness/cell_record.hpp"
#include "harness/cells.hpp"
#include "harness/suite.hpp"

namespace l2o::harness {

// "final_loss", "tail_loss", "auc", "iterations_to_target": the names suite files use.
std::string_view to_string(TuneObjective objective);

// The objectives, in the order error messages list them.
inline constexpr std::string_view tune_objectives =
    "final_loss, tail_loss, auc, iterations_to_target";

// A "tune" object parsed: its objective and the trials as field overrides of the entry, each
// {"lr": 0.01, "train.lr": 0.001, ...}. `config` and `training` are the entry's canonical ones
// (training null for a classical optimizer): a parameter must name one of their fields.
struct TuneDraws {
  TuneObjective objective = TuneObjective::final_loss;
  std::vector<Json> overrides;
  // Every grid value and both ends of every range, as an override with where it is written
  // ("<at>.lr.grid[2]"): the caller checks them against the optimizer's config, so that a value
  // it refuses is named even when no trial happens to draw it.
  std::vector<std::pair<std::string, Json>> bounds;
};
TuneDraws draw_tune_trials(const Json& tune, const Json& config, const Json& training,
                           std::uint64_t seed, const std::string& at);

// The prefix of a parameter that tunes a field of a learned optimizer's training config.
inline constexpr std::string_view training_field_prefix = "train.";

// The problem a trial runs on: `problem` in distribution, under its base label.
ProblemSpec validation_problem(const ProblemSpec& problem);

// The trial cells of a suite: per distinct (family, config) of its problems, per tuned optimizer
// that runs on it, per trial, in that order; Cell::trial is set. Empty for a suite without "tune".
std::vector<Cell> expand_trials(const Suite& suite);

// The trial cells (of expand_trials) whose pick `test` uses, in trial order.
std::vector<Cell> trials_of(const Suite& suite, const std::vector<Cell>& trials, const Cell& test);

// The optimizer a trial cell runs: the entry with the trial's config and training.
OptimizerSpec trial_optimizer(const OptimizerSpec& tuned, std::size_t trial);

// A finished trial's validation score under `objective` (lower is better); none where it is
// not finite (a diverged trial, a target never reached by half the instances).
std::optional<double> validation_score(TuneObjective objective, const CellRecord& trial);

// The best trial: the lowest score, then the lowest final mean loss, then the first; a trial
// without a score ranks after every trial with one.
std::size_t pick_trial(TuneObjective objective, const std::vector<CellRecord>& trials);

// A test cell's "tuning" block: {"objective", "space", "trials": [{"config", "validation",
// "cell"}], "pick"} (the trials' training configs too where the space tunes them).
Json tuning_record(const OptimizerSpec& tuned, const std::vector<CellRecord>& trials);

}  // namespace l2o::harness
