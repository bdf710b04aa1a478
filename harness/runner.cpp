#include "harness/runner.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/parallel.hpp"
#include "harness/context.hpp"
#include "harness/cost.hpp"
#include "harness/metrics.hpp"
#include "harness/report.hpp"
#include "harness/training_cache.hpp"
#include "harness/tuning.hpp"
#include "optimizers/registry.hpp"
#include "problems/counting_objective.hpp"
#include "problems/registry.hpp"
#include "problems/uniform_affine_objective.hpp"

namespace l2o::harness {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format_duration(double s) {
  if (s < 60) return fmt::format("{:.1f}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", int(s) / 60, int(s) % 60);
  return fmt::format("{}h{:02}m", int(s) / 3600, int(s) % 3600 / 60);
}

InstanceDrawHook& instance_draw_hook() {
  static InstanceDrawHook hook;
  return hook;
}

// The instances of one (problem, split, repetition), shared by its consecutive cells: the test
// split's for test cells, the validation split's (in distribution) for tuning trials.
struct Instances {
  std::string split = "test";
  std::size_t problem = 0;
  std::int64_t repetition = -1;
  std::unique_ptr<problems::Objective> objective;
  Tensor x0;
  InstanceSeeds seeds;
  std::optional<Tensor> minimum;
  double minimum_seconds = 0;
};

void load_instances(Instances& cache, const Suite& suite, const Cell& cell,
                    const Placement& placement) {
  if (cache.objective && cache.problem == cell.problem && cache.repetition == cell.repetition)
    return;
  const ProblemSpec& p = suite.problems[cell.problem];
  cache.problem = cell.problem;
  cache.repetition = cell.repetition;
  if (const InstanceDrawHook& hook = instance_draw_hook()) hook(p, cache.split);
  const InstanceSeeds seeds = instance_seeds(suite, p, cache.split, cell.repetition);
  // The scenarios of a problem are consecutive and share its instances and f*: solve once.
  const bool same_instances = cache.objective && cache.minimum &&
                              seeds.instances == cache.seeds.instances &&
                              seeds.initial_points == cache.seeds.initial_points;
  cache.seeds = seeds;
  cache.objective = problems::find_family(p.family, p.label)
                        .sample(p.config, {suite.test_instances, cache.seeds.instances, placement});
  cache.x0 = cache.objective->initial_points(cache.seeds.initial_points);
  const Scenario scenario = cache.split == "test" ? p.scenario : Scenario{};
  if (scenario.start_shift() != 0) cache.x0 = cache.x0 + scenario.start_shift();
  if (scenario.scale() != 1 || scenario.objective_shift() != 0)
    cache.objective = std::make_unique<problems::UniformAffineObjective>(
        std::move(cache.objective), scenario.scale(), scenario.objective_shift());
  if (same_instances) return;  // minimum and minimum_seconds carry over
  auto start = Clock::now();
  cache.minimum = cache.objective->reference_minimum();
  cache.minimum_seconds = seconds_since(start);
  if (cache.minimum) {
    const auto unsolved = at::isnan(*cache.minimum).sum().item<std::int64_t>();
    if (unsolved > 0)
      std::fprintf(stderr,
                   "l2obench: warning: %s r%lld: the reference solver did not converge on %lld "
                   "instances; their gaps are NaN\n",
                   p.label.c_str(), static_cast<long long>(cell.repetition),
                   static_cast<long long>(unsolved));
  }
}

// The rollout of one cell: losses, the family's own metrics and the cost at every step, timed.
struct Rollout {
  Tensor losses;  // [steps + 1, B], on the CPU
  ExtraSeries extra;
  CostSeries cost;
  double step_seconds = 0, seconds = 0;
  optimizers::Counters counters;  // what the rollout counted (BFGS's skipped updates, ...)
};

Rollout roll_out(const optimizers::Optimizer& optimizer, const problems::Objective& f,
                 const Tensor& x0, std::int64_t steps) {
  Rollout out;
  std::vector<Tensor> losses;
  losses.reserve(steps + 1);
  auto start = Clock::now();
  {
    // Evaluation builds no graph; learned optimizers run their networks the same way.
    c10::InferenceMode no_autograd;
    f.rewind();  // every optimizer sees the same minibatches (stochastic families)
    // Step 0 is evaluated before the rollout starts (which may draw minibatches), unless the
    // method moved before its first counted step (BFGS's authors' protocol).
    Tensor first_loss = f.loss(x0);
    auto first_metrics = f.evaluation_metrics(x0);
    // The optimizer's calls are counted; the harness's own (the recorded losses) are not.
    const problems::CountingObjective counted(f);
    auto rollout = optimizer.start(counted, x0);
    out.cost.record(counted, *rollout);
    if (const auto moved = rollout->start_point()) {
      first_loss = f.loss(*moved);
      first_metrics = f.evaluation_metrics(*moved);
    }
    losses.push_back(first_loss);
    out.extra.record(first_metrics);
    for (std::int64_t k = 0; k < steps; ++k) {
      auto step_start = Clock::now();
      Tensor x = rollout->step();
      if (x.is_cuda()) torch::cuda::synchronize();  // time the work, not the kernel launches
      out.step_seconds += seconds_since(step_start);
      out.cost.record(counted, *rollout);
      losses.push_back(f.loss(x));
      out.extra.record(f.evaluation_metrics(x));
    }
    out.counters = rollout->counters();
  }
  out.seconds = seconds_since(start);
  out.losses = at::stack(losses).to(at::kCPU);
  return out;
}

// One cell's record; `o` is the optimizer it runs (a tuning trial's, or the pick's).
CellRecord evaluate(const Suite& suite, const Cell& cell, const OptimizerSpec& o,
                    Instances& instances, TrainingCache& cache, const Json& context) {
  const ProblemSpec p =
      cell.trial ? validation_problem(suite.problems[cell.problem]) : suite.problems[cell.problem];
  const problems::Objective& f = *instances.objective;
  const Instantiated built = instantiate(o, p, cache);
  const Rollout rollout = roll_out(*built.optimizer, f, instances.x0, suite.steps);

  Json series = evaluation_metrics(rollout.losses, instances.minimum, suite.target);
  rollout.extra.add_to(series);
  series["cost"] = rollout.cost.to_json();
  for (const auto& [name, value] : rollout.counters) series["counters"][name] = value;
  Json final = std::move(series["final"]);
  std::optional<double> f_star_mean;  // where f* is known
  if (series.contains("f_star_mean")) f_star_mean = series["f_star_mean"].get<double>();
  series.erase("final");
  series.erase("f_star_mean");
  return {.id = cell.id,
          .index = cell.index,
          .repetition = cell.repetition,
          .problem = {p.label, p.family, p.config, p.scenario.to_json()},
          .optimizer = {o.label, o.name, o.config},
          .seeds = {{"suite", suite.seed},
                    {"instances", instances.seeds.instances},
                    {"initial_points", instances.seeds.initial_points}},
          .eval = {.instances = f.batch(),
                   .steps = suite.steps,
                   .seconds_per_step = rollout.step_seconds / double(suite.steps),
                   .rollout_seconds = rollout.seconds,
                   .reference_seconds = instances.minimum_seconds,
                   .f_star_mean = f_star_mean,
                   .final = FinalMetrics(std::move(final)),
                   .series = std::move(series)},
          .train = built.training,
          .tuning = cell.trial ? Json{{"split", instances.split}, {"trial", *cell.trial}} : Json(),
          .context = context};
}

// Why a cell file cannot be reused, or none when it can: it must parse to a complete record of
// this cell (a digest that matches its content, "final" metrics, a loss series of every step).
// Files are written atomically, so anything else was edited, damaged or is foreign.
std::optional<std::string> unusable_cell(const Json& j, const Cell& cell, std::int64_t steps,
                                         const std::string& where) {
  if (!j.contains("digest")) return "it has no digest";
  CellRecord record;
  try {
    record = CellRecord::from_json(j, where);
  } catch (const InputError& e) {
    return std::string(e.what());
  }
  if (record.id != cell.id) return fmt::format("it holds cell \"{}\"", record.id);
  if (!record.eval.final.contains(final_metric::loss_mean)) return "its eval.final is incomplete";
  const Json* mean = nullptr;
  if (auto loss = record.eval.series.find("loss"); loss != record.eval.series.end())
    if (auto it = loss->find("mean"); it != loss->end() && it->is_array()) mean = &*it;
  if (record.eval.steps != steps || !mean || std::ssize(*mean) != steps + 1)
    return fmt::format("its loss series does not have the {} steps of the suite", steps);
  return std::nullopt;
}

}  // namespace

