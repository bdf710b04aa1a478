#include "optimizers/registry.hpp"

#include <nlohmann/json.hpp>

#include "core/registry.hpp"

namespace l2o::optimizers {

namespace {

struct MakeEntry {
  template <OptimizerType O>
  OptimizerEntry operator()() const {
    return {
        .name = O::name,
        .summary = O::summary,
        .describe = &describe_config<typename O::Config>,
        .canonical = &canonical_config<typename O::Config>,
        .make =
            [](const Json& canonical) {
              return O::make(parse_config<typename O::Config>(canonical, std::string(O::name)));
            },
    };
  }
};

}  // namespace

const std::vector<OptimizerEntry>& optimizers() {
  static const std::vector<OptimizerEntry> table =
      build_table<OptimizerEntry>(Optimizers{}, MakeEntry{});
  return table;
}

const OptimizerEntry& find_optimizer(std::string_view name, const std::string& where) {
  return find_entry(optimizers(), name, "optimizer", where);
}

}  // namespace l2o::optimizers
