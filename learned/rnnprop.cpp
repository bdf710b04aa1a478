#include "learned/rnnprop.hpp"

#include <memory>

#include "learned/coordinate_lstm.hpp"
#include "learned/preprocessing.hpp"

namespace l2o::learned {

namespace {

class RnnPropModel final : public CoordinateLstmOptimizer {
 public:
  RnnPropModel(const RnnProp::Config& config, std::uint64_t seed)
      : CoordinateLstmOptimizer({.features = 2,
                                 .embedding = config.embedding,
                                 .hidden = config.hidden,
                                 .layers = config.layers,
                                 .output_scale = config.output_scale,
                                 .bounded_output = true},
                                seed),
        config_(config) {}

  // Each rollout keeps its own Adam moments of the gradients.
  FeatureMap feature_map() const override {
    auto normalize = std::make_shared<AdamNormalizer>(config_.beta1, config_.beta2, config_.eps);
    return [normalize](const Tensor& gradient) { return (*normalize)(gradient); };
  }

 private:
  RnnProp::Config config_;
};

}  // namespace

TrainConfig RnnProp::training(const Config&, TrainProfile profile) {
  TrainConfig t;
  t.lr = profile == TrainProfile::paper ? 1e-4 : 1e-3;
  t.epochs = profile == TrainProfile::paper ? 10000 : 300;
  t.coordinate_scaling = 3.0;
  return t;
}

std::unique_ptr<LearnedOptimizer> RnnProp::make(const Config& config, std::uint64_t init_seed) {
  return std::make_unique<RnnPropModel>(config, init_seed);
}

}  // namespace l2o::learned
