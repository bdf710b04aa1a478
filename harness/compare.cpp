#include "harness/compare.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace l2o::harness {

namespace {

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
  std::vector<double> ranks(values.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k)
      ranks[order[k]] = 0.5 * double(i + j) + 1.0;  // ties share their mean rank
    i = j + 1;
  }
  return ranks;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string key_of(const CellRecord& cell) {
  return fmt::format("{}|{}|{}", cell.problem.label, cell.optimizer.label, cell.repetition);
}

// The quality of a cell as the first measure both reports have as a number: log10 of the mean
// gap, of the mean loss, then (where a diverged instance made the means non-finite) log10 of
// the median gap or loss, which a minority of diverged instances leaves finite.
struct Quality {
  std::string metric = "log10_mean_loss";
  std::optional<double> base, next;
};

Quality quality_of(const FinalMetrics& fb, const FinalMetrics& fn) {
  namespace m = final_metric;
  Quality q;
  for (std::string_view candidate :
       {m::log10_mean_gap, m::log10_mean_loss, m::gap_median, m::loss_median}) {
    std::optional<double> b = fb.number(candidate), n = fn.number(candidate);
    const bool median = candidate.ends_with("median");
    if (median) {  // to log10, where positive
      auto to_log = [](std::optional<double>& v) {
        v = v && *v > 0 ? std::optional<double>(std::log10(*v)) : std::nullopt;
      };
      to_log(b);
      to_log(n);
    }
    if (b || fb.contains(candidate)) {
      q = {median ? "log10 " + std::string(candidate) : std::string(candidate), b, n};
      if (b && n) break;
    }
  }
  return q;
}

Json optional_json(const std::optional<double>& v) {
  return v ? Json(*v) : Json();
}

// The quality row of a base cell and its counterpart: verdict "same", "regression" or
// "improvement"; a cell whose count of diverged instances grows is worse whatever the numbers.
Json quality_row(const CellRecord& b, const CellRecord& n, const CompareOptions& options) {
  const Quality q = quality_of(b.eval.final, n.eval.final);
  const auto diverged = [](const CellRecord& c) {
    return static_cast<std::int64_t>(
        c.eval.final.number(final_metric::nonfinite_instances).value_or(0));
  };
  const std::int64_t diverged_b = diverged(b), diverged_n = diverged(n);
  Json row = {{"metric", q.metric},
              {"base", optional_json(q.base)},
              {"new", optional_json(q.next)},
              {"diverged", {diverged_b, diverged_n}}};
  std::string verdict = "same";
  if (q.base && q.next) {
    const double delta = *q.next - *q.base;
    row["delta"] = delta;
    if (delta > options.quality_tolerance) verdict = "regression";
    if (delta < -options.quality_tolerance) verdict = "improvement";
  } else if (q.base.has_value() != q.next.has_value()) {
    verdict = q.base ? "regression" : "improvement";
  }
  if (diverged_n > diverged_b) verdict = "regression";
  if (diverged_n < diverged_b && verdict == "same") verdict = "improvement";
  row["verdict"] = verdict;
  return row;
}

// (problem, optimizer) -> seconds per step of every repetition, in base and in next.
using TimeSamples = std::map<std::pair<std::string, std::string>,
                             std::pair<std::vector<double>, std::vector<double>>>;

// Per (problem, optimizer): the U test of the repetitions' times; verdict "same", "slower"
// or "faster".
Json time_row(const std::pair<std::string, std::string>& key, const std::vector<double>& tb,
              const std::vector<double>& tn, const CompareOptions& options) {
  const double ratio = median(tn) / median(tb), p = mann_whitney_p(tb, tn);
  // With few repetitions even complete separation is not significant: say so.
  std::vector<double> low(tb.size()), high(tn.size());
  std::iota(low.begin(), low.end(), 0.0);
  std::iota(high.begin(), high.end(), double(tb.size()));
  const bool decidable = mann_whitney_p(low, high) < options.time_alpha;
  std::string verdict = "same";
  if (p < options.time_alpha && ratio > options.time_ratio) verdict = "slower";
  if (p < options.time_alpha && ratio < 1.0 / options.time_ratio) verdict = "faster";
  return {{"problem", key.first},     {"optimizer", key.second}, {"base_median", median(tb)},
          {"new_median", median(tn)}, {"ratio", ratio},          {"p", p},
          {"repetitions", tb.size()}, {"decidable", decidable},  {"verdict", verdict}};
}

