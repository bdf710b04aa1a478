#include "learned/registry.hpp"

#include <nlohmann/json.hpp>

#include "core/registry.hpp"

namespace l2o::learned {

namespace {

template <class L>
typename L::Config config_of(const Json& canonical) {
  return parse_config<typename L::Config>(canonical, std::string(L::name));
}

struct MakeEntry {
  template <LearnedOptimizerType L>
  LearnedEntry operator()() const {
    return {
        .name = L::name,
        .summary = L::summary,
        .describe = &describe_config<typename L::Config>,
        .canonical = &canonical_config<typename L::Config>,
        .training =
            [](const Json& canonical, TrainProfile profile) {
              return L::training(config_of<L>(canonical), profile);
            },
        .trained_part =
            [](const Json& canonical) {
              if constexpr (requires { L::trained_part(config_of<L>(canonical)); })
                return L::trained_part(config_of<L>(canonical));
              else
                return TrainedPart{std::string(L::name), canonical};
            },
        .make = [](const Json& canonical,
                   std::uint64_t seed) { return L::make(config_of<L>(canonical), seed); },
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
