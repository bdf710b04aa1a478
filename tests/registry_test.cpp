// Every registered type, enumerated from the registries' type lists (a template test case per
// list): what any family, optimizer or learned optimizer must satisfy, so that a new type is
// tested by being registered, and no test keeps its own list of names.
#include <tuple>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/config.hpp"
#include "core/error.hpp"
#include "learned/registry.hpp"
#include "optimizers/registry.hpp"
#include "problems/registry.hpp"

namespace registry_test {

namespace {

using l2o::Json;
using l2o::Tensor;

template <class List>
struct AsTuple;
template <class... Ts>
struct AsTuple<l2o::TypeList<Ts...>> {
  using type = std::tuple<Ts...>;
};
template <class List>
using as_tuple_t = typename AsTuple<List>::type;

const l2o::Placement cpu64{c10::kCPU, at::kDouble};

// A family's instances with its default config, or none (logged) where they need a data set
// that is not installed.
std::unique_ptr<l2o::problems::Objective> sample_defaults(std::string_view name, std::int64_t count,
                                                          std::uint64_t seed) {
  const auto& entry = l2o::problems::find_family(name, "test");
  try {
    return entry.sample(entry.canonical(Json::object(), "test"), {count, seed, cpu64});
  } catch (const l2o::InputError& e) {
    if (std::string(e.what()).find("scripts/setup") == std::string::npos) throw;
    BOOST_TEST_MESSAGE("skipped, data not installed: " << e.what());
    return nullptr;
  }
}

template <class T>
void check_canonical_config_is_a_fixed_point() {
  const Json defaults = l2o::canonical_config<typename T::Config>(Json::object(), "test");
  BOOST_TEST(l2o::canonical_config<typename T::Config>(defaults, "test") == defaults);
  BOOST_CHECK_THROW(l2o::canonical_config<typename T::Config>(Json{{"no_such_field", 1}}, "test"),
                    l2o::InputError);
  // Every keyed_only_when_set default is the struct's own (ConfigDescriber checks).
  BOOST_CHECK_NO_THROW(l2o::describe_config<typename T::Config>());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registries)

BOOST_AUTO_TEST_CASE(names_come_from_the_type_lists_and_unknown_ones_are_rejected) {
  BOOST_TEST(l2o::problems::families().size() == l2o::problems::ProblemFamilies::size);
  BOOST_TEST(l2o::learned::all_optimizers().size() ==
             l2o::optimizers::Optimizers::size + l2o::learned::LearnedOptimizers::size);
  // Classical first, then learned; exactly the learned ones carry a learned part.
  std::size_t k = 0;
  for (const auto& entry : l2o::learned::all_optimizers()) {
    BOOST_TEST((entry.learned != nullptr) == (k++ >= l2o::optimizers::Optimizers::size),
               entry.name);
    BOOST_TEST((entry.make != nullptr) == (entry.learned == nullptr), entry.name);
  }
  std::string allowed;
  for (const auto& f : l2o::problems::families())
    allowed += (allowed.empty() ? "" : ", ") + std::string(f.name);
  BOOST_CHECK_EXCEPTION(l2o::problems::find_family("no-such", "s.json: problems[0].family"),
                        l2o::InputError, [&](const l2o::InputError& e) {
                          return std::string(e.what()) ==
                                 "s.json: problems[0].family: unknown problem family \"no-such\"; "
                                 "allowed: " +
                                     allowed;
                        });
  BOOST_CHECK_THROW(l2o::learned::find_any_optimizer("no-such", "test"), l2o::InputError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_family_samples_deterministically_and_reimports, F,
                              as_tuple_t<l2o::problems::ProblemFamilies>) {
  check_canonical_config_is_a_fixed_point<F>();
  c10::InferenceMode guard;
  auto f = sample_defaults(F::name, 2, 7);
  if (!f) return;
  auto again = sample_defaults(F::name, 2, 7);
  const Tensor x0 = f->initial_points(3);
  BOOST_TEST(x0.sizes().vec() == (std::vector<std::int64_t>{2, f->dim()}));
  const Tensor loss = f->loss(x0);
  BOOST_TEST(loss.sizes().vec() == (std::vector<std::int64_t>{2}));
  BOOST_TEST(at::isfinite(loss).all().item<bool>());
  BOOST_TEST(f->grad(x0).sizes().vec() == x0.sizes().vec());
  BOOST_TEST(at::equal(again->loss(x0), loss));
  // The instances rebuilt from their exported parameters are the same instances.
  const auto& entry = l2o::problems::find_family(F::name, "test");
  auto imported =
      entry.from_parameters(entry.canonical(Json::object(), "test"), f->parameters(), cpu64);
  BOOST_TEST(at::allclose(imported->loss(x0), loss, 1e-12, 1e-12));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_optimizer_runs_deterministically_and_descends, O,
                              as_tuple_t<l2o::optimizers::Optimizers>) {
  check_canonical_config_is_a_fixed_point<O>();
  c10::InferenceMode guard;
  const auto& family = l2o::problems::find_family("quadratic", "test");
  auto f = family.sample(
      family.canonical({{"dim", 6}, {"kind", "conditioned"}, {"condition", 4}}, "test"),
      {4, 11, cpu64});
  const Tensor x0 = f->initial_points(5);
  const auto& entry = l2o::learned::find_any_optimizer(O::name, "test");
  auto optimizer = entry.make(entry.canonical(Json::object(), "test"));
  // Few enough steps that no instance reaches rounding level: the authors' BFGS protocol (the
  // default) has no s'y safeguard and turns NaN there, as their code does (docs/design.md).
  auto run = [&] {
    auto rollout = optimizer->start(*f, x0);
    Tensor x = x0;
    for (int k = 0; k < 10; ++k) x = rollout->step();
    return x;
  };
  const Tensor x = run();
  BOOST_TEST(x.sizes().vec() == x0.sizes().vec());
  BOOST_TEST(at::isfinite(x).all().item<bool>());
  BOOST_TEST(at::equal(run(), x));
  const Tensor descended = at::lt(f->loss(x), f->loss(x0));
  BOOST_TEST(descended.all().item<bool>());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_learned_optimizer_has_budgets_and_seeded_weights, L,
                              as_tuple_t<l2o::learned::LearnedOptimizers>) {
  const auto& entry = l2o::learned::find_any_optimizer(L::name, "test");
  BOOST_REQUIRE(entry.learned);
  if (entry.needs_a_file) {
    // No default model: the config without its file is refused; its own test covers the rest.
    BOOST_CHECK_THROW(entry.canonical(Json::object(), "test"), l2o::InputError);
    return;
  }
  check_canonical_config_is_a_fixed_point<L>();
  const Json defaults = entry.canonical(Json::object(), "test");
  for (auto profile : {l2o::learned::TrainProfile::quick, l2o::learned::TrainProfile::paper}) {
    const Json training = entry.training(defaults, profile, Json::object(), "test");
    BOOST_TEST(l2o::config_to_json(
                   l2o::parse_config<l2o::learned::TrainConfig>(training, "test")) == training);
  }
  BOOST_CHECK_THROW(entry.training(defaults, l2o::learned::TrainProfile::quick,
                                   Json{{"train", {{"no_such_field", 1}}}}, "test"),
                    l2o::InputError);
  // The same init seed gives the same weights.
  auto a = entry.learned->make(defaults, 3), b = entry.learned->make(defaults, 3);
  const auto wa = a->weights(), wb = b->weights();
  BOOST_REQUIRE(wa.size() == wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) BOOST_TEST(at::equal(wa[i].second, wb[i].second));
}

BOOST_AUTO_TEST_CASE(classical_optimizers_take_no_training) {
  for (const auto& entry : l2o::learned::all_optimizers()) {
    if (entry.learned) continue;
    const Json defaults = entry.canonical(Json::object(), "test");
    BOOST_TEST(
        entry.training(defaults, l2o::learned::TrainProfile::quick, Json::object(), "t").is_null());
    BOOST_CHECK_EXCEPTION(entry.training(defaults, l2o::learned::TrainProfile::quick,
                                         Json{{"train_on", Json::object()}}, "o"),
                          l2o::InputError, [&](const l2o::InputError& e) {
                            return std::string(e.what()).starts_with("o.train_on: only learned");
                          });
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace registry_test