std::size_t count_verdicts(const Json& rows, const char* verdict) {
  return static_cast<std::size_t>(std::count_if(
      rows.begin(), rows.end(), [&](const Json& row) { return row["verdict"] == verdict; }));
}

std::string quality_lines(const Json& quality, const CompareOptions& options) {
  std::string t;
  for (const Json& row : quality) {
    if (row["verdict"] == "same") continue;
    const std::string where =
        fmt::format("{} x {} r{}", row["problem"].get<std::string>(),
                    row["optimizer"].get<std::string>(), row["repetition"].dump());
    if (row["verdict"] == "missing") {
      t += fmt::format("MISSING      {}: in the base report, not in the new one\n", where);
      continue;
    }
    t += fmt::format("{:<12} {}: {} {} -> {}{}, diverged instances {} -> {}\n",
                     row["verdict"] == "regression" ? "REGRESSION" : "improvement", where,
                     row["metric"].get<std::string>(), row["base"].dump(), row["new"].dump(),
                     row.contains("delta")
                         ? fmt::format(" ({:+.3f} decades, tolerance {})",
                                       row["delta"].get<double>(), options.quality_tolerance)
                         : "",
                     row["diverged"][0].dump(), row["diverged"][1].dump());
  }
  return t;
}

std::string time_lines(const Json& time) {
  std::string t;
  for (const Json& row : time) {
    if (row["verdict"] == "same") continue;
    t += fmt::format(
        "{:<12} {} x {}: {:.1f} -> {:.1f} us/step (x{:.2f}, U test p = {:.3g}, {} repetitions)\n",
        row["verdict"].get<std::string>(), row["problem"].get<std::string>(),
        row["optimizer"].get<std::string>(), row["base_median"].get<double>() * 1e6,
        row["new_median"].get<double>() * 1e6, row["ratio"].get<double>(), row["p"].get<double>(),
        row["repetitions"].get<std::size_t>());
  }
  return t;
}

}  // namespace

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t na = a.size(), nb = b.size(), n = na + nb;
  if (na == 0 || nb == 0) return 1.0;
  std::vector<double> all(a);
  all.insert(all.end(), b.begin(), b.end());
  const std::vector<double> ranks = average_ranks(all);
  const double mean_u = 0.5 * double(na * nb);
  auto u_of = [&](double rank_sum) { return rank_sum - 0.5 * double(na * (na + 1)); };
  const double observed =
      std::abs(u_of(std::accumulate(ranks.begin(), ranks.begin() + na, 0.0)) - mean_u);

  if (n <= 20) {
    // Exact: every way of choosing which na of the n ranks belong to a (ties keep their ranks).
    std::size_t extreme = 0, total = 0;
    for (std::uint32_t mask = 0; mask < (1u << n); ++mask) {
      if (std::popcount(mask) != static_cast<int>(na)) continue;
      double sum = 0;
      for (std::size_t i = 0; i < n; ++i)
        if (mask >> i & 1u) sum += ranks[i];
      ++total;
      extreme += std::abs(u_of(sum) - mean_u) >= observed - 1e-9;
    }
    return double(extreme) / double(total);
  }
  std::map<double, std::size_t> ties;
  for (double r : ranks) ++ties[r];
  double correction = 0;
  for (const auto& [rank, t] : ties) correction += double(t * t * t - t);
  const double variance =
      double(na * nb) / 12.0 * (double(n + 1) - correction / (double(n) * double(n - 1)));
  if (variance <= 0) return 1.0;
  const double z = std::max(0.0, observed - 0.5) / std::sqrt(variance);  // continuity correction
  return std::erfc(z / std::sqrt(2.0));
}

