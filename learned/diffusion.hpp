#pragma once
// The diffusion machinery of Diff-L2O (Shi et al. 2025, Algorithms 1–4): the VP-SDE / DDPM noise
// schedule, sinusoidal embeddings, an MLP, and DiffusionOptimizer, the base of every optimizer
// whose iterates are reverse-diffusion steps. One Rollout::step() is one reverse step
// t → t−1, starting at t = T from x0 (the harness's N(0, I) starting points); after T steps the
// iterate stays at x̂_0.
//
// Training (Algorithm 3) is its own loop, not the truncated-BPTT one: for each batch of
// training instances a forward trajectory x̃_0..x̃_T is drawn around a start point (a classical
// optimizer's solution or the oracle's guess, Algorithm 4), and for t = T..1 the network makes
// one reverse step from x̂_t and is updated on α·f(x̂_{t−1}) + (1−α)·MSE(x̃_{t−1}, x̂_{t−1}).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/lstm.hpp"

namespace l2o::learned {

// β_t linear from beta_start (t = 1) to beta_end (t = T); α_t = 1 − β_t; ᾱ_t = Π_{s≤t} α_s with
// ᾱ_0 = 1. Coefficients are float64 scalars; tensors take the dtype of their inputs.
class NoiseSchedule {
 public:
  NoiseSchedule(std::int64_t steps, double beta_start, double beta_end);

  std::int64_t steps() const { return static_cast<std::int64_t>(beta_.size()) - 1; }
  double beta(std::int64_t t) const { return beta_[t]; }
  double alpha_bar(std::int64_t t) const { return alpha_bar_[t]; }

  // Algorithm 1: x̃_t ~ N(√ᾱ_t x̃_0, (1 − ᾱ_t) I) for t = 0..T, each drawn independently
  // (x̃_0 itself at t = 0). Returns T + 1 tensors shaped like x0.
  std::vector<Tensor> forward_trajectory(const Tensor& x0, RandomStream& noise) const;

  // Mean of the DDPM reverse step p(x_{t−1} | x_t) for a predicted noise ε:
  // (x_t − β_t/√(1 − ᾱ_t)·ε)/√α_t.
  Tensor reverse_mean(const Tensor& x_t, const Tensor& epsilon, std::int64_t t) const;
  // Standard deviation of that step, the posterior one: √(β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t)); 0 at t = 1.
  double reverse_std(std::int64_t t) const;

 private:
  std::vector<double> beta_, alpha_bar_;  // index 0 unused for beta_
};

// [sin(p·ω_k), cos(p·ω_k)] with ω_k = 10000^(−k/(dims/2)) (Vaswani et al.; DDPM's time
// embedding): positions [rows] -> [rows, dims]. dims is even.
Tensor sinusoidal_embedding(const Tensor& positions, std::int64_t dims);

// Dense layers with SiLU between them: in -> width (× depth − 1 hidden layers) -> out.
class Mlp {
 public:
  Mlp() = default;
  Mlp(std::int64_t in, std::int64_t width, std::int64_t depth, std::int64_t out,
      RandomStream& init);
  Tensor operator()(Tensor x) const;
  void collect(Weights& out, const std::string& prefix) const;
  void to(const Placement& placement);

 private:
  std::vector<Dense> layers_;
};

// Where the forward trajectories of training start (DiffusionSettings::oracle).
enum class Oracle { solver, perfect, noisy, fixed, partial, ours };
// What the denoiser's output is (DiffusionSettings::parameterization).
enum class Output { epsilon, step, direct };

// The settings every diffusion optimizer shares; listed in its Config (flat JSON fields).
struct DiffusionSettings {
  std::int64_t diffusion_steps = 100;
  double beta_start = 1e-5;
  double beta_end = 2e-2;
  double alpha = 0.5;
  std::string parameterization = "epsilon";  // the paper's text; the study: best or near it
  bool sampling_noise = false;  // Algorithm 2 adds none; the study found it costs on every problem
  std::string oracle = "solver";
  std::string solver = "adam";
  Json solver_config = {{"lr", 0.05}};
  std::int64_t solver_steps = 500;
  std::string solver_start = "independent";
  std::int64_t perfect_starts = 8;
  double perfect_spread = 2.0;
  std::int64_t oracle_width = 128;
  std::int64_t oracle_pretrain = 200;
  double oracle_lr = 1e-3;
  double ema = 0.995;
  std::string f_term = "f";  // the paper's; `relative` is keyed only when set

