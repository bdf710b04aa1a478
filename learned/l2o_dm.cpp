#include "learned/l2o_dm.hpp"

#include "learned/coordinate_lstm.hpp"
#include "learned/preprocessing.hpp"

namespace l2o::learned {

namespace {

class L2oDmModel final : public CoordinateLstmOptimizer {
 public:
  L2oDmModel(const L2oDm::Config& config, std::uint64_t seed)
      : CoordinateLstmOptimizer({.features = 2,
                                 .embedding = 0,
                                 .hidden = config.hidden,
                                 .layers = config.layers,
                                 .output_scale = config.output_scale,
                                 .bounded_output = false},
                                seed),
        k_(config.preprocess_k) {}

  FeatureMap feature_map() const override {
    return [k = k_](const Tensor& gradient) { return log_and_sign(gradient, k); };
  }

 private:
  double k_;
};

}  // namespace

TrainConfig L2oDm::training(const Config&, TrainProfile profile) {
  TrainConfig t;
  t.lr = 1e-3;
  t.epochs = profile == TrainProfile::paper ? 10000 : 300;
  return t;
}

std::unique_ptr<LearnedOptimizer> L2oDm::make(const Config& config, std::uint64_t init_seed) {
  return std::make_unique<L2oDmModel>(config, init_seed);
}

}  // namespace l2o::learned
