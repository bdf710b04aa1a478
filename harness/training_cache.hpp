#pragma once
// How the harness builds an optimizer from its suite entry (instantiate), and the trained
// learned optimizers it needs, content-addressed on disk: a miss trains (and writes the
// checkpoint atomically), a hit loads; either way the training seconds are known and recorded.
// Shards on a shared filesystem share the cache. This file and the registry are the only places
// that ask whether an optimizer is learned.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/json_fwd.hpp"
#include "harness/cells.hpp"
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
  // A cache that neither trains nor reads checkpoints: every learned optimizer gets its initial
  // weights, seeded by `init_seed` (preflight checks, equivariance measurements).
  static TrainingCache untrained(const Suite& suite, const Placement& placement,
                                 std::uint64_t init_seed);

  // The model `optimizer` uses on `problem` (its own, or the entry's train_on problem). Safe to
  // call from several threads; returned references stay valid as long as the cache.
  const TrainedModel& get(const OptimizerSpec& optimizer, const ProblemSpec& problem);

  learned::CheckpointKey key(const OptimizerSpec& optimizer, const ProblemSpec& problem) const;
  const std::filesystem::path& dir() const { return dir_; }
  // Where the cache lacks a key, a shipped model of that key in `folder` is loaded instead of
  // training (learned/shipped_model.hpp); an empty folder: none.
  void use_shipped(std::filesystem::path folder) { shipped_ = std::move(folder); }

 private:
  TrainedModel load_or_train(const OptimizerSpec& optimizer, const ProblemSpec& problem) const;
  learned::TrainResult load_cached_or_train(const OptimizerSpec& optimizer,
                                            const ProblemSpec& problem,
                                            const learned::CheckpointKey& key,
                                            TrainedModel& trained) const;
  learned::TrainResult train_and_save(const OptimizerSpec& optimizer, const ProblemSpec& problem,
                                      const learned::CheckpointKey& key,
                                      learned::LearnedOptimizer& model,
                                      const std::filesystem::path& checkpoint) const;

  std::filesystem::path dir_, shipped_;
  const Suite& suite_;
  Placement placement_;
  bool progress_;
  std::optional<std::uint64_t> untrained_seed_;
  std::map<std::string, TrainedModel> models_;  // by key hash and entry
  // get() may be called from several workers (a unique_ptr keeps the cache movable).
  std::unique_ptr<std::mutex> models_mutex_ = std::make_unique<std::mutex>();
};

// An optimizer ready to run on a problem.
struct Instantiated {
  std::shared_ptr<const optimizers::Optimizer> optimizer;
  Json training;                     // the cell's "train" block; null for a classical optimizer
  std::filesystem::path checkpoint;  // where its trained weights are; empty if none
};

// The one way the harness builds an optimizer from its suite entry: a classical one from its
// config, a learned one from `cache` (trained, loaded, or untrained for an untrained cache).
Instantiated instantiate(const OptimizerSpec& optimizer, const ProblemSpec& problem,
                         TrainingCache& cache);

// The cells of `cells` whose learned model no earlier cell of them needs: one per checkpoint (a
// hybrid and its learned part share one), in order. A classical optimizer needs none, nor does a
// tuned one: its models are its trials' (harness/tuning.hpp), trained when a trial needs one.
std::vector<Cell> cells_with_distinct_models(const Suite& suite, const std::vector<Cell>& cells,
                                             const TrainingCache& cache);

// The untrained model of a learned entry for `problem` (or the entry's train_on problem):
// weights initialised from the key's seed, networks sized for that problem, placed.
std::unique_ptr<learned::LearnedOptimizer> make_untrained(const OptimizerSpec& optimizer,
                                                          std::uint64_t seed,
                                                          const ProblemSpec& problem,
                                                          const Placement& placement);

}  // namespace l2o::harness
