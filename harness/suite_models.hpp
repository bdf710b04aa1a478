#pragma once
// The learned models a suite needs, one per checkpoint key (a hybrid counts as its learned part):
// what `l2obench train --list` prints, `train --model` trains one of, and the Slurm train stage
// runs one array task each for. A tuned learned optimizer's models are left out: its trials
// train them (once, through the shared cache) when they first need them.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/suite.hpp"
#include "harness/training_cache.hpp"

namespace l2o::harness {

struct SuiteModel {
  std::string key;  // the checkpoint's file name without ".json": "<optimizer>-<hash>"
  // The suite entries of every (optimizer, problem) that uses it, first one first: training the
  // first trains the model.
  struct User {
    std::size_t optimizer = 0, problem = 0;
  };
  std::vector<User> users;
};

// In the order of the suite's cells; keys are those `cache` stores the models under.
std::vector<SuiteModel> suite_models(const Suite& suite, const TrainingCache& cache);

// The model `selector` names: its index in `models` or its key. An InputError naming --model and
// the choices otherwise.
const SuiteModel& select_model(const std::vector<SuiteModel>& models, const std::string& selector);

// Writes the cached checkpoint of every model of the suite as a shipped model in `folder`
// (learned/shipped_model.hpp), loading each into its model first so that every weight is checked
// and stored in the model's own dtype. Models the cache lacks are left out and listed.
// A tuned learned optimizer needs `run`, a finished run of the suite: then the model of each
// problem's pick (its test cells' "tuning") is shipped, and every trial's result goes to
// <folder>/tuning/<id>.json, where `run` finds it instead of training the trial's model.
struct ShippedModels {
  std::vector<std::filesystem::path> written;
  std::vector<std::string> missing;            // keys, or cells of `run` that are not finished
  std::vector<std::string> tuned_without_run;  // labels of tuned learned optimizers left out
};
ShippedModels ship_models(const Suite& suite, const TrainingCache& cache,
                          const std::filesystem::path& folder, const Placement& placement,
                          const std::filesystem::path& run = {});

}  // namespace l2o::harness
