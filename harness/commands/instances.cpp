// `l2obench instances`: the instances and starting points of a split, as JSON.
#include "harness/instances.hpp"
#include "harness/commands/command.hpp"
#include "harness/suite.hpp"

namespace l2o::cli {

Command add_instances(CLI::App& app) {
  struct Arguments {
    std::string suite, out, problem;
    harness::InstanceExport what;
  };
  auto a = std::make_shared<Arguments>();
  auto* command = app.add_subcommand("instances",
                                     "export the instances and starting points of a split as JSON");
  command->add_option("suite", a->suite, "suite JSON file")->required();
  command->add_option(
      "--split", a->what.split,
      "test (what cells evaluate on) or validation (what meta-training validates on)");
  command->add_option("--count", a->what.count, "instances (default: the suite's test_instances)")
      ->check(positive_count);
  command->add_option("--repetition", a->what.repetition, "which repetition's instances");
  command->add_option("--problem", a->problem, "one problem label (default: all)");
  command->add_option("--out", a->out, "output file (default: stdout)")->check(non_empty_path);
  return {command, [a] {
            if (!a->problem.empty()) a->what.problem = a->problem;
            write_output(a->out,
                         harness::export_instances(harness::parse_suite_file(a->suite), a->what));
            return 0;
          }};
}

}  // namespace l2o::cli
