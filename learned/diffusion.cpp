#include "learned/diffusion.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "optimizers/registry.hpp"

namespace l2o::learned {

using Clock = std::chrono::steady_clock;

NoiseSchedule::NoiseSchedule(std::int64_t steps, double beta_start, double beta_end)
    : beta_(static_cast<std::size_t>(steps) + 1, 0.0),
      alpha_bar_(static_cast<std::size_t>(steps) + 1, 1.0) {
  for (std::int64_t t = 1; t <= steps; ++t) {
    const double fraction = steps == 1 ? 0.0 : double(t - 1) / double(steps - 1);
    beta_[t] = beta_start + (beta_end - beta_start) * fraction;
    alpha_bar_[t] = alpha_bar_[t - 1] * (1.0 - beta_[t]);
  }
}

std::vector<Tensor> NoiseSchedule::forward_trajectory(const Tensor& x0, RandomStream& noise) const {
  std::vector<Tensor> out{x0};
  for (std::int64_t t = 1; t <= steps(); ++t)
    out.push_back(std::sqrt(alpha_bar_[t]) * x0 +
                  std::sqrt(1.0 - alpha_bar_[t]) * noise.normal(x0.sizes()).to(x0.options()));
  return out;
}

Tensor NoiseSchedule::reverse_mean(const Tensor& x_t, const Tensor& epsilon, std::int64_t t) const {
  const double noise_weight = beta_[t] / std::sqrt(1.0 - alpha_bar_[t]);
  return (x_t - noise_weight * epsilon) / std::sqrt(1.0 - beta_[t]);
}

double NoiseSchedule::reverse_std(std::int64_t t) const {
  if (t <= 1) return 0.0;
  return std::sqrt(beta_[t] * (1.0 - alpha_bar_[t - 1]) / (1.0 - alpha_bar_[t]));
}

Tensor sinusoidal_embedding(const Tensor& positions, std::int64_t dims) {
  const std::int64_t half = dims / 2;
  Tensor k = at::arange(half, positions.options());
  Tensor frequencies = at::exp(k * (-std::log(10000.0) / double(half)));
  Tensor angles = positions.unsqueeze(1) * frequencies.unsqueeze(0);
  return at::cat({at::sin(angles), at::cos(angles)}, 1);
}

Mlp::Mlp(std::int64_t in, std::int64_t width, std::int64_t depth, std::int64_t out,
         RandomStream& init) {
  std::int64_t from = in;
  for (std::int64_t i = 0; i < depth; ++i) {
    layers_.emplace_back(from, width, init);
    from = width;
  }
  layers_.emplace_back(from, out, init);
}

Tensor Mlp::operator()(Tensor x) const {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i](x);
    if (i + 1 < layers_.size()) x = at::silu(x);
  }
  return x;
}

void Mlp::collect(Weights& out, const std::string& prefix) const {
  for (std::size_t i = 0; i < layers_.size(); ++i)
    layers_[i].collect(out, fmt::format("{}.{}", prefix, i));
}

void Mlp::to(const Placement& placement) {
  for (Dense& layer : layers_) layer.to(placement);
}

TrainConfig diffusion_training(TrainProfile profile, std::int64_t quick_epochs,
                               std::int64_t paper_epochs) {
  TrainConfig t;
  t.lr = 1e-3;
  t.batch = 512;
  t.epochs = profile == TrainProfile::paper ? paper_epochs : quick_epochs;
  t.validate_every = 10;
  return t;
}

void DiffusionSettings::validate(const std::string& where) const {
  if (beta_start > beta_end)
    throw InputError(fmt::format("{}: beta_start ({}) must not exceed beta_end ({})", where,
                                 beta_start, beta_end));
  optimizers::find_optimizer(solver, where + ".solver").canonical(solver_config, where + ".solver");
}

namespace {

class DiffusionRollout final : public LearnedRollout {
 public:
  DiffusionRollout(const DiffusionOptimizer& model, const Objective& objective, const Tensor& x0,
                   std::uint64_t noise_seed)
      : model_(model),
        context_{objective, model.reads_features() ? objective.features() : Tensor()},
        x_(x0.detach()),
        t_(model.schedule().steps()),
        noise_(noise_seed) {}

