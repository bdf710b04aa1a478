// A suite on a cluster: the lock that lets one process or thread train a model while the others
// wait and load it, `train --list/--model`, and the Slurm scripts (written, submitted through a
// stand-in sbatch that records its calls, and run by bash as Slurm's tasks would run them).
// scripts/slurm-test runs them on a real Slurm.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "core/file_lock.hpp"
#include "core/files.hpp"
#include "harness/suite.hpp"
#include "harness/training_cache.hpp"
#include "tests/support.hpp"

namespace cluster_test {

namespace {

using l2o::Json;
using l2o::testing::run_command;
namespace fs = std::filesystem;

const std::string binary = L2OBENCH_BINARY;

// Three learned models: l2o-dm on two problems and rnnprop on one; the hybrid uses l2o-dm's
// model on the quadratic (a hybrid is trained as its learned part). Six cells.
Json three_model_suite() {
  const Json train = {{"epochs", 2}, {"batch", 8}, {"steps", 10}, {"unroll", 5}};
  return {
      {"name", "cluster"},
      {"steps", 10},
      {"test_instances", 8},
      {"problems", {{{"family", "quadratic"}, {"dim", 10}}, {{"family", "rastrigin"}, {"dim", 2}}}},
      {"optimizers",
       {{{"name", "gd"}},
        {{"name", "l2o-dm"}, {"train", train}},
        {{"name", "rnnprop"}, {"families", {"quadratic"}}, {"train", train}},
        {{"name", "hybrid"},
         {"families", {"quadratic"}},
         {"learned", "l2o-dm"},
         {"switch_at", 5},
         {"train", train}}}}};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> files_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// One line, "l2obench: error: ..." naming `expected`, and exit status 2.
void expect_usage_error(const std::string& arguments, const std::string& expected) {
  const auto r = run_command(binary + " " + arguments);
  BOOST_TEST_CONTEXT("l2obench " << arguments) {
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(std::count(r.output.begin(), r.output.end(), '\n') == 1, "output: " << r.output);
    BOOST_TEST(r.output.starts_with("l2obench: error: "), "output: " << r.output);
    BOOST_TEST(contains(r.output, expected), "output: " << r.output);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_AUTO_TEST_CASE(a_file_lock_excludes_other_holders_threads_included_until_released) {
  l2o::testing::TempDir dir;
  const fs::path name = dir / "model.lock";
  {
    l2o::FileLock held(name);
    BOOST_TEST(fs::exists(name));
    BOOST_TEST(!l2o::FileLock::try_lock(name).has_value());  // this process, another holder
    bool other_thread_got_it = true;
    std::thread([&] { other_thread_got_it = l2o::FileLock::try_lock(name).has_value(); }).join();
    BOOST_TEST(!other_thread_got_it);
    // Another process cannot take it either (flock(1) from util-linux, non-blocking).
    const auto other = run_command("flock -n " + name.string() + " true");
    BOOST_TEST(other.exit_code != 0, other.output);
  }
  BOOST_TEST(!fs::exists(name));  // removed as it was released
  BOOST_TEST(l2o::FileLock::try_lock(name).has_value());
  // A waiter blocks until the holder lets go, then holds it.
  std::optional<l2o::FileLock> first(std::in_place, name);
  bool waiter_done = false;
  std::thread waiter([&] {
    l2o::FileLock second(name);
    waiter_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  BOOST_TEST(!waiter_done);
  first.reset();
  waiter.join();
  BOOST_TEST(waiter_done);
}

// Two threads of one run need the same model: one trains it, the other waits and loads it.
BOOST_AUTO_TEST_CASE(two_threads_needing_one_model_train_it_once) {
  l2o::testing::TempDir dir;
  const auto suite = l2o::harness::parse_suite_json(three_model_suite(), "s.json");
  l2o::harness::TrainingCache cache(dir / "cache", suite, {c10::kCPU, at::kFloat}, false);
  const auto& o = suite.optimizers[1];
  const auto& p = suite.problems[0];
  const l2o::harness::TrainedModel *a = nullptr, *b = nullptr;
  std::thread first([&] { a = &cache.get(o, p); });
  std::thread second([&] { b = &cache.get(o, p); });
  first.join();
  second.join();
  BOOST_TEST(a == b);  // one entry of the in-memory map
  // The other entry of that key (the hybrid) loads what the first trained.
  const auto& hybrid = cache.get(suite.optimizers[3], p);
  BOOST_TEST(hybrid.loaded);
  BOOST_TEST(hybrid.checkpoint == a->checkpoint);
  BOOST_TEST(files_in(dir / "cache") ==
             std::vector<std::string>{a->checkpoint.filename().string()});
}

// Two `l2obench train` processes on one key at once: one trains, the other waits for its lock and
// loads the checkpoint; the cache ends with the one complete checkpoint and nothing else.
BOOST_AUTO_TEST_CASE(two_processes_training_one_key_train_it_once) {
  l2o::testing::TempDir dir;
  Json s = three_model_suite();
  // Long enough (seconds) that the two processes overlap.
  s["optimizers"][1]["train"] = {{"epochs", 150}, {"batch", 32}, {"steps", 20}, {"unroll", 10}};
  std::ofstream(dir / "suite.json") << s.dump();
  const std::string train = binary + " train " + (dir / "suite.json").string() +
                            " --model 0 --threads 1 --cache " + (dir / "cache").string();
  l2o::testing::CommandResult first, second;
  std::thread a([&] { first = run_command(train); });
  std::thread b([&] { second = run_command(train); });
  a.join();
  b.join();
  BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  BOOST_REQUIRE_MESSAGE(second.exit_code == 0, second.output);
  const bool first_trained = contains(first.output, "l2obench: training ");
  const bool second_trained = contains(second.output, "l2obench: training ");
  BOOST_TEST(first_trained != second_trained, "first:\n"
                                                  << first.output << "second:\n"
                                                  << second.output);
  const std::string checkpoint_line = lines_of(first_trained ? first.output : second.output).back();
  BOOST_TEST(lines_of(first_trained ? second.output : first.output).back() == checkpoint_line);
  const auto files = files_in(dir / "cache");
  BOOST_REQUIRE(files.size() == 1u);
  BOOST_TEST(checkpoint_line.ends_with("/" + files[0]), checkpoint_line);
  const fs::path checkpoint = dir / "cache" / files[0];
  BOOST_TEST(l2o::read_json_file(checkpoint)["result"]["epochs"] == 150);
  // Complete: its digest matches its weights.
  BOOST_TEST(run_command(binary + " export-weights " + checkpoint.string() + " --out " +
                         (dir / "weights.json").string())
                 .exit_code == 0);
}

// A training killed part-way (a Slurm task preempted or requeued) leaves its lock free and its
// resume file; started again, it continues from there and ends with the checkpoint alone.
BOOST_AUTO_TEST_CASE(a_killed_training_frees_its_lock_and_resumes) {
  l2o::testing::TempDir dir;
  Json s = three_model_suite();
  s["optimizers"][1]["train"] = {
      {"epochs", 400}, {"batch", 32}, {"steps", 20}, {"unroll", 10}, {"validate_every", 5}};
  std::ofstream(dir / "suite.json") << s.dump();
  const std::string train = binary + " train " + (dir / "suite.json").string() +
                            " --model 0 --threads 1 --cache " + (dir / "cache").string();
  // Killed once its first resume file is there.
  const auto killed = run_command(
      "( " + train + " & pid=$!; for i in $(seq 600); do " + "ls " + (dir / "cache").string() +
      "/*.resume >/dev/null 2>&1 && break; sleep 0.05; done; kill -9 $pid; wait $pid )");
  BOOST_TEST(killed.exit_code == 137, killed.output);
  BOOST_REQUIRE(fs::exists(dir / "cache"));
  const auto left = files_in(dir / "cache");
  BOOST_TEST(
      std::ranges::any_of(left, [](const std::string& f) { return f.ends_with(".resume"); }));
  const auto again = run_command(train);
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.output);
  BOOST_TEST(contains(again.output, "l2obench: resuming "), again.output);
  const auto files = files_in(dir / "cache");
  BOOST_REQUIRE(files.size() == 1u);
  BOOST_TEST(files[0].ends_with(".json"));
}

BOOST_AUTO_TEST_CASE(train_lists_the_suites_models_and_trains_one_by_index_or_key) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << three_model_suite().dump();
  const std::string suite = (dir / "suite.json").string(), cache = (dir / "cache").string();
  const auto list = run_command(binary + " train " + suite + " --list --cache " + cache);
  BOOST_REQUIRE_MESSAGE(list.exit_code == 0, list.output);
  const auto models = lines_of(list.output);
  BOOST_REQUIRE(models.size() == 3u);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < models.size(); ++i) {
    BOOST_TEST(models[i].starts_with(std::to_string(i) + "\t"), models[i]);
    keys.push_back(models[i].substr(2, models[i].find('\t', 2) - 2));
  }
  BOOST_TEST(keys[0].starts_with("l2o-dm-"));
  BOOST_TEST(keys[1].starts_with("rnnprop-"));
  BOOST_TEST(keys[2].starts_with("l2o-dm-"));
  BOOST_TEST(models[0].ends_with("\tl2o-dm on quadratic-n10, hybrid on quadratic-n10"), models[0]);
  BOOST_TEST(models[2].ends_with("\tl2o-dm on rastrigin-n2"), models[2]);
  BOOST_TEST(!fs::exists(cache));  // listing trains nothing

  const auto by_key =
      run_command(binary + " train " + suite + " --quiet --model " + keys[1] + " --cache " + cache);
  BOOST_REQUIRE_MESSAGE(by_key.exit_code == 0, by_key.output);
  BOOST_TEST(by_key.output == "rnnprop quadratic-n10 " + cache + "/" + keys[1] + ".json\n");
  const auto by_index =
      run_command(binary + " train " + suite + " --quiet --model 1 --cache " + cache);
  BOOST_TEST(by_index.output == by_key.output);
  BOOST_TEST(files_in(cache) == std::vector<std::string>{keys[1] + ".json"});

  expect_usage_error("train " + suite + " --model 3",
                     "--model 3: the suite has 3 learned models (indices 0 to 2)");
  expect_usage_error("train " + suite + " --model l2o-dm-0",
                     "--model \"l2o-dm-0\": no learned model of the suite has this key");
  expect_usage_error("train " + suite + " --model 0 --optimizer l2o-dm",
                     "--optimizer excludes --model");
  expect_usage_error("train " + suite + " --list --problem x", "--problem excludes --list");
}

// Scripts for 3 models and 5 shards: 3 train tasks, 5 cell tasks, the merge; submitted train,
// then cells after train (afterok), then merge after cells; site options in every script. Then
// every task run by bash as Slurm would: the report of all cells, each model trained once.
BOOST_AUTO_TEST_CASE(slurm_scripts_run_three_stages_in_order) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << three_model_suite().dump();
  const fs::path out = dir / "out", cache = dir / "cache", calls = dir / "sbatch-calls";
  // A stand-in sbatch: records its arguments, answers job ids 101, 102, ... as --parsable does.
  fs::create_directories(dir / "bin");
  std::ofstream(dir / "bin" / "sbatch")
      << "#!/bin/sh\necho \"$*\" >> " << calls.string() << "\n"
      << "n=$(wc -l < " << calls.string() << ")\necho \"$((100 + n));cluster\"\n";
  fs::permissions(dir / "bin" / "sbatch", fs::perms::owner_all);
  const auto r = run_command(
      "PATH=" + (dir / "bin").string() + ":$PATH " + binary + " slurm " +
      (dir / "suite.json").string() + " --out " + out.string() + " --cache " + cache.string() +
      " --shards 5 --cpus 2 --time 30 --train-time 1-00:00 --partition short --account lab1 "
      "--qos normal --sbatch-option=--constraint=avx2 --prologue 'export SITE_READY=1' "
      "--no-figures --submit");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  BOOST_TEST(contains(r.output, "train 101\ncells 102\nmerge 103\n"), r.output);
  BOOST_TEST(lines_of(l2o::read_file(calls)) ==
                 (std::vector<std::string>{"--parsable train.sbatch",
                                           "--parsable --dependency=afterok:101 cells.sbatch",
                                           "--parsable --dependency=afterok:102 merge.sbatch"}),
             l2o::read_file(calls));

  const fs::path slurm = out / "slurm";
  const std::string train = l2o::read_file(slurm / "train.sbatch");
  const std::string cells = l2o::read_file(slurm / "cells.sbatch");
  const std::string merge = l2o::read_file(slurm / "merge.sbatch");
  BOOST_TEST(contains(train, "\n#SBATCH --array=0-2\n"), train);
  BOOST_TEST(contains(train, "\n#SBATCH --time=1-00:00\n"), train);
  BOOST_TEST(contains(cells, "\n#SBATCH --array=0-4\n"), cells);
  BOOST_TEST(contains(cells, "\n#SBATCH --time=30\n"), cells);
  BOOST_TEST(contains(cells, "--shard \"$SLURM_ARRAY_TASK_ID/5\""), cells);
  BOOST_TEST(!contains(merge, "--array"), merge);
  for (const std::string* script : {&train, &cells, &merge}) {
    BOOST_TEST(contains(*script,
                        "\n#SBATCH --partition=short\n#SBATCH --account=lab1\n"
                        "#SBATCH --qos=normal\n"),
               *script);
    BOOST_TEST(contains(*script, "\n#SBATCH --requeue\n"), *script);
    BOOST_TEST(contains(*script, "\n#SBATCH --constraint=avx2\n"), *script);
    BOOST_TEST(contains(*script, "\nexport SITE_READY=1\n"), *script);
  }
  BOOST_TEST(contains(cells, "\n#SBATCH --cpus-per-task=2\n"), cells);
  BOOST_TEST(contains(cells, " --threads 2 "), cells);
  const auto list = run_command(binary + " train " + (dir / "suite.json").string() + " --list");
  for (const std::string& model : lines_of(list.output)) {
    const std::string key = model.substr(2, model.find('\t', 2) - 2);
    BOOST_TEST(contains(train, key), key);
  }

  // The tasks as Slurm would run them, stage by stage.
  auto task = [&](const std::string& script, int id) {
    std::string command = "SLURM_ARRAY_TASK_ID=";
    command += std::to_string(id) + " bash " + (slurm / script).string();
    return run_command(command);
  };
  for (int id = 0; id < 3; ++id) BOOST_TEST_REQUIRE(task("train.sbatch", id).exit_code == 0);
  BOOST_TEST(files_in(cache).size() == 3u);
  for (int id = 0; id < 5; ++id) BOOST_TEST_REQUIRE(task("cells.sbatch", id).exit_code == 0);
  BOOST_TEST(!fs::exists(out / "report.json"));
  const auto merged = run_command("bash " + (slurm / "merge.sbatch").string());
  BOOST_REQUIRE_MESSAGE(merged.exit_code == 0, merged.output);
  const Json report = l2o::read_json_file(out / "report.json");
  BOOST_TEST(report["complete"] == true);
  BOOST_TEST(report["cells"].size() == 6u);
  int learned_cells = 0;
  for (const Json& cell : report["cells"])
    if (cell.contains("train")) {
      ++learned_cells;
      BOOST_TEST(cell["train"]["loaded_from_cache"] == true);  // trained by the train stage
    }
  BOOST_TEST(learned_cells == 4);
  BOOST_TEST(contains(l2o::read_file(out / "report.txt"), "quadratic-n10"));
}

// On a cluster the train tasks take the shipped models `--models` names (wherever the jobs
// start), so nothing is trained; `--models none` reaches every task, so all of it is.
BOOST_AUTO_TEST_CASE(slurm_tasks_take_the_shipped_models_that_models_names) {
  l2o::testing::TempDir dir;
  const std::string suite = (dir / "suite.json").string();
  std::ofstream(suite) << three_model_suite().dump();
  const fs::path shipped = dir / "shipped", cache = dir / "cluster-cache";
  const auto trained = run_command(binary + " train " + suite + " --cache " +
                                   (dir / "trained").string() + " --models none --quiet");
  BOOST_REQUIRE_MESSAGE(trained.exit_code == 0, trained.output);
  const auto ship = run_command(binary + " ship " + suite + " --cache " +
                                (dir / "trained").string() + " --models " + shipped.string());
  BOOST_REQUIRE_MESSAGE(ship.exit_code == 0, ship.output);
  BOOST_REQUIRE(files_in(shipped).size() == 3u);

  const auto written = run_command(binary + " slurm " + suite + " --out " + (dir / "out").string() +
                                   " --cache " + cache.string() + " --models " + shipped.string());
  BOOST_REQUIRE_MESSAGE(written.exit_code == 0, written.output);
  const fs::path slurm = dir / "out" / "slurm";
  for (int id = 0; id < 3; ++id) {
    const auto task = run_command("SLURM_ARRAY_TASK_ID=" + std::to_string(id) + " bash " +
                                  (slurm / "train.sbatch").string());
    BOOST_TEST_REQUIRE(task.exit_code == 0, task.output);
  }
  const bool nothing_trained = !fs::exists(cache) || files_in(cache).empty();
  BOOST_TEST(nothing_trained);

  const auto none = run_command(binary + " slurm " + suite + " --out " + (dir / "out").string() +
                                " --cache " + cache.string() + " --models none");
  BOOST_REQUIRE_MESSAGE(none.exit_code == 0, none.output);
  const auto task = run_command("SLURM_ARRAY_TASK_ID=0 bash " + (slurm / "train.sbatch").string());
  BOOST_TEST_REQUIRE(task.exit_code == 0, task.output);
  BOOST_TEST(files_in(cache).size() >= 1u);  // trained, although shipped models exist
}

// A driver such as scripts/reproduce gives one --shards to suites of any size: a suite with fewer
// cells gets one shard per cell, and says so.
BOOST_AUTO_TEST_CASE(slurm_gives_a_small_suite_one_shard_per_cell) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << three_model_suite().dump();
  const auto r = run_command(binary + " slurm " + (dir / "suite.json").string() + " --out " +
                             (dir / "out").string() + " --shards 7");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  BOOST_TEST(contains(r.output, "--shards 7: the suite has 6 cells, so 6 shards"), r.output);
  const std::string cells = l2o::read_file(dir / "out" / "slurm" / "cells.sbatch");
  BOOST_TEST(contains(cells, "\n#SBATCH --array=0-5\n"), cells);
  BOOST_TEST(contains(cells, "--shard \"$SLURM_ARRAY_TASK_ID/6\""), cells);
}

BOOST_AUTO_TEST_CASE(slurm_refuses_bad_options_with_one_clear_error) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << three_model_suite().dump();
  const std::string slurm =
      "slurm " + (dir / "suite.json").string() + " --out " + (dir / "out").string() + " ";
  expect_usage_error(slurm + "--time 5h", "--time: expected a Slurm time limit");
  expect_usage_error(slurm + "--train-time 1:2:3:4", "--train-time: expected a Slurm time limit");
  expect_usage_error(slurm + "--shards 0", "--shards: must be a whole number >= 1");
  expect_usage_error(slurm + "--cpus 0", "--cpus: must be a whole number >= 1");
  expect_usage_error(slurm + "--partition 'a b'", "--partition: expected letters, digits");
  expect_usage_error(slurm + "--account 'x;y'", "--account: expected letters, digits");
  expect_usage_error(slurm + "--sbatch-option constraint=avx2",
                     "--sbatch-option: expected one sbatch option");
  expect_usage_error(slurm + "--prologue ''", "--prologue: expected one non-empty shell line");
  expect_usage_error(slurm + "--train-profile huge",
                     "--train-profile: expected one of: quick, paper, got \"huge\"");
  expect_usage_error("slurm " + (dir / "suite.json").string(), "--out is required");
  expect_usage_error(
      "slurm " + (dir / "suite.json").string() + " --out '" + (dir / "with space").string() + "'",
      "Slurm's #SBATCH lines cannot hold a path with spaces");
  Json no_cells = three_model_suite();
  no_cells["optimizers"] = Json::array({{{"name", "gd"}, {"families", {"lasso"}}}});
  std::ofstream(dir / "no-cells.json") << no_cells.dump();
  expect_usage_error(
      "slurm " + (dir / "no-cells.json").string() + " --out " + (dir / "out").string(),
      "the suite has no cells");
  BOOST_TEST(!fs::exists(dir / "out"));
  // --submit without sbatch: the scripts are written, the error says what failed.
  const auto no_sbatch = run_command("PATH=/nonexistent " + binary + " " + slurm + "--submit");
  BOOST_TEST(no_sbatch.exit_code == 2);
  BOOST_TEST(contains(no_sbatch.output, "submitting failed"), no_sbatch.output);
  BOOST_TEST(fs::exists(dir / "out" / "slurm" / "cells.sbatch"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace cluster_test
