#include "harness/metrics.hpp"

#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace l2o::harness {

namespace {

std::vector<double> to_vector(const Tensor& t) {
  Tensor c = t.to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

}  // namespace

Json summarize_steps(const Tensor& values) {
  Tensor v = values.to(at::kDouble);
  Tensor q = at::quantile(v, at::tensor({0.1, 0.5, 0.9}, at::kDouble), /*dim=*/1);
  return {{"mean", to_vector(v.mean(1))},
          {"median", to_vector(q[1])},
          {"q10", to_vector(q[0])},
          {"q90", to_vector(q[2])}};
}

Json evaluation_metrics(const Tensor& losses, const std::optional<Tensor>& minimum) {
  Tensor f = losses.to(at::kDouble);
  Json out = {{"loss", summarize_steps(f)}, {"log10_mean_loss", to_vector(at::log10(f.mean(1)))}};
  Json final = {
      {"loss_mean", out["loss"]["mean"].back()},
      {"loss_median", out["loss"]["median"].back()},
      {"log10_mean_loss", out["log10_mean_loss"].back()},
      // Diverged instances make the mean non-finite (null in JSON); say how many.
      {"nonfinite_instances", at::isfinite(f[-1]).logical_not().sum().item<std::int64_t>()}};
  if (minimum) {
    Tensor f_star = minimum->to(at::kCPU, at::kDouble).unsqueeze(0);
    Tensor gap = f - f_star;
    out["f_star_mean"] = f_star.mean().item<double>();
    out["gap"] = summarize_steps(gap);
    out["rel_gap"] = summarize_steps(gap / f_star.abs().clamp_min(1e-12));
    final["gap_median"] = out["gap"]["median"].back();
    final["rel_gap_median"] = out["rel_gap"]["median"].back();
  }
  out["final"] = std::move(final);
  return out;
}

}  // namespace l2o::harness