  // Reverse steps T..1; afterwards the sample x̂_0 is the iterate.
  Tensor step() override {
    if (t_ == 0) return x_;
    x_ = model_.reverse_step(x_, context_, t_, noise_for(model_, x_, t_, noise_));
    --t_;
    return x_;
  }

  void detach() override { x_ = x_.detach(); }

  // The posterior noise of step t, or an undefined tensor where the step adds none.
  static Tensor noise_for(const DiffusionOptimizer& model, const Tensor& x, std::int64_t t,
                          RandomStream& stream) {
    if (!model.settings().sampling_noise || model.schedule().reverse_std(t) == 0) return {};
    return stream.normal(x.sizes()).to(x.options());
  }

 private:
  const DiffusionOptimizer& model_;
  DiffusionContext context_;
  Tensor x_;
  std::int64_t t_;
  RandomStream noise_;
};

Tensor mean_squared_error(const Tensor& a, const Tensor& b) {
  return (a - b).pow(2).mean();
}

// Adam on `parameters`, which start requiring gradients.
std::unique_ptr<torch::optim::Adam> adam_on(std::vector<Tensor>& parameters, double lr) {
  for (Tensor& p : parameters) p.requires_grad_(true);
  return std::make_unique<torch::optim::Adam>(parameters, torch::optim::AdamOptions(lr));
}

}  // namespace

DiffusionOptimizer::DiffusionOptimizer(const DiffusionSettings& settings, std::uint64_t seed)
    : settings_(settings),
      schedule_(settings.diffusion_steps, settings.beta_start, settings.beta_end),
      seed_(seed) {}

std::int64_t DiffusionOptimizer::update_groups(std::int64_t, std::int64_t, std::int64_t) const {
  return 1;
}

bool DiffusionOptimizer::has_oracle_network() const {
  return settings_.oracle == "fixed" || settings_.oracle == "partial" || settings_.oracle == "ours";
}

void DiffusionOptimizer::shape_for(const Objective& example) {
  const std::int64_t n = example.dim();
  const std::int64_t p = reads_features() || has_oracle_network() ? example.features().size(1) : 0;
  if (dim_ >= 0) {
    require_shape(example);
    return;
  }
  RandomStream init(seed_);
  build_denoiser(n, p, init);
  if (has_oracle_network()) oracle_ = Mlp(p, settings_.oracle_width, 2, n, init);
  dim_ = n;
  features_ = p;
  if (placement_) to(*placement_);
}

void DiffusionOptimizer::require_shape(const Objective& f) const {
  if (dim_ < 0) throw std::logic_error("a diffusion optimizer was used before shape_for()");
  if (dimension_free()) return;
  const std::int64_t p = reads_features() ? f.features().size(1) : features_;
  if (f.dim() != dim_ || p != features_)
    throw InputError(fmt::format(
        "this Diff-L2O model was built for dimension {} with {} problem features, the problem "
        "has dimension {} with {}: train it on a problem of that shape (the element-wise "
        "variant diff-l2o-ele serves every dimension)",
        dim_, features_, f.dim(), p));
}

Weights DiffusionOptimizer::weights() const {
  Weights w;
  if (dim_ < 0) return w;
  collect_denoiser(w);
  if (oracle_) oracle_->collect(w, "oracle");
  return w;
}

void DiffusionOptimizer::to(const Placement& placement) {
  placement_ = placement;
  if (dim_ < 0) return;
  denoiser_to(placement);
  if (oracle_) oracle_->to(placement);
}

Tensor DiffusionOptimizer::reverse_step(const Tensor& x_t, const DiffusionContext& context,
                                        std::int64_t t, const Tensor& noise) const {
  Tensor out = denoise(x_t, context, t);
  Tensor x =
      settings_.parameterization == "epsilon" ? schedule_.reverse_mean(x_t, out, t) : x_t + out;
  if (noise.defined()) x = x + schedule_.reverse_std(t) * noise;
  return x;
}

std::unique_ptr<LearnedRollout> DiffusionOptimizer::start_learned(const Objective& objective,
                                                                  const Tensor& x0) const {
  require_shape(objective);
  // One fixed noise stream for every model: a rollout is a function of the weights and x0 alone
  // (a checkpoint reproduces it exactly).
  return std::make_unique<DiffusionRollout>(*this, objective, x0,
                                            derive_seed(0, {"diffusion", "sampling"}));
}

