#include "learned/diffusion.hpp"

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

Oracle DiffusionSettings::oracle_kind() const {
  static const std::pair<const char*, Oracle> names[] = {
      {"solver", Oracle::solver}, {"perfect", Oracle::perfect}, {"noisy", Oracle::noisy},
      {"fixed", Oracle::fixed},   {"partial", Oracle::partial}, {"ours", Oracle::ours}};
  for (const auto& [name, kind] : names)
    if (oracle == name) return kind;
  throw InputError(fmt::format("oracle: unknown \"{}\"", oracle));
}

Output DiffusionSettings::output_kind() const {
  static const std::pair<const char*, Output> names[] = {
      {"epsilon", Output::epsilon}, {"step", Output::step}, {"direct", Output::direct}};
  for (const auto& [name, kind] : names)
    if (parameterization == name) return kind;
  throw InputError(fmt::format("parameterization: unknown \"{}\"", parameterization));
}

bool DiffusionSettings::has_oracle_network() const {
  const Oracle kind = oracle_kind();
  return kind == Oracle::fixed || kind == Oracle::partial || kind == Oracle::ours;
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
    count_network_evaluation();  // one denoiser pass per reverse step
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
      oracle_kind_(settings.oracle_kind()),
      output_(settings.output_kind()),
      schedule_(settings.diffusion_steps, settings.beta_start, settings.beta_end),
      seed_(seed) {}

std::int64_t DiffusionOptimizer::update_groups(std::int64_t, std::int64_t, std::int64_t) const {
  return 1;
}

void DiffusionOptimizer::shape_for(const Objective& example) {
  const std::int64_t n = example.dim();
  const std::int64_t p =
      reads_features() || settings_.has_oracle_network() ? example.features().size(1) : 0;
  if (dim_ >= 0) {
    require_shape(example);
    return;
  }
  RandomStream init(seed_);
  build_denoiser(n, p, init);
  if (settings_.has_oracle_network()) oracle_ = Mlp(p, settings_.oracle_width, 2, n, init);
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

Tensor DiffusionOptimizer::denoise(const Tensor& x_t, const DiffusionContext& context,
                                   std::int64_t t) const {
  return denoiser_output(denoiser_input(x_t, context, t));
}

Tensor DiffusionOptimizer::reverse_step(const Tensor& x_t, const DiffusionContext& context,
                                        std::int64_t t, const Tensor& noise) const {
  return reverse_step_from(x_t, denoise(x_t, context, t), t, noise);
}

Tensor DiffusionOptimizer::reverse_step_from(const Tensor& x_t, const Tensor& output,
                                             std::int64_t t, const Tensor& noise) const {
  Tensor x = output_ == Output::epsilon  ? schedule_.reverse_mean(x_t, output, t)
             : output_ == Output::direct ? output
                                         : x_t + output;
  if (noise.defined()) x = x + schedule_.reverse_std(t) * noise;
  return x;
}

Tensor DiffusionOptimizer::group_reverse_step(const Tensor& x_t, const Tensor& input,
                                              std::int64_t t, const Tensor& noise, std::int64_t lo,
                                              std::int64_t hi) const {
  if (input.dim() != 3)
    throw std::logic_error("update groups need a denoiser with one input row per coordinate");
  Tensor all;
  {
    at::NoGradGuard constants;
    all = reverse_step_from(x_t, denoiser_output(input), t, noise);
  }
  const std::int64_t m = hi - lo, n = x_t.size(1);
  auto in_group = [&](const Tensor& v) { return v.defined() ? v.narrow(1, lo, m) : v; };
  Tensor group =
      reverse_step_from(in_group(x_t), denoiser_output(in_group(input)), t, in_group(noise));
  // The values of `all` (group − group is exactly 0; NaN where the step overflowed, as the loss
  // is then non-finite and the update skipped anyway), the gradient of `group`.
  return at::cat(
      {all.narrow(1, 0, lo), in_group(all) + (group - group.detach()), all.narrow(1, hi, n - hi)},
      1);
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
                                            std::uint64_t seed, const Tensor& chain_start) const {
  if (oracle_kind_ == Oracle::solver)
    return solve(f, settings_.solver_start == "chain" && chain_start.defined()
                        ? chain_start
                        : f.initial_points(derive_seed(seed, {"solver"})));
  if (oracle_kind_ == Oracle::perfect) {
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
  if (oracle_kind_ == Oracle::noisy) {
    RandomStream noise(derive_seed(seed, {"noisy"}));
    const Placement placement = f.placement();
    return noise.normal({f.batch(), f.dim()})
        .to(at::TensorOptions().dtype(placement.dtype).device(placement.device));
  }
  return (*oracle_)(features);
}

// Algorithm 3's loop over the state it keeps: the denoiser and oracle with their Adam
// optimizers, the moving average of the denoiser's weights and the shared TrainingSession.
class DiffusionOptimizer::Training {
 public:
  Training(DiffusionOptimizer& model, const TrainingProblem& problem, const TrainConfig& config,
           const Placement& placement, const ProgressFn& progress)
      : model_(model),
        problem_(problem),
        config_(config),
        placement_(placement),
        parameters_(denoiser_parameters(model)),
        optimizer_(adam_on(parameters_, config.lr)),
        validation_(problem.family->sample(
            problem.config,
            {config.validation_instances, problem.validation_instances, placement})),
        validation_x0_(validation_->initial_points(problem.validation_initial_points)),
        session_(config, progress, problem.resume, parameters_) {
    if (model.oracle_) {
      Weights w;
      model.oracle_->collect(w, "oracle");
      oracle_parameters_ = tensors_of(w);
      oracle_optimizer_ = adam_on(oracle_parameters_, model.settings_.oracle_lr);
    }
    for (const Tensor& p : parameters_) average_.push_back(p.detach().clone());
  }

  TrainResult run() {
    const std::int64_t first = session_.resume([&](const TrainingState& s) { load(s); });
    if (first == 1) {
      validate(0);
      pretrain_oracle();
    }
    for (std::int64_t epoch = first; epoch <= config_.epochs; ++epoch) {
      set_learning_rate(*optimizer_, learning_rate_at(config_, epoch));
      train_epoch(epoch);
      if (session_.validating(epoch)) validate(epoch);
      session_.end_epoch(epoch, [&](TrainingState& s) { save(s); });
    }
    TrainResult result = session_.finish();
    for (Tensor& p : parameters_) p.requires_grad_(false);
    for (Tensor& p : oracle_parameters_) p.requires_grad_(false);
    return result;
  }

 private:
  static std::vector<Tensor> denoiser_parameters(const DiffusionOptimizer& model) {
    Weights denoiser;
    model.collect_denoiser(denoiser);
    return tensors_of(denoiser);
  }

  std::unique_ptr<Objective> batch(const std::string& purpose, std::int64_t i) const {
    return problem_.family->sample(
        problem_.config,
        {config_.batch, derive_seed(problem_.train_stream, {"train", purpose, std::to_string(i)}),
         placement_});
  }

  bool oracle_update(const Tensor& loss) {
    return apply_update(*oracle_optimizer_, oracle_parameters_, loss, config_.clip);
  }

  // Each reverse step updates the network, so the raw weights drift toward the last steps of
  // the last batch; as in DDPM, an exponential moving average of them is what is validated.
  void track() {
    const double decay = model_.settings_.ema;
    if (decay == 0) return;
    at::NoGradGuard no_grad;
    for (std::size_t i = 0; i < parameters_.size(); ++i)
      average_[i].mul_(decay).add_(parameters_[i].detach(), 1 - decay);
  }

  void validate(std::int64_t epoch) {
    at::NoGradGuard no_grad;
    std::vector<Tensor> raw;
    for (std::size_t i = 0; i < parameters_.size() && model_.settings_.ema > 0; ++i) {
      raw.push_back(parameters_[i].detach().clone());
      parameters_[i].copy_(average_[i]);
    }
    session_.validated(
        epoch, rollout_mean_loss(model_, *validation_, validation_x0_, model_.schedule_.steps()));
    for (std::size_t i = 0; i < raw.size(); ++i) parameters_[i].copy_(raw[i]);
  }

  // Algorithm 4: the oracle first learns to guess low-f points from the problem features.
  void pretrain_oracle() {
    if (!model_.oracle_) return;
    for (std::int64_t i = 1; i <= model_.settings_.oracle_pretrain; ++i) {
      auto f = batch("oracle", i);
      oracle_update(f->loss((*model_.oracle_)(f->features())).mean());
    }
  }

  void train_epoch(std::int64_t epoch) {
    const DiffusionSettings& settings = model_.settings_;
    const std::uint64_t stream = problem_.train_stream;
    const std::string e = std::to_string(epoch);
    auto f = batch("epoch", epoch);
    const Tensor features = model_.reads_features() || model_.oracle_ ? f->features() : Tensor();
    Tensor x = f->initial_points(derive_seed(stream, {"train", e, "initial-points"}));
    Tensor start =
        model_.trajectory_start(*f, features, derive_seed(stream, {"train", e, "start"}), x);
    if (model_.oracle_kind_ == Oracle::partial || model_.oracle_kind_ == Oracle::ours)
      oracle_update(f->loss(start).mean());
    RandomStream forward_noise(derive_seed(stream, {"train", e, "forward"}));
    const std::vector<Tensor> target =
        model_.schedule_.forward_trajectory(start.detach(), forward_noise);

    const DiffusionContext context{*f, model_.reads_features() ? features : Tensor()};
    RandomStream sampling_noise(derive_seed(stream, {"train", e, "sampling"}));
    const std::int64_t n = x.size(1), groups = model_.update_groups(epoch, config_.epochs, n);
    double epoch_loss = 0;
    std::int64_t updates = 0;
    const bool relative_f = settings.f_term == "relative";
    for (std::int64_t t = model_.schedule_.steps(); t >= 1; --t) {
      const Tensor noise = DiffusionRollout::noise_for(model_, x, t, sampling_noise);
      Tensor input;  // the same for every group: it does not depend on the weights
      {
        at::NoGradGuard no_grad;
        input = model_.denoiser_input(x, context, t);
      }
      Tensor f_scale;  // relative: |f| where this step starts, per instance
      if (relative_f) {
        at::NoGradGuard no_grad;
        f_scale = f->loss(x).abs().clamp_min(1e-6);
      }
      Tensor next = groups == 1 ? Tensor() : at::empty_like(x);
      // Coordinates [lo, hi) of one group get the gradient of this update; the others enter the
      // loss as constants (Algorithm 5: one update per group of positions).
      for (std::int64_t g = 0; g < groups; ++g) {
        const std::int64_t lo = g * n / groups, hi = (g + 1) * n / groups;
        Tensor iterate = groups == 1
                             ? model_.reverse_step_from(x, model_.denoiser_output(input), t, noise)
                             : model_.group_reverse_step(x, input, t, noise, lo, hi);
        Tensor f_value = f->loss(iterate);
        if (relative_f) f_value = f_value / f_scale;
        Tensor loss = settings.alpha * f_value.mean() +
                      (1 - settings.alpha) * mean_squared_error(iterate, target[t - 1]);
        if (apply_update(*optimizer_, parameters_, loss, config_.clip)) {
          epoch_loss += loss.item<double>();
          track();
        } else {
          ++session_.result().skipped_segments;
        }
        ++updates;
        if (groups == 1)
          next = iterate.detach();
        else
          next.narrow(1, lo, hi - lo).copy_(iterate.detach().narrow(1, lo, hi - lo));
      }
      x = next;
    }
    // L_post: the oracle moves toward what the sampler produced from it.
    if (model_.oracle_kind_ == Oracle::ours)
      oracle_update(mean_squared_error((*model_.oracle_)(features), x));
    session_.result().meta_loss.push_back(epoch_loss / double(std::max<std::int64_t>(updates, 1)));
  }

  void save(TrainingState& s) const {
    save_adam_state(*optimizer_, parameters_, "adam", s);
    for (std::size_t i = 0; i < average_.size(); ++i) s.add(fmt::format("ema.{}", i), average_[i]);
    if (!oracle_optimizer_) return;
    save_adam_state(*oracle_optimizer_, oracle_parameters_, "oracle.adam", s);
    for (std::size_t i = 0; i < oracle_parameters_.size(); ++i)
      s.add(fmt::format("oracle.{}", i), oracle_parameters_[i]);
  }

  void load(const TrainingState& s) {
    at::NoGradGuard no_grad;
    load_adam_state(*optimizer_, parameters_, "adam", s);
    for (std::size_t i = 0; i < average_.size(); ++i)
      average_[i].copy_(s.at(fmt::format("ema.{}", i)));
    if (!oracle_optimizer_) return;
    load_adam_state(*oracle_optimizer_, oracle_parameters_, "oracle.adam", s);
    for (std::size_t i = 0; i < oracle_parameters_.size(); ++i)
      oracle_parameters_[i].copy_(s.at(fmt::format("oracle.{}", i)));
  }

  DiffusionOptimizer& model_;
  const TrainingProblem& problem_;
  const TrainConfig& config_;
  Placement placement_;
  std::vector<Tensor> parameters_, oracle_parameters_, average_;
  std::unique_ptr<torch::optim::Adam> optimizer_, oracle_optimizer_;
  std::unique_ptr<Objective> validation_;
  Tensor validation_x0_;
  TrainingSession session_;
};

TrainResult DiffusionOptimizer::train(const TrainingProblem& problem, const TrainConfig& config,
                                      const Placement& placement, const ProgressFn& progress) {
  shape_for(*problem.family->sample(problem.config, {1, problem.train_stream, placement}));
  to(placement);
  return Training(*this, problem, config, placement, progress).run();
}

}  // namespace l2o::learned
