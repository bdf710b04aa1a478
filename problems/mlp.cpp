#include "problems/mlp.hpp"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "problems/data/catalog.hpp"

namespace l2o::problems {

namespace {

// The weights of B networks as views into x [B, n]: W1 [B, in, h], b1 [B, h], W2 [B, h, c],
// b2 [B, c]. Views, so autograd flows from them back to x.
struct Weights {
  Tensor W1, b1, W2, b2;
};

Weights unpack(const Tensor& x, std::int64_t inputs, std::int64_t hidden, std::int64_t classes) {
  const std::int64_t B = x.size(0);
  std::int64_t at = 0;
  auto take = [&](std::int64_t count) {
    Tensor part = x.narrow(1, at, count);
    at += count;
    return part;
  };
  Weights w;
  w.W1 = take(inputs * hidden).view({B, inputs, hidden});
  w.b1 = take(hidden);
  w.W2 = take(hidden * classes).view({B, hidden, classes});
  w.b2 = take(classes);
  return w;
}

// Hidden activations [B, rows, h] and logits [B, rows, c] of every network on its rows
// X [B, rows, in].
std::pair<Tensor, Tensor> forward(const Weights& w, const Tensor& X) {
  Tensor h = at::sigmoid(at::baddbmm(w.b1.unsqueeze(1), X, w.W1));
  return {h, at::baddbmm(w.b2.unsqueeze(1), h, w.W2)};
}

// Mean cross-entropy per network [B] of logits [B, rows, c] against labels [B, rows].
Tensor cross_entropy(const Tensor& logits, const Tensor& labels) {
  return (at::logsumexp(logits, 2) - logits.gather(2, labels.unsqueeze(2)).squeeze(2)).mean(1);
}

class MlpObjective final : public Objective {
 public:
  MlpObjective(const Mlp::Config& config, Tensor seeds, Placement placement)
      : config_(config), seeds_(std::move(seeds)), placement_(placement) {
    // The data must serve meta-training too, even if this batch is built under InferenceMode.
    c10::InferenceMode normal_tensors(false);
    const data::TrainTest& parts = data::load_train_test(config.dataset);
    inputs_ = parts.train.columns();
    classes_ = parts.train.classes;
    train_x_ = place(parts.train.features, placement);
    train_y_ = parts.train.labels.to(placement.device, at::kLong);
    const std::int64_t test_rows =
        config.test_examples > 0 ? config.test_examples : parts.test.rows();
    test_x_ = place(parts.test.features.slice(0, 0, test_rows), placement);
    test_y_ = parts.test.labels.slice(0, 0, test_rows).to(placement.device, at::kLong);
    const Tensor s = seeds_.to(at::kCPU, at::kDouble).contiguous();
    for (std::int64_t i = 0; i < s.numel(); ++i)
      stream_seeds_.push_back(static_cast<std::uint64_t>(s.data_ptr<double>()[i]));
  }

  std::int64_t batch() const override { return seeds_.size(0); }
  std::int64_t dim() const override { return config_.weight_count(); }
  Placement placement() const override { return placement_; }
  NamedTensors parameters() const override { return {{"minibatch_seed", seeds_}}; }
  // The data is the same for every instance; there are no per-instance problem features.
  Tensor features() const override {
    return at::empty({batch(), 0}, at::TensorOptions(placement_.dtype).device(placement_.device));
  }

  Tensor loss(const Tensor& x) const override {
    auto [X, y] = minibatch();
    return cross_entropy(forward(unpack(x, inputs_, config_.hidden, classes_), X).second, y);
  }

  // Backpropagation by hand (no graph), on the current minibatch; then the next one.
  Tensor grad(const Tensor& x) const override {
    at::NoGradGuard no_grad;
    auto [X, y] = minibatch();
    ++step_;
    const Weights w = unpack(x.detach(), inputs_, config_.hidden, classes_);
    auto [h, logits] = forward(w, X);
    // d(mean CE)/d logits = (softmax − one-hot)/rows.
    Tensor d_logits = at::softmax(logits, 2);
    d_logits.scatter_add_(2, y.unsqueeze(2), at::full_like(d_logits.narrow(2, 0, 1), -1.0));
    d_logits /= double(config_.minibatch);
    Tensor d_z = at::bmm(d_logits, w.W2.transpose(1, 2)) * h * (1 - h);
    const std::int64_t B = x.size(0);
    return at::cat({at::bmm(X.transpose(1, 2), d_z).view({B, -1}), d_z.sum(1),
                    at::bmm(h.transpose(1, 2), d_logits).view({B, -1}), d_logits.sum(1)},
                   1);
  }