std::optional<CellRecord> finished_cell(const fs::path& path, const Cell& cell,
                                        std::int64_t steps) {
  if (!fs::exists(path)) return std::nullopt;
  std::optional<std::string> reason;
  Json j;
  try {
    j = read_json_file(path);
    reason = unusable_cell(j, cell, steps, path.string());
  } catch (const InputError& e) {
    reason = e.what();
  }
  if (!reason) return CellRecord::from_json(j, path.string());
  std::fprintf(stderr, "l2obench: warning: %s is not a finished cell (%s); computing it again\n",
               path.c_str(), reason->c_str());
  return std::nullopt;
}

namespace {

// A tuning trial the run lacks, from the results shipped beside the models (`l2obench ship
// --run`: <models>/tuning/<id>.json), copied into the run. A learned trial's record counts only
// if it was computed with the model this build would load or train (its checkpoint's key, which
// includes training_code_version); then its pick's test cells are evaluated afresh from the
// shipped model, while the other trials' models need not be shipped or trained.
std::optional<CellRecord> shipped_trial(const Suite& suite, const Cell& trial,
                                        const RunOptions& options, const TrainingCache& cache) {
  if (!trial.trial || options.models.empty()) return std::nullopt;
  const fs::path file = options.models / "tuning" / (trial.id + ".json");
  if (!fs::exists(file)) return std::nullopt;
  std::optional<CellRecord> record = finished_cell(file, trial, suite.steps);
  if (!record) return std::nullopt;
  if (record->train.is_object()) {
    const OptimizerSpec o = trial_optimizer(suite.optimizers[trial.optimizer], *trial.trial);
    const std::string expected = cache.key(o, suite.problems[trial.problem]).file_name();
    const std::string recorded =
        fs::path(record->train.value("checkpoint", std::string())).filename().string();
    if (recorded != expected) {
      std::fprintf(stderr,
                   "l2obench: warning: %s was computed with model %s, this build's is %s (the "
                   "training code changed); computing the trial again\n",
                   file.c_str(), recorded.c_str(), expected.c_str());
      return std::nullopt;
    }
  }
  write_json_atomically(cell_path(options.out, trial), record->to_json());  // exact round trip
  return record;
}

// A folder holds one suite's run: its suite.json, cells and report. A run of another suite (by
// name) into it would replace that suite.json and report.json, so it is refused. The same suite
// edited (more steps, another optimizer) resumes there: its cells are keyed by their content.
void refuse_another_suites_folder(const Suite& suite, const fs::path& out) {
  const fs::path existing = out / "suite.json";
  if (!fs::exists(existing)) return;
  Json stored;
  try {
    stored = read_json_file(existing);
  } catch (const InputError&) {
    return;  // not a run's suite.json (a killed run never leaves half a file): replaced
  }
  const Json name = stored.is_object() ? stored.value("name", Json()) : Json();
  if (name.is_string() && name != suite.name)
    throw InputError(fmt::format(
        "{} holds a run of suite \"{}\", not \"{}\"; give this run another --out (its default "
        "is out/{}), or delete {} to reuse the folder",
        out.string(), name.get<std::string>(), suite.name, suite.name, out.string()));
}

// Before any cell runs: every (problem, optimizer) pair of the shard must be able to start,
// so that an unsupported combination fails in a second, not after an hour.
void preflight(const Suite& suite, const std::vector<Cell>& cells, const Placement& placement) {
  c10::InferenceMode no_autograd;
  TrainingCache untrained = TrainingCache::untrained(suite, placement, /*init_seed=*/0);
  for (const Cell& cell : cells) {
    const ProblemSpec& p = suite.problems[cell.problem];
    const OptimizerSpec& tuned = suite.optimizers[cell.optimizer];
    const OptimizerSpec o = cell.trial ? trial_optimizer(tuned, *cell.trial) : tuned;
    auto objective = problems::find_family(p.family, p.label).sample(p.config, {1, 0, placement});
    if (cell.trial == 0 && tuned.tuning->objective == TuneObjective::iterations_to_target &&
        !objective->reference_minimum())
      throw InputError(fmt::format(
          "optimizer \"{}\" on problem \"{}\": the tuning objective iterations_to_target needs "
          "f*, and family \"{}\" has no reference solver; use final_loss or auc",
          o.label, p.label, p.family));
    try {
      instantiate(o, p, untrained)
          .optimizer->start(*objective, objective->initial_points(0))
          ->step();
    } catch (const InputError& e) {
      throw InputError(
          fmt::format("optimizer \"{}\" on problem \"{}\": {} (an optimizer entry's \"families\" "
                      "list limits it to the families it supports)",
                      o.label, p.label, e.what()));
    }
  }
}

// The cells in groups that share instances of a split (the problems of one family and config,
// and so their scenarios, at one repetition): a group samples them and solves f* once.
std::vector<std::vector<Cell>> group_by_instances(const Suite& suite,
                                                  const std::vector<Cell>& cells,
                                                  std::string_view split) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> group_of;
  std::vector<std::vector<Cell>> groups;
  for (const Cell& cell : cells) {
    const InstanceSeeds seeds =
        instance_seeds(suite, suite.problems[cell.problem], split, cell.repetition);
    auto [it, added] = group_of.try_emplace({seeds.instances, seeds.initial_points}, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(cell);
  }
  return groups;
}

}  // namespace

