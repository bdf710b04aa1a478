#pragma once
// MLP: cross-entropy of a one-hidden-layer network (sigmoid hidden units, softmax over the
// classes) on minibatches of MNIST or Fashion-MNIST (L2O-DM; Diff-L2O App. B.1). x holds all
// weights, [W1 (inputs x hidden, row-major), b1, W2 (hidden x classes), b2]: 15,910 for 784
// inputs, 20 hidden units and 10 classes.
//
// Stochastic: each instance (network) draws minibatches of `minibatch` training rows uniformly
// with replacement (as L2O-DM's MNIST problem) from its own seeded stream; the k-th gradient
// call of a rollout uses minibatch k (see Objective::rewind). Instances differ only in that
// stream and in their starting point: weights and biases N(0, 0.01²), L2O-DM's initialiser.
// Test loss and accuracy on held-out rows are reported per step (evaluation_metrics).
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "problems/objective.hpp"

namespace l2o::problems {

struct Mlp {
  static constexpr std::string_view name = "mlp";
  static constexpr std::string_view summary =
      "cross-entropy of a 1-hidden-layer sigmoid MLP on MNIST minibatches (L2O-DM, Diff-L2O); "
      "x = all weights; test loss and accuracy per step";

  struct Config {
    std::int64_t dim = 0;
    std::string dataset = "mnist";
    std::int64_t hidden = 20;
    std::int64_t minibatch = 128;
    std::int64_t test_examples = 2000;

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("dim", dim, "number of weights; 0: what dataset and hidden imply", at_least(0));
      v.field("dataset", dataset, "training data (test part: held out)",
              one_of({"mnist", "fashion-mnist"}));
      v.field("hidden", hidden, "sigmoid hidden units", at_least(1));
      v.field("minibatch", minibatch, "training rows per step", at_least(1));
      v.field("test_examples", test_examples,
              "held-out rows for the per-step test metrics; 0: the whole test part", at_least(0));
    }
    // Fills in dim, or checks a given one against the network's weight count.
    void validate(const std::string& where);
    std::int64_t weight_count() const;
  };

  static std::unique_ptr<Objective> sample(const Config& config, const Sampling& sampling);
  // Parameters: "minibatch_seed" [B], each an integer below 2^52 (exact in JSON).
  static std::unique_ptr<Objective> from_parameters(const Config& config,
                                                    const NamedTensors& parameters,
                                                    const Placement& placement);
};

}  // namespace l2o::problems
