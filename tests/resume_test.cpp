// Resumable training: resume files round-trip exactly, files of another training, build or
// format are ignored, and a training killed (SIGKILL) at random epochs and started again ends
// with the checkpoint an uninterrupted training writes, bit for bit.
#include <fstream>
#include <random>

#include <ATen/ATen.h>
#include <torch/optim/adam.h>
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "harness/context.hpp"
#include "learned/resume.hpp"
#include "tests/support.hpp"

namespace resume_test {

namespace {

using l2o::Json;
using l2o::Tensor;
using l2o::testing::run_command;
namespace fs = std::filesystem;
namespace learned = l2o::learned;

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() &&
         std::memcmp(a.data_ptr(), b.data_ptr(), a.numel() * a.element_size()) == 0;
}

// A suite that trains L2O-DM on a 5-dimensional quadratic for `epochs` small epochs.
Json l2o_dm_on_a_quadratic(int epochs) {
  return {
      {"name", "resume"},
      {"steps", 20},
      {"test_instances", 8},
      {"problems", {{{"family", "quadratic"}, {"dim", 5}}}},
      {"optimizers",
       {{{"name", "l2o-dm"},
         {"train", {{"epochs", epochs}, {"batch", 16}, {"steps", 20}, {"validate_every", 3}}}}}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(resume)

BOOST_AUTO_TEST_CASE(a_resume_file_round_trips_exactly_and_only_for_its_identity) {
  l2o::testing::TempDir dir;
  learned::ResumePolicy policy{.file = dir / "a.resume", .identity = {{"key", 1}}};
  BOOST_TEST(!learned::read_resume_file(policy).has_value());  // none yet

  Tensor p = at::randn({3, 4}, at::kFloat).requires_grad_(true);
  torch::optim::Adam adam({p}, torch::optim::AdamOptions(0.1));
  for (int k = 0; k < 3; ++k) {
    adam.zero_grad();
    (p * p).sum().backward();
    adam.step();
  }
  learned::TrainingState state;
  state.epoch = 7;
  state.record = {{"curve", {1.5, -0.0}}};
  state.add("w", p);
  state.add("d", at::randn({2}, at::kDouble));
  learned::save_adam_state(adam, {p}, "adam", state);
  learned::write_resume_file(policy, state);

  auto back = learned::read_resume_file(policy);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->epoch == 7);
  BOOST_TEST(back->record.dump() == state.record.dump());
  BOOST_REQUIRE(back->tensors.size() == state.tensors.size());
  for (std::size_t i = 0; i < state.tensors.size(); ++i) {
    BOOST_TEST(back->tensors[i].first == state.tensors[i].first);
    BOOST_TEST(same_bits(back->tensors[i].second, state.tensors[i].second));
  }
  // Adam restored into a fresh optimizer takes the same next step as the original.
  Tensor q = p.detach().clone().requires_grad_(true);
  torch::optim::Adam restored({q}, torch::optim::AdamOptions(0.1));
  learned::load_adam_state(restored, {q}, "adam", *back);
  for (auto [param, optimizer] : {std::pair{p, &adam}, std::pair{q, &restored}}) {
    optimizer->zero_grad();
    (param * param).sum().backward();
    optimizer->step();
  }
  BOOST_TEST(same_bits(p.detach(), q.detach()));

  // Another identity, another format, or garbage: ignored (with a warning), never used.
  BOOST_TEST(!learned::read_resume_file({.file = policy.file, .identity = {{"key", 2}}}));
  std::string text = l2o::read_file(policy.file);
  const auto version = text.find("\"format_version\":1");
  BOOST_REQUIRE(version != std::string::npos);
  text[version + 17] = '9';
  l2o::write_file_atomically(policy.file, text);
  BOOST_TEST(!learned::read_resume_file(policy).has_value());
  l2o::write_file_atomically(policy.file, "l2obench-resume\n12\n{not json");
  BOOST_TEST(!learned::read_resume_file(policy).has_value());
}

// Runs `command` in the background and kills it with SIGKILL `delay` seconds after the shell
// test `until` holds, or lets it be once it has ended; the output ends with "status=N" (137:
// killed).
l2o::testing::CommandResult run_killed_once(const std::string& command, const std::string& until,
                                            double delay = 0) {
  return run_command("(" + command + " & pid=$!; until " + until +
                     " || ! kill -0 $pid 2>/dev/null; do sleep 0.01; done; sleep " +
                     std::to_string(delay) +
                     "; kill -9 $pid 2>/dev/null; wait $pid; echo status=$?)");
}

// The shell test "the cache holds a resume file": the training has saved an epoch.
std::string has_resume_file(const fs::path& cache) {
  return "[ -n \"$(ls " + cache.string() + "/*.resume 2>/dev/null)\" ]";
}

// `l2obench train` on a tiny learned optimizer, killed with SIGKILL at random moments after it
// wrote a resume file, several times; then run to the end. Its checkpoint must equal that of an
// uninterrupted training: weights (as exact JSON text) and training record (but the seconds).
void check_killed_training_ends_bit_identical(const Json& optimizer) {
  l2o::testing::TempDir dir;
  const Json suite = {{"name", "resume"},
                      {"steps", 20},
                      {"test_instances", 8},
                      {"problems", {{{"family", "quadratic"}, {"dim", 5}}}},
                      {"optimizers", {optimizer}}};
  std::ofstream(dir / "suite.json") << suite.dump();
  const std::string train = std::string(L2OBENCH_BINARY) + " train " +
                            (dir / "suite.json").string() + " --threads 1 --quiet --cache ";

  const fs::path killed = dir / "killed";
  std::mt19937 random(std::random_device{}());
  int resumed = 0;
  for (int kill = 0; kill < 4; ++kill) {
    const double delay = std::uniform_real_distribution<double>(0.0, 0.4)(random);
    // Wait until the training has saved an epoch (first run) or resumed from one (later runs),
    // then kill -9 at a random later moment.
    const std::string started =
        kill == 0 ? has_resume_file(killed) : "grep -q resuming " + (dir / "log").string();
    auto r = run_killed_once(train + killed.string() + " > " + (dir / "log").string() + " 2>&1",
                             started, delay);
    const std::string log = l2o::read_file(dir / "log");
    BOOST_TEST_MESSAGE("kill " << kill << " after " << delay << " s: " << r.output << log);
    resumed += log.find("resuming") != std::string::npos;
    if (r.output.find("status=137") == std::string::npos) break;  // it finished first
  }
  BOOST_TEST(resumed >= 2, "too few kills landed in the training; make it longer");
  auto last = run_command(train + killed.string());
  BOOST_REQUIRE_MESSAGE(last.exit_code == 0, last.output);
  auto clean = run_command(train + (dir / "clean").string());
  BOOST_REQUIRE_MESSAGE(clean.exit_code == 0, clean.output);

  auto checkpoint = [](const fs::path& cache) {
    for (const auto& entry : fs::directory_iterator(cache)) {
      BOOST_TEST(entry.path().extension() != ".resume");  // removed once the training ended
      if (entry.path().extension() == ".json") return l2o::read_json_file(entry.path());
    }
    BOOST_FAIL("no checkpoint in " << cache);
    return Json();
  };
  Json a = checkpoint(killed), b = checkpoint(dir / "clean");
  BOOST_TEST(a["weights"].dump() == b["weights"].dump());
  // The CPU seconds of the killed runs add up; they stay below the wall clock's.
  BOOST_TEST(a["result"]["cpu_seconds"].get<double>() > 0);
  BOOST_TEST(a["result"]["cpu_seconds"].get<double>() <= a["result"]["seconds"].get<double>());
  for (Json* c : {&a, &b})
    for (const char* clock : {"seconds", "cpu_seconds"}) (*c)["result"].erase(clock);
  BOOST_TEST(a["result"].dump() == b["result"].dump());
}

BOOST_AUTO_TEST_CASE(a_killed_meta_training_ends_bit_identical) {
  check_killed_training_ends_bit_identical(
      {{"name", "l2o-dm"},
       {"train", {{"epochs", 150}, {"batch", 16}, {"steps", 20}, {"validate_every", 3}}}});
}

BOOST_AUTO_TEST_CASE(a_killed_diffusion_training_ends_bit_identical) {
  check_killed_training_ends_bit_identical(
      {{"name", "diff-l2o"},
       {"diffusion_steps", 10},
       {"solver_steps", 20},
       {"train", {{"epochs", 150}, {"batch", 16}, {"validate_every", 3}}}});
}

// A training that outlasts its machine: scripts/training-state saves the killed training's cache
// to a folder, a new (empty) cache is restored from it, and the training continues there and ends
// with the uninterrupted training's weights. Saving after the end drops the stale resume file.
BOOST_AUTO_TEST_CASE(a_training_carried_to_a_new_cache_by_training_state_resumes_there) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << l2o_dm_on_a_quadratic(150).dump();
  const std::string train = std::string(L2OBENCH_BINARY) + " train " +
                            (dir / "suite.json").string() + " --threads 1 --cache ";
  const std::string script = std::string(L2O_SOURCE_DIR) + "/scripts/training-state ";
  const fs::path old_cache = dir / "old", new_cache = dir / "new", state = dir / "state";

  run_killed_once(train + old_cache.string() + " > /dev/null 2>&1", has_resume_file(old_cache));
  auto saved = run_command(script + "save " + old_cache.string() + " " + state.string());
  BOOST_REQUIRE_MESSAGE(saved.exit_code == 0, saved.output);
  auto restored = run_command(script + "restore " + new_cache.string() + " " + state.string());
  BOOST_REQUIRE_MESSAGE(restored.exit_code == 0, restored.output);
  auto resumed = run_command(train + new_cache.string());
  BOOST_REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  BOOST_TEST(resumed.output.find("resuming") != std::string::npos, resumed.output);
  auto clean = run_command(train + (dir / "clean").string() + " --quiet");
  BOOST_REQUIRE_MESSAGE(clean.exit_code == 0, clean.output);

  auto files = [](const fs::path& folder, const std::string& extension) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(folder))
      if (entry.path().extension() == extension) found.push_back(entry.path());
    return found;
  };
  const auto a = files(new_cache, ".json"), b = files(dir / "clean", ".json");
  BOOST_REQUIRE(a.size() == 1);
  BOOST_REQUIRE(b.size() == 1);
  BOOST_TEST(l2o::read_json_file(a[0])["weights"].dump() ==
             l2o::read_json_file(b[0])["weights"].dump());