Comparison compare_reports(const Report& base, const Report& next, const CompareOptions& options) {
  std::map<std::string, const CellRecord*> next_cells;
  for (const CellRecord& cell : next.cells) next_cells[key_of(cell)] = &cell;

  Json quality = Json::array(), time = Json::array();
  TimeSamples times;
  for (const CellRecord& b : base.cells) {
    const Json where = {{"problem", b.problem.label},
                        {"optimizer", b.optimizer.label},
                        {"repetition", b.repetition}};
    auto it = next_cells.find(key_of(b));
    if (it == next_cells.end()) {
      Json row = where;
      row["verdict"] = "missing";
      quality.push_back(std::move(row));
      continue;
    }
    const CellRecord& n = *it->second;
    Json row = quality_row(b, n, options);
    row.update(where);
    quality.push_back(std::move(row));
    const auto &sb = b.eval.seconds_per_step, &sn = n.eval.seconds_per_step;
    if (sb && sn && std::isfinite(*sb) && std::isfinite(*sn)) {
      auto& [tb, tn] = times[{b.problem.label, b.optimizer.label}];
      tb.push_back(*sb);
      tn.push_back(*sn);
    }
  }
  for (const auto& [key, samples] : times)
    time.push_back(time_row(key, samples.first, samples.second, options));

  Comparison out;
  const std::size_t regressions = count_verdicts(quality, "regression"),
                    improvements = count_verdicts(quality, "improvement"),
                    missing = count_verdicts(quality, "missing"),
                    faster = count_verdicts(time, "faster");
  const auto undecidable = static_cast<std::size_t>(std::count_if(
      time.begin(), time.end(), [](const Json& row) { return row["decidable"] == false; }));
  out.slower = count_verdicts(time, "slower");
  out.quality_regression = regressions > 0 || missing > 0;
  out.verdict = {{"quality", quality},
                 {"time", time},
                 {"options",
                  {{"quality_tolerance", options.quality_tolerance},
                   {"time_alpha", options.time_alpha},
                   {"time_ratio", options.time_ratio}}},
                 {"summary",
                  {{"cells", quality.size()},
                   {"regressions", regressions},
                   {"improvements", improvements},
                   {"missing", missing},
                   {"slower", out.slower},
                   {"faster", faster},
                   {"time_undecidable", undecidable},
                   {"pass", !out.quality_regression}}}};

  out.table = quality_lines(quality, options) + time_lines(time);
  if (undecidable > 0)
    out.table += fmt::format(
        "note: {} of {} time comparisons have too few repetitions for the U test to reach alpha {} "
        "even when every sample differs; run more repetitions to judge time\n",
        undecidable, time.size(), options.time_alpha);
  const auto kernel = [](const Report& report) {
    return report.context.is_object() ? report.context.value("blas_kernel", "") : "";
  };
  const std::string base_kernel = kernel(base), next_kernel = kernel(next);
  out.verdict["blas_kernels"] = {base_kernel, next_kernel};
  if (base_kernel != next_kernel)
    out.table += fmt::format(
        "note: the base was computed with BLAS kernel '{}', this run with '{}': their rounding "
        "differs, which learned optimizers trained from scratch amplify; pin one with "
        "OPENBLAS_CORETYPE (make regression does) before reading their cells as regressions\n",
        base_kernel.empty() ? "unrecorded" : base_kernel,
        next_kernel.empty() ? "unrecorded" : next_kernel);
  out.table += fmt::format(
      "{} cells: {} regressions, {} improvements, {} missing (quality tolerance {} decades); "
      "time: {} slower, {} faster (U test, alpha {}, ratio {}) -> {}\n",
      quality.size(), regressions, improvements, missing, options.quality_tolerance, out.slower,
      faster, options.time_alpha, options.time_ratio, out.quality_regression ? "FAIL" : "pass");
  return out;
}

}  // namespace l2o::harness
