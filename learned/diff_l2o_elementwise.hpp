#pragma once
// Diff-L2O-ELE (Shi et al. 2025, Appendix C, Algorithm 5): the element-wise variant, one network
// applied to every coordinate, so that one trained model serves every dimension. A coordinate
// sees its iterate and gradient (asinh, or L2O-DM's log-and-sign pair), permutation-invariant
// summaries of both (mean and root mean square of x and asinh g over the coordinates), the time
// embedding and a sinusoidal positional encoding of its index. Training moves through Global →
// Local → element phases: one update per reverse step for all coordinates, then one per third of
// them, then one per coordinate (at most max_groups groups of coordinates, so that a 15,910-weight
// MLP stays trainable).
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "learned/diffusion.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

struct DiffL2oElementwise {
  static constexpr std::string_view name = "diff-l2o-ele";
  static constexpr std::string_view summary =
      "element-wise Diff-L2O: one per-coordinate denoiser for every dimension (Shi et al. 2025, "
      "App. C)";

  struct Config {
    std::int64_t width = 64;
    std::int64_t depth = 3;
    std::int64_t time_embedding = 16;
    std::int64_t position_embedding = 16;
    double global_until = 1.0 / 3.0;
    double local_until = 2.0 / 3.0;
    std::int64_t max_groups = 50;
    std::string gradient_input = "asinh";
    DiffusionSettings diffusion;

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("width", width, "hidden units of the per-coordinate network", at_least(1));
      v.field("depth", depth, "hidden layers of the per-coordinate network", at_least(1));
      v.field("time_embedding", time_embedding, "sinusoidal time-embedding size (even)",
              at_least(2));
      v.field("position_embedding", position_embedding,
              "sinusoidal positional-encoding size (even)", at_least(2));
      v.field("global_until", global_until,
              "share of the epochs with one update per reverse step (N1)", between(0, 1));
      v.field("local_until", local_until,
              "share of the epochs before per-coordinate updates start (N2)", between(0, 1));
      v.field("max_groups", max_groups,
              "most updates per reverse step in the last phase (one per coordinate up to this)",
              at_least(1));
      v.field("gradient_input", gradient_input,
              "a coordinate's own gradient input: asinh(g_i), or L2O-DM's scale-free "
              "log-and-sign pair with k = 10 (log|g_i|/10 and sign, both clipped to ±1), for "
              "gradients that span decades (an MLP's weights)",
              one_of({"asinh", "log-sign"}));
      diffusion.fields(v);
    }
    void validate(const std::string& where) const;
  };

  static TrainConfig training(const Config& config, TrainProfile profile);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);
};

}  // namespace l2o::learned