std::size_t train_suite(const Suite& suite, const RunOptions& options,
                        const std::string& optimizer_label, const std::string& problem_label) {
  const Placement placement{parse_device(options.device), suite.dtype};
  const Parallelism parallelism = Parallelism::resolve(options.threads, options.jobs);
  TrainingCache cache(options.cache, suite, placement, options.progress);
  cache.use_shipped(options.models);
  std::vector<Cell> selected;
  for (const Cell& cell : select_shard(expand(suite), options.shard))
    if ((optimizer_label.empty() || suite.optimizers[cell.optimizer].label == optimizer_label) &&
        (problem_label.empty() || suite.problems[cell.problem].label == problem_label))
      selected.push_back(cell);
  const std::vector<Cell> models = cells_with_distinct_models(suite, selected, cache);
  if (models.empty())
    throw InputError(fmt::format(
        "the suite has no learned optimizer{}{} to train",
        optimizer_label.empty() ? "" : " labelled \"" + optimizer_label + "\"",
        problem_label.empty() ? "" : " on a problem labelled \"" + problem_label + "\""));
  std::vector<fs::path> checkpoints(models.size());
  for_each_parallel(models.size(), parallelism, [&](std::size_t i) {
    const Cell& cell = models[i];
    checkpoints[i] =
        instantiate(suite.optimizers[cell.optimizer], suite.problems[cell.problem], cache)
            .checkpoint;
  });
  for (std::size_t i = 0; i < models.size(); ++i)
    std::printf("%s %s %s\n", suite.optimizers[models[i].optimizer].label.c_str(),
                suite.problems[models[i].problem].label.c_str(), checkpoints[i].c_str());
  return models.size();
}

