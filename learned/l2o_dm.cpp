#include "learned/l2o_dm.hpp"

#include <ATen/ATen.h>

#include "learned/lstm.hpp"
#include "learned/preprocessing.hpp"

namespace l2o::learned {

namespace {

class L2oDmModel final : public LearnedOptimizer {
 public:
  L2oDmModel(const L2oDm::Config& config, std::uint64_t seed) : config_(config) {
    RandomStream init(seed);
    lstm_ = StackedLstm(2, config.hidden, config.layers, init);
    head_ = Dense(config.hidden, 1, init);
  }

  Weights weights() const override {
    Weights w;
    lstm_.collect(w, "lstm");
    head_.collect(w, "head");
    return w;
  }

  void to(const Placement& placement) override {
    lstm_.to(placement);
    head_.to(placement);
  }

  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override;

  const L2oDm::Config config_;
  StackedLstm lstm_;
  Dense head_;
};

class L2oDmRollout final : public LearnedRollout {
 public:
  L2oDmRollout(const L2oDmModel& model, const Objective& objective, const Tensor& x0)
      : model_(model),
        f_(objective),
        x_(x0.detach()),
        state_(model.lstm_.initial_state(x0.numel(), x0.options())) {}

  Tensor step() override {
    Tensor input = log_and_sign(f_.grad(x_), model_.config_.preprocess_k);
    Tensor update = model_.head_(model_.lstm_.step(input, state_)).view_as(x_);
    x_ = x_ - model_.config_.output_scale * update;
    return x_;
  }

  void detach() override {
    x_ = x_.detach();
    state_.detach();
  }

 private:
  const L2oDmModel& model_;
  const Objective& f_;
  Tensor x_;
  StackedLstm::State state_;
};

std::unique_ptr<LearnedRollout> L2oDmModel::start_learned(const Objective& objective,
                                                          const Tensor& x0) const {
  return std::make_unique<L2oDmRollout>(*this, objective, x0);
}

}  // namespace

TrainConfig L2oDm::training(TrainProfile profile) {
  TrainConfig t;
  t.lr = 1e-3;
  t.epochs = profile == TrainProfile::paper ? 10000 : 300;
  return t;
}

std::unique_ptr<LearnedOptimizer> L2oDm::make(const Config& config, std::uint64_t init_seed) {
  return std::make_unique<L2oDmModel>(config, init_seed);
}

}  // namespace l2o::learned
