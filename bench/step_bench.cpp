// Per-step cost of every (optimizer, family) at B = 128, n ∈ {10, 50}, each with the objective
// through its fused kernel and through its plain LibTorch formula, plus the bare gradient step
// and loss evaluation, so the gain of the kernels shows in one run. Ends with a table of
// kernel-vs-plain speed-ups, and one of the cost of counting evaluations (the kernel objective
// behind problems::CountingObjective, as a cell's rollout sees it, vs the bare one).
//
//   build/bench/l2o_bench [--benchmark_filter=lasso] [google benchmark flags]
// Threads: L2O_BENCH_THREADS (default 1, for per-core figures that do not depend on load).
#include <cstdlib>
#include <map>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/threads.hpp"
#include "optimizers/registry.hpp"
#include "problems/counting_objective.hpp"
#include "problems/kernel_objective.hpp"
#include "problems/registry.hpp"

namespace {

using l2o::Json;
using l2o::Tensor;
using l2o::problems::KernelObjective;

constexpr std::int64_t batch = 128;

std::unique_ptr<l2o::problems::Objective> sample(const std::string& family, std::int64_t n) {
  const auto& f = l2o::problems::find_family(family, "bench");
  return f.sample(f.canonical({{"dim", n}}, "bench"), {batch, 1, {c10::kCPU, at::kFloat}});
}

// The same objective evaluated through its plain LibTorch formula instead of the fused kernel:
// the twin that shows what the kernels buy inside a whole optimizer step.
class PlainFormula final : public l2o::problems::Objective {
 public:
  explicit PlainFormula(std::unique_ptr<l2o::problems::Objective> f)
      : f_(std::move(f)), kf_(dynamic_cast<const KernelObjective&>(*f_)) {}
  std::int64_t batch() const override { return f_->batch(); }
  std::int64_t dim() const override { return f_->dim(); }
  l2o::Placement placement() const override { return f_->placement(); }
  Tensor loss(const Tensor& x) const override { return kf_.plain_loss(x, false); }
  Tensor grad(const Tensor& x) const override { return kf_.plain_grad(x, false); }
  double l1_weight() const override { return f_->l1_weight(); }
  Tensor smooth_loss(const Tensor& x) const override { return kf_.plain_loss(x, true); }
  Tensor smooth_grad(const Tensor& x) const override { return kf_.plain_grad(x, true); }
  std::optional<Tensor> lipschitz() const override { return f_->lipschitz(); }
  l2o::problems::NamedTensors parameters() const override { return f_->parameters(); }
  Tensor initial_points(std::uint64_t seed) const override { return f_->initial_points(seed); }

 private:
  std::unique_ptr<l2o::problems::Objective> f_;
  const KernelObjective& kf_;
};

// How the objective reaches the optimizer: the fused kernel, the plain formula, or the kernel
// behind the evaluation count of a cell.
enum class Through { kernel, plain, counted };

void optimizer_step(benchmark::State& state, std::string family, std::string optimizer,
                    std::int64_t n, Through through) {
  c10::InferenceMode guard;
  std::unique_ptr<l2o::problems::Objective> bare = sample(family, n), f;
  if (through == Through::plain) f = std::make_unique<PlainFormula>(std::move(bare));
  if (through == Through::counted) f = std::make_unique<l2o::problems::CountingObjective>(*bare);
  if (through == Through::kernel) f = std::move(bare);
  const auto& entry = l2o::optimizers::find_optimizer(optimizer, "bench");
  auto rollout =
      entry.make(entry.canonical(Json::object(), "bench"))->start(*f, f->initial_points(2));
  for (auto _ : state) benchmark::DoNotOptimize(rollout->step());
  state.counters["coord_steps/s"] =
      benchmark::Counter(double(batch * n), benchmark::Counter::kIsIterationInvariantRate);
}

// x ← x − lr·∇f(x): through the kernel, or through the family's plain LibTorch formula.
void gradient_step(benchmark::State& state, std::string family, std::int64_t n, bool plain) {
  c10::InferenceMode guard;
  auto f = sample(family, n);
  const auto& kf = dynamic_cast<const KernelObjective&>(*f);
  Tensor x = f->initial_points(2);
  for (auto _ : state) {
    Tensor g = plain ? kf.plain_grad(x, false) : kf.grad(x);
    x = x.add(g, -1e-4);
    benchmark::DoNotOptimize(x);
  }
}

void loss_evaluation(benchmark::State& state, std::string family, std::int64_t n, bool plain) {
  c10::InferenceMode guard;
  auto f = sample(family, n);
  const auto& kf = dynamic_cast<const KernelObjective&>(*f);
  Tensor x = f->initial_points(2);
  for (auto _ : state) benchmark::DoNotOptimize(plain ? kf.plain_loss(x, false) : kf.loss(x));
}

// Console output as usual, plus the real time of every run kept for the speed-up table.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs)
      if (run.run_type == Run::RT_Iteration && !run.error_occurred)
        times[run.benchmark_name()] = run.GetAdjustedRealTime(),
        cpu_times[run.benchmark_name()] = run.GetAdjustedCPUTime();
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> times, cpu_times;
};

}  // namespace