c10::Device parse_device(const std::string& device) {
  std::optional<c10::Device> parsed;
  try {
    parsed = c10::Device(device);
  } catch (const c10::Error&) {
  }
  if (!parsed || !(parsed->is_cpu() || parsed->is_cuda()))
    throw InputError(fmt::format("--device: expected cpu, cuda or cuda:N, got \"{}\"", device));
  if (parsed->is_cuda() && !at::hasCUDA())
    throw InputError(
        fmt::format("--device {}: this l2obench is built against a LibTorch without CUDA support "
                    "(allowed here: cpu); rebuild with Torch_DIR pointing at a CUDA LibTorch",
                    device));
  return *parsed;
}

fs::path cell_path(const fs::path& out, const Cell& cell) {
  return out / (cell.trial ? "tuning" : "cells") / (cell.id + ".json");
}

RunStage parse_run_stage(const std::string& text) {
  if (text == "all") return RunStage::all;
  if (text == "tune") return RunStage::tune;
  if (text == "test") return RunStage::test;
  throw InputError(fmt::format("--stage: expected one of: all, tune, test, got \"{}\"", text));
}

void set_instance_draw_hook(InstanceDrawHook hook) {
  instance_draw_hook() = std::move(hook);
}

namespace {

// What the cells of one run share: the suite, where its files go, the trained models, the
// progress lines.
class CellRunner {
 public:
  CellRunner(const Suite& suite, const RunOptions& options, const Placement& placement,
             std::size_t total)
      : suite_(suite),
        options_(options),
        placement_(placement),
        cache_(options.cache, suite, placement, options.progress),
        context_(run_context(options.device, Parallelism::resolve(options.threads, options.jobs))),
        all_trials_(expand_trials(suite)),
        total_(total) {
    cache_.use_shipped(options.models);
  }

