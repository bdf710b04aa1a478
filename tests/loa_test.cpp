// BFGS and LOA's learned BFGS: the secant equation of the rank-two update, the untrained model
// against classical BFGS, convergence, the 216 weights and their flat import/export, the guard,
// and equivariance measured on transformed twins.
#include <fstream>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/error.hpp"
#include "core/files.hpp"
#include "harness/equivariance.hpp"
#include "harness/metrics.hpp"
#include "learned/checkpoint.hpp"
#include "learned/registry.hpp"
#include "learned/training.hpp"
#include "optimizers/bfgs.hpp"
#include "optimizers/registry.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace {

using l2o::Json;
using l2o::Tensor;
namespace learned = l2o::learned;
namespace optimizers = l2o::optimizers;

const l2o::Placement float64{c10::kCPU, at::kDouble};

std::unique_ptr<l2o::problems::Objective> sample(const Json& config, std::int64_t count,
                                                 std::uint64_t seed = 5) {
  const auto& family = l2o::problems::find_family(config.at("family").get<std::string>(), "test");
  Json c = config;
  c.erase("family");
  return family.sample(family.canonical(c, "test"), {count, seed, float64});
}

std::unique_ptr<learned::LearnedOptimizer> make_loa(const Json& config = Json::object()) {
  const auto* entry = learned::find_learned("loa-bfgs");
  auto model = entry->make(entry->canonical(config, "test"), 11);
  model->to(float64);
  return model;
}

std::unique_ptr<optimizers::Optimizer> bfgs() {
  const auto& entry = optimizers::find_optimizer("bfgs", "test");
  return entry.make(entry.canonical(Json::object(), "test"));
}

// x_1..x_steps, [steps, B, n].
Tensor iterates(const optimizers::Optimizer& o, const l2o::problems::Objective& f,
                std::int64_t steps) {
  c10::InferenceMode guard;
  auto rollout = o.start(f, f.initial_points(3));
  std::vector<Tensor> xs;
  for (std::int64_t k = 0; k < steps; ++k) xs.push_back(rollout->step().clone());
  return at::stack(xs);
}

double counter(const optimizers::Counters& counters, const std::string& name) {
  for (const auto& [n, v] : counters)
    if (n == name) return v;
  BOOST_FAIL("no counter " << name);
  return 0;
}

