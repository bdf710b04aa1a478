// `l2obench merge`: joins the cell files of a run (all shards) into report.json.
#include <filesystem>

#include <fmt/format.h>

#include "harness/commands/command.hpp"
#include "harness/report.hpp"

namespace l2o::cli {

Command add_merge(CLI::App& app) {
  struct Arguments {
    std::string dir;
    bool allow_partial = false;
  };
  auto a = std::make_shared<Arguments>();
  auto* command =
      app.add_subcommand("merge", "join the cell files of a run (all shards) into report.json");
  command->add_option("dir", a->dir, "the --out folder of the run")->required();
  command->add_flag("--allow-partial", a->allow_partial,
                    "write the report even if cells are missing");
  return {command, [a] {
            const harness::Report report = harness::merge_report(a->dir, a->allow_partial);
            fmt::print(stderr, "l2obench: {} cells -> {}\n", report.cells.size(),
                       (std::filesystem::path(a->dir) / "report.json").string());
            return 0;
          }};
}

}  // namespace l2o::cli
