// Problem families: fused kernels against autograd of the plain formula, sampling, f*, Lipschitz.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/autograd.h>

#include "core/error.hpp"
#include "optimizers/registry.hpp"
#include "problems/kernel_objective.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace problems_test {

namespace {

using l2o::Json;
using l2o::Tensor;
using l2o::problems::KernelObjective;
using l2o::problems::Objective;

struct Case {
  std::string family;
  Json config;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"lasso", {{"dim", 10}}},
      {"lasso", {{"dim", 50}}},
      {"rastrigin", {{"dim", 2}}},
      {"rastrigin", {{"dim", 10}}},
      {"ackley", {{"dim", 2}}},
      {"ackley", {{"dim", 10}}},
      {"quadratic", {{"dim", 10}}},
      {"quadratic", {{"dim", 10}, {"kind", "conditioned"}, {"condition", 50}}},
      {"logistic", {{"dataset", "synthetic"}}},
      {"logistic", {{"regularizer", "l1"}, {"rows", 100}, {"dim", 20}}},
      {"logistic", {{"data_term", "sum"}, {"generator", "authors"}}},  // LOA's code
      {"ridge", {{"dataset", "synthetic"}}},
  };
  return all;
}

std::unique_ptr<Objective> sample(const Case& c, std::int64_t count, std::uint64_t seed,
                                  c10::ScalarType dtype = at::kDouble) {
  const auto& family = l2o::problems::find_family(c.family, "test");
  return family.sample(family.canonical(c.config, "test"), {count, seed, {c10::kCPU, dtype}});
}

Tensor autograd_gradient(const KernelObjective& f, const Tensor& x, bool smooth_only) {
  Tensor xv = x.detach().clone().requires_grad_(true);
  Tensor loss = f.plain_loss(xv, smooth_only).sum();
  return torch::autograd::grad({loss}, {xv})[0];
}

