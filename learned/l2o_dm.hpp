#pragma once
// L2O-DM (Andrychowicz et al. 2016, "Learning to learn by gradient descent by gradient
// descent"): a coordinate-wise 2-layer LSTM (hidden 20) on LogAndSign-preprocessed gradients;
// x ← x − output_scale·Linear(h).
#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

struct L2oDm {
  static constexpr std::string_view name = "l2o-dm";
  static constexpr std::string_view summary =
      "coordinate-wise LSTM on LogAndSign gradients (Andrychowicz et al. 2016)";

  struct Config {
    std::int64_t hidden = 20;
    std::int64_t layers = 2;
    double preprocess_k = 5.0;
    double output_scale = 0.01;
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("hidden", hidden, "LSTM hidden units", at_least(1));
      v.field("layers", layers, "LSTM layers", at_least(1));
      v.field("preprocess_k", preprocess_k, "k of the LogAndSign preprocessing", greater_than(0));
      v.field("output_scale", output_scale, "scale of the network output", greater_than(0));
    }
  };

  // Reference budget: 10,000 epochs (hours here); quick: minutes.
  static TrainConfig training(const Config& config, TrainProfile profile);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);
};

}  // namespace l2o::learned