  TrainingCache& cache() { return cache_; }
  const Json& context() const { return context_; }

  // Evaluates a group of cells that share instances of `split`, writing each cell's file.
  void run_group(const std::vector<Cell>& group, const std::string& split) {
    Instances instances{.split = split};
    for (const Cell& cell : group) {
      const auto start = Clock::now();
      write_json_atomically(cell_path(options_.out, cell), record(cell, instances).to_json());
      report_progress(cell, seconds_since(start));
    }
  }

  std::size_t evaluated() const { return evaluated_; }
  void set_skipped(std::size_t skipped, std::size_t todo) {
    skipped_ = skipped;
    todo_ = todo;
  }

 private:
  CellRecord record(const Cell& cell, Instances& instances) {
    const OptimizerSpec& o = suite_.optimizers[cell.optimizer];
    load_instances(instances, suite_, cell, placement_);
    if (cell.trial)
      return evaluate(suite_, cell, trial_optimizer(o, *cell.trial), instances, cache_, context_);
    if (!o.tuning) return evaluate(suite_, cell, o, instances, cache_, context_);
    Json tuning = tuning_record(o, trial_records(cell));
    CellRecord out =
        evaluate(suite_, cell, trial_optimizer(o, tuning.at("pick").get<std::size_t>()), instances,
                 cache_, context_);
    out.tuning = std::move(tuning);
    return out;
  }

  // The finished trials a test cell picks from; missing ones (another shard's, not run yet) are
  // computed here, so the pick never depends on the order the stages ran in.
  std::vector<CellRecord> trial_records(const Cell& test) {
    std::vector<CellRecord> out;
    std::vector<Cell> missing;
    const std::vector<Cell> trials = trials_of(suite_, all_trials_, test);
    for (const Cell& trial : trials) {
      if (auto record = finished_cell(cell_path(options_.out, trial), trial, suite_.steps))
        out.push_back(std::move(*record));
      else if (auto shipped = shipped_trial(suite_, trial, options_, cache_))
        out.push_back(std::move(*shipped));
      else
        missing.push_back(trial);
    }
    if (missing.empty()) return out;
    if (options_.progress)
      std::fprintf(stderr,
                   "l2obench: %s needs %zu unfinished tuning trials; computing them here (run "
                   "`--stage tune` on every shard first to share them)\n",
                   test.id.c_str(), missing.size());
    Instances validation{.split = "validation"};
    for (const Cell& trial : missing) {
      CellRecord record =
          evaluate(suite_, trial, trial_optimizer(suite_.optimizers[trial.optimizer], *trial.trial),
                   load(validation, trial), cache_, context_);
      write_json_atomically(cell_path(options_.out, trial), record.to_json());
    }
    out.clear();  // in trial order, as read back
    for (const Cell& trial : trials)
      out.push_back(*finished_cell(cell_path(options_.out, trial), trial, suite_.steps));
    return out;
  }

  Instances& load(Instances& instances, const Cell& cell) {
    load_instances(instances, suite_, cell, placement_);
    return instances;
  }

  void report_progress(const Cell& cell, double seconds) {
    std::lock_guard lock(progress_mutex_);
    ++evaluated_;
    if (!options_.progress) return;
    const double elapsed = seconds_since(start_);
    const double eta = elapsed / double(evaluated_) * double(todo_ - evaluated_);
    const std::string what = cell.trial ? fmt::format("t{} (validation)", *cell.trial)
                                        : fmt::format("r{}", cell.repetition);
    std::fprintf(stderr, "[%zu/%zu] %s × %s %s  %.2fs  (elapsed %s, ETA %s)\n",
                 skipped_ + evaluated_, total_, suite_.problems[cell.problem].label.c_str(),
                 suite_.optimizers[cell.optimizer].label.c_str(), what.c_str(), seconds,
                 format_duration(elapsed).c_str(), format_duration(eta).c_str());
  }

