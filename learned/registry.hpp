#pragma once
// The learned optimizers of the suite. Adding one: its file pair, one entry in this list, one test.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "learned/diff_l2o.hpp"
#include "learned/diff_l2o_elementwise.hpp"
#include "learned/go_math_l2o.hpp"
#include "learned/hybrid.hpp"
#include "learned/l2o_dm.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/loa_bfgs.hpp"
#include "learned/math_l2o.hpp"
#include "learned/rnnprop.hpp"
#include "learned/training.hpp"
#include "optimizers/registry.hpp"

namespace l2o::learned {

// A learned optimizer type: `make` builds the untrained model from its config and an init seed,
// `training(config, profile)` gives the default training budget. A composition that carries
// another learned optimizer's weights (the hybrid) also has `trained_part(config)`: that
// optimizer's name and canonical config, under which its weights are trained and cached.
template <class L>
concept LearnedOptimizerType = Named<L> && Config<typename L::Config> &&
    requires(const typename L::Config& c, std::uint64_t seed, TrainProfile profile) {
  { L::make(c, seed) } -> std::same_as<std::unique_ptr<LearnedOptimizer>>;
  { L::training(c, profile) } -> std::same_as<TrainConfig>;
};

struct TrainedPart {
  std::string name;
  Json config;  // canonical
};

using LearnedOptimizers =
    TypeList<L2oDm, RnnProp, DiffL2o, DiffL2oElementwise, Hybrid, LoaBfgs, MathL2o, GoMathL2o>;

template <LearnedOptimizerType... Ls>
constexpr bool all_learned_optimizer_types(TypeList<Ls...>) {
  return true;
}
static_assert(all_learned_optimizer_types(LearnedOptimizers{}));
// Classical and learned optimizers share one namespace of names in suites.
static_assert(names_are_unique(concat_t<optimizers::Optimizers, LearnedOptimizers>{}),
              "two optimizers (classical or learned) share a name");

struct LearnedEntry {
  std::string_view name, summary;
  Json (*describe)();
  Json (*canonical)(const Json& config, const std::string& where);
  TrainConfig (*training)(const Json& canonical, TrainProfile profile);
  TrainedPart (*trained_part)(const Json& canonical);
  std::unique_ptr<LearnedOptimizer> (*make)(const Json& canonical, std::uint64_t init_seed);
};

const std::vector<LearnedEntry>& learned_optimizers();
const LearnedEntry* find_learned(std::string_view name);  // nullptr for a classical or unknown name

}  // namespace l2o::learned
