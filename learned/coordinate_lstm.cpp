#include "learned/coordinate_lstm.hpp"

#include <ATen/ATen.h>

namespace l2o::learned {

namespace {

class CoordinateLstmRollout final : public LearnedRollout {
 public:
  CoordinateLstmRollout(const CoordinateLstmOptimizer& model, const Objective& objective,
                        const Tensor& x0)
      : model_(model),
        f_(objective),
        x_(x0.detach()),
        features_(model.feature_map()),
        state_(model.initial_state(x0)) {}

  Tensor step() override {
    count_network_evaluation();
    x_ = x_ - model_.step_of(features_(f_.grad(x_)), state_).view_as(x_);
    return x_;
  }

  void detach() override {
    x_ = x_.detach();
    state_.detach();
  }

 private:
  const CoordinateLstmOptimizer& model_;
  const Objective& f_;
  Tensor x_;
  FeatureMap features_;
  StackedLstm::State state_;
};

}  // namespace

CoordinateLstmOptimizer::CoordinateLstmOptimizer(const Shape& shape, std::uint64_t seed)
    : shape_(shape) {
  RandomStream init(seed);
  if (shape.embedding > 0) embed_ = Dense(shape.features, shape.embedding, init);
  lstm_ = StackedLstm(shape.embedding > 0 ? shape.embedding : shape.features, shape.hidden,
                      shape.layers, init);
  head_ = Dense(shape.hidden, 1, init);
}

Weights CoordinateLstmOptimizer::weights() const {
  Weights w;
  if (embed_) embed_->collect(w, "embed");
  lstm_.collect(w, "lstm");
  head_.collect(w, "head");
  return w;
}

void CoordinateLstmOptimizer::to(const Placement& placement) {
  if (embed_) embed_->to(placement);
  lstm_.to(placement);
  head_.to(placement);
}

StackedLstm::State CoordinateLstmOptimizer::initial_state(const Tensor& x0) const {
  return lstm_.initial_state(x0.numel(), x0.options());
}

Tensor CoordinateLstmOptimizer::step_of(const Tensor& features, StackedLstm::State& state) const {
  Tensor input = embed_ ? at::elu((*embed_)(features)) : features;
  Tensor out = head_(lstm_.step(input, state));
  if (shape_.bounded_output) out = at::tanh(out);
  return shape_.output_scale * out;
}

std::unique_ptr<LearnedRollout> CoordinateLstmOptimizer::start_learned(const Objective& objective,
                                                                       const Tensor& x0) const {
  return std::make_unique<CoordinateLstmRollout>(*this, objective, x0);
}

}  // namespace l2o::learned