const Json* find_row(const Json& rows, const std::string& optimizer) {
  for (const Json& r : rows)
    if (r["optimizer"] == optimizer) return &r;
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(loa)

BOOST_AUTO_TEST_CASE(rank_two_update_keeps_the_secant_equation_for_any_u) {
  l2o::RandomStream draws(3);
  const std::int64_t B = 16, n = 30;
  const Tensor A = draws.normal({B, n, n});
  const Tensor H = at::bmm(A, A.transpose(1, 2)) / n + at::eye(n, at::kDouble);
  const Tensor s = draws.normal({B, n}), y = draws.normal({B, n}), u = draws.normal({B, n});
  const Tensor Hp = optimizers::rank_two_update(H, s, y, u);
  const Tensor Hy = at::bmm(Hp, y.unsqueeze(2)).squeeze(2);
  BOOST_TEST(l2o::testing::max_relative_difference(Hy, s) < 1e-10);
  BOOST_TEST((Hp - Hp.transpose(1, 2)).abs().max().item<double>() < 1e-10);  // stays symmetric
  // u = s is BFGS's inverse update (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ.
  const Tensor rho = (1 / (s * y).sum(1)).view({-1, 1, 1});
  const Tensor I = at::eye(n, at::kDouble).expand({B, n, n});
  const Tensor sy = s.unsqueeze(2) * y.unsqueeze(1);
  const Tensor textbook = at::bmm(at::bmm(I - rho * sy, H), I - rho * sy.transpose(1, 2)) +
                          rho * s.unsqueeze(2) * s.unsqueeze(1);
  BOOST_TEST(l2o::testing::max_relative_difference(optimizers::rank_two_update(H, s, y, s),
                                                   textbook) < 1e-9);
}

BOOST_AUTO_TEST_CASE(bfgs_converges_on_a_conditioned_quadratic) {
  // With Armijo steps (no exact line search) BFGS has no finite termination on quadratics; its
  // superlinear phase starts after about 2n steps here (kappa 100), as in a NumPy transcription.
  const std::int64_t n = 20;
  auto f = sample({{"family", "quadratic"}, {"kind", "conditioned"}, {"dim", n}}, 8);
  const Tensor xs = iterates(*bfgs(), *f, 4 * n);
  c10::InferenceMode guard;
  const Tensor x0 = f->initial_points(3);
  const Tensor f_star = *f->reference_minimum();
  const Tensor g_ratio = f->grad(xs[-1]).norm(2, {1}) / f->grad(x0).norm(2, {1});
  BOOST_TEST(g_ratio.max().item<double>() < 1e-5);
  const Tensor gap = (f->loss(xs[-1]) - f_star) / (f->loss(x0) - f_star);
  BOOST_TEST(gap.max().item<double>() < 1e-10);
  // GD with its best fixed step 1/L is far behind after as many steps.
  const auto& gd = optimizers::find_optimizer("gd", "test");
  const double L = f->lipschitz()->max().item<double>();
  const Tensor gd_x = iterates(*gd.make(gd.canonical({{"lr", 1 / L}}, "test")), *f, 4 * n)[-1];
  BOOST_TEST(((f->loss(gd_x) - f_star) / (f->loss(x0) - f_star)).min().item<double>() > 1e-4);
}

BOOST_AUTO_TEST_CASE(loa_has_216_weights_in_the_documented_order) {
  auto model = make_loa();
  std::int64_t count = 0;
  std::vector<std::string> names;
  for (const auto& [name, t] : model->weights()) {
    count += t.numel();
    names.push_back(name);
  }
  BOOST_TEST(count == learned::LoaBfgs::parameter_count);
  BOOST_TEST(count == 216);
  const std::vector<std::string> expected{"global.0", "global.1", "global.2",
                                          "skip",     "head.0",   "head.1"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(untrained_loa_reproduces_bfgs_iterates_exactly) {
  for (const Json& problem :
       {Json{{"family", "logistic"}}, Json{{"family", "quadratic"}, {"kind", "conditioned"}}}) {
    auto f = sample(problem, 8);
    const Tensor classical = iterates(*bfgs(), *f, 40);
    const Tensor learned_ = iterates(*make_loa(), *f, 40);
    BOOST_TEST(at::isfinite(classical).all().item<bool>());
    BOOST_TEST(at::equal(classical, learned_), problem.dump());
  }
  // Other weights give other iterates: the comparison above could fail.
  auto f = sample({{"family", "logistic"}}, 8);
  BOOST_TEST(
      !at::equal(iterates(*bfgs(), *f, 10), iterates(*make_loa({{"init", "random"}}), *f, 10)));
}

BOOST_AUTO_TEST_CASE(the_guard_fires_for_random_weights_and_runs_stay_finite) {
  auto f = sample({{"family", "logistic"}}, 16);
  auto model = make_loa({{"init", "random"}});
  c10::InferenceMode guard;
  auto rollout = model->start(*f, f->initial_points(3));
  Tensor x;
  for (int k = 0; k < 30; ++k) x = rollout->step();
  const auto counters = rollout->counters();
  BOOST_TEST(counter(counters, "guard_fallbacks") > 0);
  BOOST_TEST(counter(counters, "guard_fallbacks") <= counter(counters, "updates"));
  BOOST_TEST(at::isfinite(x).all().item<bool>());
  BOOST_TEST((f->loss(x) < f->loss(f->initial_points(3))).all().item<bool>());
  // BFGS itself never needs the guard.
  auto classical = bfgs()->start(*f, f->initial_points(3));
  for (int k = 0; k < 30; ++k) classical->step();
  BOOST_TEST(counter(classical->counters(), "guard_fallbacks") == 0);
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_a_flat_array) {
  l2o::testing::TempDir dir;
  auto source = make_loa({{"init", "random"}});
  const Json flat = learned::flatten_weights(source->weights());
  BOOST_TEST(flat.size() == 216u);
  l2o::write_json_atomically(dir / "w.json", flat);
  auto imported = make_loa({{"weights_file", (dir / "w.json").string()}});
  BOOST_TEST(learned::flatten_weights(imported->weights()) == flat);
  auto f = sample({{"family", "logistic"}}, 4);
  BOOST_TEST(at::equal(iterates(*source, *f, 15), iterates(*imported, *f, 15)));
  // The order is the documented one: skip is entries 126..131 and picks s in the BFGS init.
  const Json init = learned::flatten_weights(make_loa()->weights());
  for (int i = 126; i < 132; ++i) BOOST_TEST(init[i].get<double>() == (i == 130 ? 1.0 : 0.0));
  for (int i = 204; i < 216; ++i) BOOST_TEST(init[i].get<double>() == 0.0);

  Json short_ = flat;
  short_.erase(short_.size() - 1);
  l2o::write_json_atomically(dir / "short.json", short_);
  BOOST_CHECK_EXCEPTION(make_loa({{"weights_file", (dir / "short.json").string()}}),
                        l2o::InputError, [&](const l2o::InputError& e) {
                          const std::string m = e.what();
                          return m.find("short.json") != std::string::npos &&
                                 m.find("216") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(export_weights_prints_a_checkpoint_in_the_flat_order) {
  l2o::testing::TempDir dir;
  auto model = make_loa({{"init", "random"}});
  const auto* entry = learned::find_learned("loa-bfgs");
  learned::CheckpointKey key{
      "loa-bfgs",
      entry->canonical(Json::object(), "test"),
      Json::object(),
      "quadratic",
      l2o::problems::find_family("quadratic", "t").canonical(Json::object(), "t"),
      1,
      "float64"};
  learned::save_checkpoint(dir / "c.json", *model, key, {}, Json());
  const auto r = l2o::testing::run_command(std::string(L2OBENCH_BINARY) + " export-weights " +
                                           (dir / "c.json").string() + " --out " +
                                           (dir / "flat.json").string());
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(l2o::read_json_file(dir / "flat.json") == learned::flatten_weights(model->weights()));
  // The checkpoint itself is a valid weights_file too.
  auto loaded = make_loa({{"weights_file", (dir / "c.json").string()}});
  BOOST_TEST(learned::flatten_weights(loaded->weights()) ==
             learned::flatten_weights(model->weights()));
}

BOOST_AUTO_TEST_CASE(meta_gradients_reach_every_layer_through_the_bfgs_steps) {
  // The accepted step sizes are constants; the iterate depends on the weights through d = −H g.
  auto model = make_loa();
  std::vector<Tensor> parameters;
  for (const auto& [name, t] : model->weights()) parameters.push_back(t.requires_grad_(true));
  auto f = sample({{"family", "quadratic"}, {"kind", "conditioned"}, {"dim", 10}}, 8);
  auto rollout = model->start_learned(*f, f->initial_points(3));
  Tensor loss = at::zeros({}, at::kDouble);
  for (int k = 0; k < 6; ++k) loss = loss + f->loss(rollout->step()).mean();
  loss.backward();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const Tensor g = parameters[i].grad();
    BOOST_REQUIRE(g.defined());
    BOOST_TEST(at::isfinite(g).all().item<bool>());
    // From the BFGS init, the zero output layer and the skip get a gradient first.
    if (i == 3 || i == 5) BOOST_TEST(g.abs().sum().item<double>() > 0, i);
  }

  // And the shared loop runs on it without a non-finite segment.
  auto trained = make_loa();
  const auto& family = l2o::problems::find_family("quadratic", "test");
  learned::TrainingProblem problem{
      &family, family.canonical({{"dim", 10}, {"kind", "conditioned"}}, "test"), 4, 5, 6};
  learned::TrainConfig config;
  config.epochs = 3;
  config.batch = 8;
  config.steps = 10;
  config.unroll = 5;
  config.validate_every = 3;
  config.validation_instances = 8;
  const auto result = trained->train(problem, config, float64, {});
  BOOST_TEST(result.skipped_segments == 0);
  BOOST_TEST(result.meta_loss.size() == 3u);
  for (double m : result.meta_loss) BOOST_TEST(std::isfinite(m));
}

BOOST_AUTO_TEST_CASE(normalized_gap_starts_at_one) {
  const Tensor losses = at::tensor({3.0, 5.0, 2.0, 3.0, 1.5, 1.5}, at::kDouble).view({3, 2});
  const Tensor f_star = at::tensor({1.0, 1.0}, at::kDouble);
  const Json eval = l2o::harness::evaluation_metrics(losses, f_star);
  const Json& median = eval["normalized_gap"]["median"];
  BOOST_TEST(median[0].get<double>() == 1.0);
  BOOST_TEST(median[1].get<double>() == (0.5 + 0.5) / 2);  // (2-1)/(3-1), (3-1)/(5-1)
  BOOST_TEST(median[2].get<double>() == (0.25 + 0.125) / 2);
}

BOOST_AUTO_TEST_CASE(equivariance_is_measured_not_assumed) {
  l2o::harness::EquivarianceOptions options;
  options.optimizers = Json::array({{{"name", "gd"}},
                                    {{"name", "bfgs"}},
                                    {{"name", "adam"}},
                                    {{"name", "loa-bfgs"}, {"init", "random"}},
                                    {{"name", "l2o-dm"}}});
  options.steps = 20;
  const auto result = l2o::harness::measure_equivariance(options);
  const Json& rows = result.json["rows"];
  auto deviation = [&](const std::string& o, const std::string& t) {
    const Json* row = find_row(rows, o);
    BOOST_REQUIRE(row);
    return (*row)["transformations"][t]["deviation"].get<double>();
  };
  auto equivariant = [&](const std::string& o, const std::string& t) {
    return (*find_row(rows, o))["transformations"][t]["equivariant"].get<bool>();
  };
  BOOST_TEST(deviation("bfgs", "permutation") < 1e-6);
  for (const char* t : {"permutation", "translation", "scaling"}) {
    BOOST_TEST(equivariant("bfgs", t), t);
    BOOST_TEST(equivariant("loa-bfgs", t), t);
  }
  BOOST_TEST(equivariant("gd", "permutation"));
  BOOST_TEST(equivariant("gd", "translation"));
  BOOST_TEST(deviation("gd", "scaling") > 1e-3);
  BOOST_TEST(!equivariant("gd", "scaling"));
  BOOST_TEST(equivariant("adam", "permutation"));
  BOOST_TEST(!equivariant("adam", "scaling"));
  BOOST_TEST(equivariant("l2o-dm", "permutation"));
  BOOST_TEST(!equivariant("l2o-dm", "scaling"));
  BOOST_TEST(result.table.find("bfgs") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(equivariance_command_writes_json_and_rejects_bad_input) {
  l2o::testing::TempDir dir;
  const std::string binary = L2OBENCH_BINARY;
  auto r = l2o::testing::run_command(binary +
                                     " equivariance --optimizer bfgs --optimizer gd --steps 10 "
                                     "--json " +
                                     (dir / "e.json").string());
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("permutation") != std::string::npos);
  const Json j = l2o::read_json_file(dir / "e.json");
  BOOST_TEST(j["rows"].size() == 2u);
  r = l2o::testing::run_command(binary + " equivariance --optimizer nosuch");
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.find("nosuch") != std::string::npos, r.output);
  r = l2o::testing::run_command(binary + " equivariance --scale 1");
  BOOST_TEST(r.exit_code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
