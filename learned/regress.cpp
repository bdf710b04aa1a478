#include "learned/regress.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/optim/adam.h>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "learned/diffusion.hpp"
#include "optimizers/registry.hpp"

namespace l2o::learned {

namespace {

constexpr std::string_view no_optimizer = "none";

// Per-column mean and scale of rows [N, k] (float64); a constant column keeps scale 1, so that
// it standardises to 0 rather than to 0/0.
std::pair<Tensor, Tensor> column_moments(const Tensor& rows) {
  Tensor mean = rows.mean(0);
  Tensor scale = rows.std(0, /*unbiased=*/false);
  const Tensor constant = scale <= 1e-12 * (1.0 + mean.abs());
  return {mean, at::where(constant, at::ones_like(scale), scale)};
}

// The training pairs: features [N, p] and reference solutions [N, n], float64 on the CPU.
struct Pairs {
  Tensor features, solutions;
};

// Why a problem without x* is refused (the family's name is put in front where it is known).
constexpr std::string_view no_solution =
    "regress fits the problem parameters to the solution x*, and this family has no reference "
    "solution (neither a reference solver nor a known global minimiser); families with one: "
    "quadratic, ridge, lasso, lasso-sparse, logistic";

Pairs pairs_of(const problems::Objective& f, const TrainingProblem& problem) {
  std::optional<Tensor> x = f.reference_solution();
  if (!x)
    throw InputError(fmt::format("problem family \"{}\": {}", problem.family->name, no_solution));
  if (!at::isfinite(*x).all().item<bool>())
    throw InputError(fmt::format(
        "problem family \"{}\": its reference solver did not converge on a training instance of "
        "regress",
        problem.family->name));
  return {f.features().to(at::kCPU, at::kDouble), *x};
}

class RegressRollout final : public LearnedRollout {
 public:
  RegressRollout(Tensor prediction, const optimizers::Optimizer* then, const Objective& objective)
      : prediction_(std::move(prediction)), then_(then), f_(objective) {}

  Tensor step() override {
    if (k_++ == 0) {
      count_network_evaluation();  // the fitted map's one evaluation, made for this first step
      x_ = prediction_;
      if (then_) continuation_ = then_->start(f_, x_);
    } else if (continuation_) {
      x_ = continuation_->step();
    }
    return x_;
  }
  void detach() override { x_ = x_.detach(); }
  optimizers::Counters counters() const override {
    return continuation_ ? continuation_->counters() : optimizers::Counters{};
  }

 private:
  Tensor prediction_;
  const optimizers::Optimizer* then_;
  const Objective& f_;
  std::unique_ptr<optimizers::Rollout> continuation_;
  Tensor x_;
  std::int64_t k_ = 0;
};

class RegressModel final : public LearnedOptimizer {
 public:
  RegressModel(const Regress::Config& config, std::uint64_t seed) : config_(config), seed_(seed) {
    if (config.then != no_optimizer) {
      const auto& entry = optimizers::find_optimizer(config.then, "regress.then");
      then_ = entry.make(entry.canonical(config.then_config, "regress.then_config"));
    }
  }

  // Also refuses a problem without x*, so that the harness's preflight stops a suite that
  // names one before any cell runs.
  void shape_for(const Objective& example) override {
    if (!example.reference_solution()) throw InputError(std::string(no_solution));
    const std::int64_t n = example.dim(), p = example.features().size(1);
    if (dim_ >= 0) {
      if (n != dim_ || p != features_)
        throw InputError(fmt::format(
            "this regress model was fitted for dimension {} with {} problem parameters, the "
            "problem has dimension {} with {}: fit it on a problem of that shape",
            dim_, features_, n, p));
      return;
    }
    dim_ = n;
    features_ = p;
    const auto options = at::TensorOptions(at::kFloat);
    input_mean_ = at::zeros({p}, options);
    input_scale_ = at::ones({p}, options);
    output_mean_ = at::zeros({n}, options);
    output_scale_ = at::ones({n}, options);
    if (ridge()) {
      ridge_weight_ = at::zeros({p, n}, options);
    } else {
      RandomStream init(seed_);
      mlp_ = Mlp(p, config_.width, config_.depth, n, init);
    }
    if (placement_) to(*placement_);
  }

  Weights weights() const override {
    Weights w;
    if (dim_ < 0) return w;
    w = {{"input.mean", input_mean_},
         {"input.scale", input_scale_},
         {"output.mean", output_mean_},
         {"output.scale", output_scale_}};
    if (ridge())
      w.emplace_back("ridge.weight", ridge_weight_);
    else
      mlp_.collect(w, "mlp");
    return w;
  }

