#include "harness/equivariance.hpp"

#include <cmath>
#include <limits>
#include <memory>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "harness/suite.hpp"
#include "harness/training_cache.hpp"
#include "learned/registry.hpp"
#include "problems/coordinate_change.hpp"
#include "problems/registry.hpp"

namespace l2o::harness {

namespace {

constexpr const char* transformation_names[] = {"permutation", "translation", "scaling"};

// x_0..x_steps of a rollout, [steps + 1, B, n].
Tensor trajectory(const optimizers::Optimizer& optimizer, const problems::Objective& f,
                  const Tensor& x0, std::int64_t steps) {
  c10::InferenceMode no_autograd;
  f.rewind();
  std::vector<Tensor> xs{x0};
  auto rollout = optimizer.start(f, x0);
  for (std::int64_t k = 0; k < steps; ++k) xs.push_back(rollout->step().clone());
  return at::stack(xs);
}

double deviation(const Tensor& reference, const Tensor& mapped_back) {
  const Tensor scale = reference.norm(2, {2}).amax(0).clamp_min(1e-300);  // [B]
  const Tensor d = (reference - mapped_back).norm(2, {2}).amax(0) / scale;
  const double worst = d.max().item<double>();
  return at::isfinite(d).all().item<bool>() ? worst : std::numeric_limits<double>::infinity();
}

std::string cell_text(const Json& t) {
  if (t.contains("error")) return "n/a";
  const double d = t["deviation"].is_number() ? t["deviation"].get<double>() : INFINITY;
  return fmt::format("{:.1e} {}", d, t["equivariant"].get<bool>() ? "yes" : "NO");
}

}  // namespace

Json default_equivariance_optimizers() {
  Json out = Json::array();
  for (const auto& o : learned::all_optimizers()) {
    if (o.needs_a_file) continue;  // a TorchScript optimizer is measured when named
    out.push_back({{"name", o.name}});
    for (Json variant : Json::parse(o.equivariance_variants)) {
      variant["name"] = o.name;
      out.push_back(std::move(variant));
    }
  }
  return out;
}

namespace {

// The parsed suite of a measurement: float64, the options' problems and optimizers.
Suite equivariance_suite(const EquivarianceOptions& options, const std::string& where) {
  const Json problems =
      options.problems.is_null() ? Json::array({{{"family", "logistic"}}}) : options.problems;
  const Json optimizers =
      options.optimizers.is_null() ? default_equivariance_optimizers() : options.optimizers;
  if (!(options.scale > 0) || options.scale == 1)
    throw InputError(
        fmt::format("{}: --scale: expected c > 0 and c != 1, got {}", where, options.scale));
  return parse_suite_json({{"name", "equivariance"},
                           {"seed", options.seed},
                           {"steps", options.steps},
                           {"test_instances", options.instances},
                           {"dtype", "float64"},
                           {"problems", problems},
                           {"optimizers", optimizers}},
                          where);
}

// One problem's instances, starting points and their three transformed twins.
struct Twins {
  std::unique_ptr<problems::Objective> f;
  Tensor x0;
  std::unique_ptr<problems::CoordinateChange> changes[3];
};

Twins make_twins(const Suite& suite, const ProblemSpec& p, const EquivarianceOptions& options,
                 const Placement& placement) {
  const std::uint64_t seed = derive_seed(suite.seed, {p.label, "equivariance"});
  Twins out;
  out.f = problems::find_family(p.family, p.label)
              .sample(p.config, {suite.test_instances, seed, placement});
  out.x0 = out.f->initial_points(derive_seed(seed, {"x0"}));
  RandomStream draws(derive_seed(seed, {"transformations"}));
  const Tensor perm = at::argsort(draws.uniform({out.f->dim()}));
  const Tensor v = draws.normal({out.f->batch(), out.f->dim()}) * options.translation;
  out.changes[0] = problems::permuted(*out.f, perm);
  out.changes[1] = problems::translated(*out.f, v);
  out.changes[2] = problems::scaled(*out.f, options.scale);
  return out;
}

// {transformation: {"deviation", "equivariant"}} of one optimizer (or the error that stopped it).
Json measure_optimizer(const optimizers::Optimizer& optimizer, const Twins& twins,
                       std::int64_t steps, double tolerance) {
  Json transformations = Json::object();
  const Tensor reference = trajectory(optimizer, *twins.f, twins.x0, steps);
  for (std::size_t t = 0; t < 3; ++t) {
    const auto& g = *twins.changes[t];
    const Tensor twin = trajectory(optimizer, g, g.outer(twins.x0), steps);
    const double d = deviation(reference, g.inner(twin));
    transformations[transformation_names[t]] = {{"deviation", std::isfinite(d) ? Json(d) : Json()},
                                                {"equivariant", d <= tolerance}};
  }
  return transformations;
}

}  // namespace

EquivarianceResult measure_equivariance(const EquivarianceOptions& options,
                                        const std::string& where) {
  const Suite suite = equivariance_suite(options, where);
  const Placement placement{c10::kCPU, at::kDouble};
  TrainingCache untrained = TrainingCache::untrained(suite, placement, suite.seed);

  Json rows = Json::array();
  std::string table;
  for (const ProblemSpec& p : suite.problems) {
    const Twins twins = make_twins(suite, p, options, placement);
    table += fmt::format("{} (n = {}, {} instances, {} steps, tolerance {:.0e}):\n", p.label,
                         twins.f->dim(), twins.f->batch(), suite.steps, options.tolerance);
    table += fmt::format("  {:<18} {:>16} {:>16} {:>16}\n", "optimizer", "permutation",
                         "translation", "scaling");
    for (const OptimizerSpec& o : suite.optimizers) {
      if (!o.runs_on(p)) continue;
      Json transformations = Json::object();
      try {
        const auto optimizer = instantiate(o, p, untrained).optimizer;
        transformations = measure_optimizer(*optimizer, twins, suite.steps, options.tolerance);
      } catch (const InputError& e) {
        for (const char* name : transformation_names)
          transformations[name] = {{"error", e.what()}, {"equivariant", false}};
      }
      table += fmt::format("  {:<18}", o.label);
      for (const char* name : transformation_names)
        table += fmt::format(" {:>16}", cell_text(transformations[name]));
      table += "\n";
      rows.push_back({{"problem", p.label},
                      {"optimizer", o.label},
                      {"name", o.name},
                      {"transformations", std::move(transformations)}});
    }
  }
  Json settings = {
      {"steps", suite.steps},
      {"instances", suite.test_instances},
      {"seed", suite.seed},
      {"scale", options.scale},
      {"translation", options.translation},
      {"tolerance", options.tolerance},
      {"dtype", "float64"},
      {"deviation", "max over instances and steps of |x_k - T(x'_k)|_2 / max_k |x_k|_2"}};
  return {{{"settings", std::move(settings)}, {"rows", std::move(rows)}}, std::move(table)};
}

}  // namespace l2o::harness
