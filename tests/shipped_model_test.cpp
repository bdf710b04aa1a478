// Shipped models: the safetensors layout, a model shipped from the cache and loaded in its place
// (the same numbers, no training), damaged or misnamed files refused, Python reading them.
#include <filesystem>
#include <fstream>
#include <string>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/digest.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "core/safetensors.hpp"
#include "harness/suite.hpp"
#include "harness/suite_models.hpp"
#include "harness/training_cache.hpp"
#include "learned/shipped_model.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace shipped_model_test {

namespace {

namespace fs = std::filesystem;
using l2o::Json;
using l2o::Tensor;

const l2o::Placement float32{c10::kCPU, at::kFloat};

// `what` throws an InputError whose message names `file` and contains `words`.
template <class F>
void expect_input_error(F&& what, const fs::path& file, const std::string& words) {
  try {
    what();
    BOOST_ERROR("no error; expected one containing \"" + words + "\"");
  } catch (const l2o::InputError& e) {
    const std::string message = e.what();
    BOOST_TEST_INFO(message);
    BOOST_TEST(message.find(file.string()) != std::string::npos);
    BOOST_TEST(message.find(words) != std::string::npos);
  }
}

std::string bytes_of(const fs::path& path) {
  return l2o::read_file(path);
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

l2o::harness::Suite tiny_suite() {
  return l2o::harness::parse_suite_json(
      {{"name", "shipped"},
       {"steps", 20},
       {"test_instances", 8},
       {"problems", {{{"family", "quadratic"}, {"dim", 10}}}},
       {"optimizers",
        {{{"name", "l2o-dm"},
          {"train", {{"epochs", 3}, {"batch", 8}, {"steps", 20}, {"unroll", 10}}}}}}},
      "shipped.json");
}

// The tiny suite's one model, trained into dir/cache.
struct TrainedTinyModel {
  l2o::testing::TempDir dir;
  l2o::harness::Suite suite = tiny_suite();
  const l2o::harness::OptimizerSpec& o = suite.optimizers[0];
  const l2o::harness::ProblemSpec& p = suite.problems[0];
  l2o::harness::TrainingCache cache{dir / "cache", suite, float32, false};
};

Tensor rollout(const l2o::learned::LearnedOptimizer& m, int steps) {
  const auto& family = l2o::problems::find_family("quadratic", "test");
  auto f = family.sample(family.canonical({{"dim", 10}}, "test"), {8, 1, float32});
  c10::InferenceMode guard;
  auto r = m.start(*f, f->initial_points(3));
  Tensor x;
  for (int k = 0; k < steps; ++k) x = r->step();
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shipped_models)

BOOST_AUTO_TEST_CASE(safetensors_round_trip_every_value_dtype_and_the_metadata) {
  l2o::testing::TempDir dir;
  l2o::Safetensors written;
  written.tensors = {{"b", at::randn({3, 5}, at::kFloat)},
                     {"a", at::randn({7}, at::kDouble)},
                     {"scalar", at::randn({}, at::kFloat)},
                     {"empty", at::empty({0, 4}, at::kFloat)}};
  written.metadata = {{"format", "test"}, {"json", "{\"x\": [1, 2]}"}};
  l2o::write_safetensors(dir / "t.safetensors", written);
  const std::string bytes = bytes_of(dir / "t.safetensors");
  BOOST_TEST((bytes.size() - 8) % 8 == (3 * 5 * 4 + 7 * 8 + 4) % 8);  // data starts 8-aligned

  const l2o::Safetensors read = l2o::read_safetensors(dir / "t.safetensors");
  BOOST_TEST(read.metadata == written.metadata);
  BOOST_REQUIRE(read.tensors.size() == written.tensors.size());
  for (std::size_t i = 0; i < read.tensors.size(); ++i) {  // file order is write order
    BOOST_TEST(read.tensors[i].first == written.tensors[i].first);
    BOOST_TEST(read.tensors[i].second.scalar_type() == written.tensors[i].second.scalar_type());
    BOOST_TEST(at::equal(read.tensors[i].second, written.tensors[i].second));
  }
}

BOOST_AUTO_TEST_CASE(a_file_not_in_the_layout_is_one_error_naming_it) {
  l2o::testing::TempDir dir;
  l2o::write_safetensors(dir / "good.safetensors",
                         {{{"w", at::ones({4}, at::kFloat)}}, {{"format", "test"}}});
  const std::string good = bytes_of(dir / "good.safetensors");
  const fs::path bad = dir / "bad.safetensors";
  auto read = [&] { l2o::read_safetensors(bad); };

  write_bytes(bad, good.substr(0, 5));
  expect_input_error(read, bad, "too short");
  write_bytes(bad, good.substr(0, good.size() - 1));  // a tensor cut short
  expect_input_error(read, bad, "data_offsets");
  write_bytes(bad, good + "xxxx");  // bytes nobody owns
  expect_input_error(read, bad, "after the last tensor");
  std::string long_header = good;
  long_header[0] = '\x7f';
  long_header[3] = '\x7f';
  write_bytes(bad, long_header);
  expect_input_error(read, bad, "runs past the end");

  auto with_header = [&](const Json& header) {
    std::string text = header.dump();
    const std::uint64_t length = text.size();
    std::string file(8, '\0');
    std::memcpy(file.data(), &length, 8);
    write_bytes(bad, file + text + std::string(16, '\0'));
  };
  with_header({{"w", {{"dtype", "I64"}, {"shape", {2}}, {"data_offsets", {0, 16}}}}});
  expect_input_error(read, bad, "\"F32\", \"F64\"");
  with_header({{"w", {{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 16}}}}});
  expect_input_error(read, bad, "needs 12 bytes");
  with_header({{"w", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {8, 16}}}},
               {"v", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4}}}}});
  expect_input_error(read, bad, "without gaps or overlaps");
  with_header({{"__metadata__", {{"n", 1}}}});
  expect_input_error(read, bad, "must be a string");
  write_bytes(bad, std::string("\x04\0\0\0\0\0\0\0{no}", 12));
  expect_input_error(read, bad, "not JSON");
}

