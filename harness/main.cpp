// l2obench: the command line. Each subcommand is one file in commands/; this only wires them.
#include "core/threads.hpp"
#include "harness/commands/command.hpp"

int main(int argc, char** argv) {
  l2o::tune_numerical_libraries(argv);
  CLI::App app{"l2obench: benchmark suite for classical and learned optimizers"};
  app.require_subcommand(1);
  namespace cli = l2o::cli;
  const std::vector<cli::Command> commands = {
      cli::add_list(app),           cli::add_run(app),           cli::add_train(app),
      cli::add_merge(app),          cli::add_instances(app),     cli::add_compare(app),
      cli::add_summarize(app),      cli::add_show(app),          cli::add_equivariance(app),
      cli::add_export_weights(app), cli::add_export_module(app), cli::add_datasets(app),
      cli::add_slurm(app),          cli::add_ship(app)};
  return cli::run_command_line(app, commands, argc, argv);
}
