// `l2obench datasets`: the real data sets of the catalogue, installed or not, where, shape.
#include <fmt/format.h>

#include "harness/commands/command.hpp"
#include "problems/data/catalog.hpp"

namespace l2o::cli {

namespace {

// With `verify`, every installed data set is read (and its shape checked). Missing ones say
// what installs them.
void print_datasets(bool verify) {
  namespace data = problems::data;
  const auto folder = data::data_folder();
  fmt::print("data folder: {} (set L2OBENCH_DATA to use another)\n", folder.string());
  std::size_t missing = 0;
  for (const auto& entry : data::catalog()) {
    const auto absent = data::missing_file(entry, folder);
    std::string shape = fmt::format("{} x {}", entry.rows, entry.columns);
    if (entry.classes > 0) shape += fmt::format(", {} classes", entry.classes);
    if (absent.empty() && verify) data::load_dataset(entry.name);
    fmt::print("  {:<14} {:<13} {:<24} {}\n", entry.name,
               absent.empty() ? (verify ? "verified" : "installed") : "MISSING", shape,
               (folder / entry.files.front()).parent_path().string());
    if (!absent.empty()) {
      ++missing;
      fmt::print("      {} is missing: run scripts/setup ({})\n", absent.string(),
                 entry.installed_by);
    }
  }
  if (missing > 0)
    fmt::print("{} of {} data sets missing; families on them stop with this message\n", missing,
               data::catalog().size());
}

}  // namespace

Command add_datasets(CLI::App& app) {
  auto verify = std::make_shared<bool>(false);
  auto* command = app.add_subcommand(
      "datasets", "the real data sets: installed or not, where, shape (scripts/setup installs)");
  command->add_flag("--verify", *verify, "read every installed data set and check it");
  return {command, [verify] {
            print_datasets(*verify);
            return 0;
          }};
}

}  // namespace l2o::cli
