#include "learned/training.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "learned/learned_optimizer.hpp"
#include "problems/coordinate_scaled_objective.hpp"

namespace l2o::learned {

TrainProfile parse_train_profile(const std::string& name, const std::string& where) {
  if (name == "quick") return TrainProfile::quick;
  if (name == "paper") return TrainProfile::paper;
  throw InputError(fmt::format("{}: expected one of: quick, paper, got \"{}\"", where, name));
}

void TrainConfig::validate(const std::string& where) const {
  if (steps % unroll != 0)
    throw InputError(
        fmt::format("{}: steps ({}) must be a multiple of unroll ({})", where, steps, unroll));
}

Json TrainResult::to_json() const {
  Json v = Json::array();
  for (const auto& [epoch, loss] : validation) v.push_back({epoch, loss});
  return {{"seconds", seconds},
          {"cpu_seconds", std::isfinite(cpu_seconds) ? Json(cpu_seconds) : Json()},
          {"epochs", epochs},
          {"meta_loss", meta_loss},
          {"validation", v},
          {"best_epoch", best_epoch},
          {"best_validation", best_validation},
          {"skipped_segments", skipped_segments}};
}

TrainResult TrainResult::from_json(const Json& j) {
  TrainResult r;
  r.seconds = j.at("seconds").get<double>();
  const Json cpu = j.value("cpu_seconds", Json());
  r.cpu_seconds = cpu.is_number() ? cpu.get<double>() : NAN;
  r.epochs = j.at("epochs").get<std::int64_t>();
  for (const Json& m : j.at("meta_loss"))
    r.meta_loss.push_back(m.is_number() ? m.get<double>() : NAN);
  for (const Json& v : j.at("validation"))
    r.validation.emplace_back(v.at(0).get<std::int64_t>(),
                              v.at(1).is_number() ? v.at(1).get<double>() : NAN);
  r.best_epoch = j.at("best_epoch").get<std::int64_t>();
  r.best_validation =
      j.at("best_validation").is_number() ? j.at("best_validation").get<double>() : NAN;
  r.skipped_segments = j.value("skipped_segments", 0);
  return r;
}

TrainResult LearnedOptimizer::train(const TrainingProblem& problem, const TrainConfig& config,
                                    const Placement& placement, const ProgressFn& progress) {
  return meta_train(*this, problem, config, placement, progress);
}

double learning_rate_at(const TrainConfig& config, std::int64_t epoch) {
  if (config.lr_decay_every <= 0) return config.lr;
  return config.lr * std::pow(config.lr_decay, double((epoch - 1) / config.lr_decay_every));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::vector<Tensor> tensors_of(const Weights& weights) {
  std::vector<Tensor> out;
  for (const auto& [name, t] : weights) out.push_back(t);
  return out;
}

bool apply_update(torch::optim::Optimizer& optimizer, std::vector<Tensor>& parameters,
                  const Tensor& loss, double clip) {
  optimizer.zero_grad();
  if (!std::isfinite(loss.item<double>())) return false;
  loss.backward();
  if (clip > 0) torch::nn::utils::clip_grad_norm_(parameters, clip);
  optimizer.step();
  return true;
}

void BestWeights::offer(std::int64_t epoch, double validation, TrainResult& result) {
  result.validation.emplace_back(epoch, validation);
  const bool better = best_.empty() || validation < result.best_validation ||
                      (std::isnan(result.best_validation) && !std::isnan(validation));
  if (!better) return;
  result.best_validation = validation;
  result.best_epoch = epoch;
  best_.clear();
  for (const Tensor& p : parameters_) best_.push_back(p.detach().clone());
}

void BestWeights::restore() const {
  at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < parameters_.size(); ++i) parameters_[i].copy_(best_[i]);
}

void BestWeights::save(TrainingState& out) const {
  for (std::size_t i = 0; i < best_.size(); ++i) out.add(fmt::format("best.{}", i), best_[i]);
}

void BestWeights::load(const TrainingState& in) {
  best_.clear();
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    best_.push_back(in.at(fmt::format("best.{}", i)).to(parameters_[i].options()).clone());
}

TrainingSession::TrainingSession(const TrainConfig& config, const ProgressFn& progress,
                                 ResumePolicy resume, std::vector<Tensor> parameters)
    : config_(config),
      progress_(progress),
      resume_(std::move(resume)),
      parameters_(parameters),
      best_(std::move(parameters)) {}

double TrainingSession::elapsed() const {
  return earlier_seconds_ + std::chrono::duration<double>(Clock::now() - start_).count();
}

double TrainingSession::elapsed_cpu() const {
  return earlier_cpu_seconds_ + (thread_cpu_seconds() - cpu_start_);
}

std::int64_t TrainingSession::resume(const LoadFn& load) {
  std::optional<TrainingState> state = read_resume_file(resume_);
  if (!state) return 1;
  at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    parameters_[i].copy_(state->at(fmt::format("weights.{}", i)));
  best_.load(*state);
  result_ = TrainResult::from_json(state->record.at("result"));
  earlier_seconds_ = result_.seconds;
  earlier_cpu_seconds_ = result_.cpu_seconds;  // NaN from a file that did not record it
  load(*state);
  std::fprintf(stderr, "l2obench: resuming %s after epoch %lld\n", resume_.file.c_str(),
               (long long)state->epoch);
  return state->epoch + 1;
}

bool TrainingSession::validating(std::int64_t epoch) const {
  return epoch % config_.validate_every == 0 || epoch == config_.epochs;
}

void TrainingSession::validated(std::int64_t epoch, double validation) {
  best_.offer(epoch, validation, result_);
  if (progress_ && epoch > 0)
    progress_({epoch, config_.epochs, result_.meta_loss.back(), validation, result_.best_validation,
               elapsed()});
}

void TrainingSession::end_epoch(std::int64_t epoch, const SaveFn& save) {
  if (resume_.file.empty() || epoch >= config_.epochs) return;
  const bool due =
      validating(epoch) ||
      std::chrono::duration<double>(Clock::now() - last_write_).count() >= resume_.every_seconds;
  if (!due) return;
  TrainingState state;
  state.epoch = epoch;
  result_.cpu_seconds = elapsed_cpu();  // first: never above the wall clock read after it
  result_.seconds = elapsed();
  state.record = {{"result", result_.to_json()}};
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    state.add(fmt::format("weights.{}", i), parameters_[i]);
  best_.save(state);
  save(state);
  write_resume_file(resume_, state);
  last_write_ = Clock::now();
}

TrainResult TrainingSession::finish() {
  best_.restore();
  result_.epochs = config_.epochs;
  result_.cpu_seconds = elapsed_cpu();
  result_.seconds = elapsed();
  return result_;
}

double rollout_mean_loss(const LearnedOptimizer& model, const problems::Objective& f,
                         const Tensor& x0, std::int64_t steps) {
  c10::InferenceMode no_autograd;
  f.rewind();  // the same minibatches at every validation (stochastic families)
  auto rollout = model.start_learned(f, x0);
  Tensor total = at::zeros({}, at::kDouble);
  for (std::int64_t k = 0; k < steps; ++k) total += f.loss(rollout->step()).mean().to(at::kDouble);
  return total.item<double>() / double(steps);
}

namespace {

// Training instances of one epoch, optionally in randomly rescaled coordinates.
std::unique_ptr<problems::Objective> training_batch(const TrainingProblem& problem,
                                                    const TrainConfig& config, std::int64_t epoch,
                                                    const Placement& placement) {
  const std::uint64_t seed = problem.train_stream;
  const std::string e = fmt::format("epoch{}", epoch);
  auto f = problem.family->sample(
      problem.config, {config.batch, derive_seed(seed, {"train", e, "instances"}), placement});
  if (config.coordinate_scaling <= 0) return f;
  Tensor u =
      RandomStream(derive_seed(seed, {"train", e, "scaling"})).uniform({f->batch(), f->dim()});
  Tensor scale = at::exp((2 * u - 1) * config.coordinate_scaling);
  return std::make_unique<problems::CoordinateScaledObjective>(std::move(f), scale);
}

}  // namespace

TrainResult meta_train(LearnedOptimizer& model, const TrainingProblem& problem,
                       const TrainConfig& config, const Placement& placement,
                       const ProgressFn& progress) {
  model.to(placement);
  std::vector<Tensor> parameters = tensors_of(model.weights());
  for (Tensor& p : parameters) p.requires_grad_(true);
  torch::optim::Adam meta_optimizer(parameters, torch::optim::AdamOptions(config.lr));

  auto validation = problem.family->sample(
      problem.config, {config.validation_instances, problem.validation_instances, placement});
  const Tensor validation_x0 = validation->initial_points(problem.validation_initial_points);
  TrainingSession session(config, progress, problem.resume, parameters);
  auto validate = [&](std::int64_t epoch) {
    session.validated(epoch, rollout_mean_loss(model, *validation, validation_x0, config.steps));
  };
  const std::int64_t first = session.resume(
      [&](const TrainingState& s) { load_adam_state(meta_optimizer, parameters, "adam", s); });
  if (first == 1) validate(0);

  const std::int64_t segments = config.steps / config.unroll;
  const bool mean_loss = config.meta_loss_kind() == MetaLoss::mean;
  TrainResult& result = session.result();
  for (std::int64_t epoch = first; epoch <= config.epochs; ++epoch) {
    set_learning_rate(meta_optimizer, learning_rate_at(config, epoch));

    auto f = training_batch(problem, config, epoch, placement);
    const Tensor x0 = f->initial_points(derive_seed(
        problem.train_stream, {"train", fmt::format("epoch{}", epoch), "initial-points"}));
    auto rollout = model.start_learned(*f, x0);
    double epoch_loss = 0;
    for (std::int64_t s = 0; s < segments; ++s) {
      Tensor loss = at::zeros({}, x0.options());
      for (std::int64_t t = 0; t < config.unroll; ++t)
        loss = loss + f->loss(rollout->step()).mean();
      if (mean_loss) loss = loss / double(config.unroll);
      const double value = loss.item<double>();
      if (!apply_update(meta_optimizer, parameters, loss, config.clip)) ++result.skipped_segments;
      rollout->detach();
      epoch_loss += value;
    }
    result.meta_loss.push_back(epoch_loss / double(segments));
    if (session.validating(epoch)) validate(epoch);
    session.end_epoch(
        epoch, [&](TrainingState& s) { save_adam_state(meta_optimizer, parameters, "adam", s); });
  }
  return session.finish();
}

}  // namespace l2o::learned
