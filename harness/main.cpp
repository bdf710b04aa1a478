// l2obench: the command line. Every user error ends in one line on stderr and exit status 2.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "core/threads.hpp"
#include "harness/compare.hpp"
#include "harness/equivariance.hpp"
#include "harness/instances.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"
#include "learned/checkpoint.hpp"
#include "learned/registry.hpp"
#include "optimizers/registry.hpp"
#include "problems/data/catalog.hpp"
#include "problems/registry.hpp"

namespace {

using l2o::Json;
namespace harness = l2o::harness;

Json registry_json() {
  Json families = Json::array(), optimizers = Json::array();
  for (const auto& f : l2o::problems::families())
    families.push_back({{"name", f.name}, {"summary", f.summary}, {"fields", f.describe()}});
  for (const auto& o : l2o::optimizers::optimizers())
    optimizers.push_back(
        {{"name", o.name}, {"summary", o.summary}, {"learned", false}, {"fields", o.describe()}});
  for (const auto& l : l2o::learned::learned_optimizers()) {
    const Json defaults = l.canonical(Json::object(), std::string(l.name));
    optimizers.push_back(
        {{"name", l.name},
         {"summary", l.summary},
         {"learned", true},
         {"fields", l.describe()},
         {"training",
          {{"fields", l2o::describe_config<l2o::learned::TrainConfig>()},
           {"quick", l2o::config_to_json(l.training(defaults, l2o::learned::TrainProfile::quick))},
           {"paper",
            l2o::config_to_json(l.training(defaults, l2o::learned::TrainProfile::paper))}}}});
  }
  return {{"families", families}, {"optimizers", optimizers}};
}

void print_registry_text(const Json& registry) {
  for (const char* kind : {"families", "optimizers"}) {
    fmt::print("{}:\n", kind == std::string("families") ? "problem families" : "optimizers");
    for (const Json& entry : registry[kind]) {
      fmt::print("  {:<12} {}\n", entry["name"].get<std::string>(),
                 entry["summary"].get<std::string>());
      for (const Json& field : entry["fields"]) {
        std::string allowed = field.contains("allowed")
                                  ? fmt::format(" ({})", field["allowed"].get<std::string>())
                                  : "";
        fmt::print("      {:<14} {:<8} default {:<14} {}{}\n", field["name"].get<std::string>(),
                   field["type"].get<std::string>(), field["default"].dump(),
                   field["doc"].get<std::string>(), allowed);
      }
      if (entry.contains("training")) {
        fmt::print(
            "      training (\"train\": {{...}}), defaults of the quick / paper profiles:\n");
        for (const Json& field : entry["training"]["fields"]) {
          const std::string name = field["name"].get<std::string>();
          fmt::print("        {:<22} {:>8} / {:<8} {}\n", name,
                     entry["training"]["quick"][name].dump(),
                     entry["training"]["paper"][name].dump(), field["doc"].get<std::string>());
        }
      }
    }
  }
}

// The data sets of the catalogue: installed or not, where, their shape; with `verify`, every
// installed one is read (and its shape checked). Missing ones say what installs them.
void print_datasets(bool verify) {
  namespace data = l2o::problems::data;
  const auto folder = data::data_folder();
  fmt::print("data folder: {} (set L2OBENCH_DATA to use another)\n", folder.string());
  std::size_t missing = 0;
  for (const auto& entry : data::catalog()) {
    const auto absent = data::missing_file(entry, folder);
    std::string shape = fmt::format("{} x {}", entry.rows, entry.columns);
    if (entry.classes > 0) shape += fmt::format(", {} classes", entry.classes);
    if (absent.empty() && verify) data::load_dataset(entry.name);
    fmt::print("  {:<14} {:<13} {:<24} {}\n", entry.name,
               absent.empty() ? (verify ? "verified" : "installed") : "MISSING", shape,
               (folder / entry.files.front()).parent_path().string());
    if (!absent.empty()) {
      ++missing;
      fmt::print("      {} is missing: run scripts/setup ({})\n", absent.string(),
                 entry.installed_by);
    }
  }
  if (missing > 0)
    fmt::print("{} of {} data sets missing; families on them stop with this message\n", missing,
               data::catalog().size());
}

// A checkpoint's weights as one flat array in the model's documented order (for loa-bfgs the
// 216 numbers its "weights_file" reads back).
Json export_weights(const std::string& path) {
  const Json checkpoint = l2o::read_json_file(path);
  if (!checkpoint.is_object() || !checkpoint.contains("key") || !checkpoint.contains("weights"))
    throw l2o::InputError(
        fmt::format("{}: not an l2obench checkpoint (no \"key\"/\"weights\")", path));
  const Json& key = checkpoint["key"];
  const auto* entry = l2o::learned::find_learned(key.at("optimizer").get<std::string>());
  if (!entry)
    throw l2o::InputError(
        fmt::format("{}: unknown learned optimizer {}", path, key.at("optimizer").dump()));
  auto model = entry->make(key.at("config"), 0);
  model->shape_for(*l2o::problems::find_family(key.at("family").get<std::string>(), path)
                        .sample(key.at("problem"), {1, 0, {}}));
  l2o::learned::weights_from_json(checkpoint["weights"], model->weights(), path);
  return l2o::learned::flatten_weights(model->weights());
}

Json parse_json_option(const std::string& text, const std::string& option) {
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw l2o::InputError(fmt::format("{}: not valid JSON: {}", option, e.what()));
  }
}