  void rewind() const override {
    step_ = 0;
    cached_step_ = -1;
  }

  // Test loss and accuracy of every network on the held-out rows, one GEMM for the hidden
  // layer of all networks together.
  NamedTensors evaluation_metrics(const Tensor& x) const override {
    at::NoGradGuard no_grad;
    const Weights w = unpack(x.detach(), inputs_, config_.hidden, classes_);
    const std::int64_t B = x.size(0), rows = test_x_.size(0), h = config_.hidden;
    Tensor z = at::mm(test_x_, w.W1.permute({1, 0, 2}).reshape({inputs_, B * h}));
    Tensor hidden = at::sigmoid(z.view({rows, B, h}).permute({1, 0, 2}) + w.b1.unsqueeze(1));
    Tensor logits = at::baddbmm(w.b2.unsqueeze(1), hidden, w.W2);
    Tensor labels = test_y_.unsqueeze(0).expand({B, rows});
    Tensor correct = (logits.argmax(2) == labels).to(x.scalar_type()).mean(1);
    return {{"test_loss", cross_entropy(logits, labels)}, {"test_accuracy", correct}};
  }

  Tensor initial_points(std::uint64_t seed) const override {
    return place(0.01 * RandomStream(seed).normal({batch(), dim()}), placement_);
  }

 private:
  // The rows [B, minibatch, in] and labels [B, minibatch] of the current step: each network's
  // indices are uniform with replacement from its own stream, a function of (seed, step) only.
  std::pair<Tensor, Tensor> minibatch() const {
    if (cached_step_ != step_) {
      c10::InferenceMode normal_tensors(false);  // usable by autograd whatever mode drew it
      const std::int64_t B = batch(), m = config_.minibatch, rows = train_x_.size(0);
      std::vector<Tensor> draws;
      for (std::int64_t i = 0; i < B; ++i)  // B small draws; the data work below is batched
        draws.push_back(
            RandomStream(derive_seed(stream_seeds_[i], {"minibatch", std::to_string(step_)}))
                .uniform({m}));
      Tensor index =
          (at::stack(draws) * double(rows)).floor().to(at::kLong).clamp_max(rows - 1).view(-1);
      index = index.to(placement_.device);
      cached_x_ = train_x_.index_select(0, index).view({B, m, inputs_});
      cached_y_ = train_y_.index_select(0, index).view({B, m});
      cached_step_ = step_;
    }
    return {cached_x_, cached_y_};
  }

  Mlp::Config config_;
  Tensor seeds_;
  Placement placement_;
  std::vector<std::uint64_t> stream_seeds_;
  std::int64_t inputs_ = 0, classes_ = 0;
  Tensor train_x_, train_y_, test_x_, test_y_;
  // The minibatch stream's position (mutable: grad() advances it) and its current draw.
  mutable std::int64_t step_ = 0, cached_step_ = -1;
  mutable Tensor cached_x_, cached_y_;
};

}  // namespace

std::int64_t Mlp::Config::weight_count() const {
  const auto& entry = data::find_dataset(dataset, "mlp.dataset");
  return entry.columns * hidden + hidden + hidden * entry.classes + entry.classes;
}

void Mlp::Config::validate(const std::string& where) {
  const auto& entry = data::find_dataset(dataset, where + ".dataset");
  if (dim == 0) dim = weight_count();
  if (dim != weight_count())
    throw InputError(fmt::format(
        "{}.dim: a {}-{}-{} network on {} has {} weights, not {} (leave dim out to have it filled "
        "in)",
        where, entry.columns, hidden, entry.classes, dataset, weight_count(), dim));
  if (test_examples > entry.test_rows)
    throw InputError(fmt::format("{}.test_examples: {} holds out {} rows, not {}", where, dataset,
                                 entry.test_rows, test_examples));
}

std::unique_ptr<Objective> Mlp::sample(const Config& config, const Sampling& sampling) {
  // Integers below 2^52, so that the seeds survive a float64 JSON round trip exactly.
  Tensor seeds =
      (RandomStream(sampling.seed).uniform({sampling.count}) * std::ldexp(1.0, 52)).floor();
  return from_parameters(config, {{"minibatch_seed", seeds}}, sampling.placement);
}

std::unique_ptr<Objective> Mlp::from_parameters(const Config& config,
                                                const NamedTensors& parameters,
                                                const Placement& placement) {
  auto p = take_parameters(parameters, {{"minibatch_seed", {}}}, {c10::kCPU, at::kDouble});
  return std::make_unique<MlpObjective>(config, p[0], placement);
}

}  // namespace l2o::problems