  void to(const Placement& placement) override {
    placement_ = placement;
    if (dim_ < 0) return;
    for (Tensor* t : {&input_mean_, &input_scale_, &output_mean_, &output_scale_})
      *t = place(*t, placement);
    if (ridge())
      ridge_weight_ = place(ridge_weight_, placement);
    else
      mlp_.to(placement);
  }

  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override {
    Tensor x = predict(objective.features()).to(x0.options());
    return std::make_unique<RegressRollout>(std::move(x), then_.get(), objective);
  }

  TrainResult train(const TrainingProblem& problem, const TrainConfig& config,
                    const Placement& placement, const ProgressFn& progress) override;

 private:
  bool ridge() const { return config_.model == "ridge"; }

  // Standardised features [N, p] -> x [N, n], in the weights' placement.
  Tensor standardised_map(const Tensor& z) const {
    return ridge() ? at::mm(z, ridge_weight_) : mlp_(z);
  }
  Tensor predict(const Tensor& features) const {
    if (dim_ < 0) throw std::logic_error("a regress model was used before shape_for()");
    Tensor z = (features.to(input_mean_.options()) - input_mean_) / input_scale_;
    return standardised_map(z) * output_scale_ + output_mean_;
  }

  Regress::Config config_;
  std::uint64_t seed_;
  std::unique_ptr<optimizers::Optimizer> then_;
  std::int64_t dim_ = -1, features_ = -1;
  std::optional<Placement> placement_;
  Tensor input_mean_, input_scale_, output_mean_, output_scale_, ridge_weight_;
  Mlp mlp_;

  class Fit;
};

// The fitting: training pairs, validation instances, and the ridge grid or the MLP's Adam loop.
class RegressModel::Fit {
 public:
  Fit(RegressModel& model, const TrainingProblem& problem, const TrainConfig& config,
      const Placement& placement, const ProgressFn& progress)
      : model_(model), config_(config), progress_(progress) {
    std::vector<Tensor> features, solutions;
    for (std::int64_t epoch = 1; epoch <= config.epochs; ++epoch) {
      // The seed meta_train draws its epoch's instances from (training.cpp).
      const std::uint64_t seed =
          derive_seed(problem.train_stream, {"train", fmt::format("epoch{}", epoch), "instances"});
      const Pairs pairs = pairs_of(
          *problem.family->sample(problem.config, {config.batch, seed, placement}), problem);
      features.push_back(pairs.features);
      solutions.push_back(pairs.solutions);
    }
    const Tensor X = at::cat(features), Y = at::cat(solutions);
    auto [x_mean, x_scale] = column_moments(X);
    auto [y_mean, y_scale] = column_moments(Y);
    {
      at::NoGradGuard no_grad;
      model.input_mean_.copy_(x_mean);
      model.input_scale_.copy_(x_scale);
      model.output_mean_.copy_(y_mean);
      model.output_scale_.copy_(y_scale);
    }
    inputs_ = (X - x_mean) / x_scale;
    targets_ = (Y - y_mean) / y_scale;
    validation_ = problem.family->sample(
        problem.config, {config.validation_instances, problem.validation_instances, placement});
    validation_features_ = validation_->features();
  }

  TrainResult run() { return model_.ridge() ? ridge() : mlp(); }

 private:
  // Mean f at the prediction over the validation instances.
  double validate() const {
    at::NoGradGuard no_grad;
    Tensor x = model_.predict(validation_features_).to(validation_features_.options());
    return validation_->loss(x).mean().item<double>();
  }

  void report(std::int64_t step, std::int64_t steps, const TrainResult& result) const {
    if (progress_)
      progress_({step, steps, result.meta_loss.back(), result.validation.back().second,
                 result.best_validation,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count()});
  }

