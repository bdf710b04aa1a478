#pragma once
// What a problem family type must provide, and its type-erased registry entry.
#include <concepts>
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/type_list.hpp"
#include "problems/objective.hpp"

namespace l2o::problems {

template <class F>
concept ProblemFamily = Named<F> && Config<typename F::Config> &&
    requires(const typename F::Config& c, const Sampling& s, const NamedTensors& p,
             const Placement& where) {
  { c.dim } -> std::convertible_to<std::int64_t>;
  { F::sample(c, s) } -> std::same_as<std::unique_ptr<Objective>>;
  { F::from_parameters(c, p, where) } -> std::same_as<std::unique_ptr<Objective>>;
};

// A family with its Config erased to JSON. `canonical` parses and validates a config object
// (harness keys already removed) and returns it with every default filled in; the other
// functions take canonical JSON.
struct FamilyEntry {
  std::string_view name, summary;
  Json (*describe)();
  Json (*canonical)(const Json& config, const std::string& where);
  std::unique_ptr<Objective> (*sample)(const Json& canonical, const Sampling& sampling);
  std::unique_ptr<Objective> (*from_parameters)(const Json& canonical,
                                                const NamedTensors& parameters,
                                                const Placement& placement);
};

}  // namespace l2o::problems
