// `train --estimate`: a probe per model, projected to its budget, and nothing left in the cache.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "harness/suite.hpp"
#include "harness/training_estimate.hpp"
#include "tests/support.hpp"

namespace training_estimate_test {

namespace {

const l2o::Json suite_json = {
    {"name", "estimate"},
    {"steps", 10},
    {"test_instances", 4},
    {"problems",
     {{{"family", "quadratic"},
       {"dim",
        [] {
          return l2o::Json{4, 6};
        }()}}}},
    {"optimizers",
     {{{"name", "gd"}},
      {{"name", "l2o-dm"}, {"train", {{"epochs", 40}, {"batch", 4}, {"steps", 10}, {"unroll", 5}}}},
      {{"name", "l2o-dm"},
       {"label", "untrained"},
       {"train", {{"epochs", 0}, {"batch", 4}, {"steps", 10}, {"unroll", 5}}}}}}};

}  // namespace

BOOST_AUTO_TEST_SUITE(training_estimate)

BOOST_AUTO_TEST_CASE(every_trained_model_is_probed_and_projected_to_its_budget) {
  const auto suite = l2o::harness::parse_suite_json(suite_json, "estimate.json");
  const auto estimates = l2o::harness::estimate_training(suite, {c10::kCPU, at::kFloat}, 3);
  BOOST_REQUIRE(estimates.size() == 2);  // two dimensions; the untrained entry needs no training
  for (const auto& e : estimates) {
    BOOST_TEST(e.key.starts_with("l2o-dm-"));
    BOOST_TEST(e.epochs == 40);
    BOOST_TEST(e.validate_every == 25);  // the training config's default
    BOOST_TEST(e.probe_epochs == 3);
    BOOST_TEST(e.long_probe_epochs == 6);
    BOOST_TEST(e.probe_seconds > 0);
    BOOST_TEST(e.long_probe_seconds > 0);
    BOOST_TEST(e.probe_validations >= 1);  // epoch 0's, in both probes alike
    BOOST_TEST(e.seconds_per_epoch() > 0);
    // 40 epochs and the validations at epochs 0 and 25.
    BOOST_TEST(e.projected_seconds() ==
               e.seconds_per_epoch() * 40 + e.seconds_per_validation() * 2);
    // The training thread's CPU time, projected alike; never above the wall clock.
    using Clock = l2o::harness::TrainingEstimate::Clock;
    BOOST_TEST(e.probe_cpu_seconds > 0);
    BOOST_TEST(e.probe_cpu_seconds <= e.probe_seconds);
    BOOST_TEST(e.long_probe_cpu_seconds <= e.long_probe_seconds);
    BOOST_TEST(e.projected_seconds(Clock::cpu) ==
               e.seconds_per_epoch(Clock::cpu) * 40 + e.seconds_per_validation(Clock::cpu) * 2);
  }
  BOOST_TEST(estimates[0].users == "l2o-dm on quadratic-n4");

  // The per-epoch cost is the difference of the probes; what is left of the short one is its
  // validations' (here by hand, free of timing noise).
  l2o::harness::TrainingEstimate e{.epochs = 100,
                                   .validate_every = 10,
                                   .probe_epochs = 5,
                                   .long_probe_epochs = 10,
                                   .probe_seconds = 7,
                                   .long_probe_seconds = 12,
                                   .probe_cpu_seconds = 3.5,
                                   .long_probe_cpu_seconds = 6,
                                   .probe_validations = 2};
  BOOST_TEST(e.seconds_per_epoch() == 1.0);
  BOOST_TEST(e.seconds_per_validation() == 1.0);
  BOOST_TEST(e.projected_seconds() == 100 + 11);
  using Clock = l2o::harness::TrainingEstimate::Clock;
  BOOST_TEST(e.seconds_per_epoch(Clock::cpu) == 0.5);
  BOOST_TEST(e.seconds_per_validation(Clock::cpu) == 0.5);
  BOOST_TEST(e.projected_seconds(Clock::cpu) == 50 + 5.5);
  // A budget no longer than the long probe is the long probe.
  const auto whole = l2o::harness::estimate_training(suite, {c10::kCPU, at::kFloat}, 20);
  BOOST_TEST(whole[0].long_probe_epochs == 40);
  BOOST_TEST(whole[0].projected_seconds() == whole[0].long_probe_seconds);
  BOOST_TEST(whole[0].projected_seconds(Clock::cpu) == whole[0].long_probe_cpu_seconds);
}

// A tuned learned optimizer has a model per trial; a trial whose model another entry already
// trains is probed once.
BOOST_AUTO_TEST_CASE(every_distinct_model_of_a_tuned_optimizer_s_trials_is_probed) {
  l2o::Json tuned = suite_json;
  tuned["problems"] = {{{"family", "quadratic"}, {"dim", 4}}};
  const l2o::Json train = {{"epochs", 40}, {"batch", 4}, {"steps", 10}, {"unroll", 5}};
  tuned["optimizers"] = {{{"name", "l2o-dm"}, {"train", train}},
                         {{"name", "l2o-dm"},
                          {"label", "tuned"},
                          {"train", train},
                          {"tune", {{"train.lr", {{"grid", {1e-3, 1e-2}}}}}}}};
  const auto suite = l2o::harness::parse_suite_json(tuned, "tuned.json");
  const auto estimates = l2o::harness::estimate_training(suite, {c10::kCPU, at::kFloat}, 2);
  BOOST_REQUIRE(estimates.size() == 2);  // trial 0 (lr 1e-3) is the untuned entry's model
  BOOST_TEST(estimates[0].users == "l2o-dm on quadratic-n4");
  BOOST_TEST(estimates[1].users == "tuned trial 1 on quadratic-n4");
  BOOST_TEST(estimates[1].key != estimates[0].key);
  BOOST_TEST(estimates[1].epochs == 40);
  BOOST_TEST(estimates[1].probe_epochs == 2);
  BOOST_TEST(estimates[1].probe_seconds > 0);
}

BOOST_AUTO_TEST_CASE(the_command_prints_a_line_per_model_and_caches_nothing) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << suite_json.dump();
  const auto r = l2o::testing::run_command(std::string(L2OBENCH_BINARY) + " train " +
                                           (dir / "suite.json").string() +
                                           " --estimate 2 --cache " + (dir / "cache").string());
  BOOST_TEST_INFO(r.output);
  BOOST_REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.output);
  std::vector<std::string> models;
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("l2o-dm-")) models.push_back(line);
  BOOST_TEST(models.size() == 2);
  BOOST_TEST(r.output.find("\ntotal\t") != std::string::npos);
  BOOST_TEST(r.output.find("projected CPU s") != std::string::npos);
  BOOST_TEST(r.output.find("CPU hours of the training threads") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(dir / "cache"));
  const auto bad = l2o::testing::run_command(std::string(L2OBENCH_BINARY) + " train " +
                                             (dir / "suite.json").string() + " --estimate 0");
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.output.find("--estimate") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace training_estimate_test
