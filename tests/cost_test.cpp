// Cost accounting: the oracle and network evaluations a rollout makes, counted per step
// (problems/counting_objective.hpp, harness/cost.hpp) and recorded in every cell as eval.cost.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/files.hpp"
#include "harness/cost.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"
#include "learned/registry.hpp"
#include "optimizers/registry.hpp"
#include "problems/counting_objective.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace cost_test {

namespace {

using l2o::Json;
using l2o::Tensor;
using l2o::problems::CountingObjective;
using l2o::problems::Objective;

const l2o::Placement cpu{c10::kCPU, at::kDouble};

// f(x) = a/2·‖x‖² per instance, which records every call the optimizer makes: a line search
// whose trials can be worked out by hand.
class RecordingSquares final : public Objective {
 public:
  explicit RecordingSquares(std::vector<double> a) : a_(at::tensor(a, at::kDouble)) {}
  std::int64_t batch() const override { return a_.size(0); }
  std::int64_t dim() const override { return 1; }
  l2o::Placement placement() const override { return cpu; }
  Tensor loss(const Tensor& x) const override {
    ++loss_calls;
    return 0.5 * a_ * x.pow(2).sum(1);
  }
  Tensor grad(const Tensor& x) const override {
    ++grad_calls;
    return a_.unsqueeze(1) * x;
  }
  Tensor loss_where(const Tensor& x, const Tensor& needed) const override {
    needed_masks.push_back(needed.clone());
    return 0.5 * a_ * x.pow(2).sum(1);
  }
  l2o::problems::NamedTensors parameters() const override { return {{"a", a_}}; }

  mutable int loss_calls = 0, grad_calls = 0;
  mutable std::vector<Tensor> needed_masks;

