#pragma once
// Equivariance as a measurement (`l2obench equivariance`): each optimizer runs on test instances
// of a problem and on their transformed twins (problems/coordinate_change.hpp: a coordinate
// permutation, a translation by v, a scaling by c), and the twin's iterates, mapped back, are
// compared with the original ones. The deviation of an (optimizer, transformation) is
//   max over instances b and steps k of ‖x_k − T(x'_k)‖₂ / max_k ‖x_k‖₂,
// 0 for an exactly equivariant method up to float64 rounding (runs are in float64). A deviation
// at most `tolerance` is reported as equivariant; a non-finite one (a run that diverged) is not.
// Learned optimizers run untrained (their init seed from the suite seed) unless their config
// gives weights (loa-bfgs: "weights_file"); equivariance by construction holds for any weights.
#include <cstdint>
#include <string>
#include <vector>

#include "core/json_fwd.hpp"

namespace l2o::harness {

struct EquivarianceOptions {
  Json problems;    // suite "problems" entries (default: the synthetic logistic regression)
  Json optimizers;  // suite "optimizers" entries (default: every registered one, see .cpp)
  std::int64_t steps = 30;
  std::int64_t instances = 4;
  std::uint64_t seed = 1;
  double scale = 3.0;
  double translation = 2.0;  // v ~ translation·N(0, I) per instance
  double tolerance = 1e-6;
};

struct EquivarianceResult {
  Json json;          // {"settings", "rows": [{problem, optimizer, transformations: {...}}]}
  std::string table;  // optimizer × transformation, per problem
};

// Bad entries are InputErrors naming the field, as in suite files (`where` names the source).
EquivarianceResult measure_equivariance(const EquivarianceOptions& options,
                                        const std::string& where = "equivariance");

// The default optimizer entries: every registered optimizer with its defaults, each followed by
// the variants its type lists in `equivariance_variants` (Nesterov momentum, loa-bfgs with
// random weights: its default init is exact BFGS).
Json default_equivariance_optimizers();

}  // namespace l2o::harness
