// `l2obench datasets`: the real data sets of the catalogue, installed or not, where, shape.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"

#include "harness/commands/command.hpp"
#include "problems/data/catalog.hpp"

namespace l2o::cli {

namespace {

// With `verify`, every installed data set is read (and its shape checked) and every one that
// does not load is listed with its error; then the command fails naming them all. Missing ones
// say what installs them.
void print_datasets(bool verify) {
  namespace data = problems::data;
  const auto folder = data::data_folder();
  fmt::print("data folder: {} (set L2OBENCH_DATA to use another)\n", folder.string());
  const auto faults =
      verify ? data::verify_installed_datasets(folder) : std::vector<data::DataSetFault>{};
  std::size_t missing = 0;
  for (const auto& entry : data::catalog()) {
    const auto absent = data::missing_file(entry, folder);
    const auto fault = std::ranges::find(faults, entry.name, &data::DataSetFault::name);
    std::string shape = fmt::format("{} x {}", entry.rows, entry.columns);
    if (entry.classes > 0) shape += fmt::format(", {} classes", entry.classes);
    const char* state = !absent.empty()         ? "MISSING"
                        : fault != faults.end() ? "BAD"
                        : verify                ? "verified"
                                                : "installed";
    fmt::print("  {:<14} {:<13} {:<24} {}\n", entry.name, state, shape,
               (folder / entry.files.front()).parent_path().string());
    if (!absent.empty()) {
      ++missing;
      fmt::print("      {} is missing: run scripts/setup ({})\n", absent.string(),
                 entry.installed_by);
    }
    if (fault != faults.end()) fmt::print("      {}\n", fault->error);
  }
  if (missing > 0)
    fmt::print("{} of {} data sets missing; families on them stop with this message\n", missing,
               data::catalog().size());
  if (!faults.empty()) {
    std::vector<std::string_view> names;
    for (const auto& fault : faults) names.push_back(fault.name);
    throw InputError(fmt::format("{} of {} data sets in {} do not load: {} (errors above)",
                                 faults.size(), data::catalog().size(), folder.string(),
                                 fmt::join(names, ", ")));
  }
}

}  // namespace

Command add_datasets(CLI::App& app) {
  auto verify = std::make_shared<bool>(false);
  auto* command = app.add_subcommand(
      "datasets", "the real data sets: installed or not, where, shape (scripts/setup installs)");
  command->add_flag("--verify", *verify,
                    "read every installed data set and check it; list each bad one");
  return {command, [verify] {
            print_datasets(*verify);
            return 0;
          }};
}

}  // namespace l2o::cli
