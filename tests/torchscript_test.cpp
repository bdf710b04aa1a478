// The torchscript optimizer: modules written in PyTorch (tests/torchscript_fixtures.py writes
// them into L2O_TORCHSCRIPT_DIR before these tests run) against the built-in optimizers, meta-
// trained through the training cache, written back for Python, and their clear errors.
#include <fstream>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/error.hpp"
#include "harness/cells.hpp"
#include "harness/suite.hpp"
#include "harness/training_cache.hpp"
#include "learned/registry.hpp"
#include "learned/torchscript.hpp"
#include "optimizers/registry.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace torchscript_test {

namespace {

using l2o::Json;
using l2o::Tensor;
namespace fs = std::filesystem;
namespace learned = l2o::learned;

const fs::path modules = L2O_TORCHSCRIPT_DIR;
const l2o::Placement float32{c10::kCPU, at::kFloat};

std::unique_ptr<learned::LearnedOptimizer> scripted(const std::string& file,
                                                    const Json& options = Json::object()) {
  const auto* entry = learned::find_learned("torchscript");
  auto model = entry->make(
      entry->canonical({{"module", (modules / file).string()}, {"options", options}}, "test"), 0);
  model->to(float32);
  return model;
}

std::unique_ptr<l2o::problems::Objective> sample(const std::string& family, const Json& config,
                                                 std::int64_t count) {
  const auto& f = l2o::problems::find_family(family, "test");
  return f.sample(f.canonical(config, "test"), {count, 5, float32});
}

// The iterates of `steps` steps, stacked: [steps, B, n].
Tensor trajectory(const l2o::optimizers::Optimizer& optimizer, const l2o::problems::Objective& f,
                  int steps) {
  c10::InferenceMode guard;
  auto rollout = optimizer.start(f, f.initial_points(7));
  std::vector<Tensor> xs;
  for (int k = 0; k < steps; ++k) xs.push_back(rollout->step().clone());
  return at::stack(xs);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const l2o::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(torchscript)

BOOST_AUTO_TEST_CASE(a_scripted_adam_follows_the_builtin_adam) {
  const auto& adam = l2o::optimizers::find_optimizer("adam", "test");
  for (const auto& [family, config] :
       {std::pair<std::string, Json>{"lasso", {{"dim", 50}, {"rows", 25}}},
        std::pair<std::string, Json>{"rastrigin", {{"dim", 10}}}}) {
    BOOST_TEST_CONTEXT(family) {
      auto f = sample(family, config, 32);
      const Tensor ours = trajectory(*scripted("adam.pt", {{"lr", 0.05}}), *f, 100);
      const Tensor builtin =
          trajectory(*adam.make(adam.canonical({{"lr", 0.05}}, "test")), *f, 100);
      // Relative to the size of the iterates, step by step.
      const Tensor scale = builtin.abs().amax({1, 2}).clamp_min(1e-30);
      const double worst = ((ours - builtin).abs().amax({1, 2}) / scale).max().item<double>();
      BOOST_TEST(worst <= 1e-6);
      // And it moved: the comparison is not between two starting points.
      BOOST_TEST((builtin[99] - f->initial_points(7)).abs().max().item<double>() > 0.1);
    }
  }
}

BOOST_AUTO_TEST_CASE(options_set_the_modules_attributes) {
  auto f = sample("rastrigin", {{"dim", 10}}, 4);
  const Tensor slow = trajectory(*scripted("adam.pt", {{"lr", 1e-4}}), *f, 1);
  const Tensor fast = trajectory(*scripted("adam.pt", {{"lr", 1e-1}}), *f, 1);
  const Tensor x0 = f->initial_points(7);
  // Adam's first step moves every coordinate by about lr.
  BOOST_TEST((slow[0] - x0).abs().max().item<double>() == 1e-4, boost::test_tools::tolerance(1e-2));
  BOOST_TEST((fast[0] - x0).abs().max().item<double>() == 1e-1, boost::test_tools::tolerance(1e-2));
}

BOOST_AUTO_TEST_CASE(a_module_gets_the_context_it_asks_for) {
  // Gradient descent with step 1/L: on a LASSO without the l1 term... the module's own step.
  auto f = sample("lasso", {{"dim", 10}, {"rows", 5}}, 4);
  const Tensor x0 = f->initial_points(7);
  const Tensor x1 = trajectory(*scripted("context.pt"), *f, 1)[0];
  const Tensor expected = x0 - f->grad(x0) / f->lipschitz()->to(at::kFloat).unsqueeze(1);
  BOOST_TEST(l2o::testing::max_relative_difference(x1, expected) <= 1e-6);
  // A family without a Lipschitz constant: the error says which key.
  auto ackley = sample("ackley", {{"dim", 3}}, 2);
  BOOST_TEST(error_of([&] {
               trajectory(*scripted("context.pt"), *ackley, 1);
             }).find("asks for \"lipschitz\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_mlp_optimizer_meta_trains_reloads_and_exports_for_python) {
  l2o::testing::TempDir dir;
  const Json suite_json = {{"name", "ts"},
                           {"steps", 20},
                           {"test_instances", 8},
                           {"problems", {{{"family", "quadratic"}, {"dim", 10}}}},
                           {"optimizers",
                            {{{"name", "torchscript"},
                              {"label", "mlp"},
                              {"module", (modules / "mlp.pt").string()},
                              {"train",
                               {{"epochs", 30},
                                {"batch", 32},
                                {"steps", 20},
                                {"unroll", 10},
                                {"lr", 1e-2},
                                {"validate_every", 10}}}}}}};
  const auto suite = l2o::harness::parse_suite_json(suite_json, "s.json");
  const auto& o = suite.optimizers[0];
  const auto& p = suite.problems[0];
  l2o::harness::TrainingCache cache(dir.path(), suite, float32, false);
  const auto& trained = cache.get(o, p);
  const Json validation = trained.record["validation"];
  BOOST_REQUIRE(validation.size() >= 2u);
  BOOST_TEST(validation.front()[0] == 0);  // before the first update
  BOOST_TEST(trained.record["best_validation"].get<double>() < validation.front()[1].get<double>());

  // The checkpoint reloads to identical rollouts.
  auto f = sample("quadratic", {{"dim", 10}}, 8);
  const Tensor trained_steps = trajectory(*trained.model, *f, 10);
  auto reloaded = learned::load_checkpoint_model(trained.checkpoint);
  reloaded->to(float32);
  BOOST_TEST(at::equal(trajectory(*reloaded, *f, 10), trained_steps));
  // Training changed the steps (the untrained module is gradient descent with a zero MLP).
  BOOST_TEST(!at::equal(trajectory(*scripted("mlp.pt"), *f, 1)[0], trained_steps[0]));

  // Written back as TorchScript, Python's torch.jit.load gives the same first step.
  const fs::path exported = dir / "trained.pt";
  learned::save_scripted_module(*reloaded, exported);
  Tensor x0 = f->initial_points(7);
  auto json_of = [](const Tensor& t) {
    const Tensor d = t.to(at::kDouble).contiguous();
    return Json{
        {"shape", d.sizes().vec()},
        {"data", std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel())}};
  };
  const Json case_json = {{"x", json_of(x0)},
                          {"grad", json_of(f->grad(x0))},
                          {"loss", json_of(f->loss(x0))},
                          {"expected", json_of(trained_steps[0])}};
  std::ofstream(dir / "case.json") << case_json.dump();
  const auto python = l2o::testing::run_command(
      "/usr/bin/python3 " + std::string(L2O_SOURCE_DIR) + "/tests/torchscript_first_step.py " +
      exported.string() + " " + (dir / "case.json").string());
  BOOST_TEST(python.exit_code == 0, python.output);
}

BOOST_AUTO_TEST_CASE(the_cache_key_covers_the_modules_content) {
  l2o::testing::TempDir dir;
  const fs::path copy = dir / "opt.pt";
  fs::copy_file(modules / "adam.pt", copy);
  const Json config = {{"module", copy.string()}};
  const Json before = l2o::harness::keyed_by_content(config);
  BOOST_TEST(before.contains("module_sha256"));
  fs::copy_file(modules / "mlp.pt", copy, fs::copy_options::overwrite_existing);
  BOOST_TEST(l2o::harness::keyed_by_content(config)["module_sha256"] != before["module_sha256"]);
}

BOOST_AUTO_TEST_CASE(a_broken_module_gets_one_clear_error_naming_file_and_method) {
  const std::string dir = modules.string() + "/";
  auto f = sample("rastrigin", {{"dim", 4}}, 2);
  auto run = [&](const std::string& file, const Json& options = Json::object()) {
    return error_of([&] { trajectory(*scripted(file, options), *f, 3); });
  };
  BOOST_TEST(run("missing.pt") ==
             dir + "missing.pt: no such TorchScript file (torchscript.module)");
  BOOST_TEST(run("not_a_module.pt")
                 .starts_with(dir + "not_a_module.pt: not a TorchScript module "
                                    "that this l2obench (LibTorch"));
  BOOST_TEST(run("future.pt").starts_with(dir + "future.pt: not a TorchScript module"));
  BOOST_TEST(run("no_step.pt")
                 .starts_with(dir + "no_step.pt: the module has no method step; "
                                    "expected step(x: Tensor, grad: Tensor"));
  BOOST_TEST(run("wrong_shape.pt") ==
             dir +
                 "wrong_shape.pt: step returned x [2, 1] Float at step 0; expected [2, 4] Float "
                 "(x's shape and dtype)");
  BOOST_TEST(run("nan_state.pt") == dir +
                                        "nan_state.pt: step produced a non-finite state[0] at "
                                        "step 0 from a finite x and gradient");
  BOOST_TEST(run("adam.pt", {{"learning_rate", 0.1}})
                 .starts_with(dir + "adam.pt: options.learning_rate: the module has no number or "
                                    "boolean attribute \"learning_rate\"; it has: "));
  BOOST_TEST(run("adam.pt", {{"lr", true}}) ==
             dir + "adam.pt: options.lr: the module's attribute is Double, got true");
  // Checked where the suite is read: no file named, options that are not numbers.
  BOOST_TEST(error_of([] {
               learned::find_learned("torchscript")->canonical(Json::object(), "s.json.opt[0]");
             }).starts_with("s.json.opt[0].module: expected the path of a TorchScript file"));
  BOOST_TEST(error_of([] {
               learned::find_learned("torchscript")
                   ->canonical({{"module", "a.pt"}, {"options", {{"lr", "fast"}}}}, "o");
             }) == "o.options.lr: expected a number or a boolean, got \"fast\"");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace torchscript_test