void write_output(const std::string& out, const Json& value) {
  if (out.empty() || out == "-")
    std::cout << value.dump() << "\n";
  else
    l2o::write_json_atomically(out, value);
}

int run(int argc, char** argv) {
  CLI::App app{"l2obench: benchmark suite for classical and learned optimizers"};
  app.require_subcommand(1);

  bool list_json = false;
  auto* list =
      app.add_subcommand("list", "problem families and optimizers with their config fields");
  list->add_flag("--json", list_json, "machine-readable output");

  std::string suite_path, out_dir, shard = "0/1", device = "cpu", cache_dir = "out/cache",
                                   train_profile;
  int threads = 0;
  bool quiet = false;
  auto* run_cmd =
      app.add_subcommand("run", "run every cell of a suite (resumes an interrupted run)");
  run_cmd->add_option("suite", suite_path, "suite JSON file")->required();
  run_cmd->add_option("--out", out_dir, "output folder (default: out/<suite name>)");
  run_cmd->add_option("--shard", shard, "run every N-th cell starting at i, as i/N");
  // What `run` and `train` share: where models are cached and how the work is executed.
  auto add_execution_options = [&](CLI::App* command) {
    command->add_option("--cache", cache_dir, "checkpoints of trained learned optimizers");
    command->add_option("--threads", threads, "intra-op threads; 0 = all cores");
    command->add_option("--device", device, "cpu, cuda or cuda:N");
    command->add_flag("--quiet", quiet, "no progress on stderr");
    command->add_option("--train-profile", train_profile,
                        "training budgets: quick or paper (default: the suite's)");
  };
  add_execution_options(run_cmd);

  std::string train_optimizer, train_problem;
  auto* train = app.add_subcommand(
      "train", "train (or load) the learned optimizers of a suite; prints checkpoints");
  train->add_option("suite", suite_path, "suite JSON file")->required();
  train->add_option("--optimizer", train_optimizer, "only the optimizer with this label");
  train->add_option("--problem", train_problem, "only for the problem with this label");
  add_execution_options(train);

  std::string merge_dir;
  bool allow_partial = false;
  auto* merge =
      app.add_subcommand("merge", "join the cell files of a run (all shards) into report.json");
  merge->add_option("dir", merge_dir, "the --out folder of the run")->required();
  merge->add_flag("--allow-partial", allow_partial, "write the report even if cells are missing");

  std::string instances_suite, instances_out;
  harness::InstanceExport what;
  std::string problem_label;
  auto* instances = app.add_subcommand(
      "instances", "export the instances and starting points of a split as JSON");
  instances->add_option("suite", instances_suite, "suite JSON file")->required();
  instances->add_option(
      "--split", what.split,
      "test (what cells evaluate on) or validation (what meta-training validates on)");
  instances->add_option("--count", what.count, "instances (default: the suite's test_instances)");
  instances->add_option("--repetition", what.repetition, "which repetition's instances");
  instances->add_option("--problem", problem_label, "one problem label (default: all)");
  instances->add_option("--out", instances_out, "output file (default: stdout)");

  std::string base_path, new_path, verdict_path;
  harness::CompareOptions compare_options;
  bool fail_on_time = false;
  auto* compare = app.add_subcommand(
      "compare", "regression check of NEW against BASE (exit 1 on a quality regression)");
  compare->add_option("base", base_path, "the reference report (or its summary)")->required();
  compare->add_option("new", new_path, "the report to check")->required();
  compare->add_option("--tolerance", compare_options.quality_tolerance,
                      "allowed worsening of the final quality, in log10 units");
  compare->add_option("--alpha", compare_options.time_alpha,
                      "significance level of the time U test");
  compare->add_option("--time-ratio", compare_options.time_ratio, "smallest slow-down reported");
  compare->add_flag("--fail-on-time", fail_on_time, "exit 1 on a significant slow-down too");
  compare->add_option("--json", verdict_path, "write the verdict as JSON");

  std::string summary_report, summary_out;
  auto* summarize = app.add_subcommand(
      "summarize", "a report without its per-step series (for committed baselines)");
  summarize->add_option("report", summary_report, "report.json")->required();
  summarize->add_option("--out", summary_out, "output file (default: stdout)");

  std::string report_path;
  auto* show = app.add_subcommand("show", "a table of the final metrics of a report");
  show->add_option("report", report_path, "report.json")->required();

  harness::EquivarianceOptions equivariance_options;
  std::vector<std::string> equivariance_problems, equivariance_optimizers;
  std::string equivariance_json;
  auto* equivariance = app.add_subcommand(
      "equivariance",
      "run optimizers on instances and on permuted, translated and scaled twins; print the "
      "deviation of the mapped-back iterates");
  equivariance->add_option("--problem", equivariance_problems,
                           "a suite problem entry as JSON (repeatable; default: "
                           "{\"family\": \"logistic\"})");
  equivariance->add_option("--optimizer", equivariance_optimizers,
                           "a name or a suite optimizer entry as JSON (repeatable; default: all)");
  equivariance->add_option("--steps", equivariance_options.steps, "steps per rollout");
  equivariance->add_option("--instances", equivariance_options.instances, "test instances");
  equivariance->add_option("--seed", equivariance_options.seed, "seed of instances and twins");
  equivariance->add_option("--scale", equivariance_options.scale, "c of g(x) = f(c x)");
  equivariance->add_option("--translation", equivariance_options.translation,
                           "v ~ this * N(0, I) in g(x) = f(x - v)");
  equivariance->add_option("--tolerance", equivariance_options.tolerance,
                           "largest relative deviation called equivariant");
  equivariance->add_option("--json", equivariance_json, "also write the measurements as JSON");

  std::string export_checkpoint, export_out;
  auto* export_cmd = app.add_subcommand(
      "export-weights", "a checkpoint's weights as a flat JSON array in the documented order");
  export_cmd->add_option("checkpoint", export_checkpoint, "checkpoint file (out/cache/...)")
      ->required();
  export_cmd->add_option("--out", export_out, "output file (default: stdout)");

  bool verify_data = false;
  auto* datasets = app.add_subcommand(
      "datasets", "the real data sets: installed or not, where, shape (scripts/setup installs)");
  datasets->add_flag("--verify", verify_data, "read every installed data set and check it");

  CLI11_PARSE(app, argc, argv);

  if (*list) {
    Json registry = registry_json();
    if (list_json)
      std::cout << registry.dump(2) << "\n";
    else
      print_registry_text(registry);
  } else if (*run_cmd) {
    const harness::Suite suite = harness::parse_suite_file(suite_path, train_profile);
    // A paper-profile run of a quick suite gets its own default folder.
    const std::string folder =
        train_profile.empty() ? suite.name : fmt::format("{}-{}", suite.name, train_profile);
    harness::RunOptions options{.out = out_dir.empty() ? std::filesystem::path("out") / folder
                                                       : std::filesystem::path(out_dir),
                                .cache = cache_dir,
                                .shard = harness::Shard::parse(shard),
                                .threads = threads,
                                .device = device,
                                .progress = !quiet};
    auto summary = harness::run_suite(suite, options);
    if (summary.merged)
      fmt::print(stderr, "l2obench: {} cells ({} computed, {} reused) -> {}\n", summary.cells,
                 summary.evaluated, summary.skipped, (options.out / "report.json").string());
    else
      fmt::print(stderr,
                 "l2obench: shard {}: {} cells ({} computed, {} reused) in {}; `l2obench merge {}` "
                 "when all "
                 "shards are done\n",
                 shard, summary.cells, summary.evaluated, summary.skipped, options.out.string(),
                 options.out.string());
  } else if (*train) {
    const harness::Suite suite = harness::parse_suite_file(suite_path, train_profile);
    harness::train_suite(
        suite, {.cache = cache_dir, .threads = threads, .device = device, .progress = !quiet},
        train_optimizer, train_problem);
  } else if (*merge) {
    Json report = harness::merge_report(merge_dir, allow_partial);
    fmt::print(stderr, "l2obench: {} cells -> {}\n", report["cells"].size(),
               (std::filesystem::path(merge_dir) / "report.json").string());
  } else if (*instances) {
    if (!problem_label.empty()) what.problem = problem_label;
    write_output(instances_out,
                 harness::export_instances(harness::parse_suite_file(instances_suite), what));
  } else if (*compare) {
    auto result = harness::compare_reports(harness::read_report(base_path),
                                           harness::read_report(new_path), compare_options);
    std::cout << result.table;
    if (!verdict_path.empty()) l2o::write_json_atomically(verdict_path, result.verdict);
    const bool slower = result.verdict["summary"]["slower"].get<std::size_t>() > 0;
    return result.quality_regression || (fail_on_time && slower) ? 1 : 0;
  } else if (*summarize) {
    write_output(summary_out, harness::summarize_report(harness::read_report(summary_report)));
  } else if (*datasets) {
    print_datasets(verify_data);
  } else if (*equivariance) {
    if (!equivariance_problems.empty()) {
      equivariance_options.problems = Json::array();
      for (const std::string& p : equivariance_problems)
        equivariance_options.problems.push_back(parse_json_option(p, "--problem"));
    }
    if (!equivariance_optimizers.empty()) {
      equivariance_options.optimizers = Json::array();
      for (const std::string& o : equivariance_optimizers)
        equivariance_options.optimizers.push_back(
            o.starts_with("{") ? parse_json_option(o, "--optimizer") : Json{{"name", o}});
    }
    auto result = harness::measure_equivariance(equivariance_options, "equivariance");
    std::cout << result.table;
    if (!equivariance_json.empty()) l2o::write_json_atomically(equivariance_json, result.json);
  } else if (*export_cmd) {
    write_output(export_out, export_weights(export_checkpoint));
  } else if (*show) {
    std::cout << harness::format_report_table(harness::read_report(report_path));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  l2o::tune_numerical_libraries(argv);
  try {
    return run(argc, argv);
  } catch (const l2o::InputError& e) {
    fmt::print(stderr, "l2obench: error: {}\n", e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    fmt::print(stderr, "l2obench: error: {}\n", e.what());  // names the operation and the paths
  } catch (const nlohmann::json::exception& e) {
    fmt::print(stderr, "l2obench: error: malformed input: {}\n", e.what());
  } catch (const c10::Error& e) {
    fmt::print(stderr, "l2obench: error: {}\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "l2obench: internal error: {}\n", e.what());
    return 1;
  }
  return 2;
}
