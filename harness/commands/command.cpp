#include "harness/commands/command.hpp"

#include <filesystem>
#include <iostream>

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"

namespace l2o::cli {

int run_command_line(CLI::App& app, const std::vector<Command>& commands, int argc, char** argv) {
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
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
  command->add_option("--cache", options.cache, "checkpoints of trained learned optimizers");
  command->add_option("--threads", options.threads, "intra-op threads; 0 = all cores");
  command->add_option("--device", options.device, "cpu, cuda or cuda:N");
  command->add_flag("--quiet", options.quiet, "no progress on stderr");
  command->add_option("--train-profile", options.train_profile,
                      "training budgets: quick or paper (default: the suite's)");
}

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
