#include "problems/registry.hpp"

#include <nlohmann/json.hpp>

#include "core/registry.hpp"

namespace l2o::problems {

namespace {

template <ProblemFamily F>
typename F::Config config_of(const Json& canonical) {
  return parse_config<typename F::Config>(canonical, std::string(F::name));
}

struct MakeEntry {
  template <ProblemFamily F>
  FamilyEntry operator()() const {
    return {
        .name = F::name,
        .summary = F::summary,
        .describe = &describe_config<typename F::Config>,
        .canonical = &canonical_config<typename F::Config>,
        .sample = [](const Json& canonical,
                     const Sampling& s) { return F::sample(config_of<F>(canonical), s); },
        .from_parameters =
            [](const Json& canonical, const NamedTensors& p, const Placement& where) {
              return F::from_parameters(config_of<F>(canonical), p, where);
            },
    };
  }
};

}  // namespace

const std::vector<FamilyEntry>& families() {
  static const std::vector<FamilyEntry> table =
      build_table<FamilyEntry>(ProblemFamilies{}, MakeEntry{});
  return table;
}

const FamilyEntry& find_family(std::string_view name, const std::string& where) {
  return find_entry(families(), name, "problem family", where);
}

}  // namespace l2o::problems
