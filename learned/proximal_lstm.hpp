#pragma once
// What Math-L2O (L2O-PA) and GO-Math-L2O share: the coordinate-wise network LSTM (2 × 20) →
// Linear 20 + ReLU → a Linear head per learned coefficient, applied to all B·n coordinates at
// once, and the checks that a problem is composite s + λ‖x‖₁ with a known Lipschitz constant.
// The methods differ in the inputs and in how the coefficients enter the proximal step.
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/lstm.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

// The config both methods share: the network's sizes (2 × 20 in the papers).
struct ProximalLstmConfig {
  std::int64_t hidden = 20;
  std::int64_t layers = 2;
  template <class Visitor>
  void fields(Visitor& v) {
    v.field("hidden", hidden, "LSTM hidden units (and width of the Linear + ReLU layer)",
            at_least(1));
    v.field("layers", layers, "LSTM layers", at_least(1));
  }
};

class ProximalLstmNetwork {
 public:
  ProximalLstmNetwork(std::int64_t inputs, std::int64_t hidden, std::int64_t layers,
                      std::int64_t heads, std::uint64_t seed);

  StackedLstm::State initial_state(const Tensor& x0) const;
  // features [B·n, inputs] -> raw coefficients [B·n, heads] (before their sigmoids); advances
  // the LSTM state.
  Tensor operator()(const Tensor& features, StackedLstm::State& state) const;

  Weights weights() const;
  void to(const Placement& placement);

 private:
  StackedLstm lstm_;
  Dense hidden_, head_;
};

// A model: the network with `inputs` features and `heads` coefficients; RolloutType is built
// from (network, objective, x0).
template <class RolloutType, std::int64_t inputs, std::int64_t heads>
class ProximalLstmModel final : public LearnedOptimizer {
 public:
  ProximalLstmModel(const ProximalLstmConfig& config, std::uint64_t seed)
      : net_(inputs, config.hidden, config.layers, heads, seed) {}

  Weights weights() const override { return net_.weights(); }
  void to(const Placement& placement) override { net_.to(placement); }
  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override {
    return std::make_unique<RolloutType>(net_, objective, x0);
  }

 private:
  ProximalLstmNetwork net_;
};

// 1/L per instance as [B, 1], or an InputError naming `method` and what the family lacks (the
// learned proximal methods need a composite s + λ‖x‖₁ objective with a Lipschitz constant).
Tensor composite_inverse_lipschitz(const problems::Objective& objective, std::string_view method);

// The training recipe both papers use: 100 iterations in 20-step truncated-BPTT segments,
// meta-loss the mean of F over a segment, Adam lr 1e-2 with step decay, clipping. `paper`:
// 3 epochs × 500 batches of 128 = 1,500 training batches, lr halved after each paper epoch;
// `quick`: 60 batches of 32 (minutes on 2 cores).
TrainConfig proximal_l2o_training(TrainProfile profile);

// Coefficient j of the network output as [B, n].
Tensor coefficient(const Tensor& raw, std::int64_t j, const Tensor& like);

}  // namespace l2o::learned
