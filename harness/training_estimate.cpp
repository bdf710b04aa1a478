#include "harness/training_estimate.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "harness/suite_models.hpp"
#include "harness/training_cache.hpp"
#include "harness/tuning.hpp"
#include "learned/registry.hpp"
#include "learned/training.hpp"

namespace l2o::harness {

namespace {

// A fresh folder under the system temp dir, removed with everything in it when it goes away.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string name =
        (std::filesystem::temp_directory_path() / "l2obench-estimate-XXXXXX").string();
    if (!::mkdtemp(name.data()))
      throw InputError("cannot create a scratch folder for the probes in " +
                       std::filesystem::temp_directory_path().string());
    path_ = name;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

std::pair<double, double> TrainingEstimate::probes(Clock clock) const {
  return clock == Clock::cpu ? std::pair{probe_cpu_seconds, long_probe_cpu_seconds}
                             : std::pair{probe_seconds, long_probe_seconds};
}

double TrainingEstimate::seconds_per_epoch(Clock clock) const {
  const auto [short_probe, long_probe] = probes(clock);
  if (long_probe_epochs > probe_epochs) {
    const double difference = (long_probe - short_probe) / double(long_probe_epochs - probe_epochs);
    // On a busy machine the difference can come out negative: then the long probe's average.
    if (difference > 0) return difference;
  }
  return long_probe_epochs > 0 ? long_probe / double(long_probe_epochs) : 0.0;
}

double TrainingEstimate::seconds_per_validation(Clock clock) const {
  if (probe_validations == 0) return 0.0;
  const double rest = probes(clock).first - seconds_per_epoch(clock) * double(probe_epochs);
  return rest > 0 ? rest / double(probe_validations) : 0.0;
}

double TrainingEstimate::projected_seconds(Clock clock) const {
  if (long_probe_epochs == epochs) return probes(clock).second;  // the probe was the training
  // Validations at epoch 0 and every validate_every epochs, as the training loop makes them.
  const std::int64_t validations = validate_every > 0 ? epochs / validate_every + 1 : 0;
  return seconds_per_epoch(clock) * double(epochs) +
         seconds_per_validation(clock) * double(validations);
}

namespace {

// `o` with its epochs capped at `epochs` and no validation between epoch 0 and the end, so that
// a short and a long probe make the same validations.
OptimizerSpec capped(OptimizerSpec o, std::int64_t epochs, std::int64_t never) {
  if (!o.training.is_object() || !o.training.contains("epochs")) return o;
  o.training["epochs"] = std::min<std::int64_t>(epochs, o.training["epochs"].get<std::int64_t>());
  if (o.training.contains("validate_every")) o.training["validate_every"] = never;
  return o;
}

// A model to probe: the optimizer and problem that train it.
struct Target {
  std::string key, users;
  OptimizerSpec optimizer;
  ProblemSpec problem;
};

// The suite's models (suite_models), then those of its tuned learned optimizers' trials, each
// trained on its problem without the scenario, as the trial cells train them.
std::vector<Target> targets(const Suite& suite, const TrainingCache& keys) {
  std::vector<Target> out;
  std::set<std::string> seen;
  for (const SuiteModel& model : suite_models(suite, keys)) {
    const SuiteModel::User& user = model.users[0];
    const OptimizerSpec& o = suite.optimizers[user.optimizer];
    const ProblemSpec& p = suite.problems[user.problem];
    seen.insert(model.key);
    out.push_back({model.key, o.label + " on " + p.label, o, p});
  }
  for (const Cell& trial : expand_trials(suite)) {
    const OptimizerSpec& tuned = suite.optimizers[trial.optimizer];
    if (!learned::find_any_optimizer(tuned.name, tuned.label).learned) continue;
    OptimizerSpec o = trial_optimizer(tuned, *trial.trial);
    ProblemSpec p = validation_problem(suite.problems[trial.problem]);
    std::string key = std::filesystem::path(keys.key(o, p).file_name()).stem().string();
    if (!seen.insert(key).second) continue;
    std::string users = fmt::format("{} trial {} on {}", tuned.label, *trial.trial, p.label);
    out.push_back({std::move(key), std::move(users), std::move(o), std::move(p)});
  }
  return out;
}

// The training record of `o` on `p`, trained in `cache`.
learned::TrainResult probe_training(TrainingCache& cache, const OptimizerSpec& o,
                                    const ProblemSpec& p) {
  return learned::TrainResult::from_json(cache.get(o, p).record);
}

}  // namespace

std::vector<TrainingEstimate> estimate_training(const Suite& suite, const Placement& placement,
                                                std::int64_t probe_epochs) {
  const std::int64_t never = 2 * probe_epochs + 1;
  const ScratchFolder short_scratch, long_scratch;
  TrainingCache short_cache(short_scratch.path(), suite, placement, false),
      long_cache(long_scratch.path(), suite, placement, false);
  const TrainingCache keys({}, suite, placement, false);
  std::vector<TrainingEstimate> out;
  for (const Target& target : targets(suite, keys)) {
    const OptimizerSpec short_probe = capped(target.optimizer, probe_epochs, never),
                        long_probe = capped(target.optimizer, 2 * probe_epochs, never);
    TrainingEstimate e{
        .key = target.key,
        .users = target.users,
        .epochs = target.optimizer.training.value("epochs", std::int64_t(0)),
        .validate_every = target.optimizer.training.value("validate_every", std::int64_t(0)),
        .probe_epochs = short_probe.training.value("epochs", std::int64_t(0)),
        .long_probe_epochs = long_probe.training.value("epochs", std::int64_t(0))};
    if (e.epochs == 0) continue;
    const learned::TrainResult first = probe_training(short_cache, short_probe, target.problem);
    const learned::TrainResult second = e.long_probe_epochs > e.probe_epochs
                                            ? probe_training(long_cache, long_probe, target.problem)
                                            : first;
    e.probe_seconds = first.seconds;
    e.probe_cpu_seconds = first.cpu_seconds;
    e.probe_validations = std::int64_t(first.validation.size());
    e.long_probe_seconds = second.seconds;
    e.long_probe_cpu_seconds = second.cpu_seconds;
    out.push_back(e);
  }
  return out;
}

}  // namespace l2o::harness
