#include "harness/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace l2o::harness {

namespace {

std::vector<double> to_vector(const Tensor& t) {
  Tensor c = t.to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// Quantile q along dim 1 of sorted [K, B] values, interpolating linearly between order
// statistics as numpy does; written out because at::quantile's interpolation turns a +inf
// neighbour into NaN.
Tensor quantile_of_sorted(const Tensor& sorted, double q) {
  const std::int64_t last = sorted.size(1) - 1;
  const double position = q * double(last);
  const auto lo = static_cast<std::int64_t>(position);
  const double w = position - double(lo);
  Tensor a = sorted.select(1, lo), b = sorted.select(1, std::min(lo + 1, last));
  return w == 0 ? a : at::where(a == b, a, a + w * (b - a));
}

}  // namespace

Json summarize_steps(const Tensor& values) {
  Tensor v = values.to(at::kDouble);
  // A NaN instance (a diverged rollout) ranks as the worst, +inf, so that the quantiles of the
  // other instances stay meaningful; the mean is non-finite whenever any instance is.
  constexpr double inf = std::numeric_limits<double>::infinity();
  Tensor sorted = std::get<0>(at::nan_to_num(v, inf, inf, -inf).sort(1));
  return {{"mean", to_vector(v.mean(1))},
          {"median", to_vector(quantile_of_sorted(sorted, 0.5))},
          {"q10", to_vector(quantile_of_sorted(sorted, 0.1))},
          {"q90", to_vector(quantile_of_sorted(sorted, 0.9))}};
}

std::vector<std::int64_t> checkpoint_steps(std::int64_t steps) {
  std::vector<std::int64_t> out{0};
  for (double decade = 1; decade <= double(steps); decade *= 10)
    for (double m : {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0}) {
      const auto k = static_cast<std::int64_t>(std::llround(m * decade));
      if (k <= steps && k > out.back()) out.push_back(k);
    }
  if (out.back() != steps) out.push_back(steps);
  return out;
}

Json per_instance_losses(const Tensor& losses, const std::optional<Tensor>& minimum) {
  const std::vector<std::int64_t> steps = checkpoint_steps(losses.size(0) - 1);
  Tensor f = losses.to(at::kDouble).index_select(0, at::tensor(steps, at::kLong));
  Json rows = Json::array();
  for (std::int64_t i = 0; i < f.size(0); ++i) rows.push_back(to_vector(f[i]));
  Json out = {{"steps", steps}, {"loss", std::move(rows)}};
  if (minimum) out["f_star"] = to_vector(minimum->to(at::kCPU, at::kDouble));
  return out;
}

Tensor first_step_below(const Tensor& rel, double target) {
  Tensor below = rel <= target;
  // Steps before the first crossing: the count of leading falses.
  Tensor first = (below.to(at::kLong).cumsum(0) == 0).sum(0);
  return at::where(below.any(0), first, at::full_like(first, -1));
}

Json iterations_to_target(const Tensor& rel, double target) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const Tensor first = first_step_below(rel, target);
  const Tensor reached = first >= 0;
  const std::int64_t count = reached.sum().item<std::int64_t>();
  Tensor steps = at::where(reached, first.to(at::kDouble), at::full_like(first, inf, at::kDouble));
  Tensor sorted = std::get<0>(steps.sort()).unsqueeze(0);
  const double median = quantile_of_sorted(sorted, 0.5).item<double>();
  const Tensor mean_curve = first_step_below(rel.to(at::kDouble).mean(1, true), target);
  const std::int64_t curve = mean_curve.item<std::int64_t>();
  return {{"target", target},
          {"median", std::isfinite(median) ? Json(median) : Json()},
          {"mean_reached",
           count > 0 ? Json(first.masked_select(reached).to(at::kDouble).mean().item<double>())
                     : Json()},
          {"never", 1.0 - double(count) / double(rel.size(1))},
          {"mean_curve", curve >= 0 ? Json(curve) : Json()},
          {"per_instance", to_vector(first)}};
}

