#pragma once
// The result of one cell: what the runner writes to <out>/cells/<id>.json and report.json lists
// under "cells". This file is the one place its JSON keys are written and read; docs/design.md
// ("Cell records") documents the schema, which reports/l2o_report.py reads.
//
//   {"id", "index", "repetition",
//    "problem":   {"label", "family", "config", "scenario"},
//    "optimizer": {"label", "name", "config"},
//    "seeds":     {"suite", "instances", "initial_points"},
//    "eval":      {"instances", "steps", "seconds_per_step", "rollout_seconds",
//                  "reference_seconds", "f_star_mean"?, "final": {name: number or null},
//                  ...per-step and per-instance series (metrics.hpp)},
//    "train"?:    the training record of a learned optimizer,
//    "tuning"?:   a tuned optimizer's trials and pick (test cells), or {"split", "trial"} (a
//                 tuning trial's own cell; harness/tuning.hpp),
//    "context"?:  the run context (cell files only; report.json keeps one per run),
//    "digest":    SHA-256 (hex) of the record's compact JSON (keys sorted) without "digest"}
//
// Readers are lenient where older files or hand-written reports lack a field: only
// problem.label, optimizer.label and eval.final are required. A digest that is present must
// match (the runner also requires one in its cell files).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_fwd.hpp"

namespace l2o::harness {

// The final-step metrics of a cell by name: a number, or none where it is non-finite (JSON
// null) or absent. Which names a cell has depends on its family (the gap metrics where f* is
// known, "<metric>_mean" for a family's own metrics) and on the version that wrote it.
namespace final_metric {
inline constexpr std::string_view loss_mean = "loss_mean", loss_median = "loss_median",
                                  log10_mean_loss = "log10_mean_loss",
                                  nonfinite_instances = "nonfinite_instances",
                                  gap_median = "gap_median", log10_mean_gap = "log10_mean_gap",
                                  iterations_to_target_median = "iterations_to_target_median",
                                  never_reached = "never_reached";
}

class FinalMetrics {
 public:
  FinalMetrics();
  explicit FinalMetrics(Json values);

  bool contains(std::string_view name) const;
  std::optional<double> number(std::string_view name) const;  // none: absent or non-finite
  const Json& json() const { return values_; }

 private:
  Json values_;  // {name: number or null}, exactly as written
};

struct Evaluation {
  std::optional<std::int64_t> instances, steps;
  std::optional<double> seconds_per_step, rollout_seconds, reference_seconds, f_star_mean;
  FinalMetrics final;
  Json series;  // everything else: per-step statistics, per-instance losses, to_target, extra,
                // counters (metrics.hpp); an empty object in a summary

  // Whether iterations-to-target was measured (the suite's target and f* known).
  bool has_to_target() const;
  // The names of the family's own per-step metrics ("extra"), in the cell's order.
  std::vector<std::string> extra_names() const;
};

struct CellRecord {
  std::string id;
  std::optional<std::size_t> index;
  std::int64_t repetition = 0;
  struct Problem {
    std::string label, family;
    Json config, scenario;
  } problem;
  struct Optimizer {
    std::string label, name;
    Json config;
  } optimizer;
  Json seeds;  // {"suite", "instances", "initial_points"}
  Evaluation eval;
  Json train;    // a learned optimizer's training record; null for a classical one
  Json tuning;   // null unless the optimizer is tuned (see the schema above)
  Json context;  // null in report.json's cells

  // The record without its per-step series and the bulky parts of its training record: what a
  // committed baseline keeps.
  CellRecord summarized() const;

  Json to_json() const;
  // An InputError naming `where` and the field when a required one is missing or mistyped.
  static CellRecord from_json(const Json& j, const std::string& where);
};

}  // namespace l2o::harness
