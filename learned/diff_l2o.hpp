#pragma once
// Diff-L2O (Shi et al. 2025, "Make Optimization Once and for All with Fine-grained Guidance"):
// a conditional diffusion model over solutions. Its `opt` network, an MLP on
// concat(x̂_t, guidance, time embedding), predicts the DDPM noise of each reverse step; the
// guidance is ∇f(x̂_t) (`gradient`), the problem parameters θ (`global`) or both (`all`).
// Width, depth and time embedding are not given in the paper: config values here.
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "learned/diffusion.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

struct DiffL2o {
  static constexpr std::string_view name = "diff-l2o";
  static constexpr std::string_view summary =
      "diffusion model over solutions, guided by gradients and/or problem parameters "
      "(Shi et al. 2025)";

  struct Config {
    // The design study (docs/design.md): within a few % of the best guidance on most problems.
    std::string guidance = "all";
    std::int64_t width = 256;
    std::int64_t depth = 3;
    std::int64_t time_embedding = 16;
    std::string gradient_input = "asinh";
    DiffusionSettings diffusion;

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("guidance", guidance,
              "guidance vector: ∇f(x̂_t) (gradient), problem parameters (global), or both (all)",
              one_of({"gradient", "global", "all"}));
      v.field("width", width, "hidden units of the opt network", at_least(1));
      v.field("depth", depth, "hidden layers of the opt network", at_least(1));
      v.field("time_embedding", time_embedding, "sinusoidal time-embedding size (even)",
              at_least(2));
      // Added after the Fig. 2-4 models were trained and shipped: keyed only when not asinh.
      v.field("gradient_input", gradient_input,
              "how ∇f(x̂_t) is normalised for the opt network: asinh(g) per coordinate, g as it "
              "is (raw), or L2O-DM's log-and-sign pair with k = 10 (two inputs per coordinate)",
              keyed_only_when_set(one_of({"asinh", "raw", "log-sign"}), "asinh"));
      diffusion.fields(v);
    }
    void validate(const std::string& where) const;
  };

  static TrainConfig training(const Config& config, TrainProfile profile);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);
};

// Gradients span decades across families and iterates: the networks read asinh(∇f), linear
// near 0 and logarithmic in the tails (unless a config's gradient_input says otherwise).
Tensor compress_gradient(const Tensor& gradient);

}  // namespace l2o::learned
