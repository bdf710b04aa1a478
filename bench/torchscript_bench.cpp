// The per-step overhead of an optimizer written in PyTorch (the torchscript optimizer running
// examples/torchscript's Adam) against the same update built in (`adam`), on the same objective:
// what calling a scripted module, passing its state as a list and checking its outputs costs.
// The modules are the test fixtures' (tests/torchscript_fixtures.py; `make microbench` writes
// them first); without them these benchmarks are left out, with a note.
#include <filesystem>
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "learned/registry.hpp"
#include "optimizers/registry.hpp"
#include "problems/registry.hpp"

namespace {

using l2o::Json;

constexpr std::int64_t batch = 128;
const std::filesystem::path adam_module = L2O_TORCHSCRIPT_DIR "/adam.pt";

std::unique_ptr<l2o::problems::Objective> rastrigin(std::int64_t n) {
  const auto& f = l2o::problems::find_family("rastrigin", "bench");
  return f.sample(f.canonical({{"dim", n}}, "bench"), {batch, 1, {c10::kCPU, at::kFloat}});
}

std::unique_ptr<l2o::optimizers::Optimizer> make_adam(bool scripted) {
  if (!scripted) {
    const auto& entry = l2o::optimizers::find_optimizer("adam", "bench");
    return entry.make(entry.canonical(Json::object(), "bench"));
  }
  const auto* entry = l2o::learned::find_learned("torchscript");
  auto model = entry->make(entry->canonical({{"module", adam_module.string()}}, "bench"), 0);
  model->to({c10::kCPU, at::kFloat});
  return model;
}

void adam_step(benchmark::State& state, std::int64_t n, bool scripted) {
  c10::InferenceMode guard;
  auto f = rastrigin(n);
  auto optimizer = make_adam(scripted);
  auto rollout = optimizer->start(*f, f->initial_points(2));
  for (auto _ : state) benchmark::DoNotOptimize(rollout->step());
  state.counters["coord_steps/s"] =
      benchmark::Counter(double(batch * n), benchmark::Counter::kIsIterationInvariantRate);
}

std::string name(std::int64_t n, bool scripted) {
  return fmt::format("torchscript_overhead/{}/rastrigin/n={}", scripted ? "scripted" : "builtin",
                     n);
}

constexpr std::int64_t dims[] = {10, 100};

}  // namespace

void register_torchscript_benchmarks() {
  if (!std::filesystem::exists(adam_module)) {
    fmt::print(stderr,
               "l2o_bench: no torchscript_overhead benchmarks: {} is missing (`make microbench` "
               "writes it; or python3 tests/torchscript_fixtures.py --out {})\n",
               adam_module.string(), adam_module.parent_path().string());
    return;
  }
  for (std::int64_t n : dims)
    for (bool scripted : {false, true})
      benchmark::RegisterBenchmark(name(n, scripted).c_str(), adam_step, n, scripted);
}

void print_torchscript_note(const std::map<std::string, double>& cpu_times) {
  for (std::int64_t n : dims) {
    const auto builtin = cpu_times.find(name(n, false)), scripted = cpu_times.find(name(n, true));
    if (builtin == cpu_times.end() || scripted == cpu_times.end()) continue;
    fmt::print(
        "  Adam step, rastrigin n={} (B = {}, CPU time): built in {:.2f} us, TorchScript {:.2f} "
        "us: "
        "{:.2f}x the built-in time\n",
        n, batch, builtin->second / 1e3, scripted->second / 1e3,
        scripted->second / builtin->second);
  }
}
