#pragma once
// The learned BFGS of Castera & Ochs ("From learning to optimize to learning optimization
// algorithms", LOA; see docs/design.md). BFGS whose rank-two update uses a vector u predicted by a
// 216-parameter network instead of u = s:
//   per coordinate i: a_i = [(H y)_i, s_i, (−H g)_i]      (H before the update, g the new gradient)
//   m = mean_i MLP_g(a_i), MLP_g: 3 → 6 → 12 → 3, ReLU between layers (a permutation-equivariant
//       global feature, broadcast to every coordinate)
//   z_i = [m₁, m₂, m₃, a_i]                                 (global first, in the flat order)
//   u_i = z_i·W_skip + ReLU(z_i·W_h1)·W_h2,  W_skip 6×1, W_h1 6×12, W_h2 12×1
// No layer has a bias, so u is positively homogeneous in (s, y, g) and the update is invariant
// to the scale of u: scale, translation and permutation equivariance hold for any weights.
// Initialised to exact BFGS: W_skip = (0, 0, 0, 0, 1, 0) (picks s), W_h2 = 0; the other layers
// uniform ±1/√in. Steps, line search and `protocol` are those of `bfgs` (optimizers/bfgs.hpp):
// "authors" (the default) is the authors' iteration, which their weights assume; "safeguarded"
// adds the guard uᵀy ≤ 0 → u = s ("guard_fallbacks" in the cell's eval counters).
//
// `weights_file` takes either form:
//  - the flat order (`l2obench export-weights`): the matrices global.0 [3,6], global.1 [6,12],
//    global.2 [12,3], skip [6,1], head.0 [6,12], head.1 [12,1], each [in, out] row-major
//    (y = x·W; a torch.nn.Linear's weight transposed): 18 + 72 + 36 + 6 + 72 + 12 = 216 numbers.
//    Rows of global.0 are the inputs (H y, s, −H g); rows 0–2 of skip and head.0 are the global
//    features m₁..m₃, rows 3–5 the local inputs (H y, s, −H g);
//  - the authors' PyTorch state dict as a JSON object of nested lists, [out, in] each:
//    outer_FF.{0,1,2}.weight (= global.{0,1,2}ᵀ), fullskip_layer.weight [1,6] and
//    layers.{0,1}.weight [12,6], [1,12]. Their inputs to the skip and head are local then global
//    (cat((x, outer))), so columns 0–2 of fullskip_layer and layers.0 become rows 3–5 here.
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"
#include "optimizers/bfgs.hpp"

namespace l2o::learned {

struct LoaBfgs {
  static constexpr std::string_view name = "loa-bfgs";
  static constexpr std::string_view summary =
      "learned BFGS: 216-parameter equivariant network picks the update vector (Castera & Ochs)";

  // Measured by `l2obench equivariance` besides the defaults (whose init is exact BFGS).
  static constexpr std::string_view equivariance_variants =
      R"([{"label": "loa-bfgs-random", "init": "random"}])";
  static constexpr std::int64_t parameter_count = 216;

  struct Config {
    std::string init = "bfgs";
    std::string weights_file;
    double c1 = 1e-2;
    std::int64_t tries = 5;
    std::string first_step = "polyak";
    std::string protocol = "authors";
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("init", init, "initial weights: exact BFGS, or all random (equivariance checks)",
              one_of({"bfgs", "random"}));
      v.field("weights_file", weights_file,
              "JSON: 216 numbers in the documented order, the authors' state dict (keys "
              "outer_FF.0.weight, ...), or a checkpoint; replaces training (empty: trained as "
              "usual)");
      v.field("c1", c1, "Armijo constant of the line search", between(0, 1));
      v.field("tries", tries, "trial steps per line search", at_least(1));
      v.field("first_step", first_step, "safeguarded protocol: H on the first step (as bfgs)",
              one_of({"polyak", "identity"}));
      v.field("protocol", protocol,
              "authors: Castera & Ochs's iteration, which their weights assume; safeguarded: the "
              "suite's own, with the u'y guard (as bfgs)",
              one_of({"authors", "safeguarded"}));
    }
  };

  static TrainConfig training(const Config& config, TrainProfile profile);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);
};

}  // namespace l2o::learned