Tensor DiffusionOptimizer::solve(const Objective& f, const Tensor& x0) const {
  at::NoGradGuard no_grad;
  const auto& entry = optimizers::find_optimizer(settings_.solver, "solver");
  auto rollout =
      entry.make(entry.canonical(settings_.solver_config, "solver_config"))->start(f, x0);
  Tensor x = x0;
  for (std::int64_t k = 0; k < settings_.solver_steps; ++k) x = rollout->step();
  return x.detach();
}

Tensor DiffusionOptimizer::trajectory_start(const Objective& f, const Tensor& features,
                                            std::uint64_t seed) const {
  const std::string& oracle = settings_.oracle;
  if (oracle == "solver") return solve(f, f.initial_points(derive_seed(seed, {"solver"})));
  if (oracle == "perfect") {
    // The best of several solver runs from wide random starts: the global minimum on convex
    // problems, the best local one found on the others.
    at::NoGradGuard no_grad;
    Tensor best, best_loss;
    for (std::int64_t k = 0; k < settings_.perfect_starts; ++k) {
      Tensor start = settings_.perfect_spread *
                     f.initial_points(derive_seed(seed, {"perfect", std::to_string(k)}));
      Tensor x = solve(f, start);
      Tensor loss = f.loss(x);
      if (k == 0) {
        best = x;
        best_loss = loss;
        continue;
      }
      Tensor better = loss < best_loss;
      best = at::where(better.unsqueeze(1), x, best);
      best_loss = at::where(better, loss, best_loss);
    }
    return best;
  }
  if (oracle == "noisy") {
    RandomStream noise(derive_seed(seed, {"noisy"}));
    const Placement placement = f.placement();
    return noise.normal({f.batch(), f.dim()})
        .to(at::TensorOptions().dtype(placement.dtype).device(placement.device));
  }
  return (*oracle_)(features);
}

