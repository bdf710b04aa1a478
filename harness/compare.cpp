#include "harness/compare.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <numeric>

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

bool is_number(const Json& j) {
  return j.is_number() && std::isfinite(j.get<double>());
}

std::string key_of(const Json& cell) {
  return fmt::format("{}|{}|{}", cell["problem"]["label"].get<std::string>(),
                     cell["optimizer"]["label"].get<std::string>(),
                     cell.value("repetition", Json(0)).dump());
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

Comparison compare_reports(const Json& base, const Json& next, const CompareOptions& options) {
  std::map<std::string, const Json*> next_cells;
  for (const Json& cell : next["cells"]) next_cells[key_of(cell)] = &cell;

  Json quality = Json::array(), time = Json::array();
  std::size_t regressions = 0, improvements = 0, missing = 0;
  // (problem, optimizer) -> seconds per step of every repetition, in base and in next.
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::vector<double>>>
      times;

  for (const Json& b : base["cells"]) {
    const std::string problem = b["problem"]["label"], optimizer = b["optimizer"]["label"];
    Json row = {{"problem", problem},
                {"optimizer", optimizer},
                {"repetition", b.value("repetition", Json(0))}};
    auto it = next_cells.find(key_of(b));
    if (it == next_cells.end()) {
      row["verdict"] = "missing";
      ++missing;
      quality.push_back(std::move(row));
      continue;
    }
    const Json& n = *it->second;
    const Json& fb = b["eval"]["final"];
    const Json& fn = n["eval"]["final"];
    // The first measure both reports have as a number: log10 of the mean gap, of the mean
    // loss, then (where a diverged instance made the means non-finite) log10 of the median gap
    // or loss, which a minority of diverged instances leaves finite.
    const char* metric = "log10_mean_loss";
    Json qb, qn;
    for (const char* candidate :
         {"log10_mean_gap", "log10_mean_loss", "gap_median", "loss_median"}) {
      Json b_value = fb.value(candidate, Json()), n_value = fn.value(candidate, Json());
      const bool median = std::string(candidate).ends_with("median");
      if (median) {  // to log10, where positive
        auto to_log = [](Json& v) {
          v = is_number(v) && v.get<double>() > 0 ? Json(std::log10(v.get<double>())) : Json();
        };
        to_log(b_value);
        to_log(n_value);
      }
      if (is_number(b_value) || fb.contains(candidate)) {
        metric = candidate;
        qb = b_value;
        qn = n_value;
        if (is_number(b_value) && is_number(n_value)) break;
      }
    }
    const auto diverged_b = fb.value("nonfinite_instances", Json(0)).get<std::int64_t>();
    const auto diverged_n = fn.value("nonfinite_instances", Json(0)).get<std::int64_t>();
    row["metric"] = std::string(metric).ends_with("median") ? std::string("log10 ") + metric
                                                            : std::string(metric);
    row["base"] = qb;
    row["new"] = qn;
    row["diverged"] = {diverged_b, diverged_n};
    std::string verdict = "same";
    if (is_number(qb) && is_number(qn)) {
      const double delta = qn.get<double>() - qb.get<double>();
      row["delta"] = delta;
      if (delta > options.quality_tolerance) verdict = "regression";
      if (delta < -options.quality_tolerance) verdict = "improvement";
    } else if (is_number(qb) != is_number(qn)) {
      verdict = is_number(qb) ? "regression" : "improvement";
    }
    if (diverged_n > diverged_b) verdict = "regression";
    if (diverged_n < diverged_b && verdict == "same") verdict = "improvement";
    regressions += verdict == "regression";
    improvements += verdict == "improvement";
    row["verdict"] = verdict;
    quality.push_back(std::move(row));

    const Json sb = b["eval"].value("seconds_per_step", Json()),
               sn = n["eval"].value("seconds_per_step", Json());
    if (is_number(sb) && is_number(sn)) {
      auto& [tb, tn] = times[{problem, optimizer}];
      tb.push_back(sb.get<double>());
      tn.push_back(sn.get<double>());
    }
  }

  std::size_t slower = 0, faster = 0, undecidable = 0;
  for (const auto& [key, samples] : times) {
    const auto& [tb, tn] = samples;
    const double ratio = median(tn) / median(tb), p = mann_whitney_p(tb, tn);
    // With few repetitions even complete separation is not significant: say so.
    std::vector<double> low(tb.size()), high(tn.size());
    std::iota(low.begin(), low.end(), 0.0);
    std::iota(high.begin(), high.end(), double(tb.size()));
    const bool decidable = mann_whitney_p(low, high) < options.time_alpha;
    undecidable += !decidable;
    std::string verdict = "same";
    if (p < options.time_alpha && ratio > options.time_ratio) verdict = "slower";
    if (p < options.time_alpha && ratio < 1.0 / options.time_ratio) verdict = "faster";
    slower += verdict == "slower";
    faster += verdict == "faster";
    time.push_back({{"problem", key.first},
                    {"optimizer", key.second},
                    {"base_median", median(tb)},
                    {"new_median", median(tn)},
                    {"ratio", ratio},
                    {"p", p},
                    {"repetitions", tb.size()},
                    {"decidable", decidable},
                    {"verdict", verdict}});
  }

  Comparison out;
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
                   {"slower", slower},
                   {"faster", faster},
                   {"time_undecidable", undecidable},
                   {"pass", !out.quality_regression}}}};

  std::string& t = out.table;
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
  for (const Json& row : time) {
    if (row["verdict"] == "same") continue;
    t += fmt::format(
        "{:<12} {} x {}: {:.1f} -> {:.1f} us/step (x{:.2f}, U test p = {:.3g}, {} repetitions)\n",
        row["verdict"].get<std::string>(), row["problem"].get<std::string>(),
        row["optimizer"].get<std::string>(), row["base_median"].get<double>() * 1e6,
        row["new_median"].get<double>() * 1e6, row["ratio"].get<double>(), row["p"].get<double>(),
        row["repetitions"].get<std::size_t>());
  }
  if (undecidable > 0)
    t += fmt::format(
        "note: {} of {} time comparisons have too few repetitions for the U test to reach alpha {} "
        "even when every sample differs; run more repetitions to judge time\n",
        undecidable, time.size(), options.time_alpha);
  t += fmt::format(
      "{} cells: {} regressions, {} improvements, {} missing (quality tolerance {} decades); "
      "time: {} slower, {} faster (U test, alpha {}, ratio {}) -> {}\n",
      quality.size(), regressions, improvements, missing, options.quality_tolerance, slower, faster,
      options.time_alpha, options.time_ratio, out.quality_regression ? "FAIL" : "pass");
  return out;
}

Json summarize_report(const Json& report) {
  Json out = report;
  out["summary"] = true;
  for (Json& cell : out["cells"]) {
    Json& eval = cell["eval"];
    Json kept = Json::object();
    for (const char* key : {"instances", "steps", "seconds_per_step", "rollout_seconds",
                            "reference_seconds", "f_star_mean", "final"})
      if (eval.contains(key)) kept[key] = eval[key];
    eval = std::move(kept);
    if (cell.contains("train") && cell["train"].is_object())
      for (const char* key : {"meta_loss", "validation"}) cell["train"].erase(key);
  }
  return out;
}

}  // namespace l2o::harness
