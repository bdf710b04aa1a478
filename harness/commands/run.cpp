// `l2obench run`: every cell of a suite (resumes an interrupted run).
#include <filesystem>

#include <fmt/format.h>

#include "harness/commands/command.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"

namespace l2o::cli {

namespace {

struct RunArguments {
  std::string suite, out, shard = "0/1", stage = "all";
  ExecutionOptions execution;
};

int run(const RunArguments& a) {
  const harness::Suite suite = harness::parse_suite_file(a.suite, a.execution.train_profile);
  // A paper-profile run of a quick suite gets its own default folder.
  const std::string folder = a.execution.train_profile.empty()
                                 ? suite.name
                                 : fmt::format("{}-{}", suite.name, a.execution.train_profile);
  const harness::RunOptions options{
      .out = a.out.empty() ? std::filesystem::path("out") / folder : std::filesystem::path(a.out),
      .cache = a.execution.cache,
      .models = shipped_models_folder(a.execution),
      .shard = harness::Shard::parse(a.shard),
      .threads = a.execution.threads,
      .jobs = a.execution.jobs,
      .device = a.execution.device,
      .progress = !a.execution.quiet,
      .stage = harness::parse_run_stage(a.stage)};
  const auto summary = harness::run_suite(suite, options);
  const std::string trials =
      summary.trials > 0 ? fmt::format(", {} of them tuning trials", summary.trials) : "";
  if (summary.merged)
    fmt::print(stderr, "l2obench: {} cells ({} computed, {} reused{}) -> {}\n", summary.cells,
               summary.evaluated, summary.skipped, trials, (options.out / "report.json").string());
  else if (options.stage == harness::RunStage::tune)
    fmt::print(stderr,
               "l2obench: shard {}: {} tuning trials ({} computed, {} reused) in {}; `l2obench run "
               "--stage test` on every shard when all trials are done\n",
               a.shard, summary.cells, summary.evaluated, summary.skipped, options.out.string());
  else
    fmt::print(stderr,
               "l2obench: shard {}: {} cells ({} computed, {} reused{}) in {}; `l2obench merge {}` "
               "when all shards are done\n",
               a.shard, summary.cells, summary.evaluated, summary.skipped, trials,
               options.out.string(), options.out.string());
  return 0;
}

}  // namespace

Command add_run(CLI::App& app) {
  auto a = std::make_shared<RunArguments>();
  auto* command =
      app.add_subcommand("run", "run every cell of a suite (resumes an interrupted run)");
  command->add_option("suite", a->suite, "suite JSON file")->required();
  command->add_option("--out", a->out, "output folder (default: out/<suite name>)")
      ->check(non_empty_path);
  command->add_option("--shard", a->shard, "run every N-th cell starting at i, as i/N");
  command->add_option(
      "--stage", a->stage,
      "all, tune (only the tuning trials of tuned optimizers) or test (only the test "
      "cells; they compute any trial not yet finished)");
  add_execution_options(command, a->execution);
  return {command, [a] { return run(*a); }};
}

}  // namespace l2o::cli
