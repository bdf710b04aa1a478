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
#include "optimizers/registry.hpp"
#include "problems/registry.hpp"
#include "problems/transformed_objective.hpp"

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

std::unique_ptr<optimizers::Optimizer> make_optimizer(const Suite& suite, const OptimizerSpec& o,
                                                      const ProblemSpec& p,
                                                      const Placement& placement) {
  if (o.learned) return make_untrained(o, suite.seed, p, placement);
  return optimizers::find_optimizer(o.name, o.label).make(o.config);
}

std::string cell_text(const Json& t) {
  if (t.contains("error")) return "n/a";
  const double d = t["deviation"].is_number() ? t["deviation"].get<double>() : INFINITY;
  return fmt::format("{:.1e} {}", d, t["equivariant"].get<bool>() ? "yes" : "NO");
}

}  // namespace

Json default_equivariance_optimizers() {
  Json out = Json::array();
  for (const auto& o : optimizers::optimizers()) out.push_back({{"name", o.name}});
  out.push_back({{"name", "momentum"}, {"label", "nesterov"}, {"nesterov", true}});
  for (const auto& l : learned::learned_optimizers()) out.push_back({{"name", l.name}});
  out.push_back({{"name", "loa-bfgs"}, {"label", "loa-bfgs-random"}, {"init", "random"}});
  return out;
}

EquivarianceResult measure_equivariance(const EquivarianceOptions& options,
                                        const std::string& where) {
  const Json problems =
      options.problems.is_null() ? Json::array({{{"family", "logistic"}}}) : options.problems;
  const Json optimizers =
      options.optimizers.is_null() ? default_equivariance_optimizers() : options.optimizers;
  if (!(options.scale > 0) || options.scale == 1)
    throw InputError(
        fmt::format("{}: --scale: expected c > 0 and c != 1, got {}", where, options.scale));
  const Suite suite = parse_suite_json({{"name", "equivariance"},
                                        {"seed", options.seed},
                                        {"steps", options.steps},
                                        {"test_instances", options.instances},
                                        {"dtype", "float64"},
                                        {"problems", problems},
                                        {"optimizers", optimizers}},
                                       where);
  const Placement placement{c10::kCPU, at::kDouble};

  Json rows = Json::array();
  std::string table;
  for (const ProblemSpec& p : suite.problems) {
    const auto& family = problems::find_family(p.family, p.label);
    const std::uint64_t seed = derive_seed(suite.seed, {p.label, "equivariance"});
    auto f = family.sample(p.config, {suite.test_instances, seed, placement});
    const Tensor x0 = f->initial_points(derive_seed(seed, {"x0"}));
    RandomStream draws(derive_seed(seed, {"transformations"}));
    const Tensor perm = at::argsort(draws.uniform({f->dim()}));
    const Tensor v = draws.normal({f->batch(), f->dim()}) * options.translation;
    std::unique_ptr<problems::CoordinateChange> twins[] = {problems::permuted(*f, perm),
                                                           problems::translated(*f, v),
                                                           problems::scaled(*f, options.scale)};

    table += fmt::format("{} (n = {}, {} instances, {} steps, tolerance {:.0e}):\n", p.label,
                         f->dim(), f->batch(), suite.steps, options.tolerance);
    table += fmt::format("  {:<18} {:>16} {:>16} {:>16}\n", "optimizer", "permutation",
                         "translation", "scaling");
    for (const OptimizerSpec& o : suite.optimizers) {
      if (!o.runs_on(p)) continue;
      Json transformations = Json::object();
      try {
        const auto optimizer = make_optimizer(suite, o, p, placement);
        const Tensor reference = trajectory(*optimizer, *f, x0, suite.steps);
        for (std::size_t t = 0; t < 3; ++t) {
          const auto& g = *twins[t];
          const Tensor twin = trajectory(*optimizer, g, g.outer(x0), suite.steps);
          const double d = deviation(reference, g.inner(twin));
          transformations[transformation_names[t]] = {
              {"deviation", std::isfinite(d) ? Json(d) : Json()},
              {"equivariant", d <= options.tolerance}};
        }
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
