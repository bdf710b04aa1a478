// `l2obench show`: a table of the final metrics of a report.
#include <iostream>

#include "harness/commands/command.hpp"
#include "harness/report.hpp"

namespace l2o::cli {

Command add_show(CLI::App& app) {
  auto report = std::make_shared<std::string>();
  auto* command = app.add_subcommand("show", "a table of the final metrics of a report");
  command->add_option("report", *report, "report.json")->required();
  return {command, [report] {
            std::cout << harness::format_report_table(harness::read_report(*report));
            return 0;
          }};
}

}  // namespace l2o::cli