TrainResult DiffusionOptimizer::train(const TrainingProblem& problem, const TrainConfig& config,
                                      const Placement& placement, const ProgressFn& progress) {
  const auto start_time = Clock::now();
  shape_for(*problem.family->sample(problem.config, {1, problem.train_stream, placement}));
  to(placement);
  Weights denoiser;
  collect_denoiser(denoiser);
  std::vector<Tensor> parameters = tensors_of(denoiser);
  auto optimizer = adam_on(parameters, config.lr);
  std::vector<Tensor> oracle_parameters;
  std::unique_ptr<torch::optim::Adam> oracle_optimizer;
  if (oracle_) {
    Weights w;
    oracle_->collect(w, "oracle");
    oracle_parameters = tensors_of(w);
    oracle_optimizer = adam_on(oracle_parameters, settings_.oracle_lr);
  }

  const std::uint64_t stream = problem.train_stream;
  auto batch = [&](const std::string& purpose, std::int64_t i) {
    return problem.family->sample(
        problem.config,
        {config.batch, derive_seed(stream, {"train", purpose, std::to_string(i)}), placement});
  };
  auto validation = problem.family->sample(
      problem.config, {config.validation_instances, problem.validation_instances, placement});
  const Tensor validation_x0 = validation->initial_points(problem.validation_initial_points);

  // Each reverse step updates the network, so the raw weights drift toward the last steps of
  // the last batch; as in DDPM, an exponential moving average of them is what is validated.
  std::vector<Tensor> average;
  for (const Tensor& p : parameters) average.push_back(p.detach().clone());
  auto track = [&] {
    if (settings_.ema == 0) return;
    at::NoGradGuard no_grad;
    for (std::size_t i = 0; i < parameters.size(); ++i)
      average[i].mul_(settings_.ema).add_(parameters[i].detach(), 1 - settings_.ema);
  };
  TrainResult result;
  BestWeights best(parameters);
  const std::int64_t T = schedule_.steps();
  auto validate = [&](std::int64_t epoch) {
    at::NoGradGuard no_grad;
    std::vector<Tensor> raw;
    for (std::size_t i = 0; i < parameters.size() && settings_.ema > 0; ++i) {
      raw.push_back(parameters[i].detach().clone());
      parameters[i].copy_(average[i]);
    }
    best.offer(epoch, rollout_mean_loss(*this, *validation, validation_x0, T), result);
    for (std::size_t i = 0; i < raw.size(); ++i) parameters[i].copy_(raw[i]);
  };
  validate(0);

  // Algorithm 4: the oracle first learns to guess low-f points from the problem features.
  if (oracle_)
    for (std::int64_t i = 1; i <= settings_.oracle_pretrain; ++i) {
      auto f = batch("oracle", i);
      apply_update(*oracle_optimizer, oracle_parameters, f->loss((*oracle_)(f->features())).mean(),
                   config.clip);
    }

  const bool learns_oracle = settings_.oracle == "partial" || settings_.oracle == "ours";
  const double alpha = settings_.alpha;
  for (std::int64_t epoch = 1; epoch <= config.epochs; ++epoch) {
    set_learning_rate(*optimizer, learning_rate_at(config, epoch));
    auto f = batch("epoch", epoch);
    const std::string e = std::to_string(epoch);
    const Tensor features = reads_features() || oracle_ ? f->features() : Tensor();
    Tensor start = trajectory_start(*f, features, derive_seed(stream, {"train", e, "start"}));
    if (learns_oracle)
      apply_update(*oracle_optimizer, oracle_parameters, f->loss(start).mean(), config.clip);
    RandomStream forward_noise(derive_seed(stream, {"train", e, "forward"}));
    const std::vector<Tensor> target = schedule_.forward_trajectory(start.detach(), forward_noise);

    const DiffusionContext context{*f, reads_features() ? features : Tensor()};
    RandomStream sampling_noise(derive_seed(stream, {"train", e, "sampling"}));
    Tensor x = f->initial_points(derive_seed(stream, {"train", e, "initial-points"}));
    const std::int64_t n = x.size(1), groups = update_groups(epoch, config.epochs, n);
    const Tensor coordinate = at::arange(n, at::TensorOptions(x.device()).dtype(at::kLong));
    double epoch_loss = 0;
    std::int64_t updates = 0;
    for (std::int64_t t = T; t >= 1; --t) {
      const Tensor noise = DiffusionRollout::noise_for(*this, x, t, sampling_noise);
      Tensor next = x;
      // Coordinates [lo, hi) of one group get the gradient of this update; the others enter the
      // loss as constants (Algorithm 5: one update per group of positions).
      for (std::int64_t g = 0; g < groups; ++g) {
        Tensor out = reverse_step(x, context, t, noise);
        Tensor in_group = (coordinate >= g * n / groups) & (coordinate < (g + 1) * n / groups);
        Tensor iterate = groups == 1 ? out : at::where(in_group, out, out.detach());
        Tensor loss = alpha * f->loss(iterate).mean() +
                      (1 - alpha) * mean_squared_error(iterate, target[t - 1]);
        if (apply_update(*optimizer, parameters, loss, config.clip)) {
          epoch_loss += loss.item<double>();
          track();
        } else {
          ++result.skipped_segments;
        }
        ++updates;
        next = groups == 1 ? out.detach() : at::where(in_group, out.detach(), next);
      }
      x = next;
    }
    // L_post: the oracle moves toward what the sampler produced from it.
    if (settings_.oracle == "ours")
      apply_update(*oracle_optimizer, oracle_parameters,
                   mean_squared_error((*oracle_)(features), x), config.clip);
    result.meta_loss.push_back(epoch_loss / double(std::max<std::int64_t>(updates, 1)));

    const bool validating = epoch % config.validate_every == 0 || epoch == config.epochs;
    if (validating) validate(epoch);
    if (progress && validating)
      progress({epoch, config.epochs, result.meta_loss.back(), result.validation.back().second,
                result.best_validation,
                std::chrono::duration<double>(Clock::now() - start_time).count()});
  }
  best.restore();
  for (Tensor& p : parameters) p.requires_grad_(false);
  for (Tensor& p : oracle_parameters) p.requires_grad_(false);
  result.epochs = config.epochs;
  result.seconds = std::chrono::duration<double>(Clock::now() - start_time).count();
  return result;
}

}  // namespace l2o::learned
