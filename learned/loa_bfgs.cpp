#include "learned/loa_bfgs.hpp"

#include <array>

#include <ATen/ATen.h>

#include "learned/checkpoint.hpp"

namespace l2o::learned {

namespace {

using optimizers::BfgsIteration;

constexpr std::array<const char*, 6> weight_names = {"global.0", "global.1", "global.2",
                                                     "skip",     "head.0",   "head.1"};
constexpr std::array<std::array<std::int64_t, 2>, 6> weight_shapes = {
    {{3, 6}, {6, 12}, {12, 3}, {6, 1}, {6, 12}, {12, 1}}};
using Network = std::array<Tensor, 6>;

Tensor matvec(const Tensor& H, const Tensor& v) {
  return at::bmm(H, v.unsqueeze(2)).squeeze(2);
}

// u [B, n] from the BFGS state; see the header for the architecture.
Tensor predict_u(const Network& w, const BfgsIteration::UpdateInputs& in) {
  const Tensor a = at::stack({matvec(in.H, in.y), in.s, -matvec(in.H, in.gradient)}, 2);
  const Tensor m = at::relu(at::relu(a.matmul(w[0])).matmul(w[1])).matmul(w[2]).mean(1, true);
  const Tensor z = at::cat({m.expand({a.size(0), a.size(1), 3}), a}, 2);
  return (z.matmul(w[3]) + at::relu(z.matmul(w[4])).matmul(w[5])).squeeze(2);
}

optimizers::Bfgs::Config line_search(const LoaBfgs::Config& config) {
  optimizers::Bfgs::Config c;
  c.c1 = config.c1;
  c.tries = config.tries;
  c.first_step = config.first_step;
  return c;
}

class LoaRollout final : public LearnedRollout {
 public:
  LoaRollout(const LoaBfgs::Config& config, Network network, const Objective& objective,
             const Tensor& x0)
      : network_(std::move(network)), iteration_(line_search(config), objective, x0) {}

  Tensor step() override {
    return iteration_.step(
        [this](const BfgsIteration::UpdateInputs& in) { return predict_u(network_, in); });
  }
  void detach() override { iteration_.detach(); }
  optimizers::Counters counters() const override { return iteration_.counters(); }

 private:
  Network network_;  // handles sharing storage (and autograd identity) with the model's weights
  BfgsIteration iteration_;
};

class LoaBfgsModel final : public LearnedOptimizer {
 public:
  LoaBfgsModel(const LoaBfgs::Config& config, std::uint64_t seed) : config_(config) {
    RandomStream init(seed);
    for (std::size_t i = 0; i < network_.size(); ++i) {
      const auto [in, out] = weight_shapes[i];
      network_[i] = (init.uniform({in, out}) * 2.0 - 1.0) / std::sqrt(double(in));
    }
    if (config_.init == "bfgs") {
      network_[3] = at::zeros({6, 1}, at::kDouble);
      network_[3][4][0] = 1.0;  // the skip connection picks s: u = s, which is BFGS
      network_[5] = at::zeros({12, 1}, at::kDouble);
    }
    if (!config_.weights_file.empty()) read_weights_file(config_.weights_file, weights());
  }

  Weights weights() const override {
    Weights out;
    for (std::size_t i = 0; i < network_.size(); ++i)
      out.emplace_back(weight_names[i], network_[i]);
    return out;
  }

  void to(const Placement& placement) override {
    for (Tensor& t : network_) t = t.detach().to(placement.device, placement.dtype).clone();
  }

  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override {
    return std::make_unique<LoaRollout>(config_, network_, objective, x0);
  }

  // Imported weights are evaluated as they are: no training.
  TrainResult train(const TrainingProblem& problem, const TrainConfig& config,
                    const Placement& placement, const ProgressFn& progress) override {
    if (config_.weights_file.empty())
      return LearnedOptimizer::train(problem, config, placement, progress);
    to(placement);
    return {};
  }

 private:
  LoaBfgs::Config config_;
  Network network_;
};

}  // namespace

TrainConfig LoaBfgs::training(const Config&, TrainProfile profile) {
  // The paper's budget is not given in its summary; `paper` is a generous one. `quick` finishes
  // in a few minutes on 2 loaded cores at n = 100.
  TrainConfig t;
  const bool paper = profile == TrainProfile::paper;
  t.epochs = paper ? 2000 : 30;
  t.batch = paper ? 128 : 16;
  t.steps = paper ? 50 : 30;
  t.unroll = 10;
  t.lr = 1e-3;
  t.meta_loss = "mean";
  t.validate_every = paper ? 50 : 10;
  t.validation_instances = paper ? 128 : 32;
  return t;
}

std::unique_ptr<LearnedOptimizer> LoaBfgs::make(const Config& config, std::uint64_t init_seed) {
  return std::make_unique<LoaBfgsModel>(config, init_seed);
}

}  // namespace l2o::learned
