// Learned optimizers: one evaluation step and one meta-training segment (forward and backward
// through a 20-step unroll) at B = 128, n ∈ {10, 50} on quadratics (LASSO for the proximal
// models), next to the same coordinate-wise LSTM step through torch::nn::LSTM, and the
// GEMM-only and GEMM-plus-cell limits of L2O-DM's segment. Throughput in coordinate-steps per
// second (CPU time).
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "learned/diffusion.hpp"
#include "learned/lstm.hpp"
#include "learned/preprocessing.hpp"
#include "learned/registry.hpp"
#include "problems/registry.hpp"

namespace {

using l2o::Json;
using l2o::Tensor;

// Rollouts restart after the default training horizon (a diffusion model's T reverse steps).
constexpr std::int64_t batch = 128, unroll = 20, rollout_steps = 100;

std::unique_ptr<l2o::problems::Objective> problem(const std::string& family, std::int64_t n) {
  const auto& f = l2o::problems::find_family(family, "bench");
  return f.sample(f.canonical({{"dim", n}}, "bench"), {batch, 1, {c10::kCPU, at::kFloat}});
}

std::unique_ptr<l2o::problems::Objective> quadratic(std::int64_t n) {
  return problem("quadratic", n);
}

// A model sized and placed for its benchmark problem (models with per-dimension networks need
// the size before use): quadratic(n), or LASSO for the proximal models that need an L1 term.
struct ModelOnProblem {
  std::unique_ptr<l2o::problems::Objective> f;
  std::unique_ptr<l2o::learned::LearnedOptimizer> model;
};

ModelOnProblem model(const std::string& name, std::int64_t n) {
  const auto* entry = l2o::learned::find_learned(name);
  for (const char* family : {"quadratic", "lasso"}) {
    ModelOnProblem out{problem(family, n),
                       entry->make(entry->canonical(Json::object(), "bench"), 1)};
    out.model->shape_for(*out.f);
    out.model->to({c10::kCPU, at::kFloat});  // as the harness places a model for its problems
    try {
      out.model->start(*out.f, out.f->initial_points(2));
      return out;
    } catch (const l2o::InputError&) {
      if (family == std::string("lasso")) throw;
    }
  }
  return {};
}

void set_rate(benchmark::State& state, std::int64_t coordinate_steps) {
  state.counters["coord_steps/s"] =
      benchmark::Counter(double(coordinate_steps), benchmark::Counter::kIsIterationInvariantRate);
}

void evaluation_step(benchmark::State& state, std::string name, std::int64_t n) {
  c10::InferenceMode guard;
  auto [f, m] = model(name, n);
  auto rollout = m->start(*f, f->initial_points(2));
  std::int64_t steps = 0;
  for (auto _ : state) {
    if (++steps % rollout_steps == 0) {  // a diffusion rollout ends after its T steps
      state.PauseTiming();
      rollout = m->start(*f, f->initial_points(2));
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(rollout->step());
  }
  set_rate(state, batch * n);
}

void training_segment(benchmark::State& state, std::string name, std::int64_t n) {
  auto [f, m] = model(name, n);
  for (auto& [key, w] : m->weights()) w.requires_grad_(true);
  auto rollout = m->start_learned(*f, f->initial_points(2));
  std::int64_t segments = 0;
  for (auto _ : state) {
    if (++segments % (rollout_steps / unroll) == 0) {  // as in training: a fresh rollout
      state.PauseTiming();
      rollout = m->start_learned(*f, f->initial_points(2));
      state.ResumeTiming();
    }
    Tensor loss = at::zeros({});
    for (std::int64_t t = 0; t < unroll; ++t) loss = loss + f->loss(rollout->step()).mean();
    loss.backward();
    rollout->detach();
  }
  set_rate(state, batch * n * unroll);
}

// L2O-DM's step with torch::nn::LSTM (2 layers, hidden 20, one time step over B·n rows).
struct TorchLstmDm {
  torch::nn::LSTM lstm{torch::nn::LSTMOptions(2, 20).num_layers(2)};
  torch::nn::Linear head{20, 1};
  std::tuple<Tensor, Tensor> state;
  explicit TorchLstmDm(std::int64_t rows)
      : state{at::zeros({2, rows, 20}), at::zeros({2, rows, 20})} {}
  Tensor step(const l2o::problems::Objective& f, const Tensor& x) {
    Tensor input = l2o::learned::log_and_sign(f.grad(x), 5.0).unsqueeze(0);
    auto [out, next] = lstm->forward(input, state);
    state = next;
    return x - 0.01 * head->forward(out.squeeze(0)).view_as(x);
  }
};

void torch_lstm_evaluation_step(benchmark::State& state, std::int64_t n) {
  c10::InferenceMode guard;
  auto f = quadratic(n);
  TorchLstmDm net(batch * n);
  Tensor x = f->initial_points(2);
  for (auto _ : state) benchmark::DoNotOptimize(x = net.step(*f, x));
  set_rate(state, batch * n);
}

void torch_lstm_training_segment(benchmark::State& state, std::int64_t n) {
  auto f = quadratic(n);
  TorchLstmDm net(batch * n);
  Tensor x = f->initial_points(2);
  for (auto _ : state) {
    Tensor loss = at::zeros({});
    for (std::int64_t t = 0; t < unroll; ++t) {
      x = net.step(*f, x);
      loss = loss + f->loss(x).mean();
    }
    loss.backward();
    x = x.detach();
    net.state = {std::get<0>(net.state).detach(), std::get<1>(net.state).detach()};
  }
  set_rate(state, batch * n * unroll);
}

// The limits of learned_train_unroll20/l2o-dm. `gemm-limit`: only the matrix products of its
// 20-step segment (per step and layer one forward GEMM [rows, in + hidden]·[in + hidden, 4·hidden]
// and the two of its backward, and the head's three), on preallocated tensors with one core's BLAS.
// `gemm-cell-limit` adds each layer's fused LSTM cell, forward and backward, on preallocated
// per-step activations (a segment keeps them all for its backward, as training must): what a step
// with no autograd, no allocation, no objective and no feature map would cost.
void l2o_dm_limit(benchmark::State& state, std::int64_t n, bool with_cells) {
  const std::int64_t rows = batch * n, hidden = 20;
  struct Product {
    Tensor x, w, y, dy, dx, dw;
    bool cell;  // an LSTM layer (gates out), not the head
  };
  std::vector<Product> products;
  for (auto [in, out] : {std::pair<std::int64_t, std::int64_t>{2 + hidden, 4 * hidden},
                         {2 * hidden, 4 * hidden},
                         {hidden, 1}}) {
    Product p{at::randn({rows, in}),  at::randn({in, out}),  at::empty({rows, out}),
              at::randn({rows, out}), at::empty({rows, in}), at::empty({in, out}),
              out == 4 * hidden};
    products.push_back(std::move(p));
  }
  // Per layer and step: σ of the gates, c (step t + 1 holds c'), tanh c', h'.
  struct Activations {
    Tensor sigmoids, c, tanh_c, h;
  };
  std::vector<Activations> saved;
  for (int layer = 0; layer < 2; ++layer)
    saved.push_back({at::empty({unroll, rows, 4 * hidden}), at::zeros({unroll + 1, rows, hidden}),
                     at::empty({unroll, rows, hidden}), at::empty({unroll, rows, hidden})});
  const Tensor dh = at::randn({rows, hidden}), dc = at::randn({rows, hidden});
  Tensor dc_prev = at::empty({rows, hidden});
  for (auto _ : state) {
    for (std::int64_t t = 0; t < unroll; ++t)
      for (std::size_t k = 0; k < products.size(); ++k) {
        Product& p = products[k];
        at::mm_out(p.y, p.x, p.w);
        if (!with_cells || !p.cell) continue;
        Activations& a = saved[k];
        Tensor sigmoids = a.sigmoids[t], c = a.c[t + 1], tanh_c = a.tanh_c[t], h = a.h[t];
        l2o::learned::lstm_cell_forward(p.y, sigmoids, a.c[t], c, tanh_c, h);
      }
    for (std::int64_t t = unroll - 1; t >= 0; --t)
      for (std::size_t k = products.size(); k-- > 0;) {
        Product& p = products[k];
        if (with_cells && p.cell) {
          const Activations& a = saved[k];
          l2o::learned::lstm_cell_backward(a.sigmoids[t], a.c[t], a.tanh_c[t], dh, Tensor(), dc,
                                           p.dy, dc_prev);
        }
        at::mm_out(p.dx, p.dy, p.w.t());
        at::mm_out(p.dw, p.x.t(), p.dy);
      }
  }
  set_rate(state, batch * n * unroll);
}

}  // namespace

void register_learned_benchmarks() {
  for (std::int64_t n : {10, 50}) {
    for (const auto& entry : l2o::learned::learned_optimizers()) {
      const std::string name(entry.name);
      // A module file's optimizer (torchscript) has its own benchmark: torchscript_bench.cpp.
      if (l2o::learned::find_any_optimizer(name, "bench").needs_a_file) continue;
      benchmark::RegisterBenchmark(
          ("learned_eval_step/" + name + "/n=" + std::to_string(n)).c_str(), evaluation_step, name,
          n);
      // A composition (hybrid) is trained as the learned optimizer it carries.
      if (entry.trained_part(entry.canonical(Json::object(), "bench")).name != name) continue;
      benchmark::RegisterBenchmark(
          ("learned_train_unroll20/" + name + "/n=" + std::to_string(n)).c_str(), training_segment,
          name, n);
    }
    benchmark::RegisterBenchmark(
        ("learned_eval_step/torch-nn-lstm-dm/n=" + std::to_string(n)).c_str(),
        torch_lstm_evaluation_step, n);
    benchmark::RegisterBenchmark(
        ("learned_train_unroll20/torch-nn-lstm-dm/n=" + std::to_string(n)).c_str(),
        torch_lstm_training_segment, n);
    benchmark::RegisterBenchmark(
        ("learned_train_unroll20/gemm-limit-l2o-dm/n=" + std::to_string(n)).c_str(), l2o_dm_limit,
        n, false);
    benchmark::RegisterBenchmark(
        ("learned_train_unroll20/gemm-cell-limit-l2o-dm/n=" + std::to_string(n)).c_str(),
        l2o_dm_limit, n, true);
  }
}

void print_learned_note(const std::map<std::string, double>& cpu_times) {
  fmt::print("\nmeta-training a 20-step segment (B = {}, CPU time): coordinate-steps/s\n", batch);
  for (std::int64_t n : {10, 50}) {
    auto rate = [&](const std::string& what) {
      auto it = cpu_times.find(fmt::format("learned_train_unroll20/{}/n={}", what, n));
      return it == cpu_times.end() ? 0.0 : double(batch * n * unroll) / (it->second * 1e-9);
    };
    const double ours = rate("l2o-dm"), torch = rate("torch-nn-lstm-dm"),
                 limit = rate("gemm-limit-l2o-dm"), cell_limit = rate("gemm-cell-limit-l2o-dm");
    if (ours == 0 || torch == 0 || limit == 0 || cell_limit == 0) continue;
    fmt::print(
        "  l2o-dm n={:<3} {:>10.0f}   torch::nn::LSTM {:>10.0f} ({:.2f}x)   GEMM limit {:>10.0f} "
        "({:.2f}x torch, {:.0f}% of it)   GEMM + cell limit {:>10.0f} ({:.2f}x torch)\n",
        n, ours, torch, ours / torch, limit, limit / torch, 100 * ours / limit, cell_limit,
        cell_limit / torch);
  }
}

// ---- Diff-L2O's own training loop (issue 12, item 4) ----
// One training epoch of the diffusion optimizers at their training batch (512): the solver run
// that starts the epoch's forward trajectories, then T reverse steps with one Adam update each,
// or one per coordinate group for the element-wise variant in its Global (1 group), Local (3)
// and per-coordinate phase. Next to it the solver run alone. Wall-clock seconds per epoch.
namespace {

struct DiffusionTrainingCase {
  std::string label, model;
  Json model_config;  // fields over the defaults (the element-wise phase)
  std::string family;
  Json problem_config;
};

const std::vector<DiffusionTrainingCase>& diffusion_training_cases() {
  static const Json rastrigin = {{"dim", 10}}, lasso = {{"dim", 10}, {"rows", 5}};
  static const Json local = {{"global_until", 0.0}, {"local_until", 1.0}},
                    per_coordinate = {{"global_until", 0.0}, {"local_until", 0.0}};
  static const std::vector<DiffusionTrainingCase> cases = {
      {"diff-l2o/rastrigin-n=10", "diff-l2o", Json::object(), "rastrigin", rastrigin},
      {"diff-l2o/lasso-5x10", "diff-l2o", Json::object(), "lasso", lasso},
      {"diff-l2o-ele-global/rastrigin-n=10", "diff-l2o-ele", Json::object(), "rastrigin",
       rastrigin},
      {"diff-l2o-ele-global/lasso-5x10", "diff-l2o-ele", Json::object(), "lasso", lasso},
      {"diff-l2o-ele-local/lasso-5x10", "diff-l2o-ele", local, "lasso", lasso},
      {"diff-l2o-ele-per-coordinate/rastrigin-n=10", "diff-l2o-ele", per_coordinate, "rastrigin",
       rastrigin},
      {"diff-l2o-ele-per-coordinate/lasso-5x10", "diff-l2o-ele", per_coordinate, "lasso", lasso},
  };
  return cases;
}

// A one-epoch training of a fresh model (validated on one instance, before and after).
void diffusion_training_epoch(benchmark::State& state, const DiffusionTrainingCase& c) {
  const auto* entry = l2o::learned::find_learned(c.model);
  const Json config = entry->canonical(c.model_config, "bench");
  l2o::learned::TrainConfig budget = entry->training(config, l2o::learned::TrainProfile::quick);
  budget.epochs = 1;
  budget.validation_instances = 1;
  const auto& family = l2o::problems::find_family(c.family, "bench");
  const l2o::learned::TrainingProblem training{&family, family.canonical(c.problem_config, "bench"),
                                               3};
  for (auto _ : state) {
    state.PauseTiming();
    auto model = entry->make(config, 1);
    state.ResumeTiming();
    model->train(training, budget, {c10::kCPU, at::kFloat}, {});
  }
}

// A case's untrained model, sized for one training batch of its problem.
struct DiffusionCaseModel {
  std::unique_ptr<l2o::problems::Objective> f;
  std::unique_ptr<l2o::learned::LearnedOptimizer> model;
  l2o::learned::DiffusionOptimizer& diffusion() const {
    return dynamic_cast<l2o::learned::DiffusionOptimizer&>(*model);
  }
};

DiffusionCaseModel diffusion_case_model(const DiffusionTrainingCase& c) {
  const auto* entry = l2o::learned::find_learned(c.model);
  const Json config = entry->canonical(c.model_config, "bench");
  const std::int64_t batch = entry->training(config, l2o::learned::TrainProfile::quick).batch;
  const auto& family = l2o::problems::find_family(c.family, "bench");
  DiffusionCaseModel out{family.sample(family.canonical(c.problem_config, "bench"),
                                       {batch, 3, {c10::kCPU, at::kFloat}}),
                         entry->make(config, 1)};
  out.model->shape_for(*out.f);
  return out;
}

// The solver part alone: the trajectories' start on one training batch (the default oracle,
// Adam for solver_steps from N(0, I)).
void diffusion_trajectory_start(benchmark::State& state, const DiffusionTrainingCase& c) {
  const DiffusionCaseModel m = diffusion_case_model(c);
  for (auto _ : state)
    benchmark::DoNotOptimize(m.diffusion().trajectory_start(*m.f, m.f->features(), 4));
}

// The limit of a training epoch: its matrix products alone, on preallocated tensors with one
// core's BLAS. Per update and layer the forward GEMM over the rows that get a gradient and the
// two of its backward (no input gradient at the first layer), and for a group update (Algorithm
// 5) the forward over every row without gradient, which gives the other coordinates' values.
void diffusion_gemm_limit(benchmark::State& state, const DiffusionTrainingCase& c) {
  const DiffusionCaseModel m = diffusion_case_model(c);
  const std::int64_t B = m.f->batch(), n = m.f->dim(), steps = m.diffusion().schedule().steps();
  const std::int64_t groups = m.diffusion().update_groups(1, 1, n);
  // Rows of the network: one per instance, or one per coordinate for the element-wise model.
  const std::int64_t rows = m.diffusion().dimension_free() ? B * n : B;
  const std::int64_t group_rows = rows / groups;
  struct Layer {
    Tensor w, x, y, dy, dx, dw, all_x, all_y;
  };
  std::vector<Layer> layers;
  for (const auto& [name, w] : m.model->weights()) {
    if (w.dim() != 2) continue;  // the biases
    const std::int64_t in = w.size(0), out = w.size(1);
    layers.push_back({w.detach(), at::randn({group_rows, in}), at::empty({group_rows, out}),
                      at::randn({group_rows, out}), at::empty({group_rows, in}),
                      at::empty({in, out}), at::randn({rows, in}), at::empty({rows, out})});
  }
  for (auto _ : state)
    for (std::int64_t update = 0; update < steps * groups; ++update)
      for (std::size_t i = 0; i < layers.size(); ++i) {
        Layer& l = layers[i];
        if (groups > 1) at::mm_out(l.all_y, l.all_x, l.w);
        at::mm_out(l.y, l.x, l.w);
        at::mm_out(l.dw, l.x.t(), l.dy);
        if (i > 0) at::mm_out(l.dx, l.dy, l.w.t());
      }
}

}  // namespace

void register_diffusion_training_benchmarks() {
  for (const DiffusionTrainingCase& c : diffusion_training_cases()) {
    benchmark::RegisterBenchmark(("diffusion_train_epoch/" + c.label).c_str(),
                                 diffusion_training_epoch, c)
        ->Unit(benchmark::kSecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("diffusion_train_epoch/gemm-limit/" + c.label).c_str(),
                                 diffusion_gemm_limit, c)
        ->Unit(benchmark::kSecond)
        ->UseRealTime();
    if (c.model_config.empty())
      benchmark::RegisterBenchmark(("diffusion_trajectory_start/" + c.label).c_str(),
                                   diffusion_trajectory_start, c)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  }
}

// Seconds: the cases' time unit.
void print_diffusion_training_note(const std::map<std::string, double>& cpu_times) {
  bool header = false;
  for (const DiffusionTrainingCase& c : diffusion_training_cases()) {
    auto epoch = cpu_times.find("diffusion_train_epoch/" + c.label + "/real_time"),
         limit = cpu_times.find("diffusion_train_epoch/gemm-limit/" + c.label + "/real_time");
    if (epoch == cpu_times.end() || limit == cpu_times.end()) continue;
    if (!header)
      fmt::print("\nDiff-L2O training epoch (batch 512, CPU seconds) against its GEMM limit\n");
    header = true;
    fmt::print("  {:<44} {:>7.2f} s   GEMM limit {:>7.2f} s ({:.0f}% of the epoch)\n", c.label,
               epoch->second, limit->second, 100 * limit->second / epoch->second);
  }
}
