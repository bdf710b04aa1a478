#pragma once
// Learned optimizers: an Optimizer whose update is a network with meta-trainable weights.
// A learned rollout builds an autograd graph from the weights to the iterates when grad mode is
// on (meta-training) and none under InferenceMode (evaluation); detach() cuts the graph at the
// current state, which is how truncated backpropagation through time is done.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "learned/training.hpp"
#include "optimizers/optimizer.hpp"

namespace l2o::learned {

using optimizers::Objective;
using optimizers::Rollout;

// Network weights by name, in a fixed order (the checkpoint order). Tensors are handles: the
// list shares storage with the model.
using Weights = std::vector<std::pair<std::string, Tensor>>;

class LearnedRollout : public Rollout {
 public:
  // Cuts the autograd graph here: later steps start from the current state as constants.
  virtual void detach() = 0;

  std::int64_t network_evaluations() const override { return network_evaluations_; }

 protected:
  // Called at each forward pass of the model over the batch, which evaluates it once for every
  // instance (for a coordinate-wise model: once over all of an instance's coordinates).
  void count_network_evaluation() { ++network_evaluations_; }

 private:
  std::int64_t network_evaluations_ = 0;
};

class LearnedOptimizer : public optimizers::Optimizer {
 public:
  virtual Weights weights() const = 0;
  // Moves the weights to a device and dtype (replacing the tensors; earlier handles go stale).
  virtual void to(const Placement& placement) = 0;
  virtual std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                        const Tensor& x0) const = 0;

  std::unique_ptr<Rollout> start(const Objective& objective, const Tensor& x0) const override {
    return start_learned(objective, x0);
  }

  // Sizes the networks for problems shaped like `example` (its dimension, its feature count).
  // Called before weights are loaded or trained; coordinate-wise models need nothing and keep
  // the default. A model already sized otherwise throws InputError.
  virtual void shape_for(const Objective& example) { (void)example; }

  // Trains the weights in place (ending with the best validated ones). The default is the shared
  // truncated-BPTT loop, meta_train(); a method trained otherwise (Diff-L2O) overrides it.
  virtual TrainResult train(const TrainingProblem& problem, const TrainConfig& config,
                            const Placement& placement, const ProgressFn& progress);
};

}  // namespace l2o::learned
