#pragma once
// Regression checks between two reports of the same suite: final quality per cell against a
// tolerance, and time per (problem, optimizer) judged against the noise of its repetitions with
// a Mann–Whitney U test (as Google Benchmark's compare.py does), not a bare threshold.
#include <string>
#include <vector>

#include "core/json_fwd.hpp"
#include "harness/report.hpp"

namespace l2o::harness {

struct CompareOptions {
  // Allowed worsening of the final quality, in log10 units (0.05 ≈ 12 %). Quality is log10 of
  // the mean gap where both reports know f*, else log10 of the mean loss; a cell whose count
  // of diverged instances grows is worse whatever the numbers.
  double quality_tolerance = 0.05;
  double time_alpha = 0.05;  // significance level of the U test
  double time_ratio = 1.10;  // and the smallest slow-down (ratio of medians) worth reporting
};

struct Comparison {
  Json verdict;       // {"quality": [...], "time": [...], "summary": {...}}
  std::string table;  // for the terminal
  bool quality_regression = false;
  std::size_t slower = 0;  // (problem, optimizer) pairs significantly slower
};

Comparison compare_reports(const Report& base, const Report& next, const CompareOptions& options);

// Two-sided p-value of the Mann–Whitney U test of samples a and b: exact (all rank
// assignments) when both are small, the normal approximation with tie correction otherwise.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace l2o::harness
