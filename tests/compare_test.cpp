// l2obench compare: the rank test, quality verdicts, summaries, and the exit codes of the CLI.
#include <cmath>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "harness/compare.hpp"
#include "harness/context.hpp"
#include "tests/support.hpp"

namespace compare_test {

namespace {

using l2o::Json;
namespace harness = l2o::harness;

Json cell(const std::string& problem, const std::string& optimizer, int rep, double log_loss,
          double seconds, int diverged = 0) {
  return {{"problem", {{"label", problem}}},
          {"optimizer", {{"label", optimizer}}},
          {"repetition", rep},
          {"eval",
           {{"seconds_per_step", seconds},
            {"loss", {{"mean", {1.0, 2.0}}}},
            {"final", {{"log10_mean_loss", log_loss}, {"nonfinite_instances", diverged}}}}}};
}

Json report(std::vector<Json> cells) {
  return {{"schema_version", 1}, {"suite", {{"name", "t"}}}, {"cells", cells}};
}

harness::Comparison compare_json(const Json& base, const Json& next,
                                 const harness::CompareOptions& options) {
  return harness::compare_reports(harness::report_from_json(base, "base"),
                                  harness::report_from_json(next, "next"), options);
}

Json base_report() {
  std::vector<Json> cells;
  for (int rep = 0; rep < 10; ++rep) {
    cells.push_back(cell("lasso-n10", "gd", rep, -1.0 - 0.01 * rep, 1e-5 * (1 + 0.01 * rep)));
    cells.push_back(cell("lasso-n10", "adam", rep, -2.0, 2e-5 * (1 + 0.01 * rep)));
  }
  return report(cells);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(compare)

BOOST_AUTO_TEST_CASE(mann_whitney_p_values) {
  // Exact: 2 of the C(6, 3) = 20 rank assignments are as extreme as complete separation.
  BOOST_TEST(harness::mann_whitney_p({1, 2, 3}, {4, 5, 6}) == 0.1,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(harness::mann_whitney_p({1, 2, 3}, {1, 2, 3}) == 1.0);
  std::vector<double> low, high;
  for (int i = 0; i < 10; ++i) {
    low.push_back(i);
    high.push_back(10 + i);
  }
  BOOST_TEST(harness::mann_whitney_p(low, high) == 2.0 / 184756.0,
             boost::test_tools::tolerance(1e-9));
  // Normal approximation (n > 20): separated samples are significant, interleaved ones not.
  std::vector<double> a, b, c;
  for (int i = 0; i < 15; ++i) {
    a.push_back(i);
    b.push_back(100 + i);
    c.push_back(i + 0.5);
  }
  BOOST_TEST(harness::mann_whitney_p(a, b) < 1e-5);
  BOOST_TEST(harness::mann_whitney_p(a, c) > 0.5);
}

BOOST_AUTO_TEST_CASE(identical_reports_pass) {
  auto result = compare_json(base_report(), base_report(), {});
  BOOST_TEST(!result.quality_regression);
  BOOST_TEST(result.verdict["summary"]["regressions"] == 0);
  BOOST_TEST(result.verdict["summary"]["slower"] == 0);
  BOOST_TEST(result.table.find("-> pass") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_from_different_blas_kernels_are_flagged) {
  Json base = base_report(), next = base_report();
  base["context"] = {{"blas_kernel", "SkylakeX"}};
  next["context"] = {{"blas_kernel", "Haswell"}};
  const auto differing = compare_json(base, next, {});
  BOOST_TEST(
      differing.table.find("BLAS kernel 'SkylakeX', this run with 'Haswell'") != std::string::npos,
      differing.table);
  BOOST_TEST(differing.verdict["blas_kernels"] == Json({"SkylakeX", "Haswell"}));
  next["context"]["blas_kernel"] = "SkylakeX";
  BOOST_TEST(compare_json(base, next, {}).table.find("BLAS kernel") == std::string::npos);
  // This build's own context names the kernel it runs on.
  BOOST_TEST(!l2o::harness::blas_kernel().empty());
}

BOOST_AUTO_TEST_CASE(an_injected_regression_fails_and_is_named) {
  Json next = base_report();
  next["cells"][4]["eval"]["final"]["log10_mean_loss"] = -1.02 + 0.5;  // lasso-n10 x gd r2
  next["cells"][7]["eval"]["final"]["nonfinite_instances"] = 3;        // lasso-n10 x adam r3
  next["cells"][9]["eval"]["final"]["log10_mean_loss"] = -2.5;         // an improvement
  auto result = compare_json(base_report(), next, {});
  BOOST_TEST(result.quality_regression);
  BOOST_TEST(result.verdict["summary"]["regressions"] == 2);
  BOOST_TEST(result.verdict["summary"]["improvements"] == 1);
  BOOST_TEST(
      result.table.find(
          "REGRESSION   lasso-n10 x gd r2: log10_mean_loss -1.02 -> -0.52 (+0.500 decades") !=
          std::string::npos,
      result.table);
  BOOST_TEST(result.table.find("lasso-n10 x adam r3") != std::string::npos);
  BOOST_TEST(result.table.find("diverged instances 0 -> 3") != std::string::npos);
  // Within tolerance is not a regression.
  Json small = base_report();
  small["cells"][4]["eval"]["final"]["log10_mean_loss"] = -1.02 + 0.04;
  BOOST_TEST(!compare_json(base_report(), small, {}).quality_regression);
}

BOOST_AUTO_TEST_CASE(a_missing_cell_fails) {
  Json next = base_report();
  next["cells"].erase(3);
  auto result = compare_json(base_report(), next, {});
  BOOST_TEST(result.quality_regression);
  BOOST_TEST(result.verdict["summary"]["missing"] == 1);
  BOOST_TEST(result.table.find("MISSING      lasso-n10 x adam r1") != std::string::npos,
             result.table);
}

BOOST_AUTO_TEST_CASE(time_is_judged_against_the_noise_of_repetitions) {
  Json slow = base_report();
  for (Json& c : slow["cells"])
    if (c["optimizer"]["label"] == "adam")
      c["eval"]["seconds_per_step"] = c["eval"]["seconds_per_step"].get<double>() * 1.5;
  auto result = compare_json(base_report(), slow, {});
  BOOST_TEST(!result.quality_regression);  // time never fails the quality gate
  BOOST_TEST(result.verdict["summary"]["slower"] == 1);
  BOOST_TEST(result.table.find("slower       lasso-n10 x adam") != std::string::npos, result.table);
  // A 1.5x change inside noise that large is not significant.
  Json noisy = base_report(), noisy_slow = base_report();
  for (std::size_t i = 0; i < noisy["cells"].size(); ++i) {
    const double s = 1e-5 * (1 + (i % 5));
    noisy["cells"][i]["eval"]["seconds_per_step"] = s;
    noisy_slow["cells"][i]["eval"]["seconds_per_step"] = s * ((i / 2) % 2 ? 1.5 : 0.8);
  }
  BOOST_TEST(compare_json(noisy, noisy_slow, {}).verdict["summary"]["slower"] == 0);
}

BOOST_AUTO_TEST_CASE(gaps_are_preferred_and_medians_back_up_non_finite_means) {
  Json base = report({cell("p", "o", 0, -1.0, 1e-5)}), next = base;
  base["cells"][0]["eval"]["final"]["log10_mean_gap"] = -3.0;
  next["cells"][0]["eval"]["final"]["log10_mean_gap"] = -2.0;  // the loss is unchanged
  auto by_gap = compare_json(base, next, {});
  BOOST_TEST(by_gap.quality_regression);
  BOOST_TEST(by_gap.verdict["quality"][0]["metric"] == "log10_mean_gap");
  // Both means non-finite (a diverged instance in each): the medians decide.
  Json b = report({cell("p", "o", 0, 0.0, 1e-5, 1)}), n = b;
  b["cells"][0]["eval"]["final"]["log10_mean_loss"] = nullptr;
  n["cells"][0]["eval"]["final"]["log10_mean_loss"] = nullptr;
  b["cells"][0]["eval"]["final"]["loss_median"] = 0.1;
  n["cells"][0]["eval"]["final"]["loss_median"] = 1.0;
  auto by_median = compare_json(b, n, {});
  BOOST_TEST(by_median.quality_regression);
  BOOST_TEST(by_median.verdict["quality"][0]["metric"] == "log10 loss_median");
  BOOST_TEST(by_median.verdict["quality"][0]["delta"].get<double>() == 1.0,
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(too_few_repetitions_to_judge_time_are_reported) {
  std::vector<Json> base_cells, slow_cells;
  for (int rep = 0; rep < 3; ++rep) {
    base_cells.push_back(cell("p", "o", rep, -1.0, 1e-5));
    slow_cells.push_back(cell("p", "o", rep, -1.0, 5e-5));  // 5x slower, every sample
  }
  auto result = compare_json(report(base_cells), report(slow_cells), {});
  BOOST_TEST(result.verdict["time"][0]["decidable"] == false);
  BOOST_TEST(result.verdict["summary"]["time_undecidable"] == 1);
  BOOST_TEST(result.table.find("too few repetitions") != std::string::npos, result.table);
}

BOOST_AUTO_TEST_CASE(summaries_drop_series_and_compare_like_reports) {
  Json summary = harness::report_from_json(base_report(), "base").summarized().to_json();
  BOOST_TEST(!summary["cells"][0]["eval"].contains("loss"));
  BOOST_TEST(summary["cells"][0]["eval"]["final"] == base_report()["cells"][0]["eval"]["final"]);
  BOOST_TEST(!compare_json(summary, base_report(), {}).quality_regression);
}

// The typed records read and write a report's JSON unchanged: the committed baseline (a summary,
// whose cells carry digests or, written by an older build, none) and a cell with series,
// training record and context.
BOOST_AUTO_TEST_CASE(reports_and_cells_round_trip_through_the_typed_records) {
  const Json baseline =
      l2o::read_json_file(std::string(L2O_SOURCE_DIR) + "/reports/baselines/quick.json");
  // Written again, each cell has its digest; nothing else changes.
  Json again = harness::report_from_json(baseline, "quick.json").to_json();
  Json without_digests = baseline;
  for (Json& cell : without_digests["cells"]) cell.erase("digest");
  for (Json& cell : again["cells"]) {
    BOOST_TEST(cell["digest"] == l2o::json_digest(cell));
    cell.erase("digest");
  }
  BOOST_TEST(again == without_digests);
  Json full = cell("p", "o", 2, -1.5, 1e-5);
  full["id"] = "p.o.r2.0000abcd";
  full["index"] = 7;
  full["problem"]["scenario"] = {{"kind", "none"}};
  full["seeds"] = {{"suite", 1}, {"instances", 2}, {"initial_points", 3}};
  full["eval"]["f_star_mean"] = 0.5;
  full["eval"]["final"]["gap_median"] = nullptr;  // non-finite stays null
  full["eval"]["counters"] = {{"skipped_updates", 4}};
  full["train"] = {{"seconds", 2.5}, {"meta_loss", {1.0, 0.5}}};
  full["context"] = {{"git_commit", "abc"}};
  full["digest"] = l2o::json_digest(full);
  const auto record = harness::CellRecord::from_json(full, "cell");
  BOOST_TEST(record.to_json() == full);
  BOOST_TEST(record.eval.final.number("log10_mean_loss").value() == -1.5);
  BOOST_TEST(!record.eval.final.number("gap_median"));
  BOOST_TEST(record.eval.final.contains("gap_median"));
  const Json summarized = record.summarized().to_json();
  BOOST_TEST(!summarized["eval"].contains("loss"));
  BOOST_TEST(!summarized["train"].contains("meta_loss"));
  BOOST_TEST(summarized["eval"]["final"] == full["eval"]["final"]);
  // A missing required field names the cell and the field.
  full["optimizer"].erase("label");
  full.erase("digest");  // else the digest, checked first, is what fails
  BOOST_CHECK_EXCEPTION(harness::CellRecord::from_json(full, "cell"), l2o::InputError,
                        [](const l2o::InputError& e) {
                          return std::string(e.what()) == "cell.optimizer.label: expected a string";
                        });
}

BOOST_AUTO_TEST_CASE(the_cli_exits_1_on_a_regression) {
  l2o::testing::TempDir dir;
  l2o::write_json_atomically(dir / "base.json", base_report());
  Json next = base_report();
  next["cells"][0]["eval"]["final"]["log10_mean_loss"] = 0.0;
  l2o::write_json_atomically(dir / "new.json", next);
  const std::string cli =
      std::string(L2OBENCH_BINARY) + " compare " + (dir / "base.json").string() + " ";
  auto same = l2o::testing::run_command(cli + (dir / "base.json").string());
  BOOST_TEST(same.exit_code == 0, same.output);
  auto worse = l2o::testing::run_command(cli + (dir / "new.json").string() + " --json " +
                                         (dir / "v.json").string());
  BOOST_TEST(worse.exit_code == 1, worse.output);
  BOOST_TEST(worse.output.find("REGRESSION   lasso-n10 x gd r0") != std::string::npos,
             worse.output);
  BOOST_TEST(l2o::read_json_file(dir / "v.json")["summary"]["pass"] == false);
  auto bad = l2o::testing::run_command(cli + (dir / "nope.json").string());
  BOOST_TEST(bad.exit_code == 2, bad.output);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace compare_test
