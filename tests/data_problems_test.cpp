// The families on real data: the MLP (gradient against autograd, minibatch stream, test
// metrics, learning), logistic and ridge (f* against closed forms and long runs, the real sets'
// scaling), and `l2obench datasets`. Tests on a data set that is not installed are skipped.
#include <fstream>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/autograd.h>

#include "core/error.hpp"
#include "optimizers/registry.hpp"
#include "problems/data/catalog.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace data_problems_test {

namespace {

using l2o::Json;
using l2o::Tensor;
using l2o::problems::Objective;
using l2o::testing::max_relative_difference;

std::unique_ptr<Objective> sample(const std::string& family, const Json& config, std::int64_t count,
                                  std::uint64_t seed) {
  const auto& f = l2o::problems::find_family(family, "test");
  return f.sample(f.canonical(config, "test"), {count, seed, {c10::kCPU, at::kDouble}});
}

Json canonical(const std::string& family, const Json& config) {
  return l2o::problems::find_family(family, "test").canonical(config, "test");
}

template <class F>
void expect_error(const F& f, const std::string& part) {
  try {
    f();
    BOOST_ERROR("no InputError thrown");
  } catch (const l2o::InputError& e) {
    BOOST_TEST(std::string(e.what()).find(part) != std::string::npos, e.what());
  }
}

// A small MLP (5 hidden units) on MNIST, float64.
const Json small_mlp = {{"hidden", 5}, {"test_examples", 300}};

// Runs `steps` proximal-gradient steps x ← prox(x − ∇s(x)/L) and returns the last f.
Tensor proximal_gradient(const Objective& f, Tensor x, int steps) {
  const Tensor step = (1.0 / *f.lipschitz()).unsqueeze(1);
  for (int k = 0; k < steps; ++k) {
    Tensor y = x - step * f.smooth_grad(x);
    x = y.sign() * (y.abs() - step * f.l1_weight()).clamp_min(0);
  }
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_problems)

BOOST_AUTO_TEST_CASE(mlp_config_fills_in_and_checks_the_weight_count) {
  BOOST_TEST(canonical("mlp", Json::object())["dim"] == 784 * 20 + 20 + 20 * 10 + 10);
  BOOST_TEST(canonical("mlp", {{"hidden", 5}})["dim"] == 784 * 5 + 5 + 5 * 10 + 10);
  expect_error([] { canonical("mlp", {{"dim", 100}}); }, "has 15910 weights, not 100");
  expect_error([] { canonical("mlp", {{"dataset", "cifar"}}); }, "mnist, fashion-mnist");
  expect_error([] { canonical("mlp", {{"test_examples", 5000}}); }, "holds out 2000 rows");
}

BOOST_AUTO_TEST_CASE(mlp_gradient_matches_autograd_of_its_loss) {
  if (!l2o::testing::dataset_installed("mnist")) return;
  auto f = sample("mlp", small_mlp, 3, 5);
  Tensor x = 0.3 * l2o::RandomStream(2).normal({3, f->dim()});
  for (int step = 0; step < 2; ++step) {
    BOOST_TEST_CONTEXT("minibatch " << step) {
      Tensor xv = x.clone().requires_grad_(true);
      Tensor weights = at::arange(1, 4, at::kDouble);
      Tensor expected = torch::autograd::grad({(f->loss(xv) * weights).sum()}, {xv})[0];
      // grad() uses the same minibatch as loss() did, then moves on.
      BOOST_TEST(max_relative_difference(f->grad(x) * weights.unsqueeze(1), expected) < 1e-10);
    }
  }
}

BOOST_AUTO_TEST_CASE(mlp_minibatches_follow_a_seeded_stream_that_rewinds) {
  if (!l2o::testing::dataset_installed("mnist")) return;
  auto f = sample("mlp", small_mlp, 4, 9), same = sample("mlp", small_mlp, 4, 9),
       other = sample("mlp", small_mlp, 4, 10);
  Tensor x = f->initial_points(3);
  BOOST_TEST(at::equal(x, same->initial_points(3)));
  BOOST_TEST(x.abs().max().item<double>() < 0.1);  // N(0, 0.01²) weights
  Tensor first = f->loss(x);
  BOOST_TEST(at::equal(first, f->loss(x)));  // loss() alone does not advance
  BOOST_TEST(!at::equal(first, other->loss(x)));
  f->grad(x);
  Tensor second = f->loss(x);
  BOOST_TEST(!at::equal(first, second));
  same->grad(x);
  BOOST_TEST(at::equal(second, same->loss(x)));
  f->rewind();
  BOOST_TEST(at::equal(first, f->loss(x)));
}

BOOST_AUTO_TEST_CASE(mlp_test_metrics_match_a_network_by_network_computation) {
  if (!l2o::testing::dataset_installed("mnist")) return;
  auto f = sample("mlp", small_mlp, 3, 1);
  Tensor x = 0.5 * l2o::RandomStream(4).normal({3, f->dim()});
  auto metrics = f->evaluation_metrics(x);
  BOOST_REQUIRE(metrics.size() == 2);
  BOOST_TEST(metrics[0].first == "test_loss");
  BOOST_TEST(metrics[1].first == "test_accuracy");
  const auto& parts = l2o::problems::data::load_train_test("mnist");
  Tensor X = parts.test.features.slice(0, 0, 300);
  Tensor y = parts.test.labels.slice(0, 0, 300).to(at::kLong);
  for (std::int64_t i = 0; i < 3; ++i) {
    Tensor w = x[i];
    Tensor W1 = w.slice(0, 0, 784 * 5).view({784, 5}), b1 = w.slice(0, 3920, 3925);
    Tensor W2 = w.slice(0, 3925, 3975).view({5, 10}), b2 = w.slice(0, 3975, 3985);
    Tensor logits = at::sigmoid(X.mm(W1) + b1).mm(W2) + b2;
    Tensor loss = at::nll_loss(at::log_softmax(logits, 1), y);
    Tensor accuracy = (logits.argmax(1) == y).to(at::kDouble).mean();
    BOOST_TEST(max_relative_difference(metrics[0].second[i], loss) < 1e-12);
    BOOST_TEST(metrics[1].second[i].item<double>() == accuracy.item<double>());
  }
}

BOOST_AUTO_TEST_CASE(adam_trains_the_mnist_mlp_to_high_test_accuracy) {
  if (!l2o::testing::dataset_installed("mnist")) return;
  c10::InferenceMode no_autograd;
  auto f = sample("mlp", Json::object(), 2, 3);
  auto rollout = l2o::optimizers::find_optimizer("adam", "test")
                     .make({{"lr", 0.03}})
                     ->start(*f, f->initial_points(1));
  Tensor x;
  for (int k = 0; k < 150; ++k) x = rollout->step();
  const Tensor accuracy = f->evaluation_metrics(x)[1].second;
  BOOST_TEST((accuracy > 0.85).all().item<bool>(), "test accuracy " << accuracy);
}

BOOST_AUTO_TEST_CASE(ridge_minimum_is_the_closed_form) {
  auto f = sample("ridge", {{"dataset", "synthetic"}, {"rows", 30}, {"dim", 8}}, 5, 2);
  auto p = f->parameters();
  Tensor A = p[0].second, b = p[1].second;
  Tensor H = at::bmm(A.transpose(1, 2), A) + 0.1 * at::eye(8, at::kDouble);
  Tensor x = at::linalg_solve(H, at::bmm(A.transpose(1, 2), b.unsqueeze(2))).squeeze(2);
  BOOST_TEST(max_relative_difference(*f->reference_minimum(), f->loss(x)) < 1e-12);
  BOOST_TEST(f->grad(x).abs().max().item<double>() < 1e-10);
  Tensor elsewhere = x + 1e-3 * l2o::RandomStream(1).normal({5, 8});
  BOOST_TEST((f->loss(elsewhere) > *f->reference_minimum()).all().item<bool>());
}

BOOST_AUTO_TEST_CASE(logistic_minimum_is_where_gradient_descent_converges) {
  for (const Json& config :
       {Json{{"rows", 50}, {"dim", 10}}, Json{{"regularizer", "l1"}, {"rows", 100}, {"dim", 20}}}) {
    BOOST_TEST_CONTEXT(config.dump()) {
      auto f = sample("logistic", config, 4, 6);
      const Tensor f_star = *f->reference_minimum();
      Tensor x = proximal_gradient(*f, f->initial_points(2), 20'000);
      // f* is a lower bound that (proximal) gradient descent reaches.
      BOOST_TEST((f->loss(x) - f_star).abs().max().item<double>() < 1e-12);
      if (f->l1_weight() == 0) BOOST_TEST(f->grad(x).norm(2, {1}).max().item<double>() < 1e-9);
    }
  }
}

BOOST_AUTO_TEST_CASE(logistic_regularizer_defaults_follow_the_papers) {
  BOOST_TEST(canonical("logistic", Json::object())["lambda"] == 1.0 / 50);  // LOA: 1/m
  BOOST_TEST(canonical("logistic", {{"regularizer", "l1"}})["lambda"] == 0.1);
  BOOST_TEST(canonical("logistic", {{"lambda", 0.3}})["lambda"] == 0.3);
  expect_error(
      [] {
        canonical("logistic", {{"dataset", "iris"}});
      },
      "synthetic, breast_cancer, heart_scale");
  expect_error(
      [] {
        canonical("logistic", {{"dataset", "heart_scale"}, {"dim", 10}});
      },
      "heart_scale has 13 features, not 10");
  expect_error(
      [] {
        canonical("ridge", {{"dataset", "diabetes"}, {"rows", 100}});
      },
      "diabetes has 442 rows, not 100");
}

BOOST_AUTO_TEST_CASE(real_logistic_sets_are_one_data_set_with_many_starts) {
  for (const char* name : {"heart_scale", "breast_cancer"}) {
    BOOST_TEST_CONTEXT(name) {
      if (!l2o::testing::dataset_installed(name)) continue;
      auto f = sample("logistic", {{"dataset", name}}, 3, 1);
      const Tensor f_star = *f->reference_minimum();
      BOOST_TEST((f_star == f_star[0]).all().item<bool>());
      Tensor A = f->parameters()[0].second;
      BOOST_TEST(at::equal(A[0], A[2]));
      if (std::string(name) == "breast_cancer") {  // standardised columns
        BOOST_TEST(A[0].mean(0).abs().max().item<double>() < 1e-12);
        BOOST_TEST((A[0].std(0, false) - 1).abs().max().item<double>() < 1e-12);
      }
      Tensor x = proximal_gradient(*f, f->initial_points(4), 20'000);
      BOOST_TEST((f->loss(x) - f_star).abs().max().item<double>() < 1e-10);
    }
  }
}

BOOST_AUTO_TEST_CASE(ridge_on_diabetes_uses_scikit_learns_scaling) {
  if (!l2o::testing::dataset_installed("diabetes")) return;
  auto f = sample("ridge", Json::object(), 2, 1);
  BOOST_TEST(f->dim() == 10);
  Tensor A = f->parameters()[0].second[0];
  // load_diabetes(scaled=True).data[0], as scikit-learn documents it.
  Tensor first = at::tensor({0.03807591, 0.05068012, 0.06169621, 0.02187239, -0.0442235,
                             -0.03482076, -0.04340085, -0.00259226, 0.01990749, -0.01764613},
                            at::kDouble);
  BOOST_TEST((A[0] - first).abs().max().item<double>() < 5e-9);
  BOOST_TEST((A.norm(2, {0}) - 1).abs().max().item<double>() < 1e-12);
  BOOST_TEST(f->parameters()[1].second.mean().abs().item<double>() < 1e-9);  // centred target
}

BOOST_AUTO_TEST_CASE(the_authors_logistic_is_a_sum_whose_regulariser_is_m_times_weaker) {
  // Σ log(1 + e^{−bᵢaᵢᵀx}) + (1/m)/2‖x‖² = m·[mean + (1/m²)/2‖x‖²]: the same data, f and ∇f scale.
  const std::int64_t m = 40;
  const Json sum = {{"data_term", "sum"}, {"rows", m}, {"generator", "authors"}};
  auto f = sample("logistic", sum, 4, 3);
  BOOST_TEST(canonical("logistic", sum)["lambda"] == 1.0 / double(m));
  auto mean =
      l2o::problems::find_family("logistic", "test")
          .from_parameters(
              canonical("logistic",
                        {{"rows", m}, {"generator", "authors"}, {"lambda", 1.0 / double(m * m)}}),
              f->parameters(), {c10::kCPU, at::kDouble});
  const Tensor x = l2o::RandomStream(2).normal({4, 10});
  BOOST_TEST(max_relative_difference(f->loss(x), double(m) * mean->loss(x)) < 1e-13);
  BOOST_TEST(max_relative_difference(f->grad(x), double(m) * mean->grad(x)) < 1e-13);
  BOOST_TEST(max_relative_difference(*f->reference_minimum(),
                                     double(m) * *mean->reference_minimum()) < 1e-12);
  // The generator: the first m/2 labels +1, the rest −1, and an intercept column of ones.
  const Tensor A = f->parameters()[0].second, b = f->parameters()[1].second;
  BOOST_TEST((b.narrow(1, 0, m / 2) == 1).all().item<bool>());
  BOOST_TEST((b.narrow(1, m / 2, m / 2) == -1).all().item<bool>());
  BOOST_TEST((A.select(2, 0) == 1).all().item<bool>());
}

BOOST_AUTO_TEST_CASE(ridge_on_diabetes_keeps_the_raw_target_when_asked) {
  if (!l2o::testing::dataset_installed("diabetes")) return;
  auto centred = sample("ridge", Json::object(), 2, 1);
  auto raw = sample("ridge", {{"target", "raw"}}, 2, 1);
  const Tensor b = raw->parameters()[1].second;
  BOOST_TEST(std::abs(b.mean().item<double>() - 152.133) < 1e-3);  // diabetes' mean target
  BOOST_TEST(at::equal(raw->parameters()[0].second, centred->parameters()[0].second));
  BOOST_TEST(max_relative_difference(b - b.mean(), centred->parameters()[1].second) < 1e-12);
  expect_error([] { canonical("ridge", {{"target", "mean"}}); }, "centred, raw");
}

BOOST_AUTO_TEST_CASE(libsvm_files_are_read_as_the_user_names_them) {
  l2o::testing::TempDir dir;
  // mushrooms' convention: labels 1 and 2, sparse features with 1-based indices.
  {
    std::ofstream out(dir / "tiny");
    out << "1 1:0.5 3:1\n2 2:1\n1 1:1 2:-1 3:0.25\n2 3:2 # a comment\n2 1:-0.5\n";
  }
  const std::string name = "libsvm:" + (dir / "tiny").string();
  const Json config = canonical("logistic", {{"dataset", name}, {"data_term", "sum"}});
  BOOST_TEST(config["dim"] == 3);
  BOOST_TEST(config["rows"] == 5);
  auto f = sample("logistic", {{"dataset", name}}, 2, 1);
  const Tensor A = f->parameters()[0].second, b = f->parameters()[1].second;
  const Tensor expected_A =
      at::tensor({0.5, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, -1.0, 0.25, 0.0, 0.0, 2.0, -0.5, 0.0, 0.0},
                 at::kDouble)
          .view({5, 3});
  BOOST_TEST(at::equal(A[1], expected_A));
  // Label 1 is the positive class (as LOA's code maps mushrooms' 2 to −1).
  BOOST_TEST(at::equal(b[0], at::tensor({1.0, -1.0, 1.0, -1.0, -1.0}, at::kDouble)));
  BOOST_TEST(std::isfinite(f->reference_minimum()->max().item<double>()));
  // The same file as a ridge regression, raw target: b is the labels as written.
  auto ridge = sample("ridge", {{"dataset", name}, {"target", "raw"}}, 1, 1);
  BOOST_TEST(at::equal(ridge->parameters()[1].second[0],
                       at::tensor({1.0, 2.0, 1.0, 2.0, 2.0}, at::kDouble)));

  {
    std::ofstream out(dir / "three");
    out << "1 1:1\n2 1:2\n3 1:3\n";
  }
  expect_error(
      [&] {
        sample("logistic", {{"dataset", "libsvm:" + (dir / "three").string()}}, 1, 1);
      },
      "exactly two labels, one of them 1");
  expect_error(
      [&] {
        canonical("logistic", {{"dataset", "libsvm:" + (dir / "nosuch").string()}});
      },
      "nosuch does not exist");
  expect_error(
      [&] {
        canonical("logistic", {{"dataset", name}, {"dim", 4}});
      },
      "has 3 features, not 4");
  expect_error([] { canonical("ridge", {{"dataset", "libsvm:"}}); }, "libsvm:PATH");
  {
    std::ofstream out(dir / "broken");
    out << "1 1:1\n2 2:x\n";
  }
  expect_error(
      [&] {
        canonical("logistic", {{"dataset", "libsvm:" + (dir / "broken").string()}});
      },
      "broken:2");
}

BOOST_AUTO_TEST_CASE(datasets_command_says_what_is_missing_and_how_to_install_it) {
  l2o::testing::TempDir empty;
  const std::string binary = L2OBENCH_BINARY;
  auto r = l2o::testing::run_command("L2OBENCH_DATA=" + empty.path().string() + " " + binary +
                                     " datasets");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.output.find("data folder: " + empty.path().string()) != std::string::npos, r.output);
  for (const char* name : {"mnist", "fashion-mnist", "breast_cancer", "diabetes", "heart_scale"})
    BOOST_TEST(r.output.find(name) != std::string::npos, name);
  BOOST_TEST(r.output.find("5 of 5 data sets missing") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("run scripts/setup (npm install") != std::string::npos, r.output);

  // A family on a missing data set stops before any cell, in one line, with exit status 2.
  std::ofstream(empty / "suite.json")
      << R"({"name": "x", "problems": [{"family": "ridge"}], "optimizers": [{"name": "gd"}]})";
  r = l2o::testing::run_command("L2OBENCH_DATA=" + empty.path().string() + " " + binary + " run " +
                                (empty / "suite.json").string() + " --out " +
                                (empty / "out").string() + " --quiet");
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.starts_with("l2obench: error: data set \"diabetes\" is not installed"),
             r.output);
  BOOST_TEST(r.output.find("run scripts/setup") != std::string::npos, r.output);

  if (!l2o::testing::dataset_installed("heart_scale")) return;
  r = l2o::testing::run_command(binary + " datasets --verify");
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("heart_scale    verified      270 x 13, 2 classes") != std::string::npos,
             r.output);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace data_problems_test
