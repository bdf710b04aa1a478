#pragma once
// The runtime interface where problems and optimizers meet: a batch of B sampled instances of
// one family at one dimension, evaluated on x of shape [B, n].
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.hpp"

namespace l2o::problems {

// The tensors that define a batch of instances, by name ("A": [B, m, n], "b": [B, m], ...),
// in the order a family documents; what `l2obench instances` exports.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// How to draw a batch: how many instances, from which seeded stream, placed where.
struct Sampling {
  std::int64_t count = 1;
  std::uint64_t seed = 0;
  Placement placement;
};

class Objective {
 public:
  virtual ~Objective() = default;

  virtual std::int64_t batch() const = 0;
  virtual std::int64_t dim() const = 0;
  virtual Placement placement() const = 0;

  // f(x): [B, n] -> [B]; differentiable with autograd (first order).
  virtual Tensor loss(const Tensor& x) const = 0;
  // ∇f(x) (a subgradient where f is not smooth): [B, n]. Never builds a graph.
  virtual Tensor grad(const Tensor& x) const = 0;
  // f(x) where only the instances with `needed` [B] true use the result (a line search's later
  // trials): the other entries are unspecified. A batch evaluates every instance anyway, so this
  // is loss(x); the cost count (CountingObjective) charges only the needed instances.
  virtual Tensor loss_where(const Tensor& x, const Tensor& needed) const {
    (void)needed;
    return loss(x);
  }

  // Composite structure f = s + l1_weight·‖x + l1_shift‖₁, for proximal methods. Smooth
  // families have l1_weight 0 and s = f. l1_shift is 0 except for a translated objective (the
  // out-of-distribution scenarios, UniformAffineObjective): proximal methods take its prox and
  // subgradients through optimizers/proximal.hpp, which apply it.
  virtual double l1_weight() const { return 0.0; }
  virtual double l1_shift() const { return 0.0; }
  virtual Tensor smooth_loss(const Tensor& x) const { return loss(x); }
  virtual Tensor smooth_grad(const Tensor& x) const { return grad(x); }
  // Lipschitz constant of ∇s per instance, [B] float64, where the family knows one.
  virtual std::optional<Tensor> lipschitz() const { return std::nullopt; }

  // Problem parameters as one row per instance, [B, p] ("global" guidance of Diff-L2O).
  virtual Tensor features() const;
  virtual NamedTensors parameters() const = 0;

  // min f per instance, [B] float64, from a reference solver or a closed form, where known.
  virtual std::optional<Tensor> reference_minimum() const { return std::nullopt; }
  // A minimiser per instance, [B, n] float64 on the CPU, where a reference solver or a closed
  // form gives one (what amortisation baselines fit, learned/regress.hpp); a row is NaN where the
  // solver did not converge.
  virtual std::optional<Tensor> reference_solution() const { return std::nullopt; }

  // Starting points for a rollout, [B, n], drawn from the given stream; N(0, I) by default.
  virtual Tensor initial_points(std::uint64_t seed) const;

  // Stochastic objectives (the MLP) evaluate on minibatches from their own seeded stream:
  // loss() uses the current minibatch, grad() uses it and then moves to the next one, so that
  // the k-th step of a rollout sees minibatch k. rewind() goes back to the first minibatch; a
  // rollout calls it first so that every optimizer on the same instances sees the same
  // minibatches. Deterministic objectives ignore it.
  virtual void rewind() const {}

  // Metrics of iterates beyond the loss, name -> [B] (the MLP's "test_loss" and
  // "test_accuracy" on held-out data); the harness records them per step. None by default.
  virtual NamedTensors evaluation_metrics(const Tensor& x) const { return {}; }
};

}  // namespace l2o::problems

namespace l2o::problems {

// The name and per-instance shape of one parameter tensor of a family ("A", {m, n}).
struct ParameterShape {
  std::string name;
  std::vector<std::int64_t> trailing;
};

// Draws each parameter i.i.d. N(0, 1) as [count, trailing...], in order, from one stream.
NamedTensors draw_gaussian_parameters(RandomStream& stream, std::int64_t count,
                                      const std::vector<ParameterShape>& shapes);

// The parameters of an imported batch in the order of `shapes`, each checked to be
// [B, trailing...] with one B for all, and placed. Errors name the parameter and both shapes.
std::vector<Tensor> take_parameters(const NamedTensors& parameters,
                                    const std::vector<ParameterShape>& shapes,
                                    const Placement& placement);

}  // namespace l2o::problems
