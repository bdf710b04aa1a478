// Math-L2O, GO-Math-L2O, the lasso-sparse family and the out-of-distribution scenarios: the
// proximal operator and its shifted form, translation of ISTA's trajectory under an objective
// shift, the shift invariance of GO-Math-L2O's inputs, short trainings, the scenario schema and
// iterations-to-target.
#include <cmath>
#include <limits>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/error.hpp"
#include "harness/cells.hpp"
#include "harness/metrics.hpp"
#include "harness/suite.hpp"
#include "learned/go_math_l2o.hpp"
#include "learned/registry.hpp"
#include "learned/training.hpp"
#include "optimizers/proximal.hpp"
#include "optimizers/registry.hpp"
#include "problems/registry.hpp"
#include "problems/uniform_affine_objective.hpp"
#include "tests/support.hpp"

namespace ood_test {

namespace {

using l2o::InputError;
using l2o::Json;
using l2o::Tensor;
using l2o::problems::Objective;
namespace learned = l2o::learned;
namespace harness = l2o::harness;

std::unique_ptr<Objective> sample(const std::string& family, const Json& config, std::int64_t count,
                                  std::uint64_t seed, c10::ScalarType dtype = at::kDouble) {
  const auto& f = l2o::problems::find_family(family, "test");
  return f.sample(f.canonical(config, "test"), {count, seed, {c10::kCPU, dtype}});
}

std::unique_ptr<Objective> shifted(std::unique_ptr<Objective> f, double t) {
  return std::make_unique<l2o::problems::UniformAffineObjective>(std::move(f), 1.0, t);
}

std::vector<Tensor> trajectory(const l2o::optimizers::Optimizer& o, const Objective& f,
                               const Tensor& x0, int steps) {
  c10::InferenceMode guard;
  auto r = o.start(f, x0);
  std::vector<Tensor> out;
  for (int k = 0; k < steps; ++k) out.push_back(r->step().clone());
  return out;
}

std::unique_ptr<l2o::optimizers::Optimizer> classical(const std::string& name) {
  const auto& e = l2o::optimizers::find_optimizer(name, "test");
  return e.make(e.canonical(Json::object(), "test"));
}

std::unique_ptr<learned::LearnedOptimizer> make_learned(const std::string& name,
                                                        std::uint64_t seed = 1) {
  const auto* entry = learned::find_learned(name);
  return entry->make(entry->canonical(Json::object(), "test"), seed);
}

Json suite_with_scenarios(const Json& scenarios) {
  return {{"name", "s"},
          {"scenarios", scenarios},
          {"problems", {{{"family", "lasso-sparse"}, {"dim", 20}}}},
          {"optimizers", {{{"name", "ista"}}}}};
}

void expect_suite_error(const Json& suite, const std::vector<std::string>& fragments) {
  BOOST_CHECK_EXCEPTION(harness::parse_suite_json(suite, "s.json"), InputError,
                        [&](const InputError& e) {
                          const std::string m = e.what();
                          bool all = true;
                          for (const auto& f : fragments) all = all && m.find(f) != m.npos;
                          if (!all) BOOST_TEST_MESSAGE("message: " << m);
                          return all;
                        });
}

// A [1, n] float64 row.
Tensor row(const std::vector<double>& values) {
  return at::tensor(values, at::kDouble).view({1, -1});
}

const std::vector<std::string> proximal_learned = {"math-l2o", "go-math-l2o"};

}  // namespace

BOOST_AUTO_TEST_SUITE(ood)

BOOST_AUTO_TEST_CASE(the_l1_prox_matches_its_closed_form_and_its_shifted_form) {
  auto f = sample("lasso-sparse", {{"dim", 6}}, 1, 3);
  const double lambda = f->l1_weight();
  BOOST_TEST(lambda == 0.1);
  Tensor v = row({-2.0, -0.05, 0.0, 0.03, 0.5, 3.0});
  Tensor step = at::full({1, 1}, 2.0, at::kDouble);  // threshold τλ = 0.2
  // prox_{τλ|.|}(v) = argmin_u ½(u − v)² + τλ|u|: v ∓ 0.2 outside [−0.2, 0.2], 0 inside.
  Tensor expected = row({-1.8, 0.0, 0.0, 0.0, 0.3, 2.8});
  BOOST_TEST(at::allclose(l2o::optimizers::l1_prox(*f, v, step), expected, 0, 1e-15));
  // Its optimality condition: (v − u)/τ is a subgradient of λ|u| at u.
  Tensor u = l2o::optimizers::l1_prox(*f, v, step), r = (v - u) / 2.0;
  BOOST_TEST(((r - lambda * u.sign()).abs() * (u != 0)).max().item<double>() < 1e-12);
  BOOST_TEST((r.abs() * (u == 0)).max().item<double>() <= lambda + 1e-12);

  // λ|x + t|: the prox is the plain one moved by −t, min at −t instead of 0.
  auto g = shifted(sample("lasso-sparse", {{"dim", 6}}, 1, 3), 10.0);
  BOOST_TEST(g->l1_shift() == 10.0);
  BOOST_TEST(at::allclose(l2o::optimizers::l1_prox(*g, v - 10.0, step), expected - 10.0, 0, 1e-12));

  // The subdifferential ends: both g ± λ on the kink, g + λ sign(x) elsewhere.
  Tensor x = row({-1.0, 0.0, 2.0}), grad = row({0.5, 0.5, 0.5});
  auto [lo, hi] = l2o::optimizers::l1_subgradient_ends(*f, x, grad);
  BOOST_TEST(at::allclose(lo, row({0.4, 0.4, 0.6})));
  BOOST_TEST(at::allclose(hi, row({0.4, 0.6, 0.6})));
}

BOOST_AUTO_TEST_CASE(lasso_sparse_draws_unit_columns_and_a_sparse_signal) {
  auto f = sample("lasso-sparse", {{"dim", 40}}, 8, 5);
  const Json canonical =
      l2o::problems::find_family("lasso-sparse", "t").canonical({{"dim", 40}}, "t");
  BOOST_TEST(canonical["rows"] == 20);
  BOOST_TEST(canonical["sparsity"] == 4);
  const Tensor W = f->parameters()[0].second, y = f->parameters()[1].second;
  BOOST_TEST(W.sizes().vec() == (std::vector<std::int64_t>{8, 20, 40}));
  BOOST_TEST((W.norm(2, {1}) - 1).abs().max().item<double>() < 1e-12);
  // y lies in the span of 4 columns: the least-squares fit on the true support is exact, so
  // f* ≤ λ‖x_gt‖₁ < f(0) = ½‖y‖², and f* is positive.
  const Tensor f_star = *f->reference_minimum();
  BOOST_TEST((f_star > 0).all().item<bool>());
  BOOST_TEST((f_star < f->loss(at::zeros({8, 40}, at::kDouble))).all().item<bool>());
  BOOST_TEST(f->lipschitz()->min().item<double>() > 0);
  expect_suite_error({{"name", "s"},
                      {"problems", {{{"family", "lasso-sparse"}, {"dim", 10}, {"sparsity", 11}}}},
                      {"optimizers", {{{"name", "ista"}}}}},
                     {"sparsity", "at most dim"});
}

BOOST_AUTO_TEST_CASE(ista_and_fista_trajectories_move_by_minus_t_under_an_objective_shift) {
  for (const std::string name : {"ista", "fista"}) {
    for (const double t : {10.0, -50.0}) {
      BOOST_TEST_CONTEXT(name << " t=" << t) {
        auto f = sample("lasso-sparse", {{"dim", 30}}, 4, 9);
        auto g = shifted(sample("lasso-sparse", {{"dim", 30}}, 4, 9), t);
        const Tensor x0 = f->initial_points(2);
        auto o = classical(name);
        auto xs = trajectory(*o, *f, x0, 50), ys = trajectory(*o, *g, x0 - t, 50);
        double worst = 0;
        for (std::size_t k = 0; k < xs.size(); ++k)
          worst = std::max(worst, (ys[k] - (xs[k] - t)).abs().max().item<double>());
        BOOST_TEST(worst < 1e-11 * std::abs(t));
        // The same losses: F is evaluated at corresponding points.
        BOOST_TEST(at::allclose(g->loss(ys.back()), f->loss(xs.back()), 1e-10));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_scaled_objective_keeps_its_minimum_and_composite_structure) {
  auto f = sample("lasso-sparse", {{"dim", 20}}, 3, 4);
  auto g = std::make_unique<l2o::problems::UniformAffineObjective>(
      sample("lasso-sparse", {{"dim", 20}}, 3, 4), 2.0, 0.0);
  BOOST_TEST(g->l1_weight() == 0.2);
  BOOST_TEST(at::allclose(*g->lipschitz(), 4 * *f->lipschitz()));
  BOOST_TEST(at::equal(*g->reference_minimum(), *f->reference_minimum()));
  // FISTA on F(2x) reaches the same minimum value (never below it).
  auto xs = trajectory(*classical("fista"), *g, g->initial_points(1), 2000);
  const Tensor rel = (g->loss(xs.back()) - *f->reference_minimum()) / *f->reference_minimum();
  BOOST_TEST(rel.max().item<double>() < 1e-3);
  BOOST_TEST(rel.min().item<double>() > -1e-9);
}

BOOST_AUTO_TEST_CASE(go_math_l2o_inputs_are_invariant_to_a_shift_and_math_l2o_inputs_are_not) {
  const double t = 20.0;
  auto f = sample("lasso-sparse", {{"dim", 30}}, 4, 9);
  auto g = shifted(sample("lasso-sparse", {{"dim", 30}}, 4, 9), t);
  const Tensor x0 = f->initial_points(2);
  // Corresponding points: x in F's coordinates is x − t in G's. Include exact zeros (kinks).
  Tensor x = x0.clone();
  x.index_put_({at::indexing::Slice(), at::indexing::Slice(0, 10)}, 0.0);
  const Tensor nf = learned::GoMathL2o::input_norms(*f, x0),
               ng = learned::GoMathL2o::input_norms(*g, x0 - t);
  BOOST_TEST(at::allclose(nf, ng, 1e-12));
  const Tensor a = learned::GoMathL2o::inputs(*f, x, f->smooth_grad(x), nf);
  const Tensor b = learned::GoMathL2o::inputs(*g, x - t, g->smooth_grad(x - t), ng);
  BOOST_TEST(a.sizes().vec() == (std::vector<std::int64_t>{4 * 30, 3}));
  BOOST_TEST((a - b).abs().max().item<double>() < 1e-10);
  // The kinks give distinct ends (∇s ∓ λ), elsewhere they coincide.
  BOOST_TEST((a.select(1, 1) != a.select(1, 2)).sum().item<std::int64_t>() == 4 * 10);
  // And so whole GO-Math-L2O rollouts translate by −t, while Math-L2O's do not.
  for (const std::string& name : proximal_learned) {
    auto m = make_learned(name);
    m->to({c10::kCPU, at::kDouble});
    c10::InferenceMode guard;
    auto rf = m->start(*f, x0), rg = m->start(*g, x0 - t);
    Tensor xf, xg;
    for (int k = 0; k < 20; ++k) xf = rf->step(), xg = rg->step();
    const double moved = (xg - (xf - t)).abs().max().item<double>();
    BOOST_TEST_CONTEXT(name) {
      if (name == "go-math-l2o")
        BOOST_TEST(moved < 1e-9);
      else
        BOOST_TEST(moved > 1e-3);
    }
  }
}

BOOST_AUTO_TEST_CASE(proximal_learned_optimizers_need_a_composite_problem_with_lipschitz) {
  for (const std::string& name : proximal_learned) {
    auto m = make_learned(name);
    auto smooth = sample("quadratic", {{"dim", 10}}, 2, 1);
    auto no_lipschitz = sample("ackley", {{"dim", 2}}, 2, 1);
    for (const Objective* f : {smooth.get(), no_lipschitz.get()}) {
      BOOST_CHECK_EXCEPTION(
          m->start(*f, f->initial_points(1)), InputError, [&](const InputError& e) {
            const std::string msg = e.what();
            return msg.find(name) != msg.npos && msg.find("lasso-sparse") != msg.npos;
          });
    }
  }
}

BOOST_AUTO_TEST_CASE(short_training_lowers_the_validation_loss_of_both_methods) {
  for (const std::string& name : proximal_learned) {
    BOOST_TEST_CONTEXT(name) {
      auto m = make_learned(name, 4);
      const auto& family = l2o::problems::find_family("lasso-sparse", "t");
      learned::TrainingProblem problem{&family, family.canonical({{"dim", 20}}, "t"), 7};
      learned::TrainConfig c =
          learned::find_learned(name)->training(Json::object(), learned::TrainProfile::quick);
      c.epochs = 30;
      c.batch = 16;
      c.steps = 40;
      c.validate_every = 30;
      c.validation_instances = 32;
      auto result = learned::meta_train(*m, problem, c, {c10::kCPU, at::kFloat});
      BOOST_REQUIRE(result.validation.size() == 2u);
      BOOST_TEST_MESSAGE(name << " validation " << result.validation[0].second << " -> "
                              << result.validation[1].second);
      BOOST_TEST(result.validation[1].second < 0.95 * result.validation[0].second);
      BOOST_TEST(c.meta_loss == "mean");
      BOOST_TEST(c.lr == 1e-2);
    }
  }
}

BOOST_AUTO_TEST_CASE(scenarios_expand_into_labelled_problems_with_their_own_cell_ids) {
  const Json suite = suite_with_scenarios({{{"kind", "none"}},
                                           {{"kind", "objective"}, {"value", {10, -10}}},
                                           {{"kind", "both"}, {"value", 50}},
                                           {{"kind", "scale"}, {"value", 0.5}}});
  const auto s = harness::parse_suite_json(suite, "s.json");
  std::vector<std::string> labels;
  for (const auto& p : s.problems) labels.push_back(p.label);
  BOOST_TEST(labels ==
             (std::vector<std::string>{"lasso-sparse-n20", "lasso-sparse-n20/objective+10",
                                       "lasso-sparse-n20/objective-10", "lasso-sparse-n20/both+50",
                                       "lasso-sparse-n20/scale0.5"}));
  BOOST_TEST(s.problems[3].scenario.start_shift() == -50.0);
  BOOST_TEST(s.problems[3].scenario.objective_shift() == 50.0);
  const auto cells = harness::expand(s);
  BOOST_TEST(cells.size() == 5u);
  for (std::size_t i = 1; i < cells.size(); ++i) BOOST_TEST(cells[i].id != cells[0].id);
  // Same instances for every scenario of a problem.
  BOOST_TEST(harness::instance_seeds(s, s.problems[0], "test", 0).instances ==
             harness::instance_seeds(s, s.problems[2], "test", 0).instances);
  // The suite as run parses back to the same problems.
  const auto again = harness::parse_suite_json(s.to_json(), "again");
  BOOST_TEST(again.to_json() == s.to_json());
  BOOST_TEST(harness::expand(again)[2].id == cells[2].id);
  // Without scenarios the ids are those of a suite that never heard of them.
  Json plain = suite;
  plain.erase("scenarios");
  Json explicit_none = suite_with_scenarios({{{"kind", "none"}}});
  BOOST_TEST(harness::expand(harness::parse_suite_json(plain, "p"))[0].id ==
             harness::expand(harness::parse_suite_json(explicit_none, "p"))[0].id);
  // A per-problem list overrides the suite's.
  Json own = suite;
  own["problems"][0]["scenarios"] = {{{"kind", "start"}, {"value", 20}}};
  BOOST_TEST(harness::parse_suite_json(own, "o").problems.at(0).label ==
             "lasso-sparse-n20/start+20");
}

BOOST_AUTO_TEST_CASE(the_suite_schema_rejects_bad_scenarios_naming_field_and_allowed_values) {
  expect_suite_error(suite_with_scenarios({{{"kind", "shift"}, {"value", 10}}}),
                     {"s.json.scenarios[0].kind", "none, start, objective, both, scale", "shift"});
  expect_suite_error(suite_with_scenarios({{{"kind", "objective"}, {"value", 0}}}),
                     {"s.json.scenarios[0].value", "non-zero", "10"});
  expect_suite_error(suite_with_scenarios({{{"kind", "start"}, {"value", {10, "x"}}}}),
                     {"s.json.scenarios[0].value[1]", "finite non-zero number"});
  expect_suite_error(suite_with_scenarios({{{"kind", "scale"}, {"value", -2}}}),
                     {"s.json.scenarios[0].value", "> 0"});
  expect_suite_error(suite_with_scenarios({{{"kind", "both"}}}),
                     {"s.json.scenarios[0].value", "missing"});
  expect_suite_error(suite_with_scenarios({{{"kind", "none"}, {"value", 1}}}),
                     {"s.json.scenarios[0].value", "takes no value"});
  expect_suite_error(suite_with_scenarios({{{"kind", "start"}, {"value", 1}, {"size", 2}}}),
                     {"s.json.scenarios[0].size", "allowed: kind, value"});
  expect_suite_error(suite_with_scenarios(Json::array()), {"s.json.scenarios", "non-empty array"});
  Json bad_target = suite_with_scenarios({{{"kind", "none"}}});
  bad_target["target"] = 0;
  expect_suite_error(bad_target, {"target"});
}

BOOST_AUTO_TEST_CASE(iterations_to_target_on_a_hand_computed_series) {
  // Relative gaps [K = 5 steps, B = 4 instances].
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor rel = at::tensor({1.0,  1.0, 1e-4, 1.0,  //
                           0.1,  0.5, 1e-4, nan,  //
                           1e-3, 0.2, 1e-5, nan,  //
                           1e-4, 0.1, 1e-6, nan,  //
                           2e-3, 0.1, 1e-7, 1e-5},
                          at::kDouble)
                   .view({5, 4});
  const Tensor first = harness::first_step_below(rel, 1e-3);
  // Instance 0 at step 2 (1e-3 counts: <=), 1 never, 2 at step 0, 3 at step 4 (after NaNs).
  BOOST_TEST(first.to(at::kDouble).equal(at::tensor({2.0, -1.0, 0.0, 4.0}, at::kDouble)));
  const Json t = harness::iterations_to_target(rel, 1e-3);
  // Sorted {0, 2, 4, inf}: median halfway between 2 and 4.
  BOOST_TEST(t["median"].get<double>() == 3.0);
  BOOST_TEST(t["mean_reached"].get<double>() == 2.0);
  BOOST_TEST(t["never"].get<double>() == 0.25);
  // The mean curve is NaN while instance 3 is: it first counts at step 4, where the mean is
  // (2e-3 + 0.1 + 1e-7 + 1e-5)/4 > 1e-3: never.
  BOOST_TEST(t["mean_curve"].is_null());
  Tensor rel2 = at::tensor({0.01, 0.01, 1e-6,  //
                            5e-4, 5e-3, 1e-6,  //
                            1e-5, 2e-3, 1e-7,  //
                            1e-6, 5e-4, 1e-8},
                           at::kDouble)
                    .view({4, 3});
  const Json two = harness::iterations_to_target(rel2, 1e-3);
  // Instances at 1, 3, 0; the mean gap first counts at step 2 ((1e-5 + 2e-3 + 1e-7)/3).
  BOOST_TEST(two["median"].get<double>() == 1.0);
  BOOST_TEST(two["never"].get<double>() == 0.0);
  BOOST_TEST(two["mean_curve"].get<double>() == 2.0);
  // Half the instances never: the median is null (shown as ">K").
  Tensor stuck = at::ones({3, 2}, at::kDouble);
  stuck[2][0] = 0;
  BOOST_TEST(harness::iterations_to_target(stuck, 1e-3)["median"].is_null());
  // evaluation_metrics carries it where f* is known.
  Tensor losses = at::tensor({2.0, 1.5, 1.0001, 1.00001}, at::kDouble).view({4, 1});
  const Json eval = harness::evaluation_metrics(losses, at::ones({1}, at::kDouble), 1e-3);
  BOOST_TEST(eval["to_target"]["median"].get<double>() == 2.0);
  BOOST_TEST(eval["final"]["never_reached"].get<double>() == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace ood_test
