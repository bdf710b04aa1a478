#pragma once
// Trained learned optimizers, content-addressed on disk: a miss trains (and writes the
// checkpoint atomically), a hit loads; either way the training seconds are known and recorded.
// Shards on a shared filesystem share the cache.
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/json_fwd.hpp"
#include "harness/suite.hpp"
#include "learned/checkpoint.hpp"
#include "learned/learned_optimizer.hpp"

namespace l2o::harness {

struct TrainedModel {
  std::shared_ptr<learned::LearnedOptimizer> model;
  std::filesystem::path checkpoint;
  bool loaded = false;  // from the cache rather than trained by this process
  Json record;          // the cell's "train" block
};

class TrainingCache {
 public:
  TrainingCache(std::filesystem::path dir, const Suite& suite, const Placement& placement,
                bool progress);

  // The model `optimizer` uses on `problem` (its own, or the entry's train_on problem).
  const TrainedModel& get(const OptimizerSpec& optimizer, const ProblemSpec& problem);

  learned::CheckpointKey key(const OptimizerSpec& optimizer, const ProblemSpec& problem) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  const Suite& suite_;
  Placement placement_;
  bool progress_;
  std::map<std::string, TrainedModel> models_;  // by key hash and entry
};

// The untrained model of a learned entry for `problem` (or the entry's train_on problem):
// weights initialised from the key's seed, networks sized for that problem, placed.
std::unique_ptr<learned::LearnedOptimizer> make_untrained(const OptimizerSpec& optimizer,
                                                          std::uint64_t seed,
                                                          const ProblemSpec& problem,
                                                          const Placement& placement);

}  // namespace l2o::harness