  template <class Visitor>
  void fields(Visitor& v) {
    v.field("diffusion_steps", diffusion_steps, "T: reverse steps of a rollout (and of training)",
            at_least(1));
    v.field("beta_start", beta_start, "β_1 of the linear noise schedule", greater_than(0));
    v.field("beta_end", beta_end, "β_T of the linear noise schedule", between(0, 1));
    v.field("alpha", alpha, "loss weight: α·f(x̂_{t−1}) + (1−α)·MSE(x̃_{t−1}, x̂_{t−1})",
            between(0, 1));
    v.field("parameterization", parameterization,
            "network output: the step x̂_{t−1} − x̂_t (step), the next iterate x̂_{t−1} itself "
            "(direct, Algorithm 2 as printed), or DDPM's noise ε (x̂_{t−1} = reverse mean)",
            one_of({"epsilon", "step", "direct"}));
    v.field("sampling_noise", sampling_noise,
            "add the DDPM posterior noise in each reverse step (a fixed seeded stream)");
    v.field("oracle", oracle,
            "start of the forward trajectories: a classical solver's solution (solver), the best "
            "of perfect_starts solver runs (perfect), noise (noisy), or the oracle network "
            "pre-trained then frozen (fixed), trained on f (partial), on f and the sampler's "
            "output (ours)",
            one_of({"solver", "perfect", "noisy", "fixed", "partial", "ours"}));
    v.field("solver", solver, "classical optimizer that solves the training instances");
    v.field("solver_config", solver_config, "its config");
    v.field("solver_steps", solver_steps, "its iterations per training batch", at_least(1));
    v.field("solver_start", solver_start,
            "where the solver starts: its own N(0, I) draws (independent), or the reverse chain's "
            "start x̂_T of the same epoch (chain), so that x̃_0 is the minimum reached from it",
            one_of({"independent", "chain"}));
    v.field("perfect_starts", perfect_starts, "solver restarts of the perfect oracle", at_least(1));
    v.field("perfect_spread", perfect_spread, "scale of the perfect oracle's random starts",
            greater_than(0));
    v.field("oracle_width", oracle_width, "hidden units of the oracle network (2 layers)",
            at_least(1));
    v.field("oracle_pretrain", oracle_pretrain,
            "oracle updates on f before the denoiser trains (fixed, partial, ours)", at_least(0));
    v.field("oracle_lr", oracle_lr, "Adam learning rate of the oracle", greater_than(0));
    v.field("ema", ema,
            "decay of the exponential moving average of the weights that is validated and kept "
            "(0: the raw weights)",
            half_open_unit_interval());
    // Added after the paper-budget models were trained and shipped: keyed only when set.
    v.field("f_term", f_term,
            "the loss's f term of a reverse step: f(x̂_{t−1}) (f, the paper's), or f(x̂_{t−1}) / "
            "|f(x̂_t)| per instance, the divisor detached and at least 1e-6 (relative), so that "
            "late steps, where f is small, weigh in the meta-optimizer's update as early ones do",
            keyed_only_when_set(one_of({"f", "relative"}), "f"));
  }
  void validate(const std::string& where) const;
  Oracle oracle_kind() const;  // `oracle` as the enum
  Output output_kind() const;  // `parameterization` as the enum
  // Whether the oracle is a network (pre-trained; learned on in training for partial and ours).
  bool has_oracle_network() const;
};

// The training budget of a diffusion optimizer: `quick` or `paper` epochs of batch 512, lr 1e-3.
// Many instances per update matter more than many updates: with 128 the network fitted each
// batch and generalised poorly (Rastrigin n = 10: 110 at step 100 vs 67 with 512).
TrainConfig diffusion_training(TrainProfile profile, std::int64_t quick_epochs,
                               std::int64_t paper_epochs);

// What a denoiser sees of the problem during one rollout.
struct DiffusionContext {
  const Objective& objective;
  Tensor features;  // f.features() where the model uses them, else undefined
};

class DiffusionOptimizer : public LearnedOptimizer {
 public:
  DiffusionOptimizer(const DiffusionSettings& settings, std::uint64_t seed);

