#include "learned/diff_l2o_elementwise.hpp"

#include <algorithm>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "learned/diff_l2o.hpp"
#include "learned/preprocessing.hpp"

namespace l2o::learned {

namespace {

// Per-coordinate inputs besides the embeddings: x_i, the gradient's (one or two) and the four
// summaries.
std::int64_t coordinate_inputs(const DiffL2oElementwise::Config& config) {
  return config.gradient_input == "log-sign" ? 7 : 6;
}

class ElementwiseModel final : public DiffusionOptimizer {
 public:
  ElementwiseModel(const DiffL2oElementwise::Config& config, std::uint64_t seed)
      : DiffusionOptimizer(config.diffusion, seed),
        config_(config),
        log_sign_input_(config.gradient_input == "log-sign") {}

  Tensor denoiser_input(const Tensor& x_t, const DiffusionContext& context,
                        std::int64_t t) const override {
    const std::int64_t B = x_t.size(0), n = x_t.size(1);
    const Tensor gradient = context.objective.grad(x_t);
    const Tensor g = compress_gradient(gradient);
    const Tensor own =
        log_sign_input_ ? log_and_sign(gradient, paper_log_sign_k).view({B, n, 2}) : g.unsqueeze(2);
    auto summary = [&](const Tensor& v) {
      return at::stack({v.mean(1), v.pow(2).mean(1).sqrt()}, 1).unsqueeze(1).expand({B, n, 2});
    };
    const Tensor time =
        sinusoidal_embedding(at::full({1}, double(t), x_t.options()), config_.time_embedding);
    const Tensor position =
        sinusoidal_embedding(at::arange(n, x_t.options()), config_.position_embedding);
    return at::cat({x_t.unsqueeze(2), own, summary(x_t), summary(g),
                    time.unsqueeze(0).expand({B, n, config_.time_embedding}),
                    position.unsqueeze(0).expand({B, n, config_.position_embedding})},
                   2);
  }
  Tensor denoiser_output(const Tensor& input) const override {
    const std::int64_t B = input.size(0), n = input.size(1);
    return net_(input.reshape({B * n, -1})).view({B, n});
  }

  bool reads_features() const override { return false; }
  bool dimension_free() const override { return true; }

  std::int64_t update_groups(std::int64_t epoch, std::int64_t epochs,
                             std::int64_t dim) const override {
    const double progress = double(epoch - 1) / double(std::max<std::int64_t>(epochs, 1));
    if (progress < config_.global_until) return 1;
    if (progress < config_.local_until) return std::min<std::int64_t>(3, dim);
    return std::min(dim, config_.max_groups);
  }

 protected:
  void build_denoiser(std::int64_t, std::int64_t, RandomStream& init) override {
    net_ = Mlp(coordinate_inputs(config_) + config_.time_embedding + config_.position_embedding,
               config_.width, config_.depth, 1, init);
  }
  void collect_denoiser(Weights& out) const override { net_.collect(out, "opt"); }
  void denoiser_to(const Placement& placement) override { net_.to(placement); }

 private:
  DiffL2oElementwise::Config config_;
  bool log_sign_input_;  // gradient_input is "log-sign" (read once, not per reverse step)
  Mlp net_;
};

}  // namespace

void DiffL2oElementwise::Config::validate(const std::string& where) const {
  if (time_embedding % 2 != 0 || position_embedding % 2 != 0)
    throw InputError(
        fmt::format("{}: time_embedding and position_embedding must be even, got {} and {}", where,
                    time_embedding, position_embedding));
  if (global_until > local_until)
    throw InputError(fmt::format("{}: global_until ({}) must not exceed local_until ({})", where,
                                 global_until, local_until));
  if (diffusion.has_oracle_network())
    throw InputError(fmt::format(
        "{}.oracle: the element-wise variant serves every dimension and has no oracle network; "
        "expected one of: solver, perfect, noisy, got \"{}\"",
        where, diffusion.oracle));
  diffusion.validate(where);
}

TrainConfig DiffL2oElementwise::training(const Config&, TrainProfile profile) {
  return diffusion_training(profile, 30, 150);
}

std::unique_ptr<LearnedOptimizer> DiffL2oElementwise::make(const Config& config,
                                                           std::uint64_t init_seed) {
  return std::make_unique<ElementwiseModel>(config, init_seed);
}

}  // namespace l2o::learned
