#pragma once
// The shape L2O-DM and RNNProp share: per-coordinate features of the gradient, optionally
// embedded (Dense + ELU), a stacked LSTM over all B·n coordinates at once, a Dense head, and
// x ← x − output_scale·head (or ·tanh(head) for a bounded step). The methods differ only in
// the features and these sizes.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "learned/learned_optimizer.hpp"
#include "learned/lstm.hpp"

namespace l2o::learned {

// ∇f [B, n] -> features [B·n, k]; one per rollout, so it may keep state (Adam moments).
using FeatureMap = std::function<Tensor(const Tensor& gradient)>;

class CoordinateLstmOptimizer : public LearnedOptimizer {
 public:
  struct Shape {
    std::int64_t features = 2;
    std::int64_t embedding = 0;  // 0: the features go straight into the LSTM
    std::int64_t hidden = 20;
    std::int64_t layers = 2;
    double output_scale = 0.01;
    bool bounded_output = false;  // tanh on the head
  };

  // Weights drawn from `seed` in the order embedding, LSTM, head.
  CoordinateLstmOptimizer(const Shape& shape, std::uint64_t seed);

  Weights weights() const override;
  void to(const Placement& placement) override;
  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override;

  // A fresh feature map for one rollout.
  virtual FeatureMap feature_map() const = 0;
  // The step of every coordinate from its features; advances the LSTM state.
  Tensor step_of(const Tensor& features, StackedLstm::State& state) const;
  StackedLstm::State initial_state(const Tensor& x0) const;

 private:
  Shape shape_;
  std::optional<Dense> embed_;
  StackedLstm lstm_;
  Dense head_;
};

}  // namespace l2o::learned