  // The network's raw output for x_t at step t: ε or the step, [B, n].
  Tensor denoise(const Tensor& x_t, const DiffusionContext& context, std::int64_t t) const;
  // What the network reads for x_t at step t (x_t, guidance, embeddings), none of which depends
  // on the weights: [B, k], or one row per coordinate, [B, n, k], for a model with more than one
  // update group.
  virtual Tensor denoiser_input(const Tensor& x_t, const DiffusionContext& context,
                                std::int64_t t) const = 0;
  // The network on such an input: [B, n]; on the rows [B, m, k] of m coordinates, [B, m].
  virtual Tensor denoiser_output(const Tensor& input) const = 0;
  // How many groups of coordinates are updated one after another in a reverse step of training
  // epoch `epoch` (of `epochs`) at dimension `dim`: 1 for the joint model; the element-wise one
  // moves from 1 to 3 to dim (Algorithm 5's Global → Local phases).
  virtual std::int64_t update_groups(std::int64_t epoch, std::int64_t epochs,
                                     std::int64_t dim) const;

  // One reverse step x̂_t -> x̂_{t−1}; `noise` (shaped like x_t) is used where the schedule adds
  // posterior noise.
  Tensor reverse_step(const Tensor& x_t, const DiffusionContext& context, std::int64_t t,
                      const Tensor& noise) const;
  // x̂_{t−1} from x̂_t and the network's output for it (ε or the step).
  Tensor reverse_step_from(const Tensor& x_t, const Tensor& output, std::int64_t t,
                           const Tensor& noise) const;
  // The reverse step of a training update of coordinates [lo, hi) (Algorithm 5) from `input`,
  // denoiser_input(x_t, …) of a per-coordinate model: the (finite) values of reverse_step,
  // differentiable through those coordinates only. Its weight gradient is that of reverse_step
  // with the other coordinates detached (float rounding aside), for one no-grad pass over all
  // coordinates and a differentiable one over the group's instead of a differentiable pass over
  // all of them.
  Tensor group_reverse_step(const Tensor& x_t, const Tensor& input, std::int64_t t,
                            const Tensor& noise, std::int64_t lo, std::int64_t hi) const;
  // The start x̃_0 of the forward trajectories for a batch of training instances (see `oracle`);
  // `features` are f's, `seed` draws the solver's starting points or the noise; `chain_start` is
  // the reverse chain's x̂_T, where the solver starts with `solver_start: chain`.
  Tensor trajectory_start(const Objective& f, const Tensor& features, std::uint64_t seed,
                          const Tensor& chain_start = {}) const;

  // Problem features are computed per rollout only for a model that reads them.
  virtual bool reads_features() const = 0;
  // A joint model is sized for one (n, p); an element-wise one serves every n.
  virtual bool dimension_free() const { return false; }

  const NoiseSchedule& schedule() const { return schedule_; }
  const DiffusionSettings& settings() const { return settings_; }

  void shape_for(const Objective& example) override;
  Weights weights() const override;
  void to(const Placement& placement) override;
  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override;
  TrainResult train(const TrainingProblem& problem, const TrainConfig& config,
                    const Placement& placement, const ProgressFn& progress) override;

 protected:
  // The denoiser for dimension n and p problem features, weights drawn from `init`.
  virtual void build_denoiser(std::int64_t n, std::int64_t p, RandomStream& init) = 0;
  virtual void collect_denoiser(Weights& out) const = 0;
  virtual void denoiser_to(const Placement& placement) = 0;

 private:
  class Training;  // the training loop's state (diffusion.cpp)

  void require_shape(const Objective& f) const;
  Tensor solve(const Objective& f, const Tensor& x0) const;

  DiffusionSettings settings_;
  Oracle oracle_kind_;
  Output output_;
  NoiseSchedule schedule_;
  std::uint64_t seed_;
  std::int64_t dim_ = -1, features_ = -1;  // what the networks are sized for (-1: not yet)
  std::optional<Mlp> oracle_;              // features -> x̃_0 (fixed, partial, ours)
  std::optional<Placement> placement_;
};

}  // namespace l2o::learned
