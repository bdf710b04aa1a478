// The amortisation baseline `regress`: ridge recovers an exactly linear parameters → x* map, the
// MLP beats the mean, the continuation starts at the prediction, families without x* are
// refused, the reference solutions it fits are the families' minimisers, and the cache key
// follows the config.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "harness/suite.hpp"
#include "harness/training_cache.hpp"
#include "learned/registry.hpp"
#include "problems/family.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace regress_test {

namespace {

using l2o::Json;
using l2o::Tensor;
namespace learned = l2o::learned;
namespace problems = l2o::problems;

const l2o::Placement cpu64{c10::kCPU, at::kDouble};

// A test-only family whose solution is exactly linear in its parameter:
// f(x) = ½‖x − Mθ‖², θ ~ N(0, I_p) per instance, M [n, p] fixed (drawn from seed 99).
class LinearTarget final : public problems::Objective {
 public:
  LinearTarget(Tensor theta, l2o::Placement placement)
      : theta_(std::move(theta)), placement_(placement) {}

  static Tensor map(std::int64_t n, std::int64_t p) { return l2o::RandomStream(99).normal({n, p}); }

  std::int64_t batch() const override { return theta_.size(0); }
  std::int64_t dim() const override { return 4; }
  l2o::Placement placement() const override { return placement_; }
  Tensor loss(const Tensor& x) const override { return 0.5 * (x - target()).pow(2).sum(1); }
  Tensor grad(const Tensor& x) const override { return x - target(); }
  problems::NamedTensors parameters() const override { return {{"theta", theta_}}; }
  std::optional<Tensor> reference_solution() const override {
    return target().to(at::kCPU, at::kDouble);
  }

 private:
  Tensor target() const {
    return at::mm(theta_, l2o::place(map(dim(), theta_.size(1)), placement_).t());
  }
  Tensor theta_;
  l2o::Placement placement_;
};

struct LinearTargetConfig {
  std::int64_t dim = 4;
  template <class Visitor>
  void fields(Visitor& v) {
    v.field("dim", dim, "fixed at 4");
  }
};

const problems::FamilyEntry linear_target{
    .name = "linear-target",
    .summary = "test only",
    .describe = &l2o::describe_config<LinearTargetConfig>,
    .canonical = &l2o::canonical_config<LinearTargetConfig>,
    .sample = [](const Json&, const problems::Sampling& s) -> std::unique_ptr<problems::Objective> {
      return std::make_unique<LinearTarget>(
          l2o::place(l2o::RandomStream(s.seed).normal({s.count, 3}), s.placement), s.placement);
    },
    .from_parameters = nullptr,
};

learned::TrainingProblem problem_of(const problems::FamilyEntry& family, const Json& config) {
  return {&family, family.canonical(config, "test"), 21, 22, 23};
}

learned::TrainingProblem problem_of(const std::string& family, const Json& config) {
  return problem_of(problems::find_family(family, "test"), config);
}

learned::TrainConfig training(std::int64_t epochs, std::int64_t batch) {
  learned::TrainConfig c;
  c.epochs = epochs;
  c.batch = batch;
  c.lr = 1e-2;
  c.validate_every = 50;
  c.validation_instances = 64;
  return c;
}

std::unique_ptr<learned::LearnedOptimizer> fitted(const Json& config,
                                                  const learned::TrainingProblem& problem,
                                                  const learned::TrainConfig& train,
                                                  learned::TrainResult* result = nullptr) {
  const auto* entry = learned::find_learned("regress");
  auto model = entry->make(entry->canonical(config, "test"), 5);
  const auto r = model->train(problem, train, cpu64, {});
  if (result) *result = r;
  return model;
}

// x₁ of a rollout: the prediction.
Tensor prediction(const learned::LearnedOptimizer& model, const problems::Objective& f) {
  return model.start(f, f.initial_points(7))->step();
}

double mean_squared(const Tensor& a, const Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).pow(2).mean().item<double>();
}

const std::string no_solution =
    "regress fits the problem parameters to the solution x*, and this family has no reference "
    "solution (neither a reference solver nor a known global minimiser); families with one: "
    "quadratic, ridge, lasso, lasso-sparse, logistic";

