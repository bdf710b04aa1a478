#pragma once
// The optimizers of the suite. Adding one: its file pair, one entry in this list, one test.
#include <string>
#include <string_view>
#include <vector>

#include "optimizers/adam.hpp"
#include "optimizers/bfgs.hpp"
#include "optimizers/fista.hpp"
#include "optimizers/gd.hpp"
#include "optimizers/ista.hpp"
#include "optimizers/momentum.hpp"
#include "optimizers/optimizer.hpp"

namespace l2o::optimizers {

using Optimizers = TypeList<GradientDescent, Momentum, Adam, Ista, Fista, Bfgs>;

template <OptimizerType... Os>
constexpr bool all_optimizer_types(TypeList<Os...>) {
  return true;
}
static_assert(all_optimizer_types(Optimizers{}));
static_assert(names_are_unique(Optimizers{}), "two optimizers share a name");

const std::vector<OptimizerEntry>& optimizers();
const OptimizerEntry& find_optimizer(std::string_view name, const std::string& where);

}  // namespace l2o::optimizers
