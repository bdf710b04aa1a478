#include "harness/commands/command.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <ranges>

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"

namespace l2o::cli {

namespace {

// CLI11's message on one line, with where to find the usage: a usage error is a user error.
int report_usage_error(CLI::App& app, const CLI::ParseError& e) {
  std::string message = e.what();
  std::ranges::replace(message, '\n', ' ');
  std::string help = "l2obench";
  for (const CLI::App* sub : app.get_subcommands()) help += " " + sub->get_name();
  fmt::print(stderr, "l2obench: error: {} (see `{} --help`)\n", message, help);
  return 2;
}

}  // namespace

int run_command_line(CLI::App& app, const std::vector<Command>& commands, int argc, char** argv) {
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help: the usage, exit 0
      return report_usage_error(app, e);
    }
    for (const Command& command : commands)
      if (*command.app) return command.run();
    return 0;
  } catch (const InputError& e) {
    fmt::print(stderr, "l2obench: error: {}\n", e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    fmt::print(stderr, "l2obench: error: {}\n", e.what());  // names the operation and the paths
  } catch (const nlohmann::json::exception& e) {
    fmt::print(stderr, "l2obench: error: malformed input: {}\n", e.what());
  } catch (const c10::Error& e) {
    fmt::print(stderr, "l2obench: error: {}\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "l2obench: internal error: {}\n", e.what());
    return 1;
  }
  return 2;
}

void add_execution_options(CLI::App* command, ExecutionOptions& options) {
  command->add_option("--cache", options.cache, "checkpoints of trained learned optimizers")
      ->check(non_empty_path);
  command
      ->add_option("--models", options.models,
                   "shipped trained models, used where the cache lacks a model; \"none\" to "
                   "train instead")
      ->check(non_empty_path);
  command->add_option("--threads", options.threads, "cores to use; 0 = all");
  command->add_option("--jobs", options.jobs,
                      "cells or trainings at once, each with threads/jobs intra-op threads; "
                      "0 = one per thread");
  command->add_option("--device", options.device, "cpu, cuda or cuda:N");
  command->add_flag("--quiet", options.quiet, "no progress on stderr");
  command->add_option("--train-profile", options.train_profile,
                      "training budgets: quick or paper (default: the suite's)");
}

std::filesystem::path shipped_models_folder(const ExecutionOptions& options) {
  return options.models == "none" ? std::filesystem::path() : std::filesystem::path(options.models);
}

const CLI::Validator finite_non_negative(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(value) || value < 0)
        return fmt::format("must be a finite number >= 0, got \"{}\"", text);
      return {};
    },
    "FINITE >= 0");

const CLI::Validator positive_count(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const long long value = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || value <= 0)
        return fmt::format("must be a whole number >= 1, got \"{}\"", text);
      return {};
    },
    "INT >= 1");

const CLI::Validator non_empty_path(
    [](std::string& text) -> std::string {
      return text.empty() ? "must name a file or folder, got an empty path" : std::string();
    },
    "PATH");

Json parse_json_option(const std::string& text, const std::string& option) {
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not valid JSON: {}", option, e.what()));
  }
}

void write_output(const std::string& out, const Json& value) {
  if (out.empty() || out == "-")
    std::cout << value.dump() << "\n";
  else
    write_json_atomically(out, value);
}

}  // namespace l2o::cli
