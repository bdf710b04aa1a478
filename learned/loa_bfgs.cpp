#include "learned/loa_bfgs.hpp"

#include <algorithm>
#include <array>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/files.hpp"
#include "learned/checkpoint.hpp"

namespace l2o::learned {

namespace {

using optimizers::BfgsIteration;

constexpr std::array<const char*, 6> weight_names = {"global.0", "global.1", "global.2",
                                                     "skip",     "head.0",   "head.1"};
constexpr std::array<std::array<std::int64_t, 2>, 6> weight_shapes = {
    {{3, 6}, {6, 12}, {12, 3}, {6, 1}, {6, 12}, {12, 1}}};
using Network = std::array<Tensor, 6>;

Tensor matvec(const Tensor& H, const Tensor& v) {
  return at::bmm(H, v.unsqueeze(2)).squeeze(2);
}

// u [B, n] from the BFGS state; see the header for the architecture.
Tensor predict_u(const Network& w, const BfgsIteration::UpdateInputs& in) {
  const Tensor a = at::stack({matvec(in.H, in.y), in.s, -matvec(in.H, in.gradient)}, 2);
  const Tensor m = at::relu(at::relu(a.matmul(w[0])).matmul(w[1])).matmul(w[2]).mean(1, true);
  const Tensor z = at::cat({m.expand({a.size(0), a.size(1), 3}), a}, 2);
  return (z.matmul(w[3]) + at::relu(z.matmul(w[4])).matmul(w[5])).squeeze(2);
}

// The authors' PyTorch parameter names ([out, in] each) of the six matrices, in our order.
constexpr std::array<const char*, 6> state_dict_names = {
    "outer_FF.0.weight",     "outer_FF.1.weight", "outer_FF.2.weight",
    "fullskip_layer.weight", "layers.0.weight",   "layers.1.weight"};

bool is_state_dict(const Json& j) {
  return j.is_object() && !j.contains("weights") && !j.contains("format");
}

// The authors' state dict (JSON of nested lists) into `network`, by name: each matrix transposed
// to [in, out]; the skip and first head layer also move their local input rows (0–2 theirs)
// behind the global ones (0–2 ours).
void import_state_dict(const Json& j, const std::string& where, Network& network) {
  for (const auto& [key, value] : j.items())
    if (std::find_if(state_dict_names.begin(), state_dict_names.end(),
                     [&](const char* n) { return key == n; }) == state_dict_names.end())
      throw InputError(fmt::format("{}: unknown key \"{}\"; an LOA state dict has {}", where, key,
                                   fmt::join(state_dict_names, ", ")));
  const Tensor global_first = at::tensor({3, 4, 5, 0, 1, 2}, at::kLong);
  for (std::size_t i = 0; i < network.size(); ++i) {
    const auto [in, out] = weight_shapes[i];
    const std::string name = state_dict_names[i];
    if (!j.contains(name))
      throw InputError(fmt::format("{}: missing \"{}\" (an LOA state dict has {})", where, name,
                                   fmt::join(state_dict_names, ", ")));
    const Json& rows = j[name];
    std::vector<double> values;
    bool shaped = rows.is_array() && std::int64_t(rows.size()) == out;
    for (std::size_t r = 0; shaped && r < rows.size(); ++r) {
      shaped = rows[r].is_array() && std::int64_t(rows[r].size()) == in;
      for (std::size_t c = 0; shaped && c < rows[r].size(); ++c) {
        shaped = rows[r][c].is_number();
        if (shaped) values.push_back(rows[r][c].get<double>());
      }
    }
    if (!shaped)
      throw InputError(
          fmt::format("{}: \"{}\" must be a [{}, {}] array of numbers ([out, in], as "
                      "PyTorch stores it)",
                      where, name, out, in));
    Tensor w = at::tensor(values, at::kDouble).view({out, in}).t();
    if (i == 3 || i == 4) w = w.index_select(0, global_first);
    at::NoGradGuard no_grad;
    network[i].copy_(w);
  }
}

optimizers::Bfgs::Config line_search(const LoaBfgs::Config& config) {
  optimizers::Bfgs::Config c;
  c.c1 = config.c1;
  c.tries = config.tries;
  c.first_step = config.first_step;
  c.protocol = config.protocol;
  return c;
}

class LoaRollout final : public LearnedRollout {
 public:
  LoaRollout(const LoaBfgs::Config& config, Network network, const Objective& objective,
             const Tensor& x0)
      : network_(std::move(network)), iteration_(line_search(config), objective, x0) {}

