// `l2obench compare`: regression check of a report against a base (exit 1 on a regression).
#include <iostream>

#include "core/files.hpp"
#include "harness/commands/command.hpp"
#include "harness/compare.hpp"
#include "harness/report.hpp"

namespace l2o::cli {

Command add_compare(CLI::App& app) {
  struct Arguments {
    std::string base, next, verdict;
    harness::CompareOptions options;
    bool fail_on_time = false;
  };
  auto a = std::make_shared<Arguments>();
  auto* command = app.add_subcommand(
      "compare", "regression check of NEW against BASE (exit 1 on a quality regression)");
  command->add_option("base", a->base, "the reference report (or its summary)")->required();
  command->add_option("new", a->next, "the report to check")->required();
  command
      ->add_option("--tolerance", a->options.quality_tolerance,
                   "allowed worsening of the final quality, in log10 units")
      ->check(finite_non_negative);
  command->add_option("--alpha", a->options.time_alpha, "significance level of the time U test");
  command->add_option("--time-ratio", a->options.time_ratio, "smallest slow-down reported");
  command->add_flag("--fail-on-time", a->fail_on_time, "exit 1 on a significant slow-down too");
  command->add_option("--json", a->verdict, "write the verdict as JSON")->check(non_empty_path);
  return {command, [a] {
            const auto result = harness::compare_reports(harness::read_report(a->base),
                                                         harness::read_report(a->next), a->options);
            std::cout << result.table;
            if (!a->verdict.empty()) write_json_atomically(a->verdict, result.verdict);
            return result.quality_regression || (a->fail_on_time && result.slower > 0) ? 1 : 0;
          }};
}

}  // namespace l2o::cli
