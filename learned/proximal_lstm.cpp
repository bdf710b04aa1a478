#include "learned/proximal_lstm.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace l2o::learned {

ProximalLstmNetwork::ProximalLstmNetwork(std::int64_t inputs, std::int64_t hidden,
                                         std::int64_t layers, std::int64_t heads,
                                         std::uint64_t seed) {
  RandomStream init(seed);
  lstm_ = StackedLstm(inputs, hidden, layers, init);
  hidden_ = Dense(hidden, hidden, init);
  head_ = Dense(hidden, heads, init);
}

StackedLstm::State ProximalLstmNetwork::initial_state(const Tensor& x0) const {
  return lstm_.initial_state(x0.numel(), x0.options());
}

Tensor ProximalLstmNetwork::operator()(const Tensor& features, StackedLstm::State& state) const {
  return head_(at::relu(hidden_(lstm_.step(features, state))));
}

Weights ProximalLstmNetwork::weights() const {
  Weights w;
  lstm_.collect(w, "lstm");
  hidden_.collect(w, "hidden");
  head_.collect(w, "head");
  return w;
}

void ProximalLstmNetwork::to(const Placement& placement) {
  lstm_.to(placement);
  hidden_.to(placement);
  head_.to(placement);
}

Tensor composite_inverse_lipschitz(const problems::Objective& objective, std::string_view method) {
  auto L = objective.lipschitz();
  if (!L)
    throw InputError(fmt::format(
        "{} needs the Lipschitz constant of the smooth part (lipschitz()), and this problem "
        "family provides none; use it on lasso, lasso-sparse or logistic with regularizer l1",
        method));
  if (objective.l1_weight() <= 0)
    throw InputError(fmt::format(
        "{} needs a composite objective s + lambda |x|_1 (l1_weight() > 0), and this problem "
        "has no L1 term; use it on lasso, lasso-sparse or logistic with regularizer l1",
        method));
  return place(1.0 / *L, objective.placement()).unsqueeze(1);
}

TrainConfig proximal_l2o_training(TrainProfile profile) {
  TrainConfig t;
  t.steps = 100;
  t.unroll = 20;
  t.meta_loss = "mean";
  t.lr = 1e-2;
  t.lr_decay = 0.5;
  t.clip = 1.0;
  if (profile == TrainProfile::paper) {
    t.epochs = 1500;
    t.batch = 128;
    t.lr_decay_every = 500;
    t.validate_every = 100;
  } else {
    t.epochs = 60;
    t.batch = 32;
    t.lr_decay_every = 20;
    t.validate_every = 10;
    t.validation_instances = 64;
  }
  return t;
}

Tensor coefficient(const Tensor& raw, std::int64_t j, const Tensor& like) {
  return raw.select(1, j).view_as(like);
}

}  // namespace l2o::learned
