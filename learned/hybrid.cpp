#include "learned/hybrid.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "learned/registry.hpp"

namespace l2o::learned {

namespace {

const LearnedEntry& learned_entry(const std::string& name, const std::string& where) {
  const LearnedEntry* entry = find_learned(name);
  if (!entry || entry->name == Hybrid::name) {
    std::vector<std::string> names;
    for (const LearnedEntry& e : learned_optimizers())
      if (e.name != Hybrid::name) names.emplace_back(e.name);
    throw InputError(
        fmt::format("{}: expected one of: {}, got \"{}\"", where, fmt::join(names, ", "), name));
  }
  return *entry;
}

class HybridRollout final : public LearnedRollout {
 public:
  HybridRollout(std::unique_ptr<LearnedRollout> first, const optimizers::Optimizer& then,
                std::int64_t switch_at, const Objective& objective, const Tensor& x0)
      : first_(std::move(first)), then_(then), switch_at_(switch_at), f_(objective), x_(x0) {}

  Tensor step() override {
    if (k_ == switch_at_) second_ = then_.start(f_, x_);  // fresh state from the learned iterate
    x_ = k_ < switch_at_ ? first_->step() : second_->step();
    ++k_;
    return x_;
  }

  // The learned part's passes; the classical part runs none.
  std::int64_t network_evaluations() const override { return first_->network_evaluations(); }

  void detach() override {
    if (k_ <= switch_at_) first_->detach();
    x_ = x_.detach();
  }

 private:
  std::unique_ptr<LearnedRollout> first_;
  const optimizers::Optimizer& then_;
  std::unique_ptr<Rollout> second_;
  std::int64_t switch_at_, k_ = 0;
  const Objective& f_;
  Tensor x_;
};

class HybridModel final : public LearnedOptimizer {
 public:
  HybridModel(std::unique_ptr<LearnedOptimizer> first, std::unique_ptr<optimizers::Optimizer> then,
              std::int64_t switch_at)
      : first_(std::move(first)), then_(std::move(then)), switch_at_(switch_at) {}

  Weights weights() const override { return first_->weights(); }
  void to(const Placement& placement) override { first_->to(placement); }
  void shape_for(const Objective& example) override { first_->shape_for(example); }
  TrainResult train(const TrainingProblem& problem, const TrainConfig& config,
                    const Placement& placement, const ProgressFn& progress) override {
    return first_->train(problem, config, placement, progress);
  }
  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override {
    return std::make_unique<HybridRollout>(first_->start_learned(objective, x0), *then_, switch_at_,
                                           objective, x0);
  }

 private:
  std::unique_ptr<LearnedOptimizer> first_;
  std::unique_ptr<optimizers::Optimizer> then_;
  std::int64_t switch_at_;
};

}  // namespace

void Hybrid::Config::validate(const std::string& where) const {
  learned_entry(learned, where + ".learned").canonical(learned_config, where + ".learned_config");
  optimizers::find_optimizer(classical, where + ".classical")
      .canonical(classical_config, where + ".classical_config");
}

TrainedPart Hybrid::trained_part(const Config& config) {
  const LearnedEntry& entry = learned_entry(config.learned, "hybrid.learned");
  return {config.learned, entry.canonical(config.learned_config, "hybrid.learned_config")};
}

TrainConfig Hybrid::training(const Config& config, TrainProfile profile) {
  const TrainedPart part = trained_part(config);
  return learned_entry(part.name, "hybrid.learned").training(part.config, profile);
}

std::unique_ptr<LearnedOptimizer> Hybrid::make(const Config& config, std::uint64_t init_seed) {
  const TrainedPart part = trained_part(config);
  const auto& classical = optimizers::find_optimizer(config.classical, "hybrid.classical");
  return std::make_unique<HybridModel>(
      learned_entry(part.name, "hybrid.learned").make(part.config, init_seed),
      classical.make(classical.canonical(config.classical_config, "hybrid.classical_config")),
      config.switch_at);
}

}  // namespace l2o::learned