Json evaluation_metrics(const Tensor& losses, const std::optional<Tensor>& minimum, double target) {
  Tensor f = losses.to(at::kDouble);
  Tensor nonfinite = at::isfinite(f).logical_not().sum(1);
  Json out = {{"loss", summarize_steps(f)},
              {"log10_mean_loss", to_vector(at::log10(f.mean(1)))},
              {"nonfinite_instances", to_vector(nonfinite)}};
  Json final = {{"loss_mean", out["loss"]["mean"].back()},
                {"loss_median", out["loss"]["median"].back()},
                {"log10_mean_loss", out["log10_mean_loss"].back()},
                {"nonfinite_instances", nonfinite[-1].item<std::int64_t>()}};
  if (minimum) {
    Tensor f_star = minimum->to(at::kCPU, at::kDouble).unsqueeze(0);
    Tensor gap = f - f_star;
    out["f_star_mean"] = f_star.mean().item<double>();
    out["gap"] = summarize_steps(gap);
    // log10 of the mean gap: the "log loss" for families whose f* is not 0 (where f < 0,
    // log10 of the mean loss is undefined). A converged run can end a rounding error below f*
    // (float32 above all): a finite mean gap <= 0 is clipped at the dtype's resolution at f*,
    // eps·mean|f*|, and flagged in "final", so that it never reads as the null of divergence.
    const double eps = losses.scalar_type() == at::kDouble ? std::numeric_limits<double>::epsilon()
                                                           : std::numeric_limits<float>::epsilon();
    const double resolution =
        eps * std::max(f_star.abs().mean().item<double>(), std::numeric_limits<double>::min());
    const Tensor mean_gap = gap.mean(1);
    const Tensor below_f_star = mean_gap.le(0).logical_and(at::isfinite(mean_gap));
    out["log10_mean_gap"] = to_vector(
        at::log10(at::where(below_f_star, at::full_like(mean_gap, resolution), mean_gap)));
    if (below_f_star[-1].item<bool>()) final["mean_gap_below_f_star"] = true;
    const Tensor rel = gap / f_star.abs().clamp_min(1e-12);
    out["rel_gap"] = summarize_steps(rel);
    // LOA's metric: the gap relative to the starting gap, 1 at step 0 whatever the scale of f.
    out["normalized_gap"] = summarize_steps(gap / gap[0].clamp_min(1e-300));
    out["to_target"] = iterations_to_target(rel, target);
    final["iterations_to_target_median"] = out["to_target"]["median"];
    final["iterations_to_target_mean_curve"] = out["to_target"]["mean_curve"];
    final["never_reached"] = out["to_target"]["never"];
    final["gap_median"] = out["gap"]["median"].back();
    final["log10_mean_gap"] = out["log10_mean_gap"].back();
    final["rel_gap_median"] = out["rel_gap"]["median"].back();
    final["normalized_gap_median"] = out["normalized_gap"]["median"].back();
  }
  out["final"] = std::move(final);
  out["per_instance"] = per_instance_losses(f, minimum);
  return out;
}

void ExtraSeries::record(const std::vector<std::pair<std::string, Tensor>>& metrics) {
  for (const auto& [name, values] : metrics) {
    auto it = std::find_if(series_.begin(), series_.end(),
                           [&](const auto& s) { return s.first == name; });
    if (it == series_.end()) it = series_.insert(series_.end(), {name, {}});
    it->second.push_back(values.detach().to(at::kCPU, at::kDouble));
  }
}

void ExtraSeries::add_to(Json& eval) const {
  if (series_.empty()) return;
  Json extra = Json::object();
  for (const auto& [name, steps] : series_) {
    // A metric missing at some step would misalign the series; families report all or none.
    if (steps.size() != series_.front().second.size())
      throw std::logic_error(fmt::format("metric {} reported at {} steps, not {}", name,
                                         steps.size(), series_.front().second.size()));
    extra[name] = summarize_steps(at::stack(steps));
    eval["final"][name + "_mean"] = extra[name]["mean"].back();
    eval["final"][name + "_median"] = extra[name]["median"].back();
  }
  eval["extra"] = std::move(extra);
}

}  // namespace l2o::harness
