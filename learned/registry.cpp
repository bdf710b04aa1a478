#include "learned/registry.hpp"

#include <nlohmann/json.hpp>

#include "core/registry.hpp"

namespace l2o::learned {

namespace {

struct MakeEntry {
  template <LearnedOptimizerType L>
  LearnedEntry operator()() const {
    return {
        .name = L::name,
        .summary = L::summary,
        .describe = &describe_config<typename L::Config>,
        .canonical = &canonical_config<typename L::Config>,
        .training = &L::training,
        .make =
            [](const Json& canonical, std::uint64_t seed) {
              return L::make(parse_config<typename L::Config>(canonical, std::string(L::name)),
                             seed);
            },
    };
  }
};

}  // namespace

const std::vector<LearnedEntry>& learned_optimizers() {
  static const std::vector<LearnedEntry> table =
      build_table<LearnedEntry>(LearnedOptimizers{}, MakeEntry{});
  return table;
}

const LearnedEntry* find_learned(std::string_view name) {
  for (const LearnedEntry& e : learned_optimizers())
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace l2o::learned
