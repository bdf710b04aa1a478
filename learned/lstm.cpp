#include "learned/lstm.hpp"

#include <cmath>

#include <ATen/ATen.h>

namespace l2o::learned {

namespace {

Tensor uniform(RandomStream& init, at::IntArrayRef sizes, double bound) {
  return ((init.uniform(sizes) * 2.0 - 1.0) * bound).to(at::kFloat);
}

Tensor moved(const Tensor& t, const Placement& p) {
  return t.detach().to(p.device, p.dtype).contiguous().requires_grad_(t.requires_grad());
}

}  // namespace

void StackedLstm::State::detach() {
  for (Tensor& t : h) t = t.detach();
  for (Tensor& t : c) t = t.detach();
}

StackedLstm::StackedLstm(std::int64_t input, std::int64_t hidden, std::int64_t layers,
                         RandomStream& init)
    : hidden_(hidden) {
  const double bound = 1.0 / std::sqrt(double(hidden));
  for (std::int64_t l = 0; l < layers; ++l) {
    const std::int64_t in = l == 0 ? input : hidden;
    weight_.push_back(uniform(init, {in + hidden, 4 * hidden}, bound));
    Tensor b = uniform(init, {4 * hidden}, bound);
    b.narrow(0, hidden, hidden).fill_(1.0);
    bias_.push_back(b);
  }
}

StackedLstm::State StackedLstm::initial_state(std::int64_t rows,
                                              const at::TensorOptions& options) const {
  State s;
  for (std::size_t l = 0; l < weight_.size(); ++l) {
    s.h.push_back(at::zeros({rows, hidden_}, options));
    s.c.push_back(at::zeros({rows, hidden_}, options));
  }
  return s;
}

Tensor StackedLstm::step(const Tensor& input, State& state) const {
  Tensor x = input;
  for (std::size_t l = 0; l < weight_.size(); ++l) {
    Tensor gates = at::addmm(bias_[l], at::cat({x, state.h[l]}, 1), weight_[l]);
    auto g = gates.chunk(4, 1);  // input, forget, cell, output
    state.c[l] = at::sigmoid(g[1]) * state.c[l] + at::sigmoid(g[0]) * at::tanh(g[2]);
    state.h[l] = at::sigmoid(g[3]) * at::tanh(state.c[l]);
    x = state.h[l];
  }
  return x;
}

void StackedLstm::collect(Weights& out, const std::string& prefix) const {
  for (std::size_t l = 0; l < weight_.size(); ++l) {
    out.emplace_back(prefix + ".layer" + std::to_string(l) + ".weight", weight_[l]);
    out.emplace_back(prefix + ".layer" + std::to_string(l) + ".bias", bias_[l]);
  }
}

void StackedLstm::to(const Placement& placement) {
  for (Tensor& t : weight_) t = moved(t, placement);
  for (Tensor& t : bias_) t = moved(t, placement);
}

Dense::Dense(std::int64_t in, std::int64_t out, RandomStream& init) {
  const double bound = 1.0 / std::sqrt(double(in));
  weight_ = uniform(init, {in, out}, bound);
  bias_ = uniform(init, {out}, bound);
}

Tensor Dense::operator()(const Tensor& x) const {
  return at::addmm(bias_, x, weight_);
}

void Dense::collect(Weights& out, const std::string& prefix) const {
  out.emplace_back(prefix + ".weight", weight_);
  out.emplace_back(prefix + ".bias", bias_);
}

void Dense::to(const Placement& placement) {
  weight_ = moved(weight_, placement);
  bias_ = moved(bias_, placement);
}

}  // namespace l2o::learned
