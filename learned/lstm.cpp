#include "learned/lstm.hpp"

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <torch/csrc/autograd/custom_function.h>

namespace l2o::learned {

namespace {

Tensor uniform(RandomStream& init, at::IntArrayRef sizes, double bound) {
  return ((init.uniform(sizes) * 2.0 - 1.0) * bound).to(at::kFloat);
}

Tensor moved(const Tensor& t, const Placement& p) {
  return t.detach().to(p.device, p.dtype).contiguous().requires_grad_(t.requires_grad());
}

// The LSTM cell's element-wise part in one pass over memory, with a hand-written backward:
// gates [rows, 4·hidden] (input, forget, cell, output) and c [rows, hidden] -> (h', c').
// Every activation is a sigmoid (tanh(x) = 2σ(2x) − 1): LibTorch's CPU sigmoid is several times
// faster than its tanh, and the cell's cost is mostly these activations, not its GEMMs.
struct CellActivations {
  Tensor sigmoids;  // σ of the gates, σ(2·g) for the cell gate: [rows, 4·hidden]
  Tensor c, tanh_c;
  Tensor h;
};

// `gates` holds 2·g for the cell gate (see StackedLstm::step).
CellActivations cell_forward(const Tensor& gates, const Tensor& c_prev) {
  const std::int64_t rows = gates.size(0), hidden = gates.size(1) / 4;
  CellActivations out;
  out.sigmoids = at::sigmoid(gates).contiguous();
  out.c = at::empty({rows, hidden}, gates.options());
  Tensor c_in = c_prev.contiguous();
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_cell_c", [&] {
    const scalar_t* __restrict a = out.sigmoids.data_ptr<scalar_t>();
    const scalar_t* __restrict cp = c_in.data_ptr<scalar_t>();
    scalar_t* __restrict c = out.c.data_ptr<scalar_t>();
    for (std::int64_t r = 0; r < rows; ++r) {
      const scalar_t* __restrict ar = a + r * 4 * hidden;
      for (std::int64_t j = 0; j < hidden; ++j) {
        const scalar_t i = ar[j], f = ar[hidden + j], g = 2 * ar[2 * hidden + j] - 1;
        c[r * hidden + j] = f * cp[r * hidden + j] + i * g;
      }
    }
  });
  out.tanh_c = (out.c * 2).sigmoid_();
  out.h = at::empty({rows, hidden}, gates.options());
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_cell_h", [&] {
    const scalar_t* __restrict a = out.sigmoids.data_ptr<scalar_t>();
    scalar_t* __restrict t = out.tanh_c.data_ptr<scalar_t>();
    scalar_t* __restrict h = out.h.data_ptr<scalar_t>();
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < hidden; ++j) {
        const std::int64_t k = r * hidden + j;
        t[k] = 2 * t[k] - 1;
        h[k] = a[r * 4 * hidden + 3 * hidden + j] * t[k];
      }
  });
  return out;
}

struct LstmCellFunction : torch::autograd::Function<LstmCellFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const Tensor& gates, const Tensor& c_prev) {
    CellActivations a = cell_forward(gates, c_prev);
    ctx->save_for_backward({a.sigmoids, c_prev.contiguous(), a.tanh_c});
    return {a.h, a.c};
  }

  // dh, dc -> dgates, dc_prev. With c' = f·c + i·g, h' = o·tanh(c'):
  // dc' += dh·o·(1 − tanh²c'); di = dc'·g·i(1−i); df = dc'·c·f(1−f); do = dh·tanh(c')·o(1−o);
  // dc = dc'·f; and for the doubled cell-gate input u = 2·a (g = tanh(u/2)): du = dc'·i·(1−g²)/2.
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const Tensor &sigmoids = saved[0], &c_prev = saved[1], &tanh_c = saved[2];
    const Tensor dh = grads[0].contiguous(), dc = grads[1].contiguous();
    const std::int64_t rows = sigmoids.size(0), hidden = sigmoids.size(1) / 4;
    Tensor dgates = at::empty_like(sigmoids), dc_prev = at::empty_like(c_prev);
    AT_DISPATCH_FLOATING_TYPES(sigmoids.scalar_type(), "lstm_cell_backward", [&] {
      const scalar_t* __restrict a = sigmoids.data_ptr<scalar_t>(), * __restrict cp = c_prev.data_ptr<scalar_t>(),
                     * __restrict tc = tanh_c.data_ptr<scalar_t>(), * __restrict gh = dh.data_ptr<scalar_t>(),
                     * __restrict gc = dc.data_ptr<scalar_t>();
      scalar_t* __restrict dg = dgates.data_ptr<scalar_t>(), * __restrict dcp =
                                                                 dc_prev.data_ptr<scalar_t>();
      for (std::int64_t r = 0; r < rows; ++r) {
        const scalar_t* __restrict ar = a + r * 4 * hidden;
        scalar_t* __restrict dr = dg + r * 4 * hidden;
        for (std::int64_t j = 0; j < hidden; ++j) {
          const std::int64_t k = r * hidden + j;
          const scalar_t i = ar[j], f = ar[hidden + j], g = 2 * ar[2 * hidden + j] - 1,
                         o = ar[3 * hidden + j], t = tc[k];
          const scalar_t d_c = gc[k] + gh[k] * o * (1 - t * t);
          dr[j] = d_c * g * i * (1 - i);
          dr[hidden + j] = d_c * cp[k] * f * (1 - f);
          dr[2 * hidden + j] = d_c * i * (1 - g * g) / 2;
          dr[3 * hidden + j] = gh[k] * t * o * (1 - o);
          dcp[k] = d_c * f;
        }
      }
    });
    return {dgates, dc_prev};
  }
};

// (h', c') of one LSTM cell from its gate pre-activations (2·g for the cell gate) and c.
std::pair<Tensor, Tensor> fused_lstm_cell(const Tensor& gates, const Tensor& c_prev) {
  if (at::GradMode::is_enabled() && (gates.requires_grad() || c_prev.requires_grad())) {
    auto out = LstmCellFunction::apply(gates, c_prev);
    return {out[0], out[1]};
  }
  CellActivations a = cell_forward(gates, c_prev);
  return {a.h, a.c};
}

// [4·hidden]: 1, and 2 for the cell gate's columns.
Tensor cell_gate_doubling(std::int64_t hidden, const at::TensorOptions& options) {
  Tensor scale = at::ones({4 * hidden}, options);
  scale.narrow(0, 2 * hidden, hidden).fill_(2);
  return scale;
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
  if (!input.device().is_cpu()) {  // the fused cell is CPU code
    for (std::size_t l = 0; l < weight_.size(); ++l) {
      auto g = at::addmm(bias_[l], at::cat({x, state.h[l]}, 1), weight_[l]).chunk(4, 1);
      state.c[l] = at::sigmoid(g[1]) * state.c[l] + at::sigmoid(g[0]) * at::tanh(g[2]);
      x = state.h[l] = at::sigmoid(g[3]) * at::tanh(state.c[l]);
    }
    return x;
  }
  // The fused cell wants 2·g: doubling the cell gate's weight columns and bias first is exact
  // and costs [in + hidden, 4·hidden] multiplications, not [rows, hidden].
  const Tensor doubling = cell_gate_doubling(hidden_, weight_[0].options().requires_grad(false));
  for (std::size_t l = 0; l < weight_.size(); ++l) {
    Tensor gates =
        at::addmm(bias_[l] * doubling, at::cat({x, state.h[l]}, 1), weight_[l] * doubling);
    std::tie(state.h[l], state.c[l]) = fused_lstm_cell(gates, state.c[l]);
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