BOOST_FIXTURE_TEST_CASE(a_shipped_model_replaces_training_with_the_same_numbers, TrainedTinyModel) {
  const auto& trained = cache.get(o, p);
  BOOST_REQUIRE(!trained.loaded);
  const l2o::harness::ShippedModels shipped =
      l2o::harness::ship_models(suite, cache, dir / "models", float32);
  BOOST_REQUIRE(shipped.written.size() == 1);
  BOOST_TEST(shipped.missing.empty());
  BOOST_TEST(shipped.written[0].filename().string() ==
             fs::path(trained.checkpoint).stem().string() + ".safetensors");

  // An empty cache with the shipped folder loads the model: nothing trained, nothing written.
  l2o::harness::TrainingCache fresh(dir / "empty-cache", suite, float32, false);
  fresh.use_shipped(dir / "models");
  const auto& loaded = fresh.get(o, p);
  BOOST_TEST(loaded.loaded);
  BOOST_TEST(loaded.checkpoint == shipped.written[0]);
  BOOST_TEST(!fs::exists(dir / "empty-cache"));
  BOOST_TEST(loaded.record["seconds"] == trained.record["seconds"]);
  BOOST_TEST(loaded.record["meta_loss"] == trained.record["meta_loss"]);
  BOOST_TEST(at::equal(rollout(*loaded.model, 15), rollout(*trained.model, 15)));

  // The cache's own checkpoint comes first, and without the folder a miss trains.
  l2o::harness::TrainingCache both(dir / "cache", suite, float32, false);
  both.use_shipped(dir / "models");
  BOOST_TEST(both.get(o, p).checkpoint == trained.checkpoint);
  l2o::harness::TrainingCache none(dir / "other-cache", suite, float32, false);
  BOOST_TEST(!none.get(o, p).loaded);

  // Models the cache lacks are listed, not invented.
  const auto nothing = l2o::harness::ship_models(
      suite, l2o::harness::TrainingCache(dir / "void", suite, float32, false), dir / "void-models",
      float32);
  BOOST_TEST(nothing.written.empty());
  BOOST_TEST(nothing.missing.size() == 1);
}

