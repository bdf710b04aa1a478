#include "harness/training_estimate.hpp"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "harness/suite_models.hpp"
#include "harness/training_cache.hpp"

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

std::vector<TrainingEstimate> estimate_training(const Suite& suite, const Placement& placement,
                                                std::int64_t probe_epochs) {
  // The probe suite differs from the suite only in its learned optimizers' epochs.
  Suite probe = suite;
  for (OptimizerSpec& o : probe.optimizers)
    if (o.training.is_object() && o.training.contains("epochs"))
      o.training["epochs"] =
          std::min<std::int64_t>(probe_epochs, o.training["epochs"].get<std::int64_t>());
  const ScratchFolder scratch;
  const TrainingCache keys({}, suite, placement, false);
  TrainingCache probes(scratch.path(), probe, placement, false);
  std::vector<TrainingEstimate> out;
  for (const SuiteModel& model : suite_models(suite, keys)) {
    const SuiteModel::User& user = model.users[0];
    const OptimizerSpec& o = suite.optimizers[user.optimizer];
    TrainingEstimate e{
        .key = model.key,
        .users = o.label + " on " + suite.problems[user.problem].label,
        .epochs = o.training.value("epochs", std::int64_t(0)),
        .probe_epochs = probe.optimizers[user.optimizer].training.value("epochs", std::int64_t(0))};
    if (e.epochs == 0) continue;
    e.probe_seconds = probes.get(probe.optimizers[user.optimizer], probe.problems[user.problem])
                          .record.at("seconds")
                          .get<double>();
    out.push_back(e);
  }
  return out;
}

}  // namespace l2o::harness
