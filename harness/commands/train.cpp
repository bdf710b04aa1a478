// `l2obench train`: trains (or loads) the learned optimizers of a suite; prints checkpoints.
#include "harness/commands/command.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"

namespace l2o::cli {

Command add_train(CLI::App& app) {
  struct Arguments {
    std::string suite, optimizer, problem;
    ExecutionOptions execution;
  };
  auto a = std::make_shared<Arguments>();
  auto* command = app.add_subcommand(
      "train", "train (or load) the learned optimizers of a suite; prints checkpoints");
  command->add_option("suite", a->suite, "suite JSON file")->required();
  command->add_option("--optimizer", a->optimizer, "only the optimizer with this label");
  command->add_option("--problem", a->problem, "only for the problem with this label");
  add_execution_options(command, a->execution);
  return {command, [a] {
            const ExecutionOptions& e = a->execution;
            const harness::Suite suite = harness::parse_suite_file(a->suite, e.train_profile);
            harness::train_suite(suite,
                                 {.cache = e.cache,
                                  .threads = e.threads,
                                  .jobs = e.jobs,
                                  .device = e.device,
                                  .progress = !e.quiet},
                                 a->optimizer, a->problem);
            return 0;
          }};
}

}  // namespace l2o::cli