  // min_W (1/N)‖ZW − T‖² + λ‖W‖² on standardised pairs for each λ of the grid, by one
  // eigendecomposition of the smaller Gram matrix (ZᵀZ/N, or ZZᵀ/N when N < p).
  TrainResult ridge() {
    const Tensor& Z = inputs_;
    const double N = double(Z.size(0));
    const bool primal = Z.size(1) <= Z.size(0);
    const Tensor gram = primal ? at::mm(Z.t(), Z) / N : at::mm(Z, Z.t()) / N;
    auto [eigenvalues, V] = at::linalg_eigh(gram);
    eigenvalues = eigenvalues.clamp_min(0);
    // Primal: W = V diag(1/(s + λ)) Vᵀ ZᵀT/N; dual: W = Zᵀ V diag(1/(s + λ)) VᵀT/N.
    const Tensor projected = at::mm(V.t(), primal ? at::mm(Z.t(), targets_) / N : targets_ / N);

    TrainResult result;
    BestWeights best({model_.ridge_weight_});
    const std::int64_t count = model_.config_.ridge_count;
    const double lo = std::log(model_.config_.ridge_min), hi = std::log(model_.config_.ridge_max);
    for (std::int64_t k = 0; k < count; ++k) {
      const double lambda =
          std::exp(count == 1 ? lo : lo + (hi - lo) * double(k) / double(count - 1));
      Tensor W = at::mm(V, projected / (eigenvalues + lambda).unsqueeze(1));
      if (!primal) W = at::mm(Z.t(), W);
      {
        at::NoGradGuard no_grad;
        model_.ridge_weight_.copy_(W);
      }
      result.meta_loss.push_back((at::mm(Z, W) - targets_).pow(2).mean().item<double>());
      best.offer(k + 1, validate(), result);
      report(k + 1, count, result);
    }
    best.restore();
    result.epochs = count;
    return result;
  }

  // Full-batch Adam on the standardised mean squared error; the best validated weights are kept.
  TrainResult mlp() {
    std::vector<Tensor> parameters;
    Weights w;
    model_.mlp_.collect(w, "mlp");
    parameters = tensors_of(w);
    for (Tensor& p : parameters) p.requires_grad_(true);
    torch::optim::Adam adam(parameters, torch::optim::AdamOptions(config_.lr));
    const Tensor Z = inputs_.to(parameters.front().options()),
                 T = targets_.to(parameters.front().options());

    TrainResult result;
    BestWeights best(parameters);
    const std::int64_t iterations = model_.config_.iterations;
    best.offer(0, validate(), result);
    for (std::int64_t i = 1; i <= iterations; ++i) {
      const Tensor loss = (model_.mlp_(Z) - T).pow(2).mean();
      result.meta_loss.push_back(loss.item<double>());
      if (!apply_update(adam, parameters, loss, config_.clip)) ++result.skipped_segments;
      if (i % config_.validate_every == 0 || i == iterations) {
        best.offer(i, validate(), result);
        report(i, iterations, result);
      }
    }
    best.restore();
    for (Tensor& p : parameters) p.requires_grad_(false);
    result.epochs = iterations;
    return result;
  }

  RegressModel& model_;
  const TrainConfig& config_;
  ProgressFn progress_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  Tensor inputs_, targets_;  // standardised, float64
  std::unique_ptr<Objective> validation_;
  Tensor validation_features_;
};

TrainResult RegressModel::train(const TrainingProblem& problem, const TrainConfig& config,
                                const Placement& placement, const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  auto example = problem.family->sample(problem.config, {1, problem.train_stream, placement});
  pairs_of(*example, problem);  // the refusal, naming the family
  shape_for(*example);
  to(placement);
  if (config.epochs == 0) return {};  // untrained: the initial weights (ridge: x₁ = 0)
  TrainResult result = Fit(*this, problem, config, placement, progress).run();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.cpu_seconds = thread_cpu_seconds() - cpu_start;
  return result;
}

}  // namespace

void Regress::Config::validate(const std::string& where) {
  if (ridge_min > ridge_max)
    throw InputError(fmt::format("{}.ridge_min: expected at most ridge_max ({:g}), got {:g}", where,
                                 ridge_max, ridge_min));
  if (then == no_optimizer) {
    if (!then_config.empty())
      throw InputError(fmt::format("{}.then_config: given, but then is \"none\"", where));
    return;
  }
  // The canonical config of the continuation, so that two spellings of it share one key.
  then_config = optimizers::find_optimizer(then, where + ".then")
                    .canonical(then_config, where + ".then_config");
}

TrainConfig Regress::training(const Config&, TrainProfile profile) {
  TrainConfig t;
  t.batch = 128;
  t.epochs = profile == TrainProfile::paper ? 200 : 20;
  t.lr = 1e-3;
  t.validate_every = 100;
  return t;
}

std::unique_ptr<LearnedOptimizer> Regress::make(const Config& config, std::uint64_t init_seed) {
  return std::make_unique<RegressModel>(config, init_seed);
}

}  // namespace l2o::learned