  const Suite& suite_;
  const RunOptions& options_;
  Placement placement_;
  TrainingCache cache_;
  Json context_;
  std::vector<Cell> all_trials_;
  std::size_t total_, skipped_ = 0, todo_ = 0, evaluated_ = 0;
  std::mutex progress_mutex_;
  Clock::time_point start_ = Clock::now();
};

}  // namespace

RunSummary run_suite(const Suite& suite, const RunOptions& options) {
  const Placement placement{parse_device(options.device), suite.dtype};
  const Parallelism parallelism = Parallelism::resolve(options.threads, options.jobs);
  const std::vector<Cell> trials = options.stage == RunStage::test
                                       ? std::vector<Cell>()
                                       : select_shard(expand_trials(suite), options.shard);
  const std::vector<Cell> tests = options.stage == RunStage::tune
                                      ? std::vector<Cell>()
                                      : select_shard(expand(suite), options.shard);
  std::vector<Cell> cells = trials;
  cells.insert(cells.end(), tests.begin(), tests.end());
  preflight(suite, cells, placement);

  refuse_another_suites_folder(suite, options.out);
  write_json_atomically(options.out / "suite.json", suite.to_json());
  CellRunner runner(suite, options, placement, cells.size());
  const Json& context = runner.context();

  // Temp files of a run killed mid-write (never read: cells are renamed into place).
  for (const char* folder : {"cells", "tuning"})
    for (const fs::path& stale : remove_stale_temporaries(options.out / folder))
      if (options.progress)
        std::fprintf(stderr, "l2obench: removed %s, left by a run that was stopped\n",
                     stale.c_str());

  RunSummary summary{.cells = cells.size(), .trials = trials.size()};
  std::vector<Cell> todo_trials, todo_tests;
  std::size_t other_build = 0;
  for (const Cell& cell : cells) {
    auto record = finished_cell(cell_path(options.out, cell), cell, suite.steps);
    if (!record && (record = shipped_trial(suite, cell, options, runner.cache()))) {
      ++summary.shipped_trials;  // said below, with where it came from
      ++summary.skipped;
      continue;
    }
    if (!record) {
      (cell.trial ? todo_trials : todo_tests).push_back(cell);
      continue;
    }
    ++summary.skipped;
    const Json& stored = record->context;
    if (stored.is_object() && stored.value("git_commit", Json()) != context["git_commit"])
      ++other_build;
  }
  if (options.progress && summary.skipped > 0)
    std::fprintf(
        stderr, "l2obench: %zu of %zu cells already finished in %s; running the other %zu\n",
        summary.skipped, cells.size(), options.out.c_str(), todo_trials.size() + todo_tests.size());
  if (options.progress && summary.shipped_trials > 0)
    std::fprintf(stderr,
                 "l2obench: %zu tuning trials taken from the results shipped in %s (their picks' "
                 "test cells are evaluated here)\n",
                 summary.shipped_trials, (options.models / "tuning").c_str());
  if (other_build > 0)
    std::fprintf(
        stderr,
        "l2obench: warning: %zu finished cells were computed by another build; they are kept "
        "(the report lists every build's context); use a fresh --out to recompute them\n",
        other_build);
  runner.set_skipped(summary.skipped, todo_trials.size() + todo_tests.size());

  // First every model the cells need, trained (or loaded) side by side, one per worker: a
  // training is one long sequence of small ops, and the cells that need it would wait anyway.
  const std::vector<Cell> models = cells_with_distinct_models(suite, todo_tests, runner.cache());
  for_each_parallel(models.size(), parallelism, [&](std::size_t i) {
    runner.cache().get(suite.optimizers[models[i].optimizer], suite.problems[models[i].problem]);
  });

  // Then the tuning trials and after them the test cells (which read the trials' results), a
  // group of cells sharing instances per worker at a time: each group is evaluated from fresh
  // instances, so its numbers do not depend on which worker ran it.
  for (const std::string split : {"validation", "test"}) {
    const std::vector<std::vector<Cell>> groups =
        group_by_instances(suite, split == "test" ? todo_tests : todo_trials, split);
    for_each_parallel(groups.size(), parallelism,
                      [&](std::size_t g) { runner.run_group(groups[g], split); });
  }
  summary.evaluated = runner.evaluated();

  if (options.shard.count == 1 && options.stage != RunStage::tune) {
    merge_report(options.out, /*allow_partial=*/false);
    summary.merged = true;
  }
  return summary;
}

}  // namespace l2o::harness
