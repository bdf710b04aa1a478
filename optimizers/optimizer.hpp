#pragma once
// A configured optimizer starts rollouts; a rollout advances all B instances of a batch at once.
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/type_list.hpp"
#include "problems/objective.hpp"

namespace l2o::optimizers {

using problems::Objective;

// Events a rollout counts over its steps and instances (BFGS's skipped updates, LOA's guard),
// by name; the harness records them in the cell's eval block.
using Counters = std::vector<std::pair<std::string, double>>;

class Rollout {
 public:
  virtual ~Rollout() = default;
  // One iteration; returns the new iterate [B, n].
  virtual Tensor step() = 0;
  virtual Counters counters() const { return {}; }
  // Forward passes of a learned model per instance so far (none for a classical method): the
  // network evaluations of a cell's cost (the function and gradient evaluations are counted by
  // problems::CountingObjective).
  virtual std::int64_t network_evaluations() const { return 0; }
  // The point step 0 reports when the method moved before its first counted iteration (BFGS's
  // authors' protocol takes an uncounted gradient step); nullopt: x0 itself.
  virtual std::optional<Tensor> start_point() const { return std::nullopt; }
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Starts from x0 [B, n]. Throws InputError when the objective lacks what the method needs
  // (a proximal method on a family without a Lipschitz constant, say). `objective` must
  // outlive the rollout.
  virtual std::unique_ptr<Rollout> start(const Objective& objective, const Tensor& x0) const = 0;
};

template <class O>
concept OptimizerType = Named<O> && Config<typename O::Config> &&
    requires(const typename O::Config& c) {
  { O::make(c) } -> std::same_as<std::unique_ptr<Optimizer>>;
};

// An optimizer type with its Config erased to JSON (see problems::FamilyEntry).
struct OptimizerEntry {
  std::string_view name, summary;
  Json (*describe)();
  Json (*canonical)(const Json& config, const std::string& where);
  std::unique_ptr<Optimizer> (*make)(const Json& canonical);
};

// The common case: an optimizer whose state is built by a Rollout type from (config, objective,
// x0).
template <class RolloutType, class ConfigType>
class OptimizerOf final : public Optimizer {
 public:
  explicit OptimizerOf(ConfigType config) : config_(std::move(config)) {}
  std::unique_ptr<Rollout> start(const Objective& objective, const Tensor& x0) const override {
    return std::make_unique<RolloutType>(config_, objective, x0);
  }

 private:
  ConfigType config_;
};

}  // namespace l2o::optimizers
