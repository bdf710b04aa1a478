#include "learned/rnnprop.hpp"

#include <ATen/ATen.h>

#include "learned/lstm.hpp"
#include "learned/preprocessing.hpp"

namespace l2o::learned {

namespace {

class RnnPropModel final : public LearnedOptimizer {
 public:
  RnnPropModel(const RnnProp::Config& config, std::uint64_t seed) : config_(config) {
    RandomStream init(seed);
    embed_ = Dense(2, config.embedding, init);
    lstm_ = StackedLstm(config.embedding, config.hidden, config.layers, init);
    head_ = Dense(config.hidden, 1, init);
  }

  Weights weights() const override {
    Weights w;
    embed_.collect(w, "embed");
    lstm_.collect(w, "lstm");
    head_.collect(w, "head");
    return w;
  }

  void to(const Placement& placement) override {
    embed_.to(placement);
    lstm_.to(placement);
    head_.to(placement);
  }

  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override;

  const RnnProp::Config config_;
  Dense embed_;
  StackedLstm lstm_;
  Dense head_;
};

class RnnPropRollout final : public LearnedRollout {
 public:
  RnnPropRollout(const RnnPropModel& model, const Objective& objective, const Tensor& x0)
      : model_(model),
        f_(objective),
        x_(x0.detach()),
        normalizer_(model.config_.beta1, model.config_.beta2, model.config_.eps),
        state_(model.lstm_.initial_state(x0.numel(), x0.options())) {}

  Tensor step() override {
    Tensor input = at::elu(model_.embed_(normalizer_(f_.grad(x_))));
    Tensor update = at::tanh(model_.head_(model_.lstm_.step(input, state_))).view_as(x_);
    x_ = x_ - model_.config_.output_scale * update;
    return x_;
  }

  void detach() override {
    x_ = x_.detach();
    state_.detach();
  }

 private:
  const RnnPropModel& model_;
  const Objective& f_;
  Tensor x_;
  AdamNormalizer normalizer_;
  StackedLstm::State state_;
};

std::unique_ptr<LearnedRollout> RnnPropModel::start_learned(const Objective& objective,
                                                            const Tensor& x0) const {
  return std::make_unique<RnnPropRollout>(*this, objective, x0);
}

}  // namespace

TrainConfig RnnProp::training(TrainProfile profile) {
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
