#pragma once
// A learned optimizer for the first `switch_at` iterations, then a classical one from where it
// stopped (Diff-L2O's Fig. 3: Diff-L2O for 50 iterations, then Adam). Any learned and any
// classical optimizer compose. The hybrid carries the learned part's weights and is trained and
// cached as that part: a suite with both "diff-l2o" and a hybrid over it trains one model.
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

struct TrainedPart;

struct Hybrid {
  static constexpr std::string_view name = "hybrid";
  static constexpr std::string_view summary =
      "a learned optimizer for the first switch_at steps, then a classical one";

  struct Config {
    std::string learned = "diff-l2o";
    Json learned_config = Json::object();
    std::int64_t switch_at = 50;
    std::string classical = "adam";
    Json classical_config = Json::object();

    template <class Visitor>
    void fields(Visitor& v) {
      v.field("learned", learned, "the learned optimizer of the first phase");
      v.field("learned_config", learned_config, "its config");
      v.field("switch_at", switch_at, "iterations of the learned phase", at_least(0));
      v.field("classical", classical, "the classical optimizer that takes over");
      v.field("classical_config", classical_config, "its config");
    }
    void validate(const std::string& where) const;
  };

  static TrainConfig training(const Config& config, TrainProfile profile);
  static TrainedPart trained_part(const Config& config);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);
};

}  // namespace l2o::learned