BOOST_FIXTURE_TEST_CASE(a_damaged_or_misnamed_shipped_model_is_refused, TrainedTinyModel) {
  cache.get(o, p);
  const fs::path file = l2o::harness::ship_models(suite, cache, dir / "models", float32).written[0];
  const std::string good = bytes_of(file);
  const auto key = cache.key(o, p);
  auto model = l2o::harness::make_untrained(o, key.seed, p, float32);
  auto load = [&] { l2o::learned::load_shipped_model(file, *model, key); };

  std::string flipped = good;
  flipped[flipped.size() - 3] ^= 0x10;  // one bit of the last weight
  write_bytes(file, flipped);
  expect_input_error(load, file, "digest does not match");

  write_bytes(file, good);
  auto other = key;
  other.seed += 1;  // what a file renamed to another key's name holds
  expect_input_error([&] { l2o::learned::load_shipped_model(file, *model, other); }, file,
                     "another configuration");

  l2o::Safetensors foreign = l2o::read_safetensors(file);
  foreign.metadata["format"] = "something-else";
  l2o::write_safetensors(file, foreign);
  expect_input_error(load, file, "not an l2obench model");
}

BOOST_AUTO_TEST_CASE(the_command_line_ships_and_runs_from_shipped_models_and_python_reads_them) {
  l2o::testing::TempDir dir;
  const std::string binary = L2OBENCH_BINARY;
  std::ofstream(dir / "suite.json") << tiny_suite().to_json().dump();
  const std::string suite = (dir / "suite.json").string(), cache = (dir / "cache").string(),
                    models = (dir / "models").string();
  auto run = [&](const std::string& out, const std::string& options) {
    return l2o::testing::run_command(binary + " run " + suite + " --quiet --threads 1 --out " +
                                     (dir / out).string() + " " + options);
  };
  BOOST_REQUIRE(run("trained", "--cache " + cache + " --models none").exit_code == 0);
  const auto ship = l2o::testing::run_command(binary + " ship " + suite + " --cache " + cache +
                                              " --models " + models);
  BOOST_TEST_INFO(ship.output);
  BOOST_REQUIRE(ship.exit_code == 0);
  BOOST_TEST(ship.output.find(".safetensors") != std::string::npos);

  const auto from_shipped =
      run("shipped", "--cache " + (dir / "empty").string() + " --models " + models);
  BOOST_TEST_INFO(from_shipped.output);
  BOOST_REQUIRE(from_shipped.exit_code == 0);
  BOOST_TEST(!fs::exists(dir / "empty"));  // nothing trained
  const Json a = l2o::read_json_file(dir / "trained" / "report.json"),
             b = l2o::read_json_file(dir / "shipped" / "report.json");
  BOOST_TEST(a["cells"][0]["eval"]["loss"] == b["cells"][0]["eval"]["loss"]);
  BOOST_TEST(a["cells"][0]["eval"]["final"] == b["cells"][0]["eval"]["final"]);

  const auto none = l2o::testing::run_command(binary + " ship " + suite + " --models none");
  BOOST_TEST(none.exit_code == 2);
  BOOST_TEST(none.output.find("--models none") != std::string::npos);

  const auto python = l2o::testing::run_command(std::string(L2O_PYTHON) + " " + L2O_SOURCE_DIR +
                                                "/reports/l2o_models.py " + models + "/*");
  BOOST_TEST_INFO(python.output);
  BOOST_TEST(python.exit_code == 0);
  BOOST_TEST(python.output.find("l2o-dm trained on quadratic") != std::string::npos);
  BOOST_TEST(python.output.find("3 epochs") != std::string::npos);
}

