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

// The test instances of one (problem, repetition), shared by its consecutive cells.
struct Instances {
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
  const InstanceSeeds seeds = instance_seeds(suite, p, "test", cell.repetition);
  // The scenarios of a problem are consecutive and share its instances and f*: solve once.
  const bool same_instances = cache.objective && cache.minimum &&
                              seeds.instances == cache.seeds.instances &&
                              seeds.initial_points == cache.seeds.initial_points;
  cache.seeds = seeds;
  cache.objective = problems::find_family(p.family, p.label)
                        .sample(p.config, {suite.test_instances, cache.seeds.instances, placement});
  cache.x0 = cache.objective->initial_points(cache.seeds.initial_points);
  const Scenario& scenario = p.scenario;
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

CellRecord evaluate(const Suite& suite, const Cell& cell, Instances& instances,
                    TrainingCache& cache, const Json& context) {
  const ProblemSpec& p = suite.problems[cell.problem];
  const OptimizerSpec& o = suite.optimizers[cell.optimizer];
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
    const OptimizerSpec& o = suite.optimizers[cell.optimizer];
    auto objective = problems::find_family(p.family, p.label).sample(p.config, {1, 0, placement});
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

// The cells in groups that share test instances (the problems of one family and config, and
// so their scenarios, at one repetition): a group samples them and solves f* once.
std::vector<std::vector<Cell>> group_by_instances(const Suite& suite,
                                                  const std::vector<Cell>& cells) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> group_of;
  std::vector<std::vector<Cell>> groups;
  for (const Cell& cell : cells) {
    const InstanceSeeds seeds =
        instance_seeds(suite, suite.problems[cell.problem], "test", cell.repetition);
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
  return out / "cells" / (cell.id + ".json");
}

RunSummary run_suite(const Suite& suite, const RunOptions& options) {
  const Placement placement{parse_device(options.device), suite.dtype};
  const Parallelism parallelism = Parallelism::resolve(options.threads, options.jobs);
  const std::vector<Cell> all = expand(suite);
  const std::vector<Cell> cells = select_shard(all, options.shard);
  preflight(suite, cells, placement);

  refuse_another_suites_folder(suite, options.out);
  write_json_atomically(options.out / "suite.json", suite.to_json());
  const Json context = run_context(options.device, parallelism);

  // Temp files of a run killed mid-write (never read: cells are renamed into place).
  for (const fs::path& stale : remove_stale_temporaries(options.out / "cells"))
    if (options.progress)
      std::fprintf(stderr, "l2obench: removed %s, left by a run that was stopped\n", stale.c_str());

  RunSummary summary{.cells = cells.size()};
  std::vector<Cell> todo;
  std::size_t other_build = 0;
  for (const Cell& cell : cells) {
    auto record = finished_cell(cell_path(options.out, cell), cell, suite.steps);
    if (!record) {
      todo.push_back(cell);
      continue;
    }
    ++summary.skipped;
    const Json& stored = record->context;
    if (stored.is_object() && stored.value("git_commit", Json()) != context["git_commit"])
      ++other_build;
  }
  if (options.progress && summary.skipped > 0)
    std::fprintf(stderr,
                 "l2obench: %zu of %zu cells already finished in %s; running the other %zu\n",
                 summary.skipped, cells.size(), options.out.c_str(), todo.size());
  if (other_build > 0)
    std::fprintf(
        stderr,
        "l2obench: warning: %zu finished cells were computed by another build; they are kept "
        "(the report lists every build's context); use a fresh --out to recompute them\n",
        other_build);

  TrainingCache cache(options.cache, suite, placement, options.progress);
  cache.use_shipped(options.models);
  const auto start = Clock::now();
  // First every model the cells need, trained (or loaded) side by side, one per worker: a
  // training is one long sequence of small ops, and the cells that need it would wait anyway.
  const std::vector<Cell> models = cells_with_distinct_models(suite, todo, cache);
  for_each_parallel(models.size(), parallelism, [&](std::size_t i) {
    cache.get(suite.optimizers[models[i].optimizer], suite.problems[models[i].problem]);
  });

  // Then the cells, a group of cells sharing test instances per worker at a time: each group is
  // evaluated from fresh instances, so its numbers do not depend on which worker ran it.
  const std::vector<std::vector<Cell>> groups = group_by_instances(suite, todo);
  std::mutex progress_mutex;
  for_each_parallel(groups.size(), parallelism, [&](std::size_t g) {
    Instances instances;
    for (const Cell& cell : groups[g]) {
      const auto cell_start = Clock::now();
      load_instances(instances, suite, cell, placement);
      write_json_atomically(cell_path(options.out, cell),
                            evaluate(suite, cell, instances, cache, context).to_json());
      std::lock_guard lock(progress_mutex);
      ++summary.evaluated;
      if (!options.progress) continue;
      const double elapsed = seconds_since(start);
      const double eta =
          elapsed / double(summary.evaluated) * double(todo.size() - summary.evaluated);
      std::fprintf(stderr, "[%zu/%zu] %s × %s r%lld  %.2fs  (elapsed %s, ETA %s)\n",
                   summary.skipped + summary.evaluated, cells.size(),
                   suite.problems[cell.problem].label.c_str(),
                   suite.optimizers[cell.optimizer].label.c_str(),
                   static_cast<long long>(cell.repetition), seconds_since(cell_start),
                   format_duration(elapsed).c_str(), format_duration(eta).c_str());
    }
  });

  if (options.shard.count == 1) {
    merge_report(options.out, /*allow_partial=*/false);
    summary.merged = true;
  }
  return summary;
}

}  // namespace l2o::harness