  BOOST_TEST(files(state, ".resume").size() == 1);
  saved = run_command(script + "save " + new_cache.string() + " " + state.string());
  BOOST_REQUIRE_MESSAGE(saved.exit_code == 0, saved.output);
  BOOST_TEST(files(state, ".resume").empty());
  BOOST_TEST(files(state, ".json").size() == 1);

  auto bad = run_command(script + "keep " + new_cache.string());
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.output.find("allowed: save, restore") != std::string::npos, bad.output);
  bad = run_command(script + "save " + (dir / "missing").string() + " " + state.string());
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.output.find("no cache folder") != std::string::npos, bad.output);
  bad = run_command(script + "restore " + new_cache.string() + " " + (dir / "missing").string());
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.output.find("no state folder") != std::string::npos, bad.output);
}

// The harness ties a resume file to the arithmetic that wrote it, not to the commit: its
// identity names the thread count and BLAS kernel, and one written with other threads is ignored
// (with a warning) by the next run.
BOOST_AUTO_TEST_CASE(a_resume_file_of_other_threads_is_ignored_and_commits_do_not_matter) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << l2o_dm_on_a_quadratic(100000).dump();
  const std::string train = std::string(L2OBENCH_BINARY) + " train " +
                            (dir / "suite.json").string() + " --threads 1 --cache " +
                            (dir / "cache").string() + " > " + (dir / "log").string() + " 2>&1";
  const std::string log_file = (dir / "log").string();
  run_killed_once(train, has_resume_file(dir / "cache"));
  fs::path file;
  for (const auto& entry : fs::directory_iterator(dir / "cache"))
    if (entry.path().extension() == ".resume") file = entry.path();
  BOOST_REQUIRE(!file.empty());

  // Its header: the magic line, the header's length, the JSON header, the tensors.
  const std::string content = l2o::read_file(file);
  const std::size_t first = content.find('\n'), second = content.find('\n', first + 1);
  const std::size_t length = std::stoull(content.substr(first + 1, second - first - 1));
  Json header = Json::parse(content.substr(second + 1, length));
  const Json& identity = header.at("identity");
  BOOST_TEST(identity.at("threads") == 1);
  BOOST_TEST(identity.at("blas_kernel").get<std::string>() == l2o::harness::blas_kernel());
  BOOST_TEST(!identity.contains("git_commit"));

  header["identity"]["threads"] = 2;
  const std::string edited = header.dump();
  l2o::write_file_atomically(file, content.substr(0, first + 1) + std::to_string(edited.size()) +
                                       "\n" + edited + content.substr(second + 1 + length));
  run_killed_once(train, "grep -q 'ignored\\|resuming' " + log_file);
  const std::string log = l2o::read_file(dir / "log");
  BOOST_TEST(log.find("it is ignored and training starts over") != std::string::npos, log);
  BOOST_TEST(log.find("resuming") == std::string::npos, log);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace resume_test
