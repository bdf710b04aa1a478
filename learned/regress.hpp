#pragma once
// An amortisation baseline: a map from the problem's parameters (Objective::features(), what
// Diff-L2O's `global` guidance reads) to its solution x*, fitted on the training split's
// instances; its rollout is x₁ = the prediction, then nothing (x stays) or a classical optimizer
// from there. A learned optimizer that reads the parameters and does no better than this is
// predicting the answer rather than optimizing.
//
// The map is a ridge regression (closed form; the penalty picked on the validation split from a
// log grid) or a small MLP (full-batch Adam, the best validated weights kept), both on
// standardised features and targets. The targets are the family's reference solutions
// (Objective::reference_solution()); a family without one is refused. Training: `epochs`
// batches of `batch` instances, the very instances meta_train draws for a learned optimizer with
// the same training config and seed; `lr` is the MLP's Adam rate and `validate_every` counts its
// iterations. Validation: mean f at the prediction over the validation instances.
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

struct Regress {
  static constexpr std::string_view name = "regress";
  static constexpr std::string_view summary =
      "amortisation baseline: ridge or MLP regression from the problem parameters to x*, "
      "x_1 = its prediction, then optionally a classical optimizer";

  struct Config {
    std::string model = "ridge";
    double ridge_min = 1e-8;
    double ridge_max = 1e2;
    std::int64_t ridge_count = 11;
    std::int64_t width = 64;
    std::int64_t depth = 1;
    std::int64_t iterations = 2000;
    std::string then = "none";
    Json then_config = Json::object();

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("model", model, "the map from parameters to x*", one_of({"ridge", "mlp"}));
      v.field("ridge_min", ridge_min, "smallest ridge penalty of the validation grid",
              greater_than(0));
      v.field("ridge_max", ridge_max, "largest ridge penalty of the grid", greater_than(0));
      v.field("ridge_count", ridge_count, "penalties in the grid, log-spaced", at_least(1));
      v.field("width", width, "hidden units of the MLP", at_least(1));
      v.field("depth", depth, "hidden layers of the MLP", at_least(1));
      v.field("iterations", iterations, "full-batch Adam steps of the MLP", at_least(1));
      v.field("then", then,
              "classical optimizer that continues from the prediction (none: x stays)");
      v.field("then_config", then_config, "its config");
    }
    void validate(const std::string& where);
  };

  static TrainConfig training(const Config& config, TrainProfile profile);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);
};

}  // namespace l2o::learned
