#pragma once
// RNNProp (Lv et al. 2017, "Learning gradient descent: better generalization and longer
// horizons"): inputs [g/√v̂, m̂/√v̂] (Adam moments, β₁ = β₂ = 0.95) → Linear 20 + ELU →
// 2-layer LSTM 20 → x ← x − output_scale·tanh(Linear(h)).
#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

struct RnnProp {
  static constexpr std::string_view name = "rnnprop";
  static constexpr std::string_view summary =
      "coordinate-wise LSTM on Adam-normalised inputs (Lv et al. 2017)";

  struct Config {
    std::int64_t hidden = 20;
    std::int64_t layers = 2;
    std::int64_t embedding = 20;
    double beta1 = 0.95;
    double beta2 = 0.95;
    double eps = 1e-8;
    double output_scale = 0.1;
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("hidden", hidden, "LSTM hidden units", at_least(1));
      v.field("layers", layers, "LSTM layers", at_least(1));
      v.field("embedding", embedding, "units of the Linear + ELU input layer", at_least(1));
      v.field("beta1", beta1, "decay of the first moment of the inputs", half_open_unit_interval());
      v.field("beta2", beta2, "decay of the second moment of the inputs",
              half_open_unit_interval());
      v.field("eps", eps, "added to sqrt(v)", greater_than(0));
      v.field("output_scale", output_scale, "step scale (0.1 original code, 0.01 Open-L2O)",
              greater_than(0));
    }
  };

  static TrainConfig training(const Config& config, TrainProfile profile);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);
};

}  // namespace l2o::learned
