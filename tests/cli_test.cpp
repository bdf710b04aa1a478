// The l2obench command line: listing, bad input, crash and resume. Runs the real binary.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/files.hpp"
#include "learned/checkpoint.hpp"
#include "learned/registry.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace cli_test {

namespace {

using l2o::Json;
using l2o::testing::run_command;
namespace fs = std::filesystem;

const std::string binary = L2OBENCH_BINARY;

Json valid_suite() {
  return {{"name", "cli"},
          {"steps", 10},
          {"test_instances", 8},
          {"problems", {{{"family", "lasso"}, {"dim", 10}}}},
          {"optimizers", {{{"name", "gd"}}}}};
}

// Runs `l2obench run` on a suite file holding `text`; returns the result.
l2o::testing::CommandResult run_suite_text(const l2o::testing::TempDir& dir,
                                           const std::string& text, const std::string& extra = "") {
  std::ofstream(dir / "suite.json") << text;
  return run_command(binary + " run " + (dir / "suite.json").string() + " --out " +
                     (dir / "out").string() + " --quiet " + extra);
}

// One line, "l2obench: error: <expected...>", and exit status 2.
void expect_one_clear_error(const l2o::testing::CommandResult& r,
                            const std::string& expected_start) {
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(std::count(r.output.begin(), r.output.end(), '\n') == 1, "output: " << r.output);
  BOOST_TEST(r.output.starts_with("l2obench: error: " + expected_start), "output: " << r.output);
}

// Runs `run` (the smoke suite into `out`) and returns its cell files, sorted.
std::vector<fs::path> finished_smoke_cells(const std::string& run, const fs::path& out) {
  BOOST_TEST_REQUIRE(run_command(run + " --quiet").exit_code == 0);
  std::vector<fs::path> cells;
  for (const auto& entry : fs::directory_iterator(out / "cells")) cells.push_back(entry.path());
  std::sort(cells.begin(), cells.end());
  return cells;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(list_json_names_every_family_and_optimizer_with_fields) {
  auto r = run_command(binary + " list --json");
  BOOST_REQUIRE(r.exit_code == 0);
  Json list = Json::parse(r.output);
  std::vector<std::string> families, optimizers;
  for (const Json& f : list["families"]) {
    families.push_back(f["name"]);
    BOOST_TEST(!f["fields"].empty());
  }
  for (const Json& o : list["optimizers"]) {
    optimizers.push_back(o["name"]);
    BOOST_TEST(!o["fields"].empty());
  }
  // The registries' names, in their order.
  std::vector<std::string> registered_families, registered_optimizers;
  for (const auto& f : l2o::problems::families()) registered_families.emplace_back(f.name);
  for (const auto& o : l2o::learned::all_optimizers()) registered_optimizers.emplace_back(o.name);
  BOOST_TEST(families == registered_families);
  BOOST_TEST(optimizers == registered_optimizers);
}

BOOST_AUTO_TEST_CASE(bad_input_gives_one_clear_error_and_a_nonzero_exit) {
  l2o::testing::TempDir dir;
  const std::string file = (dir / "suite.json").string();

  Json s = valid_suite();
  s["problems"][0]["family"] = "lasso3";
  expect_one_clear_error(
      run_suite_text(dir, s.dump()),
      file + ".problems[0].family: unknown problem family \"lasso3\"; allowed: lasso, ");
  s = valid_suite();
  s["optimizers"][0]["name"] = "adamw";
  expect_one_clear_error(run_suite_text(dir, s.dump()),
                         file + ".optimizers[0].name: unknown optimizer \"adamw\"");
  s = valid_suite();
  s["problems"][0]["dim"] = 0;
  expect_one_clear_error(run_suite_text(dir, s.dump()),
                         file + ".problems[0].dim: expected an integer >= 1, got 0");
  s = valid_suite();
  s["steps"] = "ten";
  expect_one_clear_error(run_suite_text(dir, s.dump()),
                         file + ".steps: expected an integer >= 1, got \"ten\"");
  s = valid_suite();
  s["optimizers"][0]["lr"] = -1;
  expect_one_clear_error(run_suite_text(dir, s.dump()),
                         file + ".optimizers[0].lr: expected a number > 0, got -1");
  s = valid_suite();
  s["dtype"] = "float16";
  expect_one_clear_error(
      run_suite_text(dir, s.dump()),
      file + ".dtype: expected a string one of: float32, float64, got \"float16\"");
  expect_one_clear_error(run_suite_text(dir, "{\"name\": \"x\", \"problems\": [}"),
                         file + ": malformed JSON: parse error at line 1, column 28");
  expect_one_clear_error(run_command(binary + " run " + (dir / "nope.json").string()),
                         (dir / "nope.json").string() + ": cannot open file");
  expect_one_clear_error(
      run_suite_text(dir, valid_suite().dump(), "--device cuda"),
      "--device cuda: this l2obench is built against a LibTorch without CUDA support");
  expect_one_clear_error(run_suite_text(dir, valid_suite().dump(), "--device tpu"),
                         "--device: expected cpu, cuda");
  expect_one_clear_error(run_suite_text(dir, valid_suite().dump(), "--shard 2/2"),
                         "--shard: expected i/N");
  expect_one_clear_error(run_command(binary + " show " + file), file + ": not an l2obench report");
  l2o::testing::TempDir empty;
  expect_one_clear_error(run_command(binary + " merge " + empty.path().string()),
                         empty.path().string() + ": no suite.json here");
  BOOST_TEST(!fs::exists(dir / "out" / "report.json"));

  // Structure of the wrong JSON type.
  s = valid_suite();
  s["problems"] = {1};
  expect_one_clear_error(run_suite_text(dir, s.dump()),
                         file + ".problems[0]: expected an object, got 1");
  s = valid_suite();
  s["optimizers"][0]["label"] = 3;
  expect_one_clear_error(run_suite_text(dir, s.dump()),
                         file + ".optimizers[0].label: expected a string, got 3");
  s = valid_suite();
  s["optimizers"][0]["families"] = "lasso";
  expect_one_clear_error(
      run_suite_text(dir, s.dump()),
      file + ".optimizers[0].families: expected a non-empty array of family names");
  s = valid_suite();
  s["problems"][0]["dim"] = {10, 2.5};
  expect_one_clear_error(run_suite_text(dir, s.dump()),
                         file + ".problems[0].dim[1]: expected an integer >= 1");
  s = valid_suite();
  s["name"] = "../elsewhere";
  expect_one_clear_error(run_suite_text(dir, s.dump()), file + ".name: expected letters, digits");
  s = valid_suite();
  s["problems"][0]["dim"] = {10.0};  // integral floats are integers, as for a single dim
  BOOST_TEST(run_suite_text(dir, s.dump()).exit_code == 0);

  // An --out that is a file, a report that is not one.
  std::ofstream(dir / "a-file") << "x";
  auto to_file =
      run_command(binary + " run " + file + " --quiet --out " + (dir / "a-file").string());
  BOOST_TEST(to_file.exit_code == 2);
  BOOST_TEST(to_file.output.starts_with("l2obench: error: "), to_file.output);
  BOOST_TEST(to_file.output.find((dir / "a-file").string()) != std::string::npos, to_file.output);
  std::ofstream(dir / "bad-report.json")
      << R"({"schema_version": 1, "suite": {}, "cells": [{"eval": 3}]})";
  expect_one_clear_error(
      run_command(binary + " show " + (dir / "bad-report.json").string()),
      (dir / "bad-report.json").string() + ": not an l2obench report (cells[0] lacks");

  auto usage = run_command(binary + " run");
  BOOST_TEST(usage.exit_code != 0);
  BOOST_TEST(usage.output.find("suite is required") != std::string::npos, usage.output);
}

BOOST_AUTO_TEST_CASE(smoke_suite_runs_then_skips_every_finished_cell) {
  l2o::testing::TempDir dir;
  const std::string run =
      binary + " run " + L2O_SOURCE_DIR "/suites/smoke.json --out " + (dir / "out").string();
  auto first = run_command(run);
  BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  BOOST_TEST(first.output.find("(6 computed, 0 reused)") != std::string::npos, first.output);
  auto second = run_command(run);
  BOOST_TEST(second.exit_code == 0);
  BOOST_TEST(second.output.find("(0 computed, 6 reused)") != std::string::npos, second.output);
  auto show = run_command(binary + " show " + (dir / "out" / "report.json").string());
  BOOST_TEST(show.exit_code == 0);
  BOOST_TEST(show.output.find("rastrigin-n2") != std::string::npos, show.output);
}

// A run killed with SIGKILL part-way resumes, loses no finished cell, and ends with the report
// an uninterrupted run writes.
BOOST_AUTO_TEST_CASE(a_killed_run_resumes_and_ends_with_the_same_report) {
  l2o::testing::TempDir dir;
  Json s = {
      {"name", "resume"},
      {"steps", 300},
      {"test_instances", 256},
      {"repetitions", 6},
      {"problems", {{{"family", "lasso"}, {"dim", 50}}, {{"family", "rastrigin"}, {"dim", 10}}}},
      {"optimizers", {{{"name", "gd"}}, {{"name", "adam"}}, {{"name", "momentum"}}}}};
  std::ofstream(dir / "suite.json") << s.dump();
  const std::string suite = (dir / "suite.json").string();
  const std::size_t total = 2 * 6 * 3;

  // Start in the background, wait for the first finished cell, kill -9.
  const fs::path killed = dir / "killed", cells = killed / "cells";
  auto r = run_command("(" + binary + " run " + suite + " --out " + killed.string() +
                       " --quiet --threads 1 & pid=$!; "
                       "while [ \"$(ls " +
                       cells.string() +
                       " 2>/dev/null | grep -c '\\.json$')\" -lt 2 ]; do "
                       "sleep 0.02; done; kill -9 $pid; wait $pid; echo killed=$?)");
  BOOST_REQUIRE_MESSAGE(r.output.find("killed=137") != std::string::npos, r.output);
  std::size_t finished = 0;
  for (const auto& entry : fs::directory_iterator(cells))
    finished += entry.path().extension() == ".json";
  BOOST_TEST_REQUIRE(finished >= 2u);
  BOOST_TEST_REQUIRE(finished < total, "the run ended before it was killed; make the suite longer");
  BOOST_TEST(!fs::exists(killed / "report.json"));

  auto resumed =
      run_command(binary + " run " + suite + " --out " + killed.string() + " --threads 1");
  BOOST_REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  BOOST_TEST(resumed.output.find(std::to_string(finished) + " of " + std::to_string(total) +
                                 " cells already finished") != std::string::npos,
             resumed.output);

  auto clean = run_command(binary + " run " + suite + " --out " + (dir / "clean").string() +
                           " --quiet --threads 1");
  BOOST_REQUIRE(clean.exit_code == 0);
  BOOST_TEST(l2o::testing::numbers_only(l2o::read_json_file(killed / "report.json")) ==
             l2o::testing::numbers_only(l2o::read_json_file(dir / "clean" / "report.json")));
}

BOOST_AUTO_TEST_CASE(foreign_cell_files_are_computed_again) {
  l2o::testing::TempDir dir;
  const std::string run =
      binary + " run " + L2O_SOURCE_DIR "/suites/smoke.json --out " + (dir / "out").string();
  const std::vector<fs::path> cells = finished_smoke_cells(run, dir / "out");
  std::ofstream(cells[0]) << "[]";                  // valid JSON, not a cell
  std::ofstream(cells[1]) << R"({"id": "other"})";  // another cell's id
  auto again = run_command(run);
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.output);
  BOOST_TEST(again.output.find("(2 computed, 4 reused)") != std::string::npos, again.output);
  BOOST_TEST(again.output.find("is not a finished cell (") != std::string::npos, again.output);
}

// A cell file that is well-formed but incomplete or edited is computed again, with a warning
// naming the file and why; temp files of a killed run are removed, a live host's are kept.
BOOST_AUTO_TEST_CASE(incomplete_or_edited_cells_are_computed_again) {
  l2o::testing::TempDir dir;
  const std::string run =
      binary + " run " + L2O_SOURCE_DIR "/suites/smoke.json --out " + (dir / "out").string();
  const std::vector<fs::path> cells = finished_smoke_cells(run, dir / "out");
  BOOST_REQUIRE(cells.size() == 6u);
  // Rewrites a cell file; `sign` gives the edit a matching digest, so that what is caught is
  // the structure, not the digest.
  auto rewrite = [](const fs::path& path, auto edit, bool sign) {
    Json cell = l2o::read_json_file(path);
    edit(cell);
    if (sign) cell["digest"] = l2o::json_digest(cell);
    l2o::write_json_atomically(path, cell);
  };
  rewrite(
      cells[0], [](Json& c) { c["eval"] = Json::object(); }, true);
  rewrite(
      cells[1], [](Json& c) { c["eval"].erase("final"); }, true);
  rewrite(
      cells[2], [](Json& c) { c["eval"]["loss"]["mean"].erase(5); }, true);
  rewrite(
      cells[3], [](Json& c) { c["eval"]["final"]["loss_mean"] = 1.5; }, false);
  rewrite(
      cells[4], [](Json& c) { c.erase("digest"); }, false);
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  const fs::path stale = cells[5].string() + "." + host + ".999999999.0.tmp";
  const fs::path elsewhere = cells[5].string() + ".other-host.1.0.tmp";
  std::ofstream(stale) << "{";
  std::ofstream(elsewhere) << "{";

  auto again = run_command(run);
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.output);
  BOOST_TEST(again.output.find("(5 computed, 1 reused)") != std::string::npos, again.output);
  const std::string reasons[] = {"eval.final: expected an object", "eval.final: expected an object",
                                 "loss series does not have the",
                                 ".digest: does not match the cell's content", "has no digest"};
  for (std::size_t i = 0; i < 5; ++i) {
    const std::string warning =
        "l2obench: warning: " + cells[i].string() + " is not a finished cell (";
    const auto at = again.output.find(warning);
    BOOST_TEST_REQUIRE(at != std::string::npos, again.output);
    const auto line = again.output.substr(at, again.output.find('\n', at) - at);
    BOOST_TEST(line.find(reasons[i]) != std::string::npos, line);
  }
  BOOST_TEST(!fs::exists(stale));
  BOOST_TEST(fs::exists(elsewhere));
  BOOST_TEST(run_command(binary + " show " + (dir / "out" / "report.json").string()).exit_code ==
             0);
  // Recomputed cells carry their digest again: a third run reuses all six.
  BOOST_TEST(run_command(run).output.find("(0 computed, 6 reused)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(labels_that_look_alike_get_their_own_files) {
  l2o::testing::TempDir dir;
  Json s = valid_suite();
  s["optimizers"] = {{{"name", "gd"}, {"label", "a b"}}, {{"name", "gd"}, {"label", "a_b"}}};
  BOOST_REQUIRE(run_suite_text(dir, s.dump()).exit_code == 0);
  Json report = l2o::read_json_file(dir / "out" / "report.json");
  BOOST_REQUIRE(report["cells"].size() == 2u);
  BOOST_TEST(report["cells"][0]["optimizer"]["label"] == "a b");
  BOOST_TEST(report["cells"][1]["optimizer"]["label"] == "a_b");
  BOOST_TEST(report["cells"][0]["id"] != report["cells"][1]["id"]);
}

BOOST_AUTO_TEST_CASE(learned_optimizers_train_once_and_report_their_training) {
  l2o::testing::TempDir dir;
  Json s = valid_suite();
  s["optimizers"] = {{{"name", "l2o-dm"}, {"train", {{"epochs", 2}, {"batch", 8}, {"steps", 20}}}}};
  s["steps"] = 20;
  std::ofstream(dir / "suite.json") << s.dump();
  const std::string suite = (dir / "suite.json").string(), cache = (dir / "cache").string();
  auto trained = run_command(binary + " train " + suite + " --quiet --cache " + cache);
  BOOST_REQUIRE_MESSAGE(trained.exit_code == 0, trained.output);
  BOOST_TEST(trained.output.starts_with("l2o-dm lasso-n10 " + cache + "/l2o-dm-"), trained.output);
  auto run = run_command(binary + " run " + suite + " --quiet --cache " + cache + " --out " +
                         (dir / "out").string());
  BOOST_REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  Json cell = l2o::read_json_file(dir / "out" / "report.json")["cells"][0];
  BOOST_TEST(cell["train"]["loaded_from_cache"] == true);  // trained by `train`, loaded by `run`
  BOOST_TEST(cell["train"]["epochs"] == 2);
  BOOST_TEST(cell["train"]["seconds"].get<double>() > 0);
  auto summary = run_command(binary + " summarize " + (dir / "out" / "report.json").string());
  BOOST_REQUIRE(summary.exit_code == 0);
  Json small = Json::parse(summary.output.substr(summary.output.find('{')));
  BOOST_TEST(small["summary"] == true);
  BOOST_TEST(!small["cells"][0]["eval"].contains("loss"));
  BOOST_TEST(small["cells"][0]["eval"]["final"] == cell["eval"]["final"]);
  expect_one_clear_error(
      run_command(binary + " train " + L2O_SOURCE_DIR "/suites/smoke.json --quiet"),
      "the suite has no learned optimizer to train");
}

// A weights file is keyed by its content in the training cache and the cell ids: edited in place
// and run again into the same --cache and --out, it gives new results, not the old ones.
BOOST_AUTO_TEST_CASE(an_edited_weights_file_is_a_new_model_under_the_same_cache_and_out) {
  l2o::testing::TempDir dir;
  const auto* loa = l2o::learned::find_learned("loa-bfgs");
  Json weights = l2o::learned::flatten_weights(
      loa->make(loa->canonical(Json::object(), "t"), 0)->weights());  // exact BFGS
  const fs::path weights_file = dir / "weights.json";
  l2o::write_json_atomically(weights_file, weights);
  Json s = valid_suite();
  s["problems"] = {{{"family", "quadratic"}, {"dim", 10}}};
  s["optimizers"] = {{{"name", "loa-bfgs"}, {"weights_file", weights_file.string()}}};
  std::ofstream(dir / "suite.json") << s.dump();
  const std::string run = binary + " run " + (dir / "suite.json").string() + " --cache " +
                          (dir / "cache").string() + " --out " + (dir / "out").string();
  auto first = run_command(run);
  BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  const Json before = l2o::read_json_file(dir / "out" / "report.json")["cells"][0];

  for (std::size_t i = 0; i < weights.size(); ++i)  // same count, other values
    weights[i] = 0.1 * double(int(i * 37 % 11) - 5);
  l2o::write_json_atomically(weights_file, weights);
  auto second = run_command(run);
  BOOST_REQUIRE_MESSAGE(second.exit_code == 0, second.output);
  BOOST_TEST(second.output.find("(1 computed, 0 reused)") != std::string::npos, second.output);
  const Json after = l2o::read_json_file(dir / "out" / "report.json")["cells"][0];
  BOOST_TEST(after["id"] != before["id"]);
  BOOST_TEST(after["train"]["checkpoint"] != before["train"]["checkpoint"]);
  BOOST_TEST(after["eval"]["loss"]["mean"] != before["eval"]["loss"]["mean"],
             before["eval"]["loss"]["mean"] << " vs " << after["eval"]["loss"]["mean"]);
}

// A folder holds one suite's run: a run of another suite into it is refused (saying how to
// reuse it), and `merge` refuses a folder holding another suite's cells.
BOOST_AUTO_TEST_CASE(runs_and_merges_of_another_suite_into_a_folder_are_refused) {
  l2o::testing::TempDir dir;
  Json other = valid_suite();
  other["name"] = "other";
  other["optimizers"] = {{{"name", "adam"}}};
  std::ofstream(dir / "other.json") << other.dump();
  BOOST_REQUIRE(run_suite_text(dir, valid_suite().dump()).exit_code == 0);
  const fs::path out = dir / "out";
  const std::string run_other =
      binary + " run " + (dir / "other.json").string() + " --quiet --out ";
  expect_one_clear_error(run_command(run_other + out.string()),
                         out.string() +
                             " holds a run of suite \"cli\", not \"other\"; give this "
                             "run another --out");
  BOOST_TEST(l2o::read_json_file(out / "suite.json")["name"] == "cli");
  BOOST_TEST(l2o::read_json_file(out / "report.json")["suite"]["name"] == "cli");

  BOOST_REQUIRE(run_command(run_other + (dir / "elsewhere").string()).exit_code == 0);
  for (const auto& entry : fs::directory_iterator(dir / "elsewhere" / "cells"))
    fs::copy_file(entry.path(), out / "cells" / entry.path().filename());
  expect_one_clear_error(run_command(binary + " merge " + out.string()),
                         out.string() + ": 1 cell files belong to another suite");
}

BOOST_AUTO_TEST_CASE(shards_merge_into_one_report) {
  l2o::testing::TempDir dir;
  const std::string base = binary + " run " + L2O_SOURCE_DIR "/suites/smoke.json --quiet --out " +
                           (dir / "out").string();
  BOOST_REQUIRE(run_command(base + " --shard 0/2").exit_code == 0);
  BOOST_TEST(!fs::exists(dir / "out" / "report.json"));
  auto partial = run_command(binary + " merge " + (dir / "out").string());
  BOOST_TEST(partial.exit_code == 2);
  BOOST_TEST(partial.output.find("3 of 6 cells are missing") != std::string::npos, partial.output);
  BOOST_REQUIRE(run_command(base + " --shard 1/2").exit_code == 0);
  auto merged = run_command(binary + " merge " + (dir / "out").string());
  BOOST_TEST(merged.exit_code == 0, merged.output);
  Json report = l2o::read_json_file(dir / "out" / "report.json");
  BOOST_TEST(report["complete"] == true);
  BOOST_TEST(report["cells"].size() == 6u);
  BOOST_TEST(report["cells"][0]["index"] == 0);
  BOOST_TEST(report["cells"][5]["index"] == 5);
}

BOOST_AUTO_TEST_CASE(instances_command_exports_json) {
  l2o::testing::TempDir dir;
  auto r = run_command(
      binary + " instances " L2O_SOURCE_DIR "/suites/smoke.json --problem lasso-n10 --out " +
      (dir / "i.json").string());
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  Json file = l2o::read_json_file(dir / "i.json");
  BOOST_TEST(file["problems"].size() == 1u);
  BOOST_TEST(file["problems"][0]["parameters"]["A"].size() == 64u);
  BOOST_TEST(file["problems"][0]["x0"][0].size() == 10u);
  expect_one_clear_error(
      run_command(binary + " instances " L2O_SOURCE_DIR "/suites/smoke.json --problem nope"),
      "--problem: no problem labelled \"nope\"");
  // --out naming a directory: one error naming it, and no temp file left beside it.
  const fs::path folder = dir / "a-folder";
  fs::create_directories(folder);
  expect_one_clear_error(
      run_command(binary + " instances " L2O_SOURCE_DIR "/suites/smoke.json --out " +
                  folder.string()),
      folder.string() + ": is a directory");
  for (const auto& entry : fs::directory_iterator(dir.path()))
    BOOST_TEST(entry.path().extension() != ".tmp", entry.path().string());
}

// Every usage error (an unknown option, a bad value, a missing argument) is a user error: one
// line on stderr and exit status 2, in every subcommand; --help still exits 0.
BOOST_AUTO_TEST_CASE(every_usage_error_exits_2_with_one_line) {
  const std::string suite = L2O_SOURCE_DIR "/suites/smoke.json";
  const std::string report = L2O_SOURCE_DIR "/reports/baselines/quick.json";
  const std::vector<std::string> bad_command_lines = {
      "list --bogus",
      "run " + suite + " --bogus",
      "train " + suite + " --bogus",
      "merge some-folder --bogus",
      "instances " + suite + " --bogus",
      "compare " + report + " " + report + " --bogus",
      "summarize " + report + " --bogus",
      "show " + report + " --bogus",
      "equivariance --bogus",
      "export-weights some-checkpoint --bogus",
      "datasets --bogus",
      "no-such-command",
      "",
      "run",
      "run " + suite + " --threads many",
      "compare " + report + " " + report + " --tolerance nan",
      "compare " + report + " " + report + " --tolerance -1",
      "compare " + report + " " + report + " --tolerance inf",
      "equivariance --tolerance nan",
      "instances " + suite + " --count 0",
      "instances " + suite + " --count -1",
      "instances " + suite + " --count 2x",
      "instances " + suite + " --out ''",
      "run " + suite + " --out ''",
      "run " + suite + " --cache ''",
      "summarize " + report + " --out ''",
      "compare " + report + " " + report + " --json ''",
  };
  for (const std::string& arguments : bad_command_lines) {
    const auto r = run_command(binary + " " + arguments);
    BOOST_TEST_CONTEXT("l2obench " << arguments) {
      BOOST_TEST(r.exit_code == 2);
      BOOST_TEST(std::count(r.output.begin(), r.output.end(), '\n') == 1, "output: " << r.output);
      BOOST_TEST(r.output.starts_with("l2obench: error: "), "output: " << r.output);
    }
  }
  const auto tolerance =
      run_command(binary + " compare " + report + " " + report + " --tolerance nan");
  BOOST_TEST(tolerance.output.find("--tolerance") != std::string::npos, tolerance.output);
  const auto help = run_command(binary + " run --help");
  BOOST_TEST(help.exit_code == 0);
  BOOST_TEST(help.output.find("--shard") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace cli_test
