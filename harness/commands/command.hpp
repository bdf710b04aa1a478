#pragma once
// The subcommands of l2obench, one file each: add_<name>(app) declares the subcommand and its
// options on the CLI11 app and returns what runs it once the command line is parsed.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/json_fwd.hpp"

namespace l2o::cli {

struct Command {
  CLI::App* app;             // the subcommand: *app is true when it was given
  std::function<int()> run;  // its exit status
};

Command add_list(CLI::App& app);
Command add_run(CLI::App& app);
Command add_train(CLI::App& app);
Command add_merge(CLI::App& app);
Command add_instances(CLI::App& app);
Command add_compare(CLI::App& app);
Command add_summarize(CLI::App& app);
Command add_show(CLI::App& app);
Command add_equivariance(CLI::App& app);
Command add_export_weights(CLI::App& app);
Command add_export_module(CLI::App& app);
Command add_datasets(CLI::App& app);
Command add_slurm(CLI::App& app);
Command add_ship(CLI::App& app);

// Parses the command line and runs the subcommand given. Every error ends here, in one line on
// stderr: a user error (a usage error, bad input, a missing file) exits 2, anything else 1;
// --help prints the usage and exits 0.
int run_command_line(CLI::App& app, const std::vector<Command>& commands, int argc, char** argv);

// What `run` and `train` share: where models are cached and how the work is executed.
struct ExecutionOptions {
  std::string cache = "out/cache";
  std::string models = "models";  // shipped trained models; "none": train or use the cache only
  int threads = 0;
  int jobs = 0;
  std::string device = "cpu";
  bool quiet = false;
  std::string train_profile;
};
void add_execution_options(CLI::App* command, ExecutionOptions& options);
// --models as a folder: empty for "none".
std::filesystem::path shipped_models_folder(const ExecutionOptions& options);

// Checks of option values, each failing as a usage error (exit 2) naming the option: a finite
// number >= 0 (tolerances; NaN is refused), a whole number >= 1 (counts), a non-empty path.
extern const CLI::Validator finite_non_negative;
extern const CLI::Validator positive_count;
extern const CLI::Validator non_empty_path;

// An option's value as JSON; an InputError naming the option if it does not parse.
Json parse_json_option(const std::string& text, const std::string& option);

// `value` to the file `out` (atomically), or to stdout when `out` is empty or "-".
void write_output(const std::string& out, const Json& value);

}  // namespace l2o::cli
