// Suite expansion, seeds, metrics, determinism of whole runs, and the instance export.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <limits>

#include <ATen/ATen.h>

#include "core/error.hpp"
#include "core/files.hpp"
#include "harness/cells.hpp"
#include "harness/instances.hpp"
#include "harness/metrics.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"
#include "learned/registry.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace harness_test {

namespace {

using l2o::Json;
using l2o::Tensor;
using l2o::testing::numbers_only;
using l2o::testing::suite_error;
namespace harness = l2o::harness;

Json small_suite() {
  return {
      {"name", "unit"},
      {"seed", 3},
      {"steps", 20},
      {"test_instances", 16},
      {"repetitions", 2},
      {"problems",
       {{{"family", "lasso"}, {"dim", {10, 20}}},
        {{"family", "rastrigin"}, {"dim", 2}, {"label", "rast"}}}},
      {"optimizers", {{{"name", "gd"}}, {{"name", "adam"}, {"lr", 0.05}, {"label", "adam-fast"}}}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(harness_tests)

BOOST_AUTO_TEST_CASE(dimension_lists_expand_into_labelled_problems) {
  auto suite = harness::parse_suite_json(small_suite(), "s.json");
  BOOST_REQUIRE(suite.problems.size() == 3);
  BOOST_TEST(suite.problems[0].label == "lasso-n10");
  BOOST_TEST(suite.problems[1].label == "lasso-n20");
  BOOST_TEST(suite.problems[2].label == "rast");
  BOOST_TEST(suite.problems[1].config == (Json{{"dim", 20}, {"rows", 0}, {"lambda", 0.005}}));
  BOOST_TEST(suite.optimizers[0].config == (Json{{"lr", 0.01}}));
  // The suite as run parses back to itself.
  BOOST_TEST(harness::parse_suite_json(suite.to_json(), "again").to_json() == suite.to_json());
}

BOOST_AUTO_TEST_CASE(cells_are_stable_unique_and_sharded_without_overlap) {
  auto suite = harness::parse_suite_json(small_suite(), "s.json");
  auto cells = harness::expand(suite);
  BOOST_TEST(cells.size() == 3u * 2u * 2u);
  std::set<std::string> ids;
  for (const auto& c : cells) ids.insert(c.id);
  BOOST_TEST(ids.size() == cells.size());
  BOOST_TEST(cells[0].id.starts_with("lasso-n10.gd.r0."));
  BOOST_TEST(harness::expand(suite)[5].id == cells[5].id);

  std::multiset<std::size_t> seen;
  for (int i = 0; i < 3; ++i)
    for (const auto& c : harness::select_shard(cells, {i, 3})) seen.insert(c.index);
  BOOST_TEST(seen.size() == cells.size());
  BOOST_TEST(std::set<std::size_t>(seen.begin(), seen.end()).size() == cells.size());

  // Changing what a cell computes changes its id; renaming nothing else keeps the others.
  Json changed = small_suite();
  changed["steps"] = 21;
  BOOST_TEST(harness::expand(harness::parse_suite_json(changed, "s.json"))[0].id != cells[0].id);
}

BOOST_AUTO_TEST_CASE(shard_syntax_is_checked) {
  BOOST_TEST(harness::Shard::parse("1/4").index == 1);
  for (const char* bad : {"4/4", "-1/2", "1", "a/b", "0/0", "1/2x"})
    BOOST_CHECK_THROW(harness::Shard::parse(bad), l2o::InputError);
}

BOOST_AUTO_TEST_CASE(suite_errors_name_the_field) {
  Json s = small_suite();
  s["problems"][0]["dim"] = Json{10, -1};
  BOOST_TEST(suite_error(s) == "s.json.problems[0].dim[1]: expected an integer >= 1, got -1");
  s = small_suite();
  s["problems"][1]["dim"] = 0;
  BOOST_TEST(suite_error(s) == "s.json.problems[1].dim: expected an integer >= 1, got 0");
  s = small_suite();
  s["optimizers"][1]["label"] = "gd";
  BOOST_TEST(suite_error(s) ==
             "s.json.optimizers[1]: label \"gd\" is already used by s.json.optimizers[0]; give one "
             "of them a distinct "
             "\"label\"");
  s = small_suite();
  s.erase("problems");
  BOOST_TEST(suite_error(s) == "s.json: missing field \"problems\" (a non-empty array)");
  s = small_suite();
  s["stpes"] = 3;
  BOOST_TEST(suite_error(s).starts_with("s.json: unknown field \"stpes\"; allowed fields: name,"));
  s = small_suite();
  s["optimizers"][0]["name"] = "sgd";
  std::string allowed;  // every registered name, classical then learned
  for (const auto& o : l2o::learned::all_optimizers())
    allowed += (allowed.empty() ? "" : ", ") + std::string(o.name);
  BOOST_TEST(suite_error(s) ==
             "s.json.optimizers[0].name: unknown optimizer \"sgd\"; allowed: " + allowed);
}

BOOST_AUTO_TEST_CASE(splits_and_repetitions_draw_from_distinct_streams) {
  auto suite = harness::parse_suite_json(small_suite(), "s.json");
  const auto& p = suite.problems[0];
  std::set<std::uint64_t> seeds;
  for (const char* split : {"train", "validation", "test"})
    for (std::int64_t rep : {0, 1}) {
      auto s = harness::instance_seeds(suite, p, split, rep);
      seeds.insert(s.instances);
      seeds.insert(s.initial_points);
    }
  BOOST_TEST(seeds.size() == 12u);  // no two (split, repetition, purpose) share a stream
  // Another problem of the suite has its own streams too.
  BOOST_TEST(
      !seeds.contains(harness::instance_seeds(suite, suite.problems[1], "test", 0).instances));
  // And the same (problem, split, repetition) always gives the same instances.
  const auto& family = l2o::problems::find_family(p.family, "t");
  auto draw = [&](const char* split) {
    auto s = harness::instance_seeds(suite, p, split, 0);
    return family.sample(p.config, {16, s.instances, {c10::kCPU, at::kDouble}})->features();
  };
  BOOST_TEST(at::equal(draw("test"), draw("test")));
  BOOST_TEST(!at::equal(draw("test"), draw("validation")));
}

BOOST_AUTO_TEST_CASE(step_statistics_match_hand_computation) {
  Tensor values =
      at::tensor({1.0, 2.0, 3.0, 4.0, 10.0, 10.0, 10.0, 10.0}, at::kDouble).reshape({2, 4});
  Json s = harness::summarize_steps(values);
  BOOST_TEST(s["mean"] == (Json{2.5, 10.0}));
  BOOST_TEST(s["median"] == (Json{2.5, 10.0}));
  BOOST_TEST(s["q10"][0].get<double>() == 1.3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s["q90"][0].get<double>() == 3.7, boost::test_tools::tolerance(1e-12));

  Json m = harness::evaluation_metrics(values, at::tensor({1.0, 2.0, 3.0, 4.0}, at::kDouble));
  BOOST_TEST(m["log10_mean_loss"][1].get<double>() == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m["gap"]["mean"][0].get<double>() == 0.0);
  BOOST_TEST(m["rel_gap"]["mean"][1].get<double>() == (9.0 + 4.0 + 7.0 / 3.0 + 1.5) / 4.0,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m["final"]["loss_mean"].get<double>() == 10.0);
}

BOOST_AUTO_TEST_CASE(per_instance_losses_are_kept_at_log_spaced_steps) {
  BOOST_TEST(harness::checkpoint_steps(100) ==
                 (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50,
                                            60, 80, 100}),
             boost::test_tools::per_element());
  BOOST_TEST(harness::checkpoint_steps(7) == (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7}),
             boost::test_tools::per_element());
  Tensor losses = at::arange(0, 16, at::kDouble).reshape({8, 2});  // 7 steps, 2 instances
  Json m = harness::evaluation_metrics(losses, at::tensor({0.5, 1.5}, at::kDouble));
  BOOST_TEST(m["per_instance"]["loss"][7] == (Json{14.0, 15.0}));
  BOOST_TEST(m["per_instance"]["f_star"] == (Json{0.5, 1.5}));
}

// In float32 a converged run can end below f*: its mean gap is negative. That is reported as
// convergence to the dtype's resolution, flagged, never as the null of a diverged run.
BOOST_AUTO_TEST_CASE(a_negative_mean_gap_is_reported_as_converged_not_diverged) {
  const Tensor losses =
      at::tensor({5.0f, 5.0f, 2.0f - 2e-7f, 2.0f - 4e-7f}, at::kFloat).reshape({2, 2});
  const Tensor f_star = at::tensor({2.0, 2.0}, at::kDouble);
  Json m = Json::parse(harness::evaluation_metrics(losses, f_star).dump());
  const double resolution = std::numeric_limits<float>::epsilon() * 2.0;
  BOOST_TEST(m["log10_mean_gap"][0].get<double>() == std::log10(3.0),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST_REQUIRE(m["final"]["log10_mean_gap"].is_number());
  BOOST_TEST(m["final"]["log10_mean_gap"].get<double>() == std::log10(resolution),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m["final"]["mean_gap_below_f_star"] == true);
  BOOST_TEST(m["final"]["nonfinite_instances"] == 0);
  // A diverged run stays null and unflagged.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Json d =
      Json::parse(harness::evaluation_metrics(at::tensor({5.0, nan}, at::kDouble).reshape({2, 1}),
                                              at::tensor({2.0}, at::kDouble))
                      .dump());
  BOOST_TEST(d["final"]["log10_mean_gap"].is_null());
  BOOST_TEST(!d["final"].contains("mean_gap_below_f_star"));
}

BOOST_AUTO_TEST_CASE(diverged_instances_do_not_hide_the_others) {
  const double nan = std::numeric_limits<double>::quiet_NaN(),
               inf = std::numeric_limits<double>::infinity();
  Tensor values = at::tensor({1.0, 2.0, 3.0, 4.0, 1.0, 2.0, nan, inf}, at::kDouble).reshape({2, 4});
  // As written to a cell file (JSON has no inf or nan).
  Json m = Json::parse(harness::evaluation_metrics(values, std::nullopt).dump());
  BOOST_TEST(m["loss"]["mean"][1].is_null());    // non-finite mean -> null
  BOOST_TEST(m["loss"]["median"][1].is_null());  // the median of {1, 2, inf, inf} is inf
  BOOST_TEST(m["loss"]["q10"][1].get<double>() == 1.3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m["nonfinite_instances"] == (Json{0.0, 2.0}));
  BOOST_TEST(m["final"]["nonfinite_instances"] == 2);
  BOOST_TEST(m["loss"]["q90"][1].is_null());
}

BOOST_AUTO_TEST_CASE(two_runs_give_identical_numbers) {
  auto suite = harness::parse_suite_json(small_suite(), "s.json");
  l2o::testing::TempDir a, b;
  auto first = harness::run_suite(suite, {.out = a.path(), .threads = 2, .progress = false});
  harness::run_suite(suite, {.out = b.path(), .threads = 2, .progress = false});
  BOOST_TEST(first.evaluated == 12u);
  Json ra = l2o::read_json_file(a / "report.json"), rb = l2o::read_json_file(b / "report.json");
  BOOST_TEST(ra["complete"] == true);
  BOOST_TEST(ra["cells"].size() == 12u);
  BOOST_TEST(numbers_only(ra) == numbers_only(rb));
  // And a rerun in the same folder reuses every cell.
  auto again = harness::run_suite(suite, {.out = a.path(), .threads = 2, .progress = false});
  BOOST_TEST(again.skipped == 12u);
  BOOST_TEST(again.evaluated == 0u);
}

BOOST_AUTO_TEST_CASE(the_numbers_do_not_depend_on_how_many_workers_ran_them) {
  // Learned optimizers (trained side by side), a scenario sharing its problem's instances, and
  // more cell groups than workers.
  Json s = small_suite();
  s["problems"].push_back(
      {{"family", "rastrigin"},
       {"dim", 2},
       {"label", "rast-s"},
       {"scenarios", {{{"kind", "none"}}, {{"kind", "start"}, {"value", 0.5}}}}});
  s["optimizers"].push_back({{"name", "l2o-dm"}, {"train", {{"epochs", 3}}}});
  s["optimizers"].push_back({{"name", "rnnprop"}, {"train", {{"epochs", 3}}}});
  auto suite = harness::parse_suite_json(s, "s.json");
  l2o::testing::TempDir one, two;
  harness::run_suite(suite,
                     {.out = one / "run", .cache = one / "cache", .threads = 1, .progress = false});
  auto parallel = harness::run_suite(
      suite,
      {.out = two / "run", .cache = two / "cache", .threads = 2, .jobs = 2, .progress = false});
  BOOST_TEST(parallel.evaluated == 40u);
  auto numbers = [](const l2o::testing::TempDir& dir) {
    Json report = numbers_only(l2o::read_json_file(dir / "run" / "report.json"));
    for (Json& cell : report["cells"])
      if (cell.contains("train") && cell["train"].is_object()) {
        cell["train"].erase("seconds");
        cell["train"].erase("cpu_seconds");
        cell["train"].erase("checkpoint");         // the folder differs
        cell["train"].erase("loaded_from_cache");  // which cell met the model first
      }
    return report;
  };
  BOOST_TEST(numbers(one) == numbers(two));
  Json context = l2o::read_json_file(two / "run" / "report.json")["context"];
  BOOST_TEST(context["jobs"] == 2);
  BOOST_TEST(context["intra_op_threads"] == 1);
}

BOOST_AUTO_TEST_CASE(exported_instances_rebuild_the_same_objectives) {
  Json s = small_suite();
  s["problems"].push_back({{"family", "quadratic"}, {"dim", 5}, {"kind", "conditioned"}});
  s["problems"].push_back({{"family", "ackley"}, {"dim", 3}});
  auto suite = harness::parse_suite_json(s, "s.json");
  Json exported = harness::export_instances(suite, {.split = "test", .repetition = 1});
  // Through text, as another tool would read it.
  auto imported = harness::import_instances(Json::parse(exported.dump()), "instances.json");
  BOOST_REQUIRE(imported.size() == suite.problems.size());
  for (std::size_t i = 0; i < imported.size(); ++i) {
    const auto& p = suite.problems[i];
    BOOST_TEST_CONTEXT(p.label) {
      auto seeds = harness::instance_seeds(suite, p, "test", 1);
      auto original =
          l2o::problems::find_family(p.family, "t")
              .sample(p.config, {suite.test_instances, seeds.instances, {c10::kCPU, suite.dtype}});
      Tensor x0 = original->initial_points(seeds.initial_points);
      BOOST_TEST(imported[i].label == p.label);
      BOOST_TEST(at::equal(imported[i].x0, x0));
      BOOST_TEST(at::equal(imported[i].objective->loss(imported[i].x0), original->loss(x0)));
      BOOST_TEST(at::equal(imported[i].objective->features(), original->features()));
    }
  }
  BOOST_CHECK_THROW(harness::export_instances(suite, {.split = "dev"}), l2o::InputError);
  BOOST_CHECK_THROW(harness::export_instances(suite, {.split = "train"}), l2o::InputError);
  BOOST_CHECK_THROW(harness::export_instances(suite, {.repetition = 2}), l2o::InputError);
}

BOOST_AUTO_TEST_CASE(an_optimizer_can_be_limited_to_some_families) {
  Json s = small_suite();
  s["optimizers"].push_back({{"name", "fista"}, {"families", {"lasso"}}});
  auto suite = harness::parse_suite_json(s, "s.json");
  auto cells = harness::expand(suite);
  BOOST_TEST(cells.size() == 3u * 2u * 2u + 2u * 2u);  // fista on the two lasso problems only
  for (const auto& c : cells)
    if (suite.optimizers[c.optimizer].name == "fista")
      BOOST_TEST(suite.problems[c.problem].family == "lasso");
  s["optimizers"][2]["families"] = {"lasso", "lassoo"};
  std::string allowed;  // every registered family name
  for (const auto& f : l2o::problems::families())
    allowed += (allowed.empty() ? "" : ", ") + std::string(f.name);
  BOOST_TEST(suite_error(s) ==
             "s.json.optimizers[2].families[1]: unknown problem family \"lassoo\"; allowed: " +
                 allowed);
}

BOOST_AUTO_TEST_CASE(the_train_profile_can_be_overridden_per_run) {
  Json s = small_suite();
  s["optimizers"] = {{{"name", "l2o-dm"}}, {{"name", "diff-l2o"}}};
  l2o::testing::TempDir dir;
  l2o::write_json_atomically(dir / "s.json", s);
  const auto quick = harness::parse_suite_file(dir / "s.json");
  const auto paper = harness::parse_suite_file(dir / "s.json", "paper");
  BOOST_TEST(quick.train_profile == "quick");
  BOOST_TEST(paper.train_profile == "paper");
  for (std::size_t i = 0; i < 2; ++i)
    BOOST_TEST(paper.optimizers[i].training.at("epochs").get<int>() >
               quick.optimizers[i].training.at("epochs").get<int>());
  // Another budget is another cell: a paper run never reuses a quick run's results.
  BOOST_TEST(harness::expand(quick)[0].id != harness::expand(paper)[0].id);
  BOOST_CHECK_THROW(harness::parse_suite_file(dir / "s.json", "slow"), l2o::InputError);
}

BOOST_AUTO_TEST_CASE(unsupported_combinations_fail_before_any_cell_runs) {
  Json s = small_suite();
  s["problems"] = {{{"family", "ackley"}, {"dim", 2}}};
  s["optimizers"] = {{{"name", "gd"}}, {{"name", "fista"}}};
  auto suite = harness::parse_suite_json(s, "s.json");
  l2o::testing::TempDir out;
  BOOST_CHECK_EXCEPTION(
      harness::run_suite(suite, {.out = out.path(), .progress = false}), l2o::InputError,
      [](const l2o::InputError& e) {
        return std::string(e.what()).starts_with("optimizer \"fista\" on problem \"ackley-n2\": ");
      });
  BOOST_TEST(!std::filesystem::exists(out / "cells"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace harness_test
