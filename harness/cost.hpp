#pragma once
// The cost of a rollout per step, recorded in a cell as eval.cost (docs/design.md, "Cell
// records"): {"function": [...], "gradient": [...], "network"?: [...]}, each steps + 1 numbers,
// element k the cumulative evaluations of that kind per instance (the mean over the cell's
// instances) after k steps; element 0 is what the optimizer evaluated when it started (BFGS's
// f and ∇f at x0, say). Function and gradient evaluations are counted by the objective the
// rollout is given (problems::CountingObjective), network evaluations by the rollout
// (Rollout::network_evaluations). "network" is there only for a rollout that ran a network, and
// "hessian_vector" never: no optimizer of the suite uses Hessian-vector products.
#include <cstdint>
#include <vector>

#include "core/json_fwd.hpp"
#include "optimizers/optimizer.hpp"
#include "problems/counting_objective.hpp"

namespace l2o::harness {

class CostSeries {
 public:
  // The counts so far: after the rollout started, then after each step.
  void record(const problems::CountingObjective& objective, const optimizers::Rollout& rollout);
  Json to_json() const;

 private:
  std::vector<double> function_, gradient_;
  std::vector<std::int64_t> network_;
};

}  // namespace l2o::harness
