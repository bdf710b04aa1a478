#include "harness/training_cache.hpp"

#include <cstdio>
#include <set>

#include <ATen/Parallel.h>

#include <fmt/format.h>
#include <torch/version.h>
#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/file_lock.hpp"
#include "core/files.hpp"
#include "core/seed.hpp"
#include "harness/cells.hpp"
#include "harness/context.hpp"
#include "learned/registry.hpp"
#include "learned/shipped_model.hpp"
#include "learned/training.hpp"
#include "problems/registry.hpp"

namespace l2o::harness {

namespace fs = std::filesystem;

std::unique_ptr<learned::LearnedOptimizer> make_untrained(const OptimizerSpec& optimizer,
                                                          std::uint64_t seed,
                                                          const ProblemSpec& problem,
                                                          const Placement& placement) {
  // Seeded by the trained part, so that a hybrid and its learned part start from one init.
  const learned::LearnedEntry* entry = learned::find_learned(optimizer.name);
  auto model = entry->make(optimizer.config,
                           derive_seed(seed, {entry->trained_part(optimizer.config).name, "init"}));
  const ProblemSpec& trained_on = optimizer.train_on ? *optimizer.train_on : problem;
  model->shape_for(*problems::find_family(trained_on.family, optimizer.label)
                        .sample(trained_on.config, {1, 0, placement}));
  model->to(placement);
  return model;
}

Instantiated instantiate(const OptimizerSpec& optimizer, const ProblemSpec& problem,
                         TrainingCache& cache) {
  const learned::AnyOptimizerEntry& entry =
      learned::find_any_optimizer(optimizer.name, optimizer.label);
  if (!entry.learned) return {.optimizer = entry.make(optimizer.config)};
  const TrainedModel& trained = cache.get(optimizer, problem);
  return {trained.model, trained.record, trained.checkpoint};
}

TrainingCache::TrainingCache(fs::path dir, const Suite& suite, const Placement& placement,
                             bool progress)
    : dir_(std::move(dir)), suite_(suite), placement_(placement), progress_(progress) {}

TrainingCache TrainingCache::untrained(const Suite& suite, const Placement& placement,
                                       std::uint64_t init_seed) {
  TrainingCache cache({}, suite, placement, false);
  cache.untrained_seed_ = init_seed;
  return cache;
}

learned::CheckpointKey TrainingCache::key(const OptimizerSpec& optimizer,
                                          const ProblemSpec& problem) const {
  const ProblemSpec& trained_on = optimizer.train_on ? *optimizer.train_on : problem;
  // Every optimizer trained on a problem sees the same training instances: the problem's
  // "train" stream (validation uses its "validation" split, see get()).
  const std::uint64_t seed = instance_seeds(suite_, trained_on, "train", 0).instances;
  // A composition is trained and cached as the learned optimizer whose weights it carries.
  learned::TrainedPart part = learned::find_learned(optimizer.name)->trained_part(optimizer.config);
  // A weights file is keyed by its content: edited in place, it is a new model.
  return {std::move(part.name),
          keyed_by_content(part.config),
          optimizer.training,
          trained_on.family,
          trained_on.config,
          seed,
          dtype_name(placement_.dtype),
          placement_.device.str()};
}

learned::TrainResult TrainingCache::train_and_save(const OptimizerSpec& optimizer,
                                                   const ProblemSpec& problem,
                                                   const learned::CheckpointKey& k,
                                                   learned::LearnedOptimizer& model,
                                                   const fs::path& checkpoint) const {
  const auto config =
      parse_config<learned::TrainConfig>(optimizer.training, optimizer.label + ".train");
  const std::string what =
      fmt::format("{} on {}-n{}", optimizer.label, k.family, k.problem.at("dim").get<int>());
  if (progress_)
    std::fprintf(stderr, "l2obench: training %s (%lld epochs)\n", what.c_str(),
                 (long long)config.epochs);
  learned::ProgressFn report;
  if (progress_)
    report = [&](const learned::TrainProgress& p) {
      const double eta = p.elapsed / double(p.epoch) * double(p.epochs - p.epoch);
      std::fprintf(stderr,
                   "  %s: epoch %lld/%lld  meta-loss %.4g  validation %.4g (best %.4g)  %.0fs, "
                   "ETA %.0fs\n",
                   what.c_str(), (long long)p.epoch, (long long)p.epochs, p.meta_loss, p.validation,
                   p.best_validation, p.elapsed, eta);
    };
  // Fail before hours of training, not after, if the checkpoint cannot be written.
  write_file_atomically(dir_ / ".writable", "");
  fs::remove(dir_ / ".writable");
  const ProblemSpec& trained_on = optimizer.train_on ? *optimizer.train_on : problem;
  const InstanceSeeds validation = instance_seeds(suite_, trained_on, "validation", 0);
  learned::TrainingProblem training{&problems::find_family(k.family, optimizer.label), k.problem,
                                    k.seed, validation.instances, validation.initial_points};
  const BuildInfo build = build_info();
  // A killed training continues from its resume file, but only with the arithmetic that wrote
  // it: the key (training_code_version included, bumped by any change to what a key trains to),
  // compiler, build type, LibTorch, BLAS kernel and intra-op threads. Not the git commit: a
  // training of hours must survive commits that leave its arithmetic alone.
  training.resume = {.file = fs::path(checkpoint).replace_extension(".resume"),
                     .identity = {{"key", k.to_json()},
                                  {"compiler", __VERSION__},
                                  {"build_type", build.build_type},
                                  {"libtorch_version", TORCH_VERSION},
                                  {"blas_kernel", blas_kernel()},
                                  {"threads", at::get_num_threads()}}};
  const learned::TrainResult result = model.train(training, config, placement_, report);
  learned::save_checkpoint(checkpoint, model, k, result,
                           {{"git_commit", build.git_commit},
                            {"git_dirty", build.git_dirty},
                            {"date", utc_now()},
                            {"threads", at::get_num_threads()}});
  fs::remove(training.resume.file);
  if (progress_)
    std::fprintf(stderr, "l2obench: trained %s in %.1fs -> %s\n", what.c_str(), result.seconds,
                 checkpoint.c_str());
  return result;
}

const TrainedModel& TrainingCache::get(const OptimizerSpec& optimizer, const ProblemSpec& problem) {
  // Models in memory are per entry: a hybrid shares its learned part's checkpoint, not its model.
  const ProblemSpec& shaped_for = optimizer.train_on ? *optimizer.train_on : problem;
  const std::string entry = untrained_seed_ ? fmt::format("untrained {} {} {}", shaped_for.family,
                                                          shaped_for.config.dump(), optimizer.name)
                                            : key(optimizer, problem).hash() + " " + optimizer.name;
  const std::string id = entry + " " + optimizer.config.dump();
  {
    std::lock_guard lock(*models_mutex_);
    if (auto it = models_.find(id); it != models_.end()) return it->second;
  }
  // Made without the lock, so that workers train different models side by side; a model two
  // workers made at once is kept once (std::map keeps references valid across inserts).
  TrainedModel made =
      untrained_seed_
          ? TrainedModel{.model = make_untrained(optimizer, *untrained_seed_, problem, placement_)}
          : load_or_train(optimizer, problem);
  std::lock_guard lock(*models_mutex_);
  return models_.try_emplace(id, std::move(made)).first->second;
}

// The cache's checkpoint of `k`, or a training that writes it: one process or thread trains a
// key; the others wait on its lock, then load its checkpoint.
learned::TrainResult TrainingCache::load_cached_or_train(const OptimizerSpec& optimizer,
                                                         const ProblemSpec& problem,
                                                         const learned::CheckpointKey& k,
                                                         TrainedModel& trained) const {
  std::optional<FileLock> training;
  if (!fs::exists(trained.checkpoint)) {
    fs::create_directories(dir_);
    const fs::path lock = fs::path(trained.checkpoint).replace_extension(".lock");
    training = FileLock::try_lock(lock);
    if (!training) {
      if (progress_)
        std::fprintf(stderr,
                     "l2obench: waiting for %s, which another process or thread is training\n",
                     trained.checkpoint.c_str());
      training.emplace(lock);
    }
    // What a holder killed mid-write left (never read: files are renamed into place).
    remove_stale_temporaries(dir_);
  }
  if (!fs::exists(trained.checkpoint))
    return train_and_save(optimizer, problem, k, *trained.model, trained.checkpoint);
  Json provenance;
  learned::TrainResult result =
      learned::load_checkpoint(trained.checkpoint, *trained.model, k, &provenance);
  trained.loaded = true;
  const Json commit = provenance.is_object() ? provenance.value("git_commit", Json()) : Json();
  if (commit != build_info().git_commit)
    std::fprintf(stderr,
                 "l2obench: warning: %s was trained by another build (commit %s); it is used as "
                 "is; delete it to retrain with this one\n",
                 trained.checkpoint.c_str(), commit.dump().c_str());
  return result;
}

TrainedModel TrainingCache::load_or_train(const OptimizerSpec& optimizer,
                                          const ProblemSpec& problem) const {
  const learned::CheckpointKey k = key(optimizer, problem);
  TrainedModel trained;
  trained.model = make_untrained(optimizer, k.seed, problem, placement_);
  trained.checkpoint = dir_ / k.file_name();
  learned::TrainResult result;
  const fs::path shipped =
      shipped_.empty() ? fs::path() : shipped_ / learned::shipped_model_name(k);
  if (!fs::exists(trained.checkpoint) && !shipped.empty() && fs::exists(shipped)) {
    // Read-only and complete in git: no lock. Same key, same weights as a training here gives.
    result = learned::load_shipped_model(shipped, *trained.model, k);
    trained.loaded = true;
    trained.checkpoint = shipped;
  } else {
    result = load_cached_or_train(optimizer, problem, k, trained);
  }
  trained.record = result.to_json();
  trained.record["loaded_from_cache"] = trained.loaded;
  trained.record["checkpoint"] = trained.checkpoint.string();
  trained.record["problem"] = {{"family", k.family}, {"config", k.problem}};
  return trained;
}

std::vector<Cell> cells_with_distinct_models(const Suite& suite, const std::vector<Cell>& cells,
                                             const TrainingCache& cache) {
  std::vector<Cell> first;
  std::set<std::string> seen;
  for (const Cell& cell : cells) {
    const OptimizerSpec& o = suite.optimizers[cell.optimizer];
    if (o.tuning || !learned::find_any_optimizer(o.name, o.label).learned) continue;
    if (seen.insert(cache.key(o, suite.problems[cell.problem]).hash()).second)
      first.push_back(cell);
  }
  return first;
}

}  // namespace l2o::harness
