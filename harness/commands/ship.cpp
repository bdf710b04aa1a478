// `l2obench ship SUITE`: the suite's trained models, from the cache into the shipped-models
// folder (models/ by default), where `run` and `train` find them without training.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"

#include "harness/commands/command.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"
#include "harness/suite_models.hpp"
#include "harness/training_cache.hpp"

namespace l2o::cli {

namespace {

struct ShipArguments {
  std::string suite;
  std::string run;  // a finished run of the suite: the picks of its tuned learned optimizers
  ExecutionOptions execution;
};

int ship(const ShipArguments& a) {
  const harness::Suite suite = harness::parse_suite_file(a.suite, a.execution.train_profile);
  const std::filesystem::path folder = shipped_models_folder(a.execution);
  if (folder.empty()) throw InputError("--models none: ship needs a folder to write to");
  const Placement placement{harness::parse_device(a.execution.device), suite.dtype};
  const harness::TrainingCache cache(a.execution.cache, suite, placement, false);
  const harness::ShippedModels shipped =
      harness::ship_models(suite, cache, folder, placement, a.run);
  for (const auto& path : shipped.written) fmt::print("{}\n", path.string());
  if (!shipped.missing.empty())
    fmt::print(
        stderr,
        "l2obench: {} of the suite's models are not in {} (train them first: `l2obench "
        "train {}{}`): {}\n",
        shipped.missing.size(), a.execution.cache, a.suite,
        a.execution.train_profile.empty() ? "" : " --train-profile " + a.execution.train_profile,
        fmt::join(shipped.missing, ", "));
  if (!shipped.tuned_without_run.empty())
    fmt::print(stderr,
               "l2obench: the tuned learned optimizers {} are not shipped: give --run, a finished "
               "run of the suite, to ship each problem's pick and the trials' results\n",
               fmt::join(shipped.tuned_without_run, ", "));
  return 0;
}

}  // namespace

Command add_ship(CLI::App& app) {
  auto a = std::make_shared<ShipArguments>();
  auto* command = app.add_subcommand(
      "ship",
      "write the suite's trained models from the cache to the shipped-models folder (--models, "
      "default models/), where run and train use them instead of training; prints the files");
  command->add_option("suite", a->suite, "suite JSON file")->required();
  command
      ->add_option("--run", a->run,
                   "a finished run of the suite (its --out): ship the model each tuned learned "
                   "optimizer picked per problem, and its trials' results (not their models)")
      ->check(CLI::ExistingDirectory);
  add_execution_options(command, a->execution);
  return {command, [a] { return ship(*a); }};
}

}  // namespace l2o::cli