// A tuned learned optimizer ships the model of its pick and its trials' results: a fresh run
// from them trains nothing, reuses the trials and evaluates the test cells to the same numbers;
// a trial result computed with another model key (older training code) is computed again.
BOOST_AUTO_TEST_CASE(a_tuned_learned_optimizer_ships_its_pick_and_its_trials_results) {
  l2o::testing::TempDir dir;
  const std::string binary = L2OBENCH_BINARY;
  const Json suite_json = {
      {"name", "shipped-tuned"},
      {"steps", 20},
      {"test_instances", 8},
      {"problems", {{{"family", "quadratic"}, {"dim", 10}}}},
      {"optimizers",
       {{{"name", "l2o-dm"},
         {"train", {{"epochs", 3}, {"batch", 8}, {"steps", 20}, {"unroll", 10}}},
         {"tune", {{"output_scale", {{"grid", {0.01, 0.1}}}}, {"objective", "auc"}}}}}}};
  std::ofstream(dir / "suite.json") << suite_json.dump();
  const std::string suite = (dir / "suite.json").string(), models = (dir / "models").string();
  auto l2obench = [&](const std::string& arguments) {
    return l2o::testing::run_command(binary + " " + arguments);
  };
  auto run = [&](const std::string& out, const std::string& cache, const std::string& options) {
    return l2obench("run " + suite + " --threads 1 --out " + (dir / out).string() + " --cache " +
                    (dir / cache).string() + " " + options);
  };
  BOOST_REQUIRE(run("trained", "cache", "--quiet --models none").exit_code == 0);

  const auto without_run =
      l2obench("ship " + suite + " --cache " + (dir / "cache").string() + " --models " + models);
  BOOST_TEST(without_run.exit_code == 0);
  BOOST_TEST(without_run.output.find("give --run") != std::string::npos, without_run.output);
  BOOST_TEST(!fs::exists(dir / "models"));
  const auto no_run = l2obench("ship " + suite + " --models " + models + " --run " +
                               (dir / "no-such-run").string());
  BOOST_TEST(no_run.exit_code == 2);
  BOOST_TEST(no_run.output.find("--run: Directory does not exist") != std::string::npos,
             no_run.output);

  const auto ship = l2obench("ship " + suite + " --cache " + (dir / "cache").string() +
                             " --models " + models + " --run " + (dir / "trained").string());
  BOOST_REQUIRE_MESSAGE(ship.exit_code == 0, ship.output);
  std::size_t model_files = 0, trial_files = 0;
  for (const auto& entry : fs::directory_iterator(dir / "models"))
    model_files += entry.path().extension() == ".safetensors";
  for (const auto& entry : fs::directory_iterator(dir / "models" / "tuning"))
    trial_files += entry.path().extension() == ".json";
  BOOST_TEST(model_files == 1);  // the pick's, not the other trial's
  BOOST_TEST(trial_files == 2);

  const auto shipped = run("shipped", "empty", "--models " + models);
  BOOST_REQUIRE_MESSAGE(shipped.exit_code == 0, shipped.output);
  BOOST_TEST(
      shipped.output.find("2 tuning trials taken from the results shipped") != std::string::npos,
      shipped.output);
  BOOST_TEST(!fs::exists(dir / "empty"));  // nothing trained
  const Json a = l2o::read_json_file(dir / "trained" / "report.json"),
             b = l2o::read_json_file(dir / "shipped" / "report.json");
  BOOST_TEST(a["cells"][0]["tuning"]["pick"] == b["cells"][0]["tuning"]["pick"]);
  BOOST_TEST(a["cells"][0]["eval"]["loss"] == b["cells"][0]["eval"]["loss"]);

  // A trial result that names another model (as one from older training code would).
  for (const auto& entry : fs::directory_iterator(dir / "models" / "tuning")) {
    Json trial = l2o::read_json_file(entry.path());
    trial["train"]["checkpoint"] = "out/cache/l2o-dm-0000000000000000.json";
    trial.erase("digest");
    trial["digest"] = l2o::json_digest(trial);
    l2o::write_json_atomically(entry.path(), trial);
  }
  const auto stale = run("stale", "retrained", "--models " + models);
  BOOST_REQUIRE_MESSAGE(stale.exit_code == 0, stale.output);
  BOOST_TEST(stale.output.find("computing the trial again") != std::string::npos, stale.output);
  BOOST_TEST(fs::exists(dir / "retrained"));  // the other trial's model was trained
  const Json c = l2o::read_json_file(dir / "stale" / "report.json");
  BOOST_TEST(a["cells"][0]["eval"]["loss"] == c["cells"][0]["eval"]["loss"]);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace shipped_model_test