// The message of the InputError `call` must throw.
std::string message_of(const std::function<void()>& call) {
  std::string message;
  BOOST_CHECK_EXCEPTION(call(), l2o::InputError, [&](const l2o::InputError& e) {
    message = e.what();
    return true;
  });
  return message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(regress)

BOOST_AUTO_TEST_CASE(ridge_recovers_an_exactly_linear_map_from_parameters_to_solution) {
  const auto problem = problem_of(linear_target, Json::object());
  learned::TrainResult result;
  auto model = fitted({{"model", "ridge"}}, problem, training(2, 32), &result);
  // Unseen instances: the prediction is Mθ up to the smallest penalties' bias.
  auto f = linear_target.sample(problem.config, {50, 1234, cpu64});
  const Tensor x = prediction(*model, *f);
  const Tensor expected = *f->reference_solution();
  BOOST_TEST((x - expected).abs().max().item<double>() <
             1e-6 * expected.abs().max().item<double>());
  BOOST_TEST(f->loss(x).max().item<double>() < 1e-10);
  // One validation per penalty of the grid, the best kept; the largest (100) is far off.
  BOOST_TEST(result.validation.size() == 11u);
  BOOST_TEST(result.best_epoch < 11);
  BOOST_TEST(result.validation.back().second > 1e3 * result.best_validation);
}

BOOST_AUTO_TEST_CASE(the_mlp_fits_its_training_set_better_than_predicting_the_mean) {
  // x* = Q⁻¹b is not linear in (Q, b).
  const auto problem =
      problem_of("quadratic", {{"dim", 2}, {"kind", "conditioned"}, {"condition", 4}});
  const auto train = training(4, 64);
  learned::TrainResult result;
  auto model =
      fitted({{"model", "mlp"}, {"width", 32}, {"iterations", 400}}, problem, train, &result);
  BOOST_TEST(result.meta_loss.size() == 400u);
  BOOST_TEST(result.meta_loss.back() < result.meta_loss.front());
  // Its training instances, drawn again (meta_train's seeds, as documented).
  std::vector<Tensor> predictions, solutions;
  for (std::int64_t epoch = 1; epoch <= train.epochs; ++epoch) {
    const std::uint64_t seed = l2o::derive_seed(
        problem.train_stream, {"train", fmt::format("epoch{}", epoch), "instances"});
    auto f = problem.family->sample(problem.config, {train.batch, seed, cpu64});
    predictions.push_back(prediction(*model, *f));
    solutions.push_back(*f->reference_solution());
  }
  const Tensor x = at::cat(predictions), x_star = at::cat(solutions);
  const double fit = mean_squared(x, x_star);
  const double mean = mean_squared(x_star.mean(0).expand_as(x_star), x_star);
  BOOST_TEST(fit < 0.5 * mean, "MLP " << fit << " vs the mean " << mean);
  // And on unseen instances.
  auto g = problem.family->sample(problem.config, {256, 4321, cpu64});
  const Tensor y_star = *g->reference_solution();
  BOOST_TEST(mean_squared(prediction(*model, *g), y_star) <
             mean_squared(x_star.mean(0).expand_as(y_star), y_star));
}

BOOST_AUTO_TEST_CASE(then_continues_with_the_classical_optimizer_from_the_prediction) {
  const auto problem = problem_of(linear_target, Json::object());
  auto alone =
      fitted({{"ridge_count", 1}, {"ridge_max", 1}, {"ridge_min", 1}}, problem, training(1, 16));
  auto followed = fitted({{"ridge_count", 1},
                          {"ridge_max", 1},
                          {"ridge_min", 1},
                          {"then", "gd"},
                          {"then_config", {{"lr", 0.25}}}},
                         problem, training(1, 16));
  auto f = linear_target.sample(problem.config, {8, 77, cpu64});
  const Tensor x0 = f->initial_points(3);
  auto a = alone->start(*f, x0), b = followed->start(*f, x0);
  const Tensor a1 = a->step(), b1 = b->step();
  BOOST_TEST(at::equal(a1, b1));  // x₁: the same prediction (penalty 1: not yet the solution)
  BOOST_TEST(f->loss(a1).min().item<double>() > 1e-6);
  const Tensor a2 = a->step(), b2 = b->step();
  BOOST_TEST(at::equal(a2, a1));                                  // then "none": x stays
  BOOST_TEST(mean_squared(b2, b1 - 0.25 * f->grad(b1)) < 1e-28);  // one GD step from x₁
  BOOST_TEST(mean_squared(b->step(), b2 - 0.25 * f->grad(b2)) < 1e-28);
}

BOOST_AUTO_TEST_CASE(families_without_a_solution_are_refused_with_one_clear_error) {
  for (const std::string family : {"rastrigin", "ackley"}) {
    const auto problem = problem_of(family, Json::object());
    BOOST_TEST(message_of([&] { fitted(Json::object(), problem, training(1, 4)); }) ==
               "problem family \"" + family + "\": " + no_solution);
  }
  // A suite naming one stops before any cell runs (the preflight), exit status 2.
  l2o::testing::TempDir dir;
  const Json suite = {
      {"name", "refused"},
      {"steps", 3},
      {"test_instances", 2},
      {"problems", {{{"family", "quadratic"}, {"dim", 2}}, {{"family", "rastrigin"}}}},
      {"optimizers", {{{"name", "regress"}, {"train", {{"epochs", 1}}}}}}};
  const auto file = dir / "s.json";
  std::ofstream(file) << suite.dump();
  const auto r = l2o::testing::run_command(std::string(L2OBENCH_BINARY) + " run " + file.string() +
                                           " --quiet --out " + (dir / "out").string());
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(
      r.output ==
          "l2obench: error: optimizer \"regress\" on problem \"rastrigin-n2\": " + no_solution +
              " (an optimizer entry's \"families\" list limits it to the families it "
              "supports)\n",
      r.output);
  // Bad configs name the field.
  const auto* entry = learned::find_learned("regress");
  BOOST_TEST(message_of([&] {
               entry->canonical({{"model", "knn"}}, "s.json: o");
             }).starts_with("s.json: o.model: "));
  BOOST_TEST(message_of([&] {
               entry->canonical({{"then", "l2o-dm"}}, "s.json: o");
             }).starts_with("s.json: o.then: "));
  BOOST_TEST(message_of([&] {
               entry->canonical({{"then_config", {{"lr", 1}}}}, "o");
             }) == "o.then_config: given, but then is \"none\"");
  BOOST_TEST(message_of([&] {
               entry->canonical({{"ridge_min", 2}, {"ridge_max", 1}}, "o");
             }) == "o.ridge_min: expected at most ridge_max (1), got 2");
}

// The families the error names do give x*: a minimiser whose f is the reference minimum and that
// no small move improves.
BOOST_AUTO_TEST_CASE(the_named_families_reference_solutions_are_their_minimisers) {
  const std::vector<std::pair<std::string, Json>> cases = {
      {"quadratic", Json::object()},         {"quadratic", {{"kind", "conditioned"}}},
      {"ridge", {{"dataset", "synthetic"}}}, {"lasso", {{"dim", 10}}},
      {"lasso-sparse", {{"dim", 10}}},       {"logistic", Json::object()},
      {"logistic", {{"regularizer", "l1"}}}};
  for (const auto& [family, config] : cases) {
    BOOST_TEST_CONTEXT(family << " " << config.dump()) {
      const auto p = problem_of(family, config);
      auto f = p.family->sample(p.config, {3, 5, cpu64});
      const Tensor x = *f->reference_solution(), f_star = *f->reference_minimum();
      BOOST_TEST(l2o::testing::max_relative_difference(f->loss(x), f_star) < 1e-12);
      for (std::uint64_t seed : {1, 2, 3}) {
        const Tensor moved = x + 1e-4 * l2o::RandomStream(seed).normal(x.sizes());
        BOOST_TEST((f->loss(moved) >= f_star).all().item<bool>());
      }
    }
  }
  for (const std::string family : {"rastrigin", "ackley"})
    BOOST_TEST(!problem_of(family, Json::object())
                    .family->sample(problem_of(family, Json::object()).config, {1, 1, cpu64})
                    ->reference_solution());
}

BOOST_AUTO_TEST_CASE(the_cache_key_follows_the_config_and_a_fitted_model_is_cached) {
  l2o::testing::TempDir dir;
  const Json train = {{"epochs", 1}, {"batch", 16}, {"validation_instances", 16}};
  const Json suite_json = {
      {"name", "regress"},
      {"steps", 5},
      {"test_instances", 4},
      {"problems", {{{"family", "quadratic"}, {"dim", 3}}}},
      {"optimizers",
       {{{"name", "regress"}, {"train", train}},
        {{"name", "regress"}, {"label", "mlp"}, {"model", "mlp"}, {"train", train}},
        {{"name", "regress"}, {"label", "narrow"}, {"ridge_count", 3}, {"train", train}},
        {{"name", "regress"}, {"label", "gd"}, {"then", "gd"}, {"train", train}},
        {{"name", "regress"},
         {"label", "gd-0.01"},
         {"then", "gd"},
         {"then_config", {{"lr", 0.01}}},
         {"train", train}},
        {{"name", "regress"},
         {"label", "gd-0.1"},
         {"then", "gd"},
         {"then_config", {{"lr", 0.1}}},
         {"train", train}}}}};
  const auto suite = l2o::harness::parse_suite_json(suite_json, "s.json");
  const l2o::Placement cpu{c10::kCPU, at::kFloat};
  l2o::harness::TrainingCache cache(dir / "cache", suite, cpu, false);
  const auto& p = suite.problems[0];
  std::vector<std::string> hashes;
  for (const auto& o : suite.optimizers) hashes.push_back(cache.key(o, p).hash());
  // gd's default lr is 0.01: "gd" and "gd-0.01" are one config, every other one differs.
  BOOST_TEST(hashes[3] == hashes[4]);
  BOOST_TEST(std::set<std::string>(hashes.begin(), hashes.end()).size() == 5u);

  const auto& first = cache.get(suite.optimizers[0], p);
  BOOST_TEST(!first.loaded);
  BOOST_TEST(std::filesystem::exists(first.checkpoint));
  l2o::harness::TrainingCache again(dir / "cache", suite, cpu, false);
  const auto& second = again.get(suite.optimizers[0], p);
  BOOST_TEST(second.loaded);
  auto f = problems::find_family(p.family, "test").sample(p.config, {4, 9, cpu});
  BOOST_TEST(at::equal(prediction(*first.model, *f), prediction(*second.model, *f)));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace regress_test
