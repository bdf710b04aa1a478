// `l2obench train`: trains (or loads) the learned optimizers of a suite; prints checkpoints.
// --list prints the suite's models (index and key); --model trains one of them, as a task of
// the Slurm train stage does.
#include <cstdio>

#include <ATen/Parallel.h>

#include "core/parallel.hpp"

#include "harness/commands/command.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"
#include "harness/suite_models.hpp"
#include "harness/training_estimate.hpp"

namespace l2o::cli {

namespace {

struct TrainArguments {
  std::string suite, optimizer, problem, model;
  bool list = false;
  std::int64_t estimate = 0;  // probe epochs; 0: train
  ExecutionOptions execution;
};

// One line per model: "<index>\t<key>\t<optimizer label> on <problem label>, ...".
void list_models(const harness::Suite& suite, const std::vector<harness::SuiteModel>& models) {
  for (std::size_t i = 0; i < models.size(); ++i) {
    std::string users;
    for (const harness::SuiteModel::User& user : models[i].users)
      users += (users.empty() ? "" : ", ") + suite.optimizers[user.optimizer].label + " on " +
               suite.problems[user.problem].label;
    std::printf("%zu\t%s\t%s\n", i, models[i].key.c_str(), users.c_str());
  }
}

// A table of the probes and the projected seconds of every model, and their sum.
int estimate(const harness::Suite& suite, const TrainArguments& a) {
  const ExecutionOptions& e = a.execution;
  const Parallelism parallelism = Parallelism::resolve(e.threads, e.jobs);
  at::set_num_threads(parallelism.intra_op_threads);
  const Placement placement{harness::parse_device(e.device), suite.dtype};
  using Clock = harness::TrainingEstimate::Clock;
  double total = 0, total_cpu = 0;
  std::printf(
      "model\tused by\tepochs\ts/epoch\ts/validation\tprojected s\tCPU s/epoch\tprojected CPU "
      "s\n");
  for (const harness::TrainingEstimate& m :
       harness::estimate_training(suite, placement, a.estimate)) {
    std::printf("%s\t%s\t%lld\t%.4f\t%.2f\t%.0f\t%.4f\t%.0f\n", m.key.c_str(), m.users.c_str(),
                (long long)m.epochs, m.seconds_per_epoch(), m.seconds_per_validation(),
                m.projected_seconds(), m.seconds_per_epoch(Clock::cpu),
                m.projected_seconds(Clock::cpu));
    std::fflush(stdout);
    total += m.projected_seconds();
    total_cpu += m.projected_seconds(Clock::cpu);
  }
  // CPU seconds leave out the load of other processes; with one intra-op thread they are what
  // the budget costs on a core of its own.
  std::printf(
      "total\t\t\t\t\t%.0f\t\t%.0f\t(%.1f h one after another with %d intra-op thread(s); "
      "about %.1f h with %d jobs; %.1f CPU hours of the training threads)\n",
      total, total_cpu, total / 3600, parallelism.intra_op_threads, total / 3600 / parallelism.jobs,
      parallelism.jobs, total_cpu / 3600);
  return 0;
}

int train(const TrainArguments& a) {
  const ExecutionOptions& e = a.execution;
  const harness::Suite suite = harness::parse_suite_file(a.suite, e.train_profile);
  if (a.estimate > 0) return estimate(suite, a);
  const harness::RunOptions options{.cache = e.cache,
                                    .models = shipped_models_folder(e),
                                    .threads = e.threads,
                                    .jobs = e.jobs,
                                    .device = e.device,
                                    .progress = !e.quiet};
  if (!a.list && a.model.empty()) {
    harness::train_suite(suite, options, a.optimizer, a.problem);
    return 0;
  }
  const Placement placement{harness::parse_device(e.device), suite.dtype};
  const harness::TrainingCache cache(options.cache, suite, placement, false);  // for keys
  const std::vector<harness::SuiteModel> models = harness::suite_models(suite, cache);
  if (a.list) {
    list_models(suite, models);
    return 0;
  }
  // One (optimizer, problem) of the suite is one model (labels are unique): trained as `train`
  // and `run` train it, so on as many threads, to the same weights.
  const harness::SuiteModel::User& user = harness::select_model(models, a.model).users[0];
  harness::train_suite(suite, options, suite.optimizers[user.optimizer].label,
                       suite.problems[user.problem].label);
  return 0;
}

}  // namespace

Command add_train(CLI::App& app) {
  auto a = std::make_shared<TrainArguments>();
  auto* command = app.add_subcommand(
      "train", "train (or load) the learned optimizers of a suite; prints checkpoints");
  command->add_option("suite", a->suite, "suite JSON file")->required();
  auto* optimizer =
      command->add_option("--optimizer", a->optimizer, "only the optimizer with this label");
  auto* problem =
      command->add_option("--problem", a->problem, "only for the problem with this label");
  auto* list = command
                   ->add_flag("--list", a->list,
                              "list the suite's learned models (index, key, users); no training")
                   ->excludes(optimizer)
                   ->excludes(problem);
  command
      ->add_option("--estimate", a->estimate,
                   "train each model for this many epochs in a scratch cache and print the "
                   "seconds its full budget would take (nothing is cached)")
      ->check(positive_count)
      ->excludes(list);
  command
      ->add_option("--model", a->model,
                   "only this model: its index or key (\"<optimizer>-<hash>\") from --list")
      ->excludes(optimizer)
      ->excludes(problem)
      ->excludes(list);
  add_execution_options(command, a->execution);
  return {command, [a] { return train(*a); }};
}

}  // namespace l2o::cli