// learned_bench.cpp: the benchmarks, and the closing note from their CPU times.
void register_learned_benchmarks();
void print_learned_note(const std::map<std::string, double>& cpu_times);
// torchscript_bench.cpp: a scripted optimizer's per-step overhead.
void register_torchscript_benchmarks();
void print_torchscript_note(const std::map<std::string, double>& cpu_times);
void register_diffusion_training_benchmarks();
void print_diffusion_training_note(const std::map<std::string, double>& cpu_times);

int main(int argc, char** argv) {
  l2o::tune_numerical_libraries(argv);
  const char* threads = std::getenv("L2O_BENCH_THREADS");
  at::set_num_threads(threads ? std::atoi(threads) : 1);

  std::vector<std::string> pairs;
  for (const auto& family : l2o::problems::families()) {
    for (std::int64_t n : {10, 50}) {
      const std::string f(family.name);
      // Families whose dimension is fixed by their data (a network's weight count) have no n;
      // data-backed ones need their data set installed.
      try {
        sample(f, n);
      } catch (const l2o::InputError& e) {
        fmt::print(stderr, "l2o_bench: no {}/n={} benchmarks: {}\n", f, n, e.what());
        continue;
      }
      for (const char* what : {"gradient_step", "loss"}) {
        const std::string base = fmt::format("{}/{}/n={}", what, f, n);
        for (bool plain : {false, true}) {
          const std::string name = base + (plain ? "/plain" : "/kernel");
          if (what == std::string("loss"))
            benchmark::RegisterBenchmark(name.c_str(), loss_evaluation, f, n, plain);
          else
            benchmark::RegisterBenchmark(name.c_str(), gradient_step, f, n, plain);
        }
        pairs.push_back(base);
      }
      for (const auto& optimizer : l2o::optimizers::optimizers()) {
        // Proximal methods need a Lipschitz constant; skip the pairs that cannot start.
        try {
          auto probe = sample(f, n);
          optimizer.make(optimizer.canonical(Json::object(), "bench"))
              ->start(*probe, probe->initial_points(0));
        } catch (const l2o::InputError&) {
          continue;
        }
        const std::string base = fmt::format("step/{}/{}/n={}", optimizer.name, f, n);
        for (const auto& [suffix, through] :
             {std::pair{"/kernel", Through::kernel}, std::pair{"/plain", Through::plain},
              std::pair{"/counted", Through::counted}})
          benchmark::RegisterBenchmark((base + suffix).c_str(), optimizer_step, f,
                                       std::string(optimizer.name), n, through);
        pairs.push_back(base);
      }
    }
  }

  register_learned_benchmarks();
  register_torchscript_benchmarks();
  register_diffusion_training_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  fmt::print(
      "\nfused kernel vs plain LibTorch ops (B = {}, {} thread(s)): speed-up = plain time / kernel "
      "time\n",
      batch, at::get_num_threads());
  // A line per benchmark timed both ways: both times and the ratio of the second to the first.
  auto ratios = [&](const std::string& first, const std::string& second, const char* ratio) {
    for (const std::string& base : pairs) {
      auto a = reporter.times.find(base + "/" + first),
           b = reporter.times.find(base + "/" + second);
      if (a == reporter.times.end() || b == reporter.times.end()) continue;
      fmt::print("  {:<32} {} {:>9.2f} us   {} {:>9.2f} us   {} {:>6.3f}\n", base, first,
                 a->second / 1e3, second, b->second / 1e3, ratio, b->second / a->second);
    }
  };
  ratios("kernel", "plain", "speed-up");
  fmt::print(
      "\ncounting evaluations (as a cell's rollout does) vs the bare objective: ratio = counted "
      "time / kernel time\n");
  ratios("kernel", "counted", "ratio");
  print_learned_note(reporter.cpu_times);
  fmt::print("\nan optimizer written in PyTorch (TorchScript) vs the same update built in:\n");
  print_torchscript_note(reporter.cpu_times);
  print_diffusion_training_note(reporter.cpu_times);
  benchmark::Shutdown();
  return 0;
}
