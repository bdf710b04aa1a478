#include "harness/suite_models.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/files.hpp"
#include "harness/cells.hpp"
#include "harness/runner.hpp"
#include "harness/tuning.hpp"
#include "learned/checkpoint.hpp"
#include "learned/registry.hpp"
#include "learned/shipped_model.hpp"

namespace l2o::harness {

namespace {

bool is_learned(const OptimizerSpec& optimizer) {
  return learned::find_any_optimizer(optimizer.name, optimizer.label).learned;
}

}  // namespace

std::vector<SuiteModel> suite_models(const Suite& suite, const TrainingCache& cache) {
  std::vector<SuiteModel> models;
  for (const Cell& cell : expand(suite)) {
    const OptimizerSpec& optimizer = suite.optimizers[cell.optimizer];
    if (optimizer.tuning || !is_learned(optimizer)) continue;
    const learned::CheckpointKey key = cache.key(optimizer, suite.problems[cell.problem]);
    const std::string name = std::filesystem::path(key.file_name()).stem().string();
    auto model = std::ranges::find(models, name, &SuiteModel::key);
    if (model == models.end()) model = models.insert(models.end(), SuiteModel{.key = name});
    const SuiteModel::User user{cell.optimizer, cell.problem};
    if (std::ranges::none_of(model->users, [&](const SuiteModel::User& u) {
          return u.optimizer == user.optimizer && u.problem == user.problem;
        }))
      model->users.push_back(user);
  }
  return models;
}

const SuiteModel& select_model(const std::vector<SuiteModel>& models, const std::string& selector) {
  std::size_t index = 0;
  const char* end = selector.data() + selector.size();
  if (auto [at, ec] = std::from_chars(selector.data(), end, index);
      ec == std::errc() && at == end) {
    if (index < models.size()) return models[index];
    throw InputError(fmt::format(
        "--model {}: the suite has {} learned model{}{}; `l2obench train SUITE --list` lists them",
        selector, models.size(), models.size() == 1 ? "" : "s",
        models.empty() ? "" : fmt::format(" (indices 0 to {})", models.size() - 1)));
  }
  if (auto model = std::ranges::find(models, selector, &SuiteModel::key); model != models.end())
    return *model;
  throw InputError(fmt::format(
      "--model \"{}\": no learned model of the suite has this key; expected an index or a key "
      "\"<optimizer>-<hash>\" that `l2obench train SUITE --list` prints",
      selector));
}

ShippedModels ship_models(const Suite& suite, const TrainingCache& cache,
                          const std::filesystem::path& folder, const Placement& placement,
                          const std::filesystem::path& run) {
  ShippedModels out;
  std::set<std::string> shipped;
  const auto ship = [&](const OptimizerSpec& optimizer, const ProblemSpec& problem) {
    const learned::CheckpointKey key = cache.key(optimizer, problem);
    if (!shipped.insert(key.file_name()).second) return;
    const std::filesystem::path checkpoint = cache.dir() / key.file_name();
    if (!std::filesystem::exists(checkpoint)) {
      out.missing.push_back(std::filesystem::path(key.file_name()).stem().string());
      return;
    }
    auto trained = make_untrained(optimizer, key.seed, problem, placement);
    Json provenance;
    const learned::TrainResult result =
        learned::load_checkpoint(checkpoint, *trained, key, &provenance);
    std::filesystem::create_directories(folder);
    out.written.push_back(folder / learned::shipped_model_name(key));
    learned::save_shipped_model(out.written.back(), *trained, key, result, provenance);
  };
  for (const SuiteModel& model : suite_models(suite, cache))
    ship(suite.optimizers[model.users[0].optimizer], suite.problems[model.users[0].problem]);

  // A tuned learned optimizer: the model of each problem's pick, and every trial's result (not
  // its model), from the finished run.
  for (const Cell& test : expand(suite)) {
    const OptimizerSpec& tuned = suite.optimizers[test.optimizer];
    if (!tuned.tuning || !is_learned(tuned)) continue;
    if (run.empty()) {
      if (std::ranges::find(out.tuned_without_run, tuned.label) == out.tuned_without_run.end())
        out.tuned_without_run.push_back(tuned.label);
      continue;
    }
    const std::optional<CellRecord> record = finished_cell(cell_path(run, test), test, suite.steps);
    if (!record || !record->tuning.is_object()) {
      out.missing.push_back(fmt::format("{} (no finished test cell in {})", test.id, run.string()));
      continue;
    }
    ship(trial_optimizer(tuned, record->tuning.at("pick").get<std::size_t>()),
         suite.problems[test.problem]);
  }
  if (run.empty()) return out;
  for (const Cell& trial : expand_trials(suite)) {
    if (!is_learned(suite.optimizers[trial.optimizer])) continue;
    const std::filesystem::path from = cell_path(run, trial);
    const std::optional<CellRecord> record = finished_cell(from, trial, suite.steps);
    if (!record) {
      out.missing.push_back(fmt::format("{} (no finished trial in {})", trial.id, run.string()));
      continue;
    }
    std::filesystem::create_directories(folder / "tuning");
    out.written.push_back(folder / "tuning" / from.filename());
    write_json_atomically(out.written.back(), record->to_json());  // exact round trip
  }
  return out;
}

}  // namespace l2o::harness
