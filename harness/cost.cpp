#include "harness/cost.hpp"

#include <nlohmann/json.hpp>

namespace l2o::harness {

void CostSeries::record(const problems::CountingObjective& objective,
                        const optimizers::Rollout& rollout) {
  const problems::OracleCounts counts = objective.counts();
  function_.push_back(counts.function);
  gradient_.push_back(counts.gradient);
  network_.push_back(rollout.network_evaluations());
}

Json CostSeries::to_json() const {
  Json cost = {{"function", function_}, {"gradient", gradient_}};
  if (!network_.empty() && network_.back() > 0) cost["network"] = network_;
  return cost;
}

}  // namespace l2o::harness