  Tensor step() override {
    return iteration_.step([this](const BfgsIteration::UpdateInputs& in) {
      count_network_evaluation();
      return predict_u(network_, in);
    });
  }
  void detach() override { iteration_.detach(); }
  optimizers::Counters counters() const override { return iteration_.counters(); }
  std::optional<Tensor> start_point() const override { return iteration_.start_point(); }

 private:
  Network network_;  // handles sharing storage (and autograd identity) with the model's weights
  BfgsIteration iteration_;
};

class LoaBfgsModel final : public LearnedOptimizer {
 public:
  LoaBfgsModel(const LoaBfgs::Config& config, std::uint64_t seed) : config_(config) {
    RandomStream init(seed);
    for (std::size_t i = 0; i < network_.size(); ++i) {
      const auto [in, out] = weight_shapes[i];
      network_[i] = (init.uniform({in, out}) * 2.0 - 1.0) / std::sqrt(double(in));
    }
    if (config_.init == "bfgs") {
      network_[3] = at::zeros({6, 1}, at::kDouble);
      network_[3][4][0] = 1.0;  // the skip connection picks s: u = s, which is BFGS
      network_[5] = at::zeros({12, 1}, at::kDouble);
    }
    if (!config_.weights_file.empty()) {
      const Json j = read_json_file(config_.weights_file);
      if (is_state_dict(j))
        import_state_dict(j, config_.weights_file, network_);
      else
        read_weights_file(config_.weights_file, weights());
    }
  }

  Weights weights() const override {
    Weights out;
    for (std::size_t i = 0; i < network_.size(); ++i)
      out.emplace_back(weight_names[i], network_[i]);
    return out;
  }

  void to(const Placement& placement) override {
    for (Tensor& t : network_) t = t.detach().to(placement.device, placement.dtype).clone();
  }

  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override {
    return std::make_unique<LoaRollout>(config_, network_, objective, x0);
  }

  // Imported weights are evaluated as they are: no training.
  TrainResult train(const TrainingProblem& problem, const TrainConfig& config,
                    const Placement& placement, const ProgressFn& progress) override {
    if (config_.weights_file.empty())
      return LearnedOptimizer::train(problem, config, placement, progress);
    to(placement);
    return {};
  }

 private:
  LoaBfgs::Config config_;
  Network network_;
};

}  // namespace

TrainConfig LoaBfgs::training(const Config&, TrainProfile profile) {
  // The paper's budget is not given in its summary; `paper` is a generous one. `quick` finishes
  // in a few minutes on 2 loaded cores at n = 100.
  TrainConfig t;
  const bool paper = profile == TrainProfile::paper;
  t.epochs = paper ? 2000 : 30;
  t.batch = paper ? 128 : 16;
  t.steps = paper ? 50 : 30;
  t.unroll = 10;
  t.lr = 1e-3;
  t.meta_loss = "mean";
  t.validate_every = paper ? 50 : 10;
  t.validation_instances = paper ? 128 : 32;
  return t;
}

std::unique_ptr<LearnedOptimizer> LoaBfgs::make(const Config& config, std::uint64_t init_seed) {
  return std::make_unique<LoaBfgsModel>(config, init_seed);
}

}  // namespace l2o::learned
