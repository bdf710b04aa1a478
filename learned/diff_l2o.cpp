#include "learned/diff_l2o.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "learned/preprocessing.hpp"

namespace l2o::learned {

Tensor compress_gradient(const Tensor& gradient) {
  return at::asinh(gradient);
}

namespace {

class DiffL2oModel final : public DiffusionOptimizer {
 public:
  DiffL2oModel(const DiffL2o::Config& config, std::uint64_t seed)
      : DiffusionOptimizer(config.diffusion, seed),
        config_(config),
        gradient_encoding_(encoding_of(config.gradient_input)),
        uses_gradient_(config.guidance != "global"),
        reads_features_(config.guidance != "gradient") {}

  Tensor denoiser_input(const Tensor& x_t, const DiffusionContext& context,
                        std::int64_t t) const override {
    std::vector<Tensor> input{x_t};
    if (uses_gradient()) input.push_back(gradient_input(context.objective.grad(x_t)));
    if (reads_features()) input.push_back(context.features);
    input.push_back(sinusoidal_embedding(at::full({x_t.size(0)}, double(t), x_t.options()),
                                         config_.time_embedding));
    return at::cat(input, 1);
  }
  Tensor denoiser_output(const Tensor& input) const override { return net_(input); }

  bool reads_features() const override { return reads_features_; }

 protected:
  void build_denoiser(std::int64_t n, std::int64_t p, RandomStream& init) override {
    const std::int64_t gradient_inputs =
        gradient_encoding_ == GradientEncoding::log_sign ? 2 * n : n;
    const std::int64_t in = n + (uses_gradient() ? gradient_inputs : 0) +
                            (reads_features() ? p : 0) + config_.time_embedding;
    net_ = Mlp(in, config_.width, config_.depth, n, init);
  }
  void collect_denoiser(Weights& out) const override { net_.collect(out, "opt"); }
  void denoiser_to(const Placement& placement) override { net_.to(placement); }

 private:
  // The config's strings, read once: the denoiser input is built on every reverse step.
  enum class GradientEncoding { asinh, raw, log_sign };
  static GradientEncoding encoding_of(const std::string& name) {
    if (name == "raw") return GradientEncoding::raw;
    if (name == "log-sign") return GradientEncoding::log_sign;
    return GradientEncoding::asinh;  // the constraint admits no other value
  }

  bool uses_gradient() const { return uses_gradient_; }
  // [B, n] -> [B, n], or [B, 2n] for log-sign (each coordinate's pair side by side).
  Tensor gradient_input(const Tensor& gradient) const {
    switch (gradient_encoding_) {
      case GradientEncoding::raw:
        return gradient;
      case GradientEncoding::log_sign:
        return log_and_sign(gradient, paper_log_sign_k).view({gradient.size(0), -1});
      case GradientEncoding::asinh:
        break;
    }
    return compress_gradient(gradient);
  }

  DiffL2o::Config config_;
  GradientEncoding gradient_encoding_;
  bool uses_gradient_;
  bool reads_features_;
  Mlp net_;
};

}  // namespace

void DiffL2o::Config::validate(const std::string& where) const {
  if (time_embedding % 2 != 0)
    throw InputError(
        fmt::format("{}.time_embedding: expected an even number, got {}", where, time_embedding));
  // Unread without a gradient: another value would only key an identical model anew.
  if (guidance == "global" && gradient_input != "asinh")
    throw InputError(fmt::format(
        "{}.gradient_input: \"{}\" is unused with guidance \"global\" (no gradient); leave it "
        "out or use guidance gradient or all",
        where, gradient_input));
  diffusion.validate(where);
}

TrainConfig DiffL2o::training(const Config&, TrainProfile profile) {
  return diffusion_training(profile, 40, 200);
}

std::unique_ptr<LearnedOptimizer> DiffL2o::make(const Config& config, std::uint64_t init_seed) {
  return std::make_unique<DiffL2oModel>(config, init_seed);
}

}  // namespace l2o::learned
