// Diff-L2O: the noise schedule's marginals, training of every guidance and oracle variant,
// checkpoints, the element-wise variant across dimensions, and the hybrid's switch.
#include <cmath>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>

#include "core/error.hpp"
#include "harness/suite.hpp"
#include "harness/training_cache.hpp"
#include "learned/checkpoint.hpp"
#include "learned/diffusion.hpp"
#include "learned/preprocessing.hpp"
#include "learned/registry.hpp"
#include "optimizers/registry.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace diffusion_test {

namespace {

using l2o::Json;
using l2o::Tensor;
namespace learned = l2o::learned;

const l2o::Placement cpu{c10::kCPU, at::kFloat};

// A small, fast Diff-L2O: 10 reverse steps, a narrow network, a short solver.
Json small(Json overrides = Json::object()) {
  Json c = {{"diffusion_steps", 10}, {"beta_end", 0.2},    {"width", 32},
            {"solver_steps", 100},   {"oracle_width", 32}, {"oracle_pretrain", 20}};
  c.update(overrides);
  return c;
}

std::unique_ptr<learned::LearnedOptimizer> make(const std::string& name, const Json& config,
                                                std::uint64_t seed = 1) {
  const auto* entry = learned::find_learned(name);
  return entry->make(entry->canonical(config, "test"), seed);
}

learned::TrainingProblem problem(const std::string& family, Json config) {
  const auto& f = l2o::problems::find_family(family, "test");
  return {&f, f.canonical(config, "test"), 11, 12, 13};
}

std::unique_ptr<l2o::problems::Objective> sample(const learned::TrainingProblem& p,
                                                 std::int64_t count, std::uint64_t seed) {
  return p.family->sample(p.config, {count, seed, cpu});
}

learned::TrainConfig short_training(std::int64_t epochs) {
  learned::TrainConfig c;
  c.epochs = epochs;
  c.batch = 32;
  c.lr = 3e-3;
  c.validate_every = epochs;
  c.validation_instances = 64;
  return c;
}

// The denoiser's input at reverse step 5 of a model of `name` for x on f (gradient guidance).
Tensor denoiser_input_of(const std::string& name, const Json& config,
                         const l2o::problems::Objective& f, const Tensor& x) {
  auto m = make(name, small(config));
  m->shape_for(f);
  return dynamic_cast<learned::DiffusionOptimizer&>(*m).denoiser_input(x, {f, Tensor()}, 5);
}

std::vector<Tensor> iterates(const l2o::optimizers::Optimizer& m, const l2o::problems::Objective& f,
                             const Tensor& x0, int steps) {
  c10::InferenceMode guard;
  auto r = m.start(f, x0);
  std::vector<Tensor> out;
  for (int k = 0; k < steps; ++k) out.push_back(r->step().clone());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(diffusion)

BOOST_AUTO_TEST_CASE(the_schedule_is_linear_and_its_marginals_match_algorithm_1) {
  const learned::NoiseSchedule s(100, 1e-5, 2e-2);
  BOOST_TEST(s.beta(1) == 1e-5, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(s.beta(100) == 2e-2, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(s.alpha_bar(0) == 1.0);
  double product = 1;
  for (int t = 1; t <= 100; ++t) product *= 1 - s.beta(t);
  BOOST_TEST(s.alpha_bar(100) == product, boost::test_tools::tolerance(1e-12));

  // 200,000 draws of x̃_t around a fixed x̃_0: mean √ᾱ_t x̃_0, variance 1 − ᾱ_t.
  const std::int64_t N = 200000;
  Tensor x0 = at::tensor({1.5, -2.0, 0.0}, at::kDouble).expand({N, 3}).contiguous();
  l2o::RandomStream noise(5);
  const auto trajectory = s.forward_trajectory(x0, noise);
  BOOST_REQUIRE(trajectory.size() == 101u);
  BOOST_TEST(at::equal(trajectory[0], x0));
  for (int t : {1, 10, 50, 100}) {
    BOOST_TEST_CONTEXT("t = " << t) {
      Tensor mean = trajectory[t].mean(0), variance = trajectory[t].var(0);
      const double sd = std::sqrt(1 - s.alpha_bar(t));
      for (int i = 0; i < 3; ++i) {
        const double expected = std::sqrt(s.alpha_bar(t)) * x0[0][i].item<double>();
        // 5 standard errors of the mean and of the variance (√(2/N)·σ²).
        BOOST_TEST(std::abs(mean[i].item<double>() - expected) < 5 * sd / std::sqrt(double(N)));
        BOOST_TEST(std::abs(variance[i].item<double>() - sd * sd) <
                   5 * std::sqrt(2.0 / double(N)) * sd * sd);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_reverse_step_is_ddpms_mean_and_posterior_noise) {
  // DDPM's formula term by term; the posterior noise vanishes at the last step.
  const learned::NoiseSchedule s(10, 1e-3, 0.1);
  Tensor x = at::tensor({2.0, -1.0}, at::kDouble).unsqueeze(0);
  Tensor eps = at::tensor({0.5, 0.25}, at::kDouble).unsqueeze(0);
  const int t = 7;
  Tensor expected =
      (x - s.beta(t) / std::sqrt(1 - s.alpha_bar(t)) * eps) / std::sqrt(1 - s.beta(t));
  BOOST_TEST(at::allclose(s.reverse_mean(x, eps, t), expected, 0, 1e-15));
  BOOST_TEST(s.reverse_std(1) == 0.0);
  BOOST_TEST(
      s.reverse_std(t) == std::sqrt(s.beta(t) * (1 - s.alpha_bar(t - 1)) / (1 - s.alpha_bar(t))),
      boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(each_parameterization_maps_the_network_output_to_the_next_iterate) {
  // step: x_t + out; direct: out itself (Algorithm 2); epsilon: DDPM's mean. Each plus σ_t z.
  const auto lasso = problem("lasso", {{"rows", 5}, {"dim", 10}});
  auto f = sample(lasso, 4, 5);
  const Tensor x = f->initial_points(6), out = f->initial_points(7), z = f->initial_points(8);
  const std::int64_t t = 6;
  for (const char* parameterization : {"step", "direct", "epsilon"}) {
    BOOST_TEST_CONTEXT(parameterization) {
      auto m = make("diff-l2o", small({{"parameterization", parameterization}}));
      m->shape_for(*f);
      const auto& d = dynamic_cast<const learned::DiffusionOptimizer&>(*m);
      const Tensor mean = std::string(parameterization) == "step" ? x + out
                          : std::string(parameterization) == "direct"
                              ? out
                              : d.schedule().reverse_mean(x, out, t);
      BOOST_TEST(at::allclose(d.reverse_step_from(x, out, t, z),
                              mean + d.schedule().reverse_std(t) * z, 0, 1e-6));
      BOOST_TEST(at::equal(d.reverse_step_from(x, out, t, Tensor()), mean));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_chain_started_solver_starts_where_the_reverse_chain_does) {
  const auto lasso = problem("lasso", {{"rows", 5}, {"dim", 10}});
  auto f = sample(lasso, 8, 5);
  const Tensor chain = f->initial_points(9);
  auto independent = make("diff-l2o", small());
  auto chained = make("diff-l2o", small({{"solver_start", "chain"}}));
  independent->shape_for(*f);
  chained->shape_for(*f);
  const auto& a = dynamic_cast<const learned::DiffusionOptimizer&>(*independent);
  const auto& b = dynamic_cast<const learned::DiffusionOptimizer&>(*chained);
  // Its own draws: the start depends on the seed; from the chain: on the chain's start only.
  BOOST_TEST(!at::equal(a.trajectory_start(*f, Tensor(), 1, chain),
                        a.trajectory_start(*f, Tensor(), 2, chain)));
  const Tensor from_chain = b.trajectory_start(*f, Tensor(), 1, chain);
  BOOST_TEST(at::equal(from_chain, b.trajectory_start(*f, Tensor(), 2, chain)));
  // The solver ran from there: lower f than the start.
  BOOST_TEST((f->loss(from_chain) < f->loss(chain)).all().item<bool>());
}

BOOST_AUTO_TEST_CASE(every_guidance_and_oracle_variant_trains_and_lowers_its_loss) {
  const auto lasso = problem("lasso", {{"rows", 5}, {"dim", 10}});
  std::vector<Json> variants;
  for (const char* g : {"gradient", "global", "all"}) variants.push_back({{"guidance", g}});
  for (const char* o : {"solver", "noisy", "fixed", "partial", "perfect", "ours"})
    variants.push_back({{"oracle", o}});
  for (const Json& variant : variants) {
    BOOST_TEST_CONTEXT(variant.dump()) {
      auto m = make("diff-l2o", small(variant));
      auto result = m->train(lasso, short_training(30), cpu, {});
      BOOST_REQUIRE(result.validation.size() == 2u);
      BOOST_TEST(result.validation[1].second < 0.8 * result.validation[0].second);
      BOOST_TEST(result.meta_loss.size() == 30u);
      BOOST_TEST(result.skipped_segments == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_trained_model_round_trips_through_its_checkpoint) {
  l2o::testing::TempDir dir;
  const auto lasso = problem("lasso", {{"rows", 5}, {"dim", 10}});
  auto m = make("diff-l2o", small({{"oracle", "ours"}}), 3);
  auto result = m->train(lasso, short_training(5), cpu, {});
  learned::CheckpointKey key{"diff-l2o",   small(), Json::object(), "lasso",
                             lasso.config, 3,       "float32"};
  l2o::learned::save_checkpoint(dir / "m.json", *m, key, result, Json());

  auto f = sample(lasso, 16, 99);
  auto fresh = make("diff-l2o", small({{"oracle", "ours"}}), 4);  // other initial weights
  fresh->shape_for(*f);
  const Tensor x0 = f->initial_points(1);
  BOOST_TEST(!at::equal(iterates(*m, *f, x0, 10).back(), iterates(*fresh, *f, x0, 10).back()));
  learned::load_checkpoint(dir / "m.json", *fresh, key);
  const auto a = iterates(*m, *f, x0, 10), b = iterates(*fresh, *f, x0, 10);
  for (std::size_t k = 0; k < a.size(); ++k) BOOST_TEST(at::equal(a[k], b[k]));
}

BOOST_AUTO_TEST_CASE(a_rollout_is_T_reverse_steps_then_holds_its_sample) {
  const auto lasso = problem("lasso", {{"rows", 5}, {"dim", 10}});
  auto f = sample(lasso, 8, 5);
  auto m = make("diff-l2o", small());
  m->shape_for(*f);
  const auto x = iterates(*m, *f, f->initial_points(2), 13);
  BOOST_TEST(!at::equal(x[8], x[9]));  // step 10 is the last reverse step (t = 1)
  BOOST_TEST(at::equal(x[9], x[10]));
  BOOST_TEST(at::equal(x[9], x[12]));
  // Same weights, same x0: the sampling noise is a fixed stream, so rollouts repeat exactly.
  BOOST_TEST(at::equal(iterates(*m, *f, f->initial_points(2), 10).back(), x[9]));
}

BOOST_AUTO_TEST_CASE(a_joint_model_refuses_another_dimension_the_elementwise_one_serves_all) {
  const auto small_lasso = problem("lasso", {{"rows", 5}, {"dim", 10}});
  const auto large_lasso = problem("lasso", {{"rows", 25}, {"dim", 50}});
  auto joint = make("diff-l2o", small());
  joint->shape_for(*sample(small_lasso, 1, 0));
  auto large = sample(large_lasso, 4, 1);
  BOOST_CHECK_THROW(joint->start(*large, large->initial_points(0)), l2o::InputError);

  auto ele = make("diff-l2o-ele", small());
  auto result = ele->train(small_lasso, short_training(12), cpu, {});
  BOOST_TEST(result.validation[1].second < result.validation[0].second);
  // The weights trained at n = 10 run at n = 50, unchanged in number.
  const auto before = ele->weights().size();
  ele->shape_for(*large);
  BOOST_TEST(ele->weights().size() == before);
  const auto x = iterates(*ele, *large, large->initial_points(0), 10);
  BOOST_TEST(x.back().size(1) == 50);
  BOOST_TEST(at::isfinite(x.back()).all().item<bool>());
}

BOOST_AUTO_TEST_CASE(the_elementwise_phases_go_global_local_elementwise) {
  auto ele = make("diff-l2o-ele", small());
  auto& diffusion = dynamic_cast<learned::DiffusionOptimizer&>(*ele);
  BOOST_TEST(diffusion.update_groups(1, 30, 10) == 1);
  BOOST_TEST(diffusion.update_groups(10, 30, 10) == 1);
  BOOST_TEST(diffusion.update_groups(11, 30, 10) == 3);
  BOOST_TEST(diffusion.update_groups(21, 30, 10) == 10);
  BOOST_TEST(diffusion.update_groups(30, 30, 10) == 10);
  BOOST_TEST(diffusion.update_groups(30, 30, 15910) == 50);  // capped by max_groups
  BOOST_CHECK_THROW(make("diff-l2o-ele", small({{"oracle", "ours"}})), l2o::InputError);
}

BOOST_AUTO_TEST_CASE(the_elementwise_gradient_input_is_asinh_or_log_and_sign) {
  // A coordinate's own gradient input: asinh(g_i) by default, L2O-DM's scale-free pair with
  // "log-sign"; the summaries read asinh g either way.
  const auto lasso = problem("lasso", {{"rows", 5}, {"dim", 10}});
  auto f = sample(lasso, 4, 3);
  const Tensor x = f->initial_points(4);
  const Tensor g = f->grad(x);
  auto input_of = [&](const std::string& kind) {
    return denoiser_input_of("diff-l2o-ele", {{"gradient_input", kind}}, *f, x);
  };
  const Tensor plain = input_of("asinh"), log_sign = input_of("log-sign");
  BOOST_TEST(log_sign.size(2) == plain.size(2) + 1);
  BOOST_TEST(at::equal(plain.select(2, 1), at::asinh(g)));
  BOOST_TEST(at::equal(log_sign.narrow(2, 1, 2), learned::log_and_sign(g, 10.0).view({4, 10, 2})));
  BOOST_TEST(at::equal(log_sign.select(2, 0), x));
  BOOST_TEST(
      at::equal(log_sign.narrow(2, 3, plain.size(2) - 2), plain.narrow(2, 2, plain.size(2) - 2)));
  BOOST_CHECK_THROW(make("diff-l2o-ele", small({{"gradient_input", "log"}})), l2o::InputError);

  auto ele = make("diff-l2o-ele", small({{"gradient_input", "log-sign"}}));
  auto result = ele->train(lasso, short_training(12), cpu, {});
  BOOST_TEST(result.validation[1].second < result.validation[0].second);
}

BOOST_AUTO_TEST_CASE(the_joint_gradient_input_is_asinh_raw_or_log_and_sign_keyed_only_when_set) {
  const auto lasso = problem("lasso", {{"rows", 5}, {"dim", 10}});
  auto f = sample(lasso, 4, 3);
  const Tensor x = f->initial_points(4);
  const Tensor g = f->grad(x);
  auto input_of = [&](const std::string& kind) {
    return denoiser_input_of("diff-l2o", {{"guidance", "gradient"}, {"gradient_input", kind}}, *f,
                             x);
  };
  // [x, gradient input, 16-dim time embedding]
  const Tensor plain = input_of("asinh"), raw = input_of("raw"), log_sign = input_of("log-sign");
  BOOST_TEST(at::equal(plain.narrow(1, 10, 10), at::asinh(g)));
  BOOST_TEST(at::equal(raw.narrow(1, 10, 10), g));
  BOOST_TEST(log_sign.size(1) == plain.size(1) + 10);
  BOOST_TEST(at::equal(log_sign.narrow(1, 10, 20), learned::log_and_sign(g, 10.0).view({4, 20})));
  BOOST_TEST(at::equal(log_sign.narrow(1, 30, 16), plain.narrow(1, 20, 16)));
  BOOST_CHECK_THROW(make("diff-l2o", small({{"gradient_input", "log"}})), l2o::InputError);
  BOOST_CHECK_THROW(make("diff-l2o", small({{"guidance", "global"}, {"gradient_input", "raw"}})),
                    l2o::InputError);

  // The field came after models were shipped: at its default it leaves their keys as they were.
  const auto* entry = learned::find_learned("diff-l2o");
  const Json by_default = entry->canonical(small(), "test");
  BOOST_TEST(!by_default.contains("gradient_input"));
  BOOST_TEST(entry->canonical(small({{"gradient_input", "asinh"}}), "test") == by_default);
  BOOST_TEST(entry->canonical(small({{"gradient_input", "raw"}}), "test")["gradient_input"] ==
             "raw");

  auto m = make("diff-l2o", small({{"guidance", "gradient"}, {"gradient_input", "log-sign"}}));
  auto result = m->train(lasso, short_training(30), cpu, {});
  BOOST_TEST(result.validation[1].second < 0.8 * result.validation[0].second);
}

BOOST_AUTO_TEST_CASE(a_relative_f_term_is_keyed_only_when_set_and_trains_a_different_model) {
  const auto* entry = learned::find_learned("diff-l2o");
  const Json by_default = entry->canonical(small(), "test");
  BOOST_TEST(!by_default.contains("f_term"));
  BOOST_TEST(entry->canonical(small({{"f_term", "f"}}), "test") == by_default);
  BOOST_TEST(entry->canonical(small({{"f_term", "relative"}}), "test")["f_term"] == "relative");
  BOOST_CHECK_THROW(make("diff-l2o", small({{"f_term", "log"}})), l2o::InputError);
  BOOST_CHECK_THROW(make("diff-l2o-ele", small({{"f_term", "log"}})), l2o::InputError);

  // Dividing each instance's f by |f| where the step starts reweights the updates: a different
  // model, which still learns.
  const auto lasso = problem("lasso", {{"rows", 5}, {"dim", 10}});
  auto plain = make("diff-l2o", small({{"guidance", "gradient"}}));
  auto relative = make("diff-l2o", small({{"guidance", "gradient"}, {"f_term", "relative"}}));
  const auto a = plain->train(lasso, short_training(30), cpu, {});
  const auto b = relative->train(lasso, short_training(30), cpu, {});
  BOOST_TEST(b.validation[1].second < 0.8 * b.validation[0].second);
  BOOST_TEST(b.validation[0].second == a.validation[0].second);  // the same untrained start
  BOOST_TEST(b.validation[1].second != a.validation[1].second);
}

BOOST_AUTO_TEST_CASE(a_group_update_has_the_gradient_of_the_step_with_the_others_detached) {
  // Training's group update (one no-grad pass over every coordinate, a differentiable one over
  // the group's) against the plain one (a differentiable pass over all, the others detached):
  // the same iterate and loss bit for bit, the same weight gradient to rounding, in float64.
  const l2o::Placement cpu64{c10::kCPU, at::kDouble};
  const auto lasso = problem("lasso", {{"dim", 10}, {"rows", 5}});
  auto f = lasso.family->sample(lasso.config, {16, 21, cpu64});
  const Tensor x = f->initial_points(22), target = f->initial_points(23),
               noise = f->initial_points(24);
  for (const char* parameterization : {"step", "direct", "epsilon"}) {
    auto ele = make("diff-l2o-ele", small({{"parameterization", parameterization}}));
    ele->shape_for(*f);
    ele->to(cpu64);
    auto& diffusion = dynamic_cast<learned::DiffusionOptimizer&>(*ele);
    std::vector<Tensor> weights;
    for (auto& [name, w] : ele->weights()) weights.push_back(w.requires_grad_(true));
    const learned::DiffusionContext context{*f, Tensor()};
    const std::int64_t t = 7;
    Tensor input;
    {
      at::NoGradGuard no_grad;
      input = diffusion.denoiser_input(x, context, t);
    }
    auto loss_of = [&](const Tensor& iterate) {
      return 0.5 * f->loss(iterate).mean() + 0.5 * (iterate - target).pow(2).mean();
    };
    auto gradient = [&](const Tensor& loss) { return torch::autograd::grad({loss}, weights); };
    const Tensor all_coordinates =
        gradient(loss_of(diffusion.reverse_step(x, context, t, noise)))[0];
    for (auto [lo, hi] : {std::pair<std::int64_t, std::int64_t>{0, 3}, {3, 4}, {4, 10}}) {
      BOOST_TEST_CONTEXT(parameterization << ", coordinates [" << lo << ", " << hi << ")") {
        const Tensor out = diffusion.reverse_step(x, context, t, noise);
        const Tensor coordinate = at::arange(10, at::kLong);
        const Tensor plain = at::where((coordinate >= lo) & (coordinate < hi), out, out.detach());
        const Tensor grouped = diffusion.group_reverse_step(x, input, t, noise, lo, hi);
        BOOST_TEST(at::equal(grouped, plain));
        const Tensor plain_loss = loss_of(plain), grouped_loss = loss_of(grouped);
        BOOST_TEST(at::equal(grouped_loss, plain_loss));
        const auto expected = gradient(plain_loss), actual = gradient(grouped_loss);
        BOOST_REQUIRE(expected.size() == actual.size());
        for (std::size_t i = 0; i < expected.size(); ++i)
          BOOST_TEST(at::allclose(actual[i], expected[i], 1e-12, 1e-14));
        // Restricting the gradient to a group matters: the first layer's differs from the
        // gradient through every coordinate.
        BOOST_TEST(expected[0].abs().max().item<double>() > 0);
        BOOST_TEST(!at::allclose(expected[0], all_coordinates, 1e-3, 0));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_hybrid_switches_to_the_classical_optimizer_exactly_at_step_k) {
  const auto rastrigin = problem("rastrigin", {{"dim", 10}});
  auto f = sample(rastrigin, 8, 5);
  const Tensor x0 = f->initial_points(1);
  auto learned_part = make("diff-l2o", small(), 7);
  learned_part->shape_for(*f);
  auto hybrid = make("hybrid",
                     {{"learned_config", small()},
                      {"switch_at", 4},
                      {"classical", "gd"},
                      {"classical_config", {{"lr", 0.01}}}},
                     7);
  hybrid->shape_for(*f);
  const auto h = iterates(*hybrid, *f, x0, 8);
  const auto d = iterates(*learned_part, *f, x0, 8);
  for (int k = 0; k < 4; ++k) BOOST_TEST(at::equal(h[k], d[k]));
  BOOST_TEST(!at::equal(h[4], d[4]));
  const auto& gd = l2o::optimizers::find_optimizer("gd", "test");
  const auto g = iterates(*gd.make(gd.canonical({{"lr", 0.01}}, "test")), *f, d[3], 4);
  for (int k = 0; k < 4; ++k) BOOST_TEST(at::equal(h[4 + k], g[k]));
}

BOOST_AUTO_TEST_CASE(the_hybrid_is_trained_and_cached_as_its_learned_part) {
  const auto* hybrid = learned::find_learned("hybrid");
  const Json config = hybrid->canonical({{"learned_config", {{"guidance", "all"}}}}, "test");
  const learned::TrainedPart part = hybrid->trained_part(config);
  BOOST_TEST(part.name == "diff-l2o");
  BOOST_TEST(part.config ==
             learned::find_learned("diff-l2o")->canonical({{"guidance", "all"}}, "t"));
  BOOST_TEST(hybrid->training(config, learned::TrainProfile::quick).epochs ==
             learned::find_learned("diff-l2o")
                 ->training(part.config, learned::TrainProfile::quick)
                 .epochs);
  BOOST_CHECK_THROW(hybrid->canonical({{"learned", "hybrid"}}, "test"), l2o::InputError);
  BOOST_CHECK_THROW(hybrid->canonical({{"classical", "l2o-dm"}}, "test"), l2o::InputError);
}

BOOST_AUTO_TEST_CASE(bad_diffusion_configs_name_the_field_and_what_is_allowed) {
  const auto* entry = learned::find_learned("diff-l2o");
  auto error = [&](const Json& config) {
    try {
      entry->canonical(config, "s.json.optimizers[0]");
    } catch (const l2o::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  BOOST_TEST(error({{"time_embedding", 15}}) ==
             "s.json.optimizers[0].time_embedding: expected an even number, got 15");
  BOOST_TEST(error({{"beta_start", 0.1}, {"beta_end", 0.01}}) ==
             "s.json.optimizers[0]: beta_start (0.1) must not exceed beta_end (0.01)");
  BOOST_TEST(error({{"oracle", "magic"}})
                 .find("oracle: expected a string one of: solver, "
                       "perfect, noisy, fixed, partial, ours") != std::string::npos);
  BOOST_TEST(error({{"parameterization", "x0"}})
                 .find("parameterization: expected a string one of: epsilon, step, direct") !=
             std::string::npos);
  BOOST_TEST(error({{"solver_start", "near"}})
                 .find("solver_start: expected a string one of: independent, chain") !=
             std::string::npos);
  BOOST_TEST(error({{"solver", "sgd"}}).find("s.json.optimizers[0].solver: unknown optimizer") !=
             std::string::npos);
  BOOST_TEST(
      error({{"solver_config", {{"learning_rate", 1}}}}).find("unknown field \"learning_rate\"") !=
      std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_suite_trains_diff_l2o_once_for_itself_and_its_hybrid) {
  l2o::testing::TempDir dir;
  Json diff = small();
  diff["name"] = "diff-l2o";
  diff["train"] = {{"epochs", 2}, {"batch", 16}, {"validation_instances", 8}};
  Json hybrid = {
      {"name", "hybrid"},    {"learned_config", small()},         {"switch_at", 5},
      {"classical", "adam"}, {"classical_config", {{"lr", 0.1}}}, {"train", diff["train"]}};
  Json suite_json = {{"name", "hybrid"},
                     {"steps", 20},
                     {"test_instances", 8},
                     {"problems", {{{"family", "rastrigin"}, {"dim", 2}}}},
                     {"optimizers", {diff, hybrid}}};
  auto suite = l2o::harness::parse_suite_json(suite_json, "s.json");
  l2o::harness::TrainingCache cache(dir.path(), suite, cpu, false);
  const auto& d = cache.get(suite.optimizers[0], suite.problems[0]);
  const auto& h = cache.get(suite.optimizers[1], suite.problems[0]);
  BOOST_TEST(!d.loaded);
  BOOST_TEST(h.loaded);  // the hybrid found its part's checkpoint
  BOOST_TEST(h.checkpoint == d.checkpoint);
  // ... and is still a hybrid: after the switch it moves where Diff-L2O (done at T = 10) holds.
  auto f = sample(problem("rastrigin", {{"dim", 2}}), 8, 3);
  const Tensor x0 = f->initial_points(4);
  const auto a = iterates(*d.model, *f, x0, 15), b = iterates(*h.model, *f, x0, 15);
  for (int k = 0; k < 5; ++k) BOOST_TEST(at::equal(a[k], b[k]));
  BOOST_TEST(at::equal(a[12], a[14]));
  BOOST_TEST(!at::equal(b[12], b[14]));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace diffusion_test