 private:
  Tensor a_;
};

std::unique_ptr<Objective> sample(const std::string& family, const Json& config,
                                  std::int64_t count) {
  const auto& f = l2o::problems::find_family(family, "test");
  return f.sample(f.canonical(config, "test"), {count, 42, {c10::kCPU, at::kFloat}});
}

std::unique_ptr<l2o::optimizers::Optimizer> classical(const std::string& name,
                                                      const Json& config = Json::object()) {
  const auto& entry = l2o::optimizers::find_optimizer(name, "test");
  return entry.make(entry.canonical(config, "test"));
}

std::unique_ptr<l2o::learned::LearnedOptimizer> learned(const std::string& name,
                                                        const Json& config = Json::object()) {
  const auto* entry = l2o::learned::find_learned(name);
  return entry->make(entry->canonical(config, "test"), 1);
}

// eval.cost of `steps` steps of `optimizer` on f from x0, as the runner records it.
Json cost_of(const l2o::optimizers::Optimizer& optimizer, const Objective& f, const Tensor& x0,
             int steps) {
  c10::InferenceMode no_autograd;
  const CountingObjective counted(f);
  auto rollout = optimizer.start(counted, x0);
  l2o::harness::CostSeries cost;
  cost.record(counted, *rollout);
  for (int k = 0; k < steps; ++k) {
    rollout->step();
    cost.record(counted, *rollout);
  }
  return cost.to_json();
}

std::vector<double> steps_up_to(int last, int cap) {
  std::vector<double> out;
  for (int k = 0; k <= last; ++k) out.push_back(std::min(k, cap));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cost)

BOOST_AUTO_TEST_CASE(gradient_descent_costs_one_gradient_per_step_and_no_function_value) {
  auto f = sample("lasso", {{"dim", 10}}, 8);
  const Json cost = cost_of(*classical("gd"), *f, f->initial_points(1), 7);
  BOOST_TEST(cost["gradient"].get<std::vector<double>>() == steps_up_to(7, 7),
             boost::test_tools::per_element());
  BOOST_TEST(cost["function"].get<std::vector<double>>() == std::vector<double>(8, 0.0),
             boost::test_tools::per_element());
  BOOST_TEST(!cost.contains("network"));
  BOOST_TEST(!cost.contains("hessian_vector"));
}

BOOST_AUTO_TEST_CASE(bfgs_is_charged_the_line_search_trials_each_instance_needed) {
  // a = 1 and 30, x0 = 1, H0 = I: d = −a. Instance 0 accepts α = 1 (f = 0 ≤ 0.49). Instance 1
  // fails α = 1 (f = 12615 > 6) and α = 0.1 (f = 60 > 14.1) and accepts α = 0.01 (f = 7.35 ≤
  // 14.91). Starting costs f and ∇f at x0; the step 1, 1 or 3 trials and ∇f at the new point.
  const RecordingSquares f({1.0, 30.0});
  const Json cost =
      cost_of(*classical("bfgs", {{"protocol", "safeguarded"}, {"first_step", "identity"}}), f,
              at::ones({2, 1}, at::kDouble), 1);
  BOOST_TEST(cost["function"].get<std::vector<double>>() == std::vector<double>({1, 1 + 2}),
             boost::test_tools::per_element());
  BOOST_TEST(cost["gradient"].get<std::vector<double>>() == std::vector<double>({1, 2}),
             boost::test_tools::per_element());
  // What the line search evaluated: the first trial for both, then two for instance 1 alone
  // (the batch computes instance 0 too, uncharged: its result is discarded).
  BOOST_TEST(f.loss_calls == 2);
  BOOST_TEST(f.grad_calls == 2);
  BOOST_REQUIRE(f.needed_masks.size() == 2u);
  for (const Tensor& needed : f.needed_masks)
    BOOST_TEST(at::equal(needed.to(at::kLong), at::tensor({0, 1}, at::kLong)));
}

BOOST_AUTO_TEST_CASE(counting_changes_no_iterate) {
  auto f = sample("lasso", {{"dim", 10}}, 8);
  const Tensor x0 = f->initial_points(1);
  c10::InferenceMode no_autograd;
  for (const char* name : {"gd", "adam", "bfgs", "fista"}) {
    const auto optimizer = classical(name);
    const CountingObjective counted(*f);
    auto plain = optimizer->start(*f, x0), wrapped = optimizer->start(counted, x0);
    for (int k = 0; k < 6; ++k) BOOST_TEST(at::equal(plain->step(), wrapped->step()), name);
  }
}

BOOST_AUTO_TEST_CASE(a_learned_optimizer_costs_one_network_evaluation_per_step) {
  auto f = sample("quadratic", {{"dim", 10}}, 8);
  const Json cost = cost_of(*learned("l2o-dm"), *f, f->initial_points(1), 5);
  BOOST_TEST(cost["network"].get<std::vector<double>>() == steps_up_to(5, 5),
             boost::test_tools::per_element());
  BOOST_TEST(cost["gradient"].get<std::vector<double>>() == steps_up_to(5, 5),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(diff_l2o_costs_one_network_evaluation_per_reverse_step_and_none_after) {
  // T = 10 reverse steps; steps 11 and 12 return the sample without running anything. With
  // "all" guidance each reverse step also reads ∇f.
  auto f = sample("rastrigin", {{"dim", 10}}, 8);
  const Json small = {{"diffusion_steps", 10}, {"beta_end", 0.2}, {"width", 32}};
  for (const char* guidance : {"all", "global"}) {
    Json config = small;
    config["guidance"] = guidance;
    auto model = learned("diff-l2o", config);
    model->shape_for(*f);
    const Json cost = cost_of(*model, *f, f->initial_points(1), 12);
    BOOST_TEST(cost["network"].get<std::vector<double>>() == steps_up_to(12, 10),
               boost::test_tools::per_element());
    BOOST_TEST(
        cost["gradient"].get<std::vector<double>>() ==
            (guidance == std::string("all") ? steps_up_to(12, 10) : std::vector<double>(13, 0.0)),
        boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(every_cell_records_a_cumulative_cost_of_steps_plus_one_entries) {
  const Json s = {
      {"name", "cost"},
      {"seed", 1},
      {"steps", 6},
      {"test_instances", 8},
      {"problems", {{{"family", "lasso"}, {"dim", 5}}}},
      {"optimizers",
       {{{"name", "gd"}}, {{"name", "bfgs"}}, {{"name", "l2o-dm"}, {"train", {{"epochs", 1}}}}}}};
  const auto suite = l2o::harness::parse_suite_json(s, "s.json");
  l2o::testing::TempDir out;
  l2o::harness::run_suite(suite, {.out = out.path(), .threads = 1, .progress = false});
  const Json report = l2o::read_json_file(out / "report.json");
  BOOST_REQUIRE(report["cells"].size() == 3u);
  for (const Json& cell : report["cells"]) {
    const std::string label = cell["optimizer"]["label"];
    const Json& cost = cell["eval"]["cost"];
    for (const char* kind : {"function", "gradient"}) {
      const auto counts = cost[kind].get<std::vector<double>>();
      BOOST_TEST(counts.size() == 7u, label << " " << kind);
      for (std::size_t k = 1; k < counts.size(); ++k)
        BOOST_TEST(counts[k] >= counts[k - 1], label << " " << kind << " step " << k);
    }
    if (label == "gd")
      BOOST_TEST(cost["gradient"].get<std::vector<double>>() == steps_up_to(6, 6),
                 boost::test_tools::per_element());
    // Every BFGS step evaluates f at least once (the first trial) and ∇f once.
    if (label == "bfgs")
      for (std::size_t k = 1; k < 7; ++k) {
        BOOST_TEST(cost["function"][k].get<double>() - cost["function"][k - 1].get<double>() >= 1);
        BOOST_TEST(cost["gradient"][k].get<double>() - cost["gradient"][k - 1].get<double>() == 1);
      }
    BOOST_TEST(cost.contains("network") == (label == "l2o-dm"), label);
    if (label == "l2o-dm")
      BOOST_TEST(cost["network"].get<std::vector<double>>() == steps_up_to(6, 6),
                 boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace cost_test
