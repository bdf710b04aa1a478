#pragma once
// The learned optimizers of the suite. Adding one: its file pair, one entry in this list, one test.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "learned/l2o_dm.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/rnnprop.hpp"
#include "learned/training.hpp"
#include "optimizers/registry.hpp"

namespace l2o::learned {

template <class L>
concept LearnedOptimizerType = Named<L> && Config<typename L::Config> &&
    requires(const typename L::Config& c, std::uint64_t seed, TrainProfile profile) {
  { L::make(c, seed) } -> std::same_as<std::unique_ptr<LearnedOptimizer>>;
  { L::training(profile) } -> std::same_as<TrainConfig>;
};

using LearnedOptimizers = TypeList<L2oDm, RnnProp>;

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
  TrainConfig (*training)(TrainProfile profile);
  std::unique_ptr<LearnedOptimizer> (*make)(const Json& canonical, std::uint64_t init_seed);
};

const std::vector<LearnedEntry>& learned_optimizers();
const LearnedEntry* find_learned(std::string_view name);  // nullptr for a classical or unknown name

}  // namespace l2o::learned