std::string name(const Case& c) {
  return c.family + " " + c.config.dump();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(problems)

BOOST_AUTO_TEST_CASE(kernels_match_autograd_of_the_plain_formula) {
  for (const Case& c : cases()) {
    BOOST_TEST_CONTEXT(name(c)) {
      auto f = sample(c, 16, 11);
      const auto& kf = dynamic_cast<const KernelObjective&>(*f);
      Tensor x = l2o::RandomStream(5).normal({16, f->dim()});
      for (bool smooth : {false, true}) {
        Tensor loss, grad;
        kf.kernel(x, loss, &grad, smooth);
        BOOST_TEST(l2o::testing::max_relative_difference(loss, kf.plain_loss(x, smooth)) < 1e-12);
        BOOST_TEST(l2o::testing::max_relative_difference(grad, autograd_gradient(kf, x, smooth)) <
                   1e-10);
        BOOST_TEST(l2o::testing::max_relative_difference(kf.plain_grad(x, smooth),
                                                         autograd_gradient(kf, x, smooth)) < 1e-10);
      }
      // The public entry points go through the kernel.
      BOOST_TEST(l2o::testing::max_relative_difference(f->grad(x),
                                                       autograd_gradient(kf, x, false)) < 1e-10);
    }
  }
}

BOOST_AUTO_TEST_CASE(loss_is_differentiable_through_the_kernel) {
  for (const Case& c : cases()) {
    BOOST_TEST_CONTEXT(name(c)) {
      auto f = sample(c, 8, 3);
      Tensor x = l2o::RandomStream(9).normal({8, f->dim()}).requires_grad_(true);
      Tensor weights = at::arange(1, 9, at::kDouble);
      Tensor g = torch::autograd::grad({(f->loss(x) * weights).sum()}, {x})[0];
      BOOST_TEST(l2o::testing::max_relative_difference(
                     g, f->grad(x.detach()) * weights.unsqueeze(1)) < 1e-12);
    }
  }
}

BOOST_AUTO_TEST_CASE(float32_kernels_agree_with_float64) {
  for (const Case& c : cases()) {
    BOOST_TEST_CONTEXT(name(c)) {
      auto f64 = sample(c, 8, 21, at::kDouble);
      auto f32 = sample(c, 8, 21, at::kFloat);
      Tensor x = l2o::RandomStream(2).normal({8, f64->dim()});
      BOOST_TEST(l2o::testing::max_relative_difference(f32->loss(x.to(at::kFloat)), f64->loss(x)) <
                 1e-4);
      BOOST_TEST(l2o::testing::max_relative_difference(f32->grad(x.to(at::kFloat)), f64->grad(x)) <
                 1e-3);
    }
  }
}

BOOST_AUTO_TEST_CASE(sampling_is_deterministic_per_seed) {
  for (const Case& c : cases()) {
    BOOST_TEST_CONTEXT(name(c)) {
      auto a = sample(c, 4, 100), b = sample(c, 4, 100), other = sample(c, 4, 101);
      BOOST_TEST(at::equal(a->features(), b->features()));
      BOOST_TEST(!at::equal(a->features(), other->features()));
      BOOST_TEST(at::equal(a->initial_points(7), b->initial_points(7)));
    }
  }
}

BOOST_AUTO_TEST_CASE(lipschitz_constants_bound_the_gradient_change) {
  for (const Case& c : cases()) {
    auto f = sample(c, 16, 8);
    auto L = f->lipschitz();
    if (!L) continue;
    BOOST_TEST_CONTEXT(name(c)) {
      for (int trial = 0; trial < 5; ++trial) {
        l2o::RandomStream rs(trial);
        Tensor x = rs.normal({16, f->dim()}), y = rs.normal({16, f->dim()});
        Tensor change = (f->smooth_grad(x) - f->smooth_grad(y)).norm(2, {1});
        Tensor bound = *L * (x - y).norm(2, {1});
        BOOST_TEST((change <= bound * (1 + 1e-9)).all().item<bool>());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(lasso_reference_minimum_is_reached_and_not_beaten) {
  auto f = sample({"lasso", {{"dim", 50}}}, 8, 4);
  Tensor f_star = *f->reference_minimum();
  // A long run of the batched FISTA with restart (an independent implementation) gets close to
  // f* from above and never below it.
  c10::InferenceMode guard;
  const auto& fista = l2o::optimizers::find_optimizer("fista", "test");
  auto rollout = fista.make(fista.canonical({{"restart", true}}, "test"))
                     ->start(*f, at::zeros({8, 50}, at::kDouble));
  Tensor x;
  for (int k = 0; k < 5000; ++k) x = rollout->step();
  Tensor gap = f->loss(x) - f_star;
  BOOST_TEST((gap >= -1e-12).all().item<bool>());
  BOOST_TEST(gap.max().item<double>() < 1e-9);
  Tensor random_points = l2o::RandomStream(1).normal({8, 50}) * 0.1;
  BOOST_TEST((f->loss(random_points) > f_star).all().item<bool>());
}

BOOST_AUTO_TEST_CASE(quadratic_minimum_and_spectrum_are_as_specified) {
  auto f = sample({"quadratic", {{"dim", 12}, {"kind", "conditioned"}, {"condition", 1000}}}, 6, 1);
  Tensor Q = f->parameters()[0].second, b = f->parameters()[1].second;
  Tensor eigenvalues = std::get<0>(at::linalg_eigh(Q));
  BOOST_TEST(l2o::testing::max_relative_difference(eigenvalues.select(1, 0),
                                                   at::ones({6}, at::kDouble)) < 1e-9);
  BOOST_TEST(l2o::testing::max_relative_difference(eigenvalues.select(1, -1),
                                                   at::full({6}, 1000.0, at::kDouble)) < 1e-9);
  // f* = −½ bᵀQ⁻¹b, computed here through a Cholesky factorisation.
  Tensor solution = at::cholesky_solve(b.unsqueeze(2), at::linalg_cholesky(Q)).squeeze(2);
  Tensor expected = -0.5 * (b * solution).sum(1);
  BOOST_TEST(l2o::testing::max_relative_difference(*f->reference_minimum(), expected) < 1e-9);
  BOOST_TEST(f->grad(solution).abs().max().item<double>() < 1e-9);

  auto ls = sample({"quadratic", {{"dim", 10}}}, 6, 1);
  BOOST_TEST(ls->reference_minimum()->abs().max().item<double>() <
             1e-12);  // W is square and invertible
}

// Values at hand-picked points, independent of both the kernel and the plain formula.
BOOST_AUTO_TEST_CASE(formulas_have_their_closed_form_values) {
  auto make = [](const std::string& family, const Json& config, l2o::problems::NamedTensors p) {
    const auto& f = l2o::problems::find_family(family, "t");
    return f.from_parameters(f.canonical(config, "t"), p, {c10::kCPU, at::kDouble});
  };
  auto value = [](const Objective& f, std::vector<double> x) {
    return f.loss(at::tensor(x, at::kDouble).reshape({1, -1})).item<double>();
  };
  auto t = [](std::vector<double> v, std::vector<std::int64_t> shape) {
    return at::tensor(v, at::kDouble).reshape(shape);
  };
  // LASSO, A = [[1, 2], [0, 1]], b = [1, 1], λ = 0.5, x = [1, −1]: Ax − b = [−2, −2].
  auto lasso = make("lasso", {{"dim", 2}, {"rows", 2}, {"lambda", 0.5}},
                    {{"A", t({1, 2, 0, 1}, {1, 2, 2})}, {"b", t({1, 1}, {1, 2})}});
  BOOST_TEST(value(*lasso, {1, -1}) == 0.5 * 8 + 0.5 * 2, boost::test_tools::tolerance(1e-15));
  // Rastrigin at x = 0: ½‖b‖² − αΣc + αn.
  auto rastrigin = make(
      "rastrigin", {{"dim", 2}, {"alpha", 10.0}},
      {{"A", t({3, 1, 4, 1}, {1, 2, 2})}, {"b", t({1, 2}, {1, 2})}, {"c", t({0.5, -1}, {1, 2})}});
  BOOST_TEST(value(*rastrigin, {0, 0}) == 2.5 + 5.0 + 20.0, boost::test_tools::tolerance(1e-15));
  // ... and at x = [0.5, 0.25]: cos(π) = −1, cos(π/2) = 0; Ax − b = [0.75, 0.25].
  BOOST_TEST(value(*rastrigin, {0.5, 0.25}) == 0.5 * (0.5625 + 0.0625) + 5.0 + 20.0,
             boost::test_tools::tolerance(1e-12));
  // Ackley with A = I, b = 0, c = 1 at x = 0 is 0 (its global minimum); at x = [3, 4] the norm
  // is 5 and cos(2πx) = 1.
  auto ackley =
      make("ackley", {{"dim", 2}},
           {{"A", t({1, 0, 0, 1}, {1, 2, 2})}, {"b", t({0, 0}, {1, 2})}, {"c", t({1, 1}, {1, 2})}});
  BOOST_TEST(std::abs(value(*ackley, {0, 0})) < 1e-14);
  BOOST_TEST(value(*ackley, {3, 4}) == 20.0 - 20.0 * std::exp(-1.0),
             boost::test_tools::tolerance(1e-12));
  // ‖Wx − y‖² and ½xᵀQx − bᵀx.
  auto ls = make("quadratic", {{"dim", 2}},
                 {{"W", t({2, 0, 1, 1}, {1, 2, 2})}, {"y", t({1, 1}, {1, 2})}});
  BOOST_TEST(value(*ls, {1, 2}) == 1.0 + 4.0, boost::test_tools::tolerance(1e-15));
  auto q = make("quadratic", {{"dim", 2}, {"kind", "conditioned"}},
                {{"Q", t({2, 1, 1, 3}, {1, 2, 2})}, {"b", t({1, -1}, {1, 2})}});
  BOOST_TEST(value(*q, {1, 1}) == 0.5 * 7.0 - 0.0, boost::test_tools::tolerance(1e-15));
  BOOST_CHECK_EXCEPTION(
      make("quadratic", {{"dim", 2}, {"kind", "conditioned"}},
           {{"Q", t({2, 1, 0, 3}, {1, 2, 2})}, {"b", t({1, -1}, {1, 2})}}),
      l2o::InputError, [](const l2o::InputError& e) {
        return std::string(e.what()).starts_with("instance parameter \"Q\": not symmetric");
      });
}

BOOST_AUTO_TEST_CASE(imported_parameters_are_checked) {
  const auto& lasso = l2o::problems::find_family("lasso", "test");
  Json config = lasso.canonical({{"dim", 10}}, "test");
  l2o::problems::NamedTensors wrong{{"A", at::zeros({2, 5, 9}, at::kDouble)},
                                    {"b", at::zeros({2, 5}, at::kDouble)}};
  BOOST_CHECK_EXCEPTION(
      lasso.from_parameters(config, wrong, {}), l2o::InputError, [](const l2o::InputError& e) {
        return std::string(e.what()) ==
               "instance parameter \"A\": expected shape [2, 5, 10], got [2, 5, 9]";
      });
  l2o::problems::NamedTensors missing{{"A", at::zeros({2, 5, 10}, at::kDouble)}};
  BOOST_CHECK_THROW(lasso.from_parameters(config, missing, {}), l2o::InputError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace problems_test
