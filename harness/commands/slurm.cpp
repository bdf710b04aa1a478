// `l2obench slurm`: the sbatch scripts of a suite's three stages (train, cells, merge) and, with
// --submit, their submission with afterok dependencies (harness/slurm.hpp).
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "core/error.hpp"
#include "harness/commands/command.hpp"
#include "harness/runner.hpp"
#include "harness/slurm.hpp"
#include "harness/suite.hpp"
#include "harness/suite_models.hpp"

namespace l2o::cli {

namespace {

namespace fs = std::filesystem;

struct SlurmArguments {
  std::string suite, out, cache = "out/cache";
  harness::SlurmOptions options;
  bool submit = false, no_figures = false;
};

const CLI::Validator slurm_time(
    [](std::string& text) -> std::string {
      return harness::is_slurm_time(text)
                 ? std::string()
                 : fmt::format(
                       "expected a Slurm time limit: MINUTES, MINUTES:SECONDS, H:M:S, "
                       "DAYS-H, DAYS-H:M or DAYS-H:M:S, got \"{}\"",
                       text);
    },
    "TIME");

// Partition, account and QoS names go into #SBATCH lines as they are.
const CLI::Validator slurm_name(
    [](std::string& text) -> std::string {
      static const std::regex name(R"([A-Za-z0-9_.,+-]+)");
      return std::regex_match(text, name)
                 ? std::string()
                 : fmt::format("expected letters, digits and _ . , + -, got \"{}\"", text);
    },
    "NAME");

const CLI::Validator sbatch_option(
    [](std::string& text) -> std::string {
      if (text.starts_with("-") && text.find_first_of("\n\r") == std::string::npos) return {};
      return fmt::format("expected one sbatch option such as --constraint=avx2, got \"{}\"", text);
    },
    "--NAME[=VALUE]");

const CLI::Validator one_line(
    [](std::string& text) -> std::string {
      return text.empty() || text.find_first_of("\n\r") != std::string::npos
                 ? "expected one non-empty shell line (give the option once per line)"
                 : std::string();
    },
    "LINE");

int slurm(SlurmArguments& a) {
  harness::SlurmOptions& o = a.options;
  const harness::Suite suite = harness::parse_suite_file(a.suite, o.train_profile);
  o.suite = a.suite;
  o.out = a.out;
  o.cache = a.cache;
  o.l2obench = fs::read_symlink("/proc/self/exe");
  if (!a.no_figures && fs::exists(L2O_REPORT_SCRIPT)) {
    o.report_script = L2O_REPORT_SCRIPT;
    o.python = L2O_PYTHON;
  }
  const Placement placement{harness::parse_device(o.device), suite.dtype};
  const harness::TrainingCache cache(o.cache, suite, placement, false);
  const auto models = harness::suite_models(suite, cache);
  const harness::SlurmScripts scripts = harness::write_slurm_scripts(suite, models, o);
  if (scripts.cell_shards < o.shards)
    fmt::print(stderr, "l2obench: --shards {}: the suite has {} cells, so {} shards\n", o.shards,
               scripts.cell_shards, scripts.cell_shards);
  fmt::print(stderr, "l2obench: {} train tasks, {} cell shards, merge -> {}\n", models.size(),
             scripts.cell_shards, scripts.submit.parent_path().string());
  if (!a.submit) {
    fmt::print(stderr, "l2obench: submit with {}\n", scripts.submit.string());
    return 0;
  }
  std::fflush(stdout);
  const int status = std::system(harness::shell_quoted(scripts.submit.string()).c_str());
  if (status != 0)
    throw InputError(fmt::format("{}: submitting failed (exit status {}); is sbatch on PATH?",
                                 scripts.submit.string(),
                                 WIFEXITED(status) ? WEXITSTATUS(status) : status));
  return 0;
}

}  // namespace

Command add_slurm(CLI::App& app) {
  auto a = std::make_shared<SlurmArguments>();
  harness::SlurmOptions& o = a->options;
  auto* command = app.add_subcommand(
      "slurm", "write (and --submit) the sbatch scripts that run a suite on a Slurm cluster");
  command->add_option("suite", a->suite, "suite JSON file")->required();
  command->add_option("--out", a->out, "output folder, on a filesystem every node shares")
      ->required()
      ->check(non_empty_path);
  command
      ->add_option("--cache", a->cache,
                   "checkpoints of trained learned optimizers, on a shared filesystem")
      ->check(non_empty_path);
  command
      ->add_option("--models", o.models,
                   "shipped trained models the tasks use where the cache lacks a model; \"none\" "
                   "to train instead (default: models/ of the folder this runs in)")
      ->check(non_empty_path);
  command->add_option("--shards", o.shards, "array tasks of the cell stage")->check(positive_count);
  command->add_option("--cpus", o.cpus, "CPUs per task (and its --threads)")->check(positive_count);
  command->add_option("--time", o.time, "time limit per task (default: the partition's)")
      ->check(slurm_time);
  command->add_option("--train-time", o.train_time, "time limit per train task (default: --time)")
      ->check(slurm_time);
  command->add_option("--partition", o.partition, "partition of every job")->check(slurm_name);
  command->add_option("--account", o.account, "account charged")->check(slurm_name);
  command->add_option("--qos", o.qos, "quality of service")->check(slurm_name);
  command
      ->add_option("--sbatch-option", o.sbatch_options,
                   "another #SBATCH option for every job, e.g. --constraint=avx2 (repeatable)")
      ->check(sbatch_option);
  command
      ->add_option("--prologue", o.prologue,
                   "a shell line each job runs first, e.g. 'module load gcc' (repeatable)")
      ->check(one_line);
  command->add_option("--train-profile", o.train_profile,
                      "training budgets: quick or paper (default: the suite's)");
  command->add_option("--device", o.device, "cpu, cuda or cuda:N");
  command->add_flag("--no-figures", a->no_figures, "the merge job draws no figures");
  command->add_flag("--submit", a->submit, "submit the stages with sbatch");
  return {command, [a] { return slurm(*a); }};
}

}  // namespace l2o::cli
