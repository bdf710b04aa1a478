// Tuning in suites (harness/tuning.hpp): trials run on the validation split only, the pick is the
// best validation trial, an interrupted run keeps its finished trials, bad "tune" objects give
// one clear error, and the same suite gives the same trials, pick and numbers.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"
#include "harness/cells.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"
#include "harness/suite_models.hpp"
#include "harness/training_cache.hpp"
#include "harness/tuning.hpp"
#include "learned/registry.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace tuning_test {

namespace {

using l2o::Json;
using l2o::testing::numbers_only;
using l2o::testing::suite_error;
namespace fs = std::filesystem;
namespace harness = l2o::harness;

// Two problems (one with a scenario, which shares its problem's trials), an untuned and a tuned
// optimizer: 2 problem configs × 4 trials = 8 trial cells, 3 problems × 2 = 6 test cells.
Json tuned_suite() {
  return {
      {"name", "tuned"},
      {"seed", 5},
      {"steps", 15},
      {"test_instances", 6},
      {"problems",
       {{{"family", "quadratic"},
         {"dim", 4},
         {"scenarios", {{{"kind", "none"}}, {{"kind", "start"}, {"value", 2}}}}},
        {{"family", "lasso"}, {"dim", 6}}}},
      {"optimizers",
       {{{"name", "gd"}},
        {{"name", "adam"},
         {"label", "adam-tuned"},
         {"tune",
          {{"lr", {{"log_uniform", {1e-3, 0.5}}}}, {"trials", 4}, {"objective", "final_loss"}}}}}}};
}

Json with_tune(Json tune, const std::string& optimizer = "adam") {
  Json s = tuned_suite();
  s["optimizers"][1] = {{"name", optimizer}, {"label", "tuned"}, {"tune", std::move(tune)}};
  return s;
}

harness::RunOptions options(const fs::path& out, harness::RunStage stage = harness::RunStage::all,
                            harness::Shard shard = {}) {
  return {.out = out,
          .cache = out / "cache",
          .shard = shard,
          .threads = 1,
          .progress = false,
          .stage = stage};
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (fs::exists(dir))
    for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

// The tuned cells of a report, and every cell without its times.
std::vector<Json> tuned_cells(const fs::path& out) {
  std::vector<Json> cells;
  const Json report = l2o::read_json_file(out / "report.json");
  for (const Json& cell : report["cells"])
    if (cell.contains("tuning")) cells.push_back(cell);
  return cells;
}

// Clears the instance hook however a test case ends.
struct DrawHookGuard {
  explicit DrawHookGuard(harness::InstanceDrawHook hook) {
    harness::set_instance_draw_hook(std::move(hook));
  }
  ~DrawHookGuard() { harness::set_instance_draw_hook({}); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tuning)

BOOST_AUTO_TEST_CASE(tuning_trials_never_draw_test_instances) {
  const harness::Suite suite = harness::parse_suite_json(tuned_suite(), "s.json");
  BOOST_TEST(harness::expand_trials(suite).size() == 8u);
  l2o::testing::TempDir dir;
  std::vector<std::string> draws;
  DrawHookGuard guard([&](const harness::ProblemSpec& p, std::string_view split) {
    draws.push_back(std::string(split) + " " + p.label);
    if (split == "test") throw l2o::InputError("the test split of " + p.label + " was drawn");
  });
  // The tuning stage of a suite whose test split throws when drawn passes ...
  const auto tuned = harness::run_suite(suite, options(dir.path(), harness::RunStage::tune));
  BOOST_TEST(tuned.evaluated == 8u);
  BOOST_TEST(files_in(dir / "tuning").size() == 8u);
  BOOST_TEST(files_in(dir / "cells").empty());
  for (const std::string& draw : draws) BOOST_TEST(draw.starts_with("validation "), draw);
  BOOST_TEST(draws.size() == 2u);  // one draw per problem config: the scenario shares it
  // ... and the guard is live: the test cells do draw the test split.
  BOOST_CHECK_THROW(harness::run_suite(suite, options(dir.path(), harness::RunStage::test)),
                    l2o::InputError);
  // A whole run draws the validation split for its trials, all before any test split.
  harness::set_instance_draw_hook([&](const harness::ProblemSpec& p, std::string_view split) {
    draws.push_back(std::string(split) + " " + p.label);
  });
  draws.clear();
  l2o::testing::TempDir fresh;
  harness::run_suite(suite, options(fresh.path()));
  const auto first_test = std::find_if(draws.begin(), draws.end(),
                                       [](const std::string& d) { return d.starts_with("test "); });
  BOOST_TEST(std::count_if(draws.begin(), first_test,
                           [](const std::string& d) { return d.starts_with("validation "); }) == 2);
  BOOST_TEST(std::none_of(first_test, draws.end(),
                          [](const std::string& d) { return d.starts_with("validation "); }));
  // The trial cells record their split; the seeds are the validation split's.
  for (const fs::path& file : files_in(fresh / "tuning")) {
    const Json trial = l2o::read_json_file(file);
    BOOST_TEST(trial["tuning"]["split"] == "validation");
    const harness::ProblemSpec& p =
        trial["problem"]["family"] == "lasso" ? suite.problems[2] : suite.problems[0];
    BOOST_TEST(trial["seeds"]["instances"] ==
               harness::instance_seeds(suite, p, "validation", 0).instances);
  }
}

BOOST_AUTO_TEST_CASE(the_pick_is_the_best_validation_trial) {
  const harness::Suite suite = harness::parse_suite_json(tuned_suite(), "s.json");
  l2o::testing::TempDir dir;
  harness::run_suite(suite, options(dir.path()));
  const std::vector<Json> cells = tuned_cells(dir.path());
  BOOST_REQUIRE(cells.size() == 3u);  // adam-tuned on quadratic, its scenario, lasso
  for (const Json& cell : cells) {
    const Json& tuning = cell["tuning"];
    BOOST_TEST(tuning["objective"] == "final_loss");
    BOOST_TEST(tuning["space"] == Json({{"lr", {{"log_uniform", {1e-3, 0.5}}}}}));
    BOOST_REQUIRE(tuning["trials"].size() == 4u);
    const std::size_t pick = tuning["pick"].get<std::size_t>();
    double best = std::numeric_limits<double>::infinity();
    std::set<double> lrs;
    for (const Json& trial : tuning["trials"]) {
      lrs.insert(trial["config"]["lr"].get<double>());
      // Each trial's value is the final mean loss its own cell recorded.
      const Json trial_cell =
          l2o::read_json_file(dir / "tuning" / (trial["cell"].get<std::string>() + ".json"));
      BOOST_TEST(trial["validation"] == trial_cell["eval"]["final"]["loss_mean"]);
      if (trial["validation"].is_number()) best = std::min(best, trial["validation"].get<double>());
    }
    BOOST_TEST(lrs.size() == 4u);  // four distinct draws
    BOOST_TEST(tuning["trials"][pick]["validation"].get<double>() == best);
    for (std::size_t k = 0; k < pick; ++k)  // ties go to the first
      BOOST_TEST(tuning["trials"][k]["validation"].get<double>() > best);
    BOOST_TEST(cell["optimizer"]["config"] == tuning["trials"][pick]["config"]);
  }
  // The scenario's test cell uses its problem's trials (tuned in distribution).
  BOOST_TEST(cells[0]["tuning"] == cells[1]["tuning"]);

  // An independent evaluation of the picked trial on lasso's validation split: the same
  // instances, starting points, optimizer and steps give the recorded value.
  const Json& lasso = cells[2];
  const Json& picked = lasso["tuning"]["trials"][lasso["tuning"]["pick"].get<std::size_t>()];
  const harness::ProblemSpec& p = suite.problems[2];
  BOOST_REQUIRE(p.family == "lasso");
  const auto seeds = harness::instance_seeds(suite, p, "validation", 0);
  c10::InferenceMode no_autograd;
  const auto f =
      l2o::problems::find_family(p.family, p.label)
          .sample(p.config, {suite.test_instances, seeds.instances, {at::kCPU, at::kFloat}});
  const auto optimizer = l2o::learned::find_any_optimizer("adam", "adam").make(picked["config"]);
  f->rewind();
  auto rollout = optimizer->start(*f, f->initial_points(seeds.initial_points));
  l2o::Tensor x;
  for (std::int64_t k = 0; k < suite.steps; ++k) x = rollout->step();
  const double final_loss = f->loss(x).mean().item<double>();
  BOOST_TEST(final_loss == picked["validation"].get<double>(), boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(an_interrupted_run_keeps_its_finished_trials) {
  const harness::Suite suite = harness::parse_suite_json(tuned_suite(), "s.json");
  l2o::testing::TempDir dir, reference;
  harness::run_suite(suite, options(reference.path()));
  // Stopped after half the trials (one shard of the tuning stage), and one of them killed before
  // its file was renamed into place (the file is not there).
  const auto half = harness::run_suite(
      suite, options(dir.path(), harness::RunStage::tune, harness::Shard::parse("0/2")));
  BOOST_TEST(half.evaluated == 4u);
  const std::vector<fs::path> done = files_in(dir / "tuning");
  BOOST_REQUIRE(done.size() == 4u);
  fs::remove(done[0]);
  std::vector<fs::file_time_type> written;
  for (std::size_t k = 1; k < done.size(); ++k) written.push_back(fs::last_write_time(done[k]));

  const auto resumed = harness::run_suite(suite, options(dir.path()));
  BOOST_TEST(resumed.skipped == 3u);              // the finished trials
  BOOST_TEST(resumed.evaluated == 8u - 3u + 6u);  // the rest of the trials and every test cell
  for (std::size_t k = 1; k < done.size(); ++k)
    BOOST_TEST((fs::last_write_time(done[k]) == written[k - 1]));  // not written again
  BOOST_TEST(files_in(dir / "tuning").size() == 8u);
  BOOST_TEST(numbers_only(l2o::read_json_file(dir / "report.json"))["cells"] ==
             numbers_only(l2o::read_json_file(reference / "report.json"))["cells"]);
}

BOOST_AUTO_TEST_CASE(test_cells_compute_trials_no_shard_has_run) {
  // The stages out of order (test cells first, sharded): the missing trials are computed where
  // they are needed, and the numbers are those of a plain run.
  const harness::Suite suite = harness::parse_suite_json(tuned_suite(), "s.json");
  l2o::testing::TempDir dir, reference;
  harness::run_suite(suite, options(reference.path()));
  for (const char* shard : {"0/2", "1/2"})
    harness::run_suite(suite,
                       options(dir.path(), harness::RunStage::test, harness::Shard::parse(shard)));
  BOOST_TEST(files_in(dir / "tuning").size() == 8u);
  harness::merge_report(dir.path(), false);
  BOOST_TEST(numbers_only(l2o::read_json_file(dir / "report.json"))["cells"] ==
             numbers_only(l2o::read_json_file(reference / "report.json"))["cells"]);
}

BOOST_AUTO_TEST_CASE(bad_tune_objects_give_one_clear_error) {
  const std::string at = "s.json.optimizers[1].tune";
  auto check = [&](const Json& suite, const std::string& expected) {
    const std::string error = suite_error(suite);
    BOOST_TEST(error.starts_with(expected), "got: " << error);
  };
  check(with_tune({{"lr", {{"log_uniform", {0, 1}}}}, {"trials", 3}}),
        at + ".lr.log_uniform: expected [lo, hi], finite numbers with 0 < lo < hi, got [0,1]");
  check(with_tune({{"lrr", {{"grid", {0.1}}}}}),
        at + ".lrr: not a field of the optimizer's config; allowed: beta1, beta2, eps, lr, "
             "weight_decay, and \"trials\", \"objective\"");
  check(with_tune({{"lr", {{"uniform", {0.1, 1}}}}}), at + ".trials: missing;");
  check(with_tune({{"lr", {{"grid", {0.1, -1}}}}}),
        at + ".lr.grid[1]: -1 is refused by the optimizer: s.json.optimizers[1].lr: expected a "
             "number > 0, got -1");
  check(with_tune({{"lr", {{"uniform", {0, 1}}}}, {"trials", 2}}),
        at + ".lr.uniform[0]: 0.0 is refused by the optimizer");
  check(with_tune({{"lr", {{"grid", {0.1}}}}, {"objective", "best"}}),
        at + ".objective: expected one of: final_loss, tail_loss, auc, iterations_to_target, got "
             "\"best\"");
  check(with_tune({{"lr", {{"grid", {0.1, 0.2}}}}, {"trials", 3}}),
        at + ".trials: 3 is more than the 2 points of the grids' product");
  check(with_tune({{"lr", {{"grid", {0.1}}}}, {"trials", 0}}),
        at + ".trials: expected an integer in [1, 1000], got 0");
  check(with_tune({{"lr", {{"normal", {0, 1}}}}, {"trials", 2}}),
        at + ".lr.normal: unknown kind of search space; expected {\"grid\": [values...]}");
  check(with_tune({{"lr", {{"grid", Json::array()}}}}),
        at + ".lr.grid: expected a non-empty array of values");
  check(with_tune({{"train.lr", {{"grid", {0.1}}}}}),
        at + ".train.lr: tunes a training field, but this optimizer is not learned");
  check(with_tune({{"trials", 2}}), at + ": names no field to tune");
  check(with_tune(0.1), at + ": expected an object");
  check(with_tune({{"train.nope", {{"grid", {1}}}}}, "rnnprop"),
        at + ".train.nope: not a field of the training config; allowed: train.");

  // From the command line: one line naming the file and the field, a non-zero exit.
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << with_tune({{"lr", {{"grid", {0.1, -1}}}}}).dump();
  const auto r = l2o::testing::run_command(std::string(L2OBENCH_BINARY) + " run " +
                                           (dir / "suite.json").string() + " --out " +
                                           (dir / "out").string() + " --quiet");
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.starts_with("l2obench: error: " + (dir / "suite.json").string() +
                                  ".optimizers[1].tune.lr.grid[1]: -1 is refused"),
             r.output);
  std::ofstream(dir / "good.json") << tuned_suite().dump();
  const auto stage = l2o::testing::run_command(std::string(L2OBENCH_BINARY) + " run " +
                                               (dir / "good.json").string() + " --stage later");
  BOOST_TEST(stage.exit_code == 2);
  BOOST_TEST(stage.output ==
             "l2obench: error: --stage: expected one of: all, tune, test, got "
             "\"later\"\n");
}

BOOST_AUTO_TEST_CASE(the_same_suite_gives_the_same_trials_pick_and_numbers) {
  const harness::Suite a = harness::parse_suite_json(tuned_suite(), "s.json");
  // The suite as run (suite.json, which merge reads back) draws the same trials.
  const harness::Suite b = harness::parse_suite_json(a.to_json(), "suite.json");
  auto ids = [](const std::vector<harness::Cell>& cells) {
    std::vector<std::string> out;
    for (const auto& c : cells) out.push_back(c.id);
    return out;
  };
  BOOST_TEST(ids(harness::expand_trials(a)) == ids(harness::expand_trials(b)));
  BOOST_TEST(ids(harness::expand(a)) == ids(harness::expand(b)));
  const auto& trials = a.optimizers[1].tuning->trials;
  for (std::size_t k = 0; k < trials.size(); ++k)
    BOOST_TEST(trials[k].config == b.optimizers[1].tuning->trials[k].config);
  // Another seed draws other trials; a relabelled entry the same ones.
  Json other = tuned_suite();
  other["seed"] = 6;
  BOOST_TEST(harness::parse_suite_json(other, "s.json").optimizers[1].tuning->trials[0].config !=
             trials[0].config);
  Json relabelled = tuned_suite();
  relabelled["optimizers"][1]["label"] = "adam-t";
  BOOST_TEST(
      harness::parse_suite_json(relabelled, "s.json").optimizers[1].tuning->trials[0].config ==
      trials[0].config);
  // The untuned optimizer's cells keep the ids they have without any tuned entry.
  Json untuned = tuned_suite();
  untuned["optimizers"].erase(1);
  const auto plain = harness::expand(harness::parse_suite_json(untuned, "s.json"));
  BOOST_TEST(plain[0].id == harness::expand(a)[0].id);

  l2o::testing::TempDir one, two;
  harness::run_suite(a, options(one.path()));
  harness::run_suite(b, options(two.path()));
  BOOST_TEST(numbers_only(l2o::read_json_file(one / "report.json")) ==
             numbers_only(l2o::read_json_file(two / "report.json")));
}

BOOST_AUTO_TEST_CASE(grids_run_their_product_and_objectives_rank_as_stated) {
  // Without "trials" a grid runs every point, the last parameter fastest.
  const harness::Suite grid = harness::parse_suite_json(
      with_tune({{"lr", {{"grid", {0.01, 0.1}}}}, {"beta1", {{"grid", {0.5, 0.9, 0.0}}}}}),
      "s.json");
  const auto& trials = grid.optimizers[1].tuning->trials;
  BOOST_REQUIRE(trials.size() == 6u);
  BOOST_TEST(trials[0].config["beta1"] == 0.5);
  BOOST_TEST(trials[0].config["lr"] == 0.01);
  BOOST_TEST(trials[1].config["beta1"] == 0.5);
  BOOST_TEST(trials[1].config["lr"] == 0.1);
  BOOST_TEST(trials[5].config["beta1"] == 0.0);
  // Fewer trials than points: distinct points.
  const auto sampled = harness::parse_suite_json(
      with_tune(
          {{"lr", {{"grid", {0.01, 0.1, 1.0}}}}, {"beta1", {{"grid", {0.5, 0.9}}}}, {"trials", 4}}),
      "s.json");
  std::set<std::string> points;
  for (const auto& t : sampled.optimizers[1].tuning->trials) points.insert(t.config.dump());
  BOOST_TEST(points.size() == 4u);
  // An integer field rounds the draws of a range.
  const auto rounded = harness::parse_suite_json(
      with_tune({{"hidden", {{"log_uniform", {2, 40}}}}, {"trials", 5}}, "rnnprop"), "s.json");
  for (const auto& t : rounded.optimizers[1].tuning->trials)
    BOOST_TEST(t.config["hidden"].is_number_integer());

  // Objectives: auc is the mean of the mean-loss curve; iterations_to_target ranks the median,
  // a trial that never reaches it last, ties by final loss, then by order.
  auto trial = [](std::vector<double> curve, Json to_target_median) {
    harness::CellRecord r;
    r.eval.final = harness::FinalMetrics(
        Json{{"loss_mean", curve.back()}, {"iterations_to_target_median", to_target_median}});
    r.eval.series = {{"loss", {{"mean", curve}}}, {"to_target", {{"median", to_target_median}}}};
    return r;
  };
  const std::vector<harness::CellRecord> records = {trial({4, 2, 1}, 5), trial({3, 1, 1}, Json()),
                                                    trial({9, 1, 0.5}, 5), trial({2, 2, 2}, 3)};
  using O = harness::TuneObjective;
  BOOST_TEST(*harness::validation_score(O::auc, records[0]) == 7.0 / 3);
  BOOST_TEST(harness::pick_trial(O::final_loss, records) == 2u);
  BOOST_TEST(harness::pick_trial(O::auc, records) == 1u);  // 5/3 < 2 < 7/3 < 3.5
  BOOST_TEST(harness::pick_trial(O::iterations_to_target, records) == 3u);
  const std::vector<harness::CellRecord> tied = {records[0], records[2], records[1]};
  BOOST_TEST(harness::pick_trial(O::iterations_to_target, tied) == 1u);  // 5 = 5, loss 0.5 < 1
  BOOST_TEST(!harness::validation_score(O::iterations_to_target, records[1]));

  // tail_loss: the mean over the last tenth of steps 1..T, at least the last step; a noisy last
  // step (a minibatch's loss) no longer decides alone.
  std::vector<double> noisy(21, 1.0), steady(21, 1.0);  // steps 0..20: the tail is steps 19, 20
  noisy[19] = 0.8, noisy[20] = 0.2, steady[19] = 0.4, steady[20] = 0.4;
  const std::vector<harness::CellRecord> tails = {trial(noisy, 5), trial(steady, 5)};
  BOOST_TEST(*harness::validation_score(O::tail_loss, tails[0]) == 0.5);
  BOOST_TEST(harness::pick_trial(O::final_loss, tails) == 0u);
  BOOST_TEST(harness::pick_trial(O::tail_loss, tails) == 1u);
  BOOST_TEST(*harness::validation_score(O::tail_loss, records[0]) == 1.0);  // T = 2: the last step
  const auto by_tail = harness::parse_suite_json(
      with_tune({{"lr", {{"grid", {0.01, 0.1}}}}, {"objective", "tail_loss"}}), "s.json");
  BOOST_TEST(harness::to_string(by_tail.optimizers[1].tuning->objective) == "tail_loss");
}

BOOST_AUTO_TEST_CASE(a_learned_optimizer_is_tuned_like_a_classical_one) {
  // RNNProp's step scale, untrained (epochs 0) to keep the test short: every trial is a model.
  Json s = tuned_suite();
  s["problems"] = {{{"family", "quadratic"}, {"dim", 4}}};
  Json tuned = {{"name", "rnnprop"},
                {"label", "rnnprop-tuned"},
                {"train", {{"epochs", 0}}},
                {"tune", {{"output_scale", {{"grid", {0.01, 0.1}}}}}}};
  s["optimizers"] = Json::array({tuned});
  const harness::Suite suite = harness::parse_suite_json(s, "s.json");
  l2o::testing::TempDir dir;
  // Its models are its trials', trained when a trial needs one: the train stage has none.
  const harness::TrainingCache cache(dir / "cache", suite, {c10::kCPU, at::kFloat}, false);
  BOOST_TEST(harness::suite_models(suite, cache).empty());
  harness::run_suite(suite, options(dir.path()));
  const std::vector<Json> cells = tuned_cells(dir.path());
  BOOST_REQUIRE(cells.size() == 1u);
  BOOST_TEST(cells[0]["tuning"]["trials"].size() == 2u);
  BOOST_TEST(cells[0]["optimizer"]["config"] ==
             cells[0]["tuning"]["trials"][cells[0]["tuning"]["pick"].get<std::size_t>()]["config"]);
}

BOOST_AUTO_TEST_CASE(a_tuned_training_field_wins_over_a_budget_block) {
  Json s = tuned_suite();
  s["problems"] = {{{"family", "quadratic"}, {"dim", 4}}};
  s["train_profile"] = "paper";
  s["optimizers"] = {{{"name", "l2o-dm"},
                      {"train", {{"epochs", 1}}},
                      {"train_paper", {{"lr", 0.5}, {"epochs", 2}}},
                      {"tune", {{"train.lr", {{"grid", {0.01, 0.02}}}}}}}};
  const harness::Suite suite = harness::parse_suite_json(s, "s.json");
  const auto& trials = suite.optimizers.at(0).tuning->trials;
  BOOST_REQUIRE(trials.size() == 2u);
  std::set<double> lrs;
  for (const auto& trial : trials) {
    lrs.insert(trial.training.at("lr").get<double>());
    BOOST_TEST(trial.training.at("epochs") == 2);  // the budget's block still applies
  }
  BOOST_TEST((lrs == std::set<double>{0.01, 0.02}));
}

BOOST_AUTO_TEST_CASE(a_field_keyed_only_when_set_can_be_tuned) {
  // Diff-L2O's gradient_input is left out of the canonical config at its default (asinh), so
  // that the models keyed before it existed keep their keys; a suite may still tune it.
  Json s = tuned_suite();
  s["problems"] = {{{"family", "quadratic"}, {"dim", 4}}};
  s["optimizers"] = {
      {{"name", "diff-l2o"}, {"tune", {{"gradient_input", {{"grid", {"asinh", "raw"}}}}}}}};
  const harness::Suite suite = harness::parse_suite_json(s, "s.json");
  const auto& trials = suite.optimizers.at(0).tuning->trials;
  BOOST_REQUIRE(trials.size() == 2u);
  BOOST_TEST(trials[0].config == suite.optimizers[0].config);
  BOOST_TEST(!trials[0].config.contains("gradient_input"));
  BOOST_TEST(trials[1].config.at("gradient_input") == "raw");
}

// On Slurm the tuning trials are a stage of their own, between train and cells: every task run
// by bash as Slurm would gives the report, and no cell task computes a trial.
BOOST_AUTO_TEST_CASE(slurm_runs_the_trials_as_a_stage_before_the_cells) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << tuned_suite().dump();
  const fs::path out = dir / "out";
  const std::string binary = L2OBENCH_BINARY;
  const auto r = l2o::testing::run_command(binary + " slurm " + (dir / "suite.json").string() +
                                           " --out " + out.string() + " --cache " +
                                           (dir / "cache").string() + " --shards 3 --no-figures");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const fs::path slurm = out / "slurm";
  const std::string tune = l2o::read_file(slurm / "tune.sbatch");
  const std::string cells = l2o::read_file(slurm / "cells.sbatch");
  const std::string submit = l2o::read_file(slurm / "submit.sh");
  BOOST_TEST(tune.find("--stage tune --shard \"$SLURM_ARRAY_TASK_ID/3\"") != std::string::npos,
             tune);
  BOOST_TEST(cells.find("--stage test --shard \"$SLURM_ARRAY_TASK_ID/3\"") != std::string::npos,
             cells);
  BOOST_TEST(
      submit.find("tune=$(submit tune.sbatch)\necho \"tune $tune\"\n"
                  "cells=$(submit --dependency=afterok:$tune cells.sbatch)\n") != std::string::npos,
      submit);
  for (const char* script : {"tune.sbatch", "cells.sbatch"})
    for (int id = 0; id < 3; ++id) {
      std::string command = "SLURM_ARRAY_TASK_ID=";
      command += std::to_string(id) + " bash " + (slurm / script).string();
      const auto task = l2o::testing::run_command(command);
      BOOST_REQUIRE_MESSAGE(task.exit_code == 0, task.output);
      BOOST_TEST(task.output.find("unfinished tuning trials") == std::string::npos, task.output);
    }
  BOOST_TEST(files_in(out / "tuning").size() == 8u);
  const auto merged = l2o::testing::run_command("bash " + (slurm / "merge.sbatch").string());
  BOOST_REQUIRE_MESSAGE(merged.exit_code == 0, merged.output);
  BOOST_TEST(tuned_cells(out).size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tuning_test
