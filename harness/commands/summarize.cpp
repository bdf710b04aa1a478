// `l2obench summarize`: a report without its per-step series (for committed baselines).
#include "harness/commands/command.hpp"
#include "harness/report.hpp"

namespace l2o::cli {

Command add_summarize(CLI::App& app) {
  struct Arguments {
    std::string report, out;
  };
  auto a = std::make_shared<Arguments>();
  auto* command = app.add_subcommand(
      "summarize", "a report without its per-step series (for committed baselines)");
  command->add_option("report", a->report, "report.json")->required();
  command->add_option("--out", a->out, "output file (default: stdout)")->check(non_empty_path);
  return {command, [a] {
            write_output(a->out, harness::read_report(a->report).summarized().to_json());
            return 0;
          }};
}

}  // namespace l2o::cli
