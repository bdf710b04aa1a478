#include "learned/lstm.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

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

struct CellActivations {
  Tensor sigmoids;  // σ of the gates, σ(2·g) for the cell gate: [rows, 4·hidden]
  Tensor c, tanh_c;
  Tensor h;
};

// `gates` holds 2·g for the cell gate (see StackedLstm::step).
CellActivations cell_forward(const Tensor& gates, const Tensor& c_prev) {
  const std::int64_t rows = gates.size(0), hidden = gates.size(1) / 4;
  CellActivations out;
  out.sigmoids = at::empty({rows, 4 * hidden}, gates.options());
  out.c = at::empty({rows, hidden}, gates.options());
  out.tanh_c = at::empty({rows, hidden}, gates.options());
  out.h = at::empty({rows, hidden}, gates.options());
  lstm_cell_forward(gates.contiguous(), out.sigmoids, c_prev.contiguous(), out.c, out.tanh_c,
                    out.h);
  return out;
}

struct LstmCellFunction : torch::autograd::Function<LstmCellFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const Tensor& gates, const Tensor& c_prev) {
    CellActivations a = cell_forward(gates, c_prev);
    ctx->save_for_backward({a.sigmoids, c_prev.contiguous(), a.tanh_c});
    return {a.h, a.c};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const Tensor &sigmoids = saved[0], &c_prev = saved[1], &tanh_c = saved[2];
    Tensor dgates = at::empty_like(sigmoids), dc_prev = at::empty_like(c_prev);
    lstm_cell_backward(sigmoids, c_prev, tanh_c, grads[0].contiguous(), Tensor(),
                       grads[1].contiguous(), dgates, dc_prev);
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

// e^x in a form the compiler vectorises (no libm call): x = n·ln2 + r with |r| ≤ ln2/2 (Cody and
// Waite), e^r from its Taylor polynomial (degree 7 in float32, 13 in float64: truncation below
// the unit roundoff), 2^n written into the exponent bits. x is clamped to where e^x is finite
// and normal, which is all a sigmoid needs.
template <class S>
struct ExpConstants;
template <>
struct ExpConstants<float> {
  using Bits = std::int32_t;
  static constexpr float lo = -87.0f, hi = 88.0f, round = 12582912.0f;  // 1.5·2²³
  static constexpr float ln2_hi = 0.693145751953125f, ln2_lo = 1.428606765330187e-06f;
  static constexpr int degree = 7, mantissa = 23;
  static constexpr Bits bias = 127;
};
template <>
struct ExpConstants<double> {
  using Bits = std::int64_t;
  static constexpr double lo = -708.0, hi = 709.0, round = 6755399441055744.0;  // 1.5·2⁵²
  static constexpr double ln2_hi = 0.6931471803691238, ln2_lo = 1.9082149292705877e-10;
  static constexpr int degree = 13, mantissa = 52;
  static constexpr Bits bias = 1023;
};

// 1/k! for k = 0..degree, each rounded once, at compile time.
template <class S, int degree>
constexpr std::array<S, degree + 1> inverse_factorials() {
  std::array<S, degree + 1> c{};
  long double factorial = 1;
  for (int k = 0; k <= degree; ++k) {
    if (k > 1) factorial *= k;
    c[k] = S(1 / factorial);
  }
  return c;
}

template <class S>
[[gnu::always_inline]] inline S vector_exp(S x) {
  using C = ExpConstants<S>;
  using Bits = typename C::Bits;
  x = x < C::lo ? C::lo : (x > C::hi ? C::hi : x);
  const S shifted = x * S(1.4426950408889634) + C::round;  // n = round(x/ln2) in the low bits
  const S n = shifted - C::round;
  const S r = (x - n * C::ln2_hi) - n * C::ln2_lo;
  constexpr auto coefficient = inverse_factorials<S, C::degree>();
  S p = coefficient[C::degree];  // Horner: Σ rᵏ/k!, unrolled so that the caller's loop vectorises
#pragma GCC unroll 16
  for (int k = C::degree - 1; k >= 0; --k) p = p * r + coefficient[k];
  const Bits exponent = std::bit_cast<Bits>(shifted) - std::bit_cast<Bits>(C::round);
  return p * std::bit_cast<S>((exponent + C::bias) << C::mantissa);
}

template <class S>
[[gnu::always_inline]] inline S sigmoid(S x) {
  return 1 / (1 + vector_exp(-x));
}

// The forward of a cell over raw memory in one pass per row (the row stays in L1):
// σ of the gates, c' = f·c + i·g, tanh c' = 2σ(2c') − 1, h' = o·tanh c'.
template <class S>
[[gnu::always_inline]] inline void cell_forward_rows(std::int64_t rows, std::int64_t hidden,
                                                     const S* __restrict gates, S* __restrict a,
                                                     const S* __restrict cp, S* __restrict c,
                                                     S* __restrict t, S* __restrict h) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const S* __restrict gr = gates + r * 4 * hidden;
    S* __restrict ar = a + r * 4 * hidden;
    for (std::int64_t j = 0; j < 4 * hidden; ++j) ar[j] = sigmoid(gr[j]);
    for (std::int64_t j = 0; j < hidden; ++j) {
      const std::int64_t k = r * hidden + j;
      const S i = ar[j], f = ar[hidden + j], g = 2 * ar[2 * hidden + j] - 1;
      c[k] = f * cp[k] + i * g;
      t[k] = 2 * sigmoid(2 * c[k]) - 1;
      h[k] = ar[3 * hidden + j] * t[k];
    }
  }
}

// With c' = f·c + i·g, h' = o·tanh(c'):
// dc' += dh·o·(1 − tanh²c'); di = dc'·g·i(1−i); df = dc'·c·f(1−f); do = dh·tanh(c')·o(1−o);
// dc = dc'·f; and for the doubled cell-gate input u = 2·a (g = tanh(u/2)): du = dc'·i·(1−g²)/2.
template <class S, bool two_dh>
[[gnu::always_inline]] inline void cell_backward_rows(
    std::int64_t rows, std::int64_t hidden, const S* __restrict a, const S* __restrict cp,
    const S* __restrict tc, const S* __restrict gh, const S* __restrict gh2, const S* __restrict gc,
    S* __restrict dg, S* __restrict dcp) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const S* __restrict ar = a + r * 4 * hidden;
    S* __restrict dr = dg + r * 4 * hidden;
    for (std::int64_t j = 0; j < hidden; ++j) {
      const std::int64_t k = r * hidden + j;
      const S i = ar[j], f = ar[hidden + j], g = 2 * ar[2 * hidden + j] - 1, o = ar[3 * hidden + j],
              t = tc[k];
      const S d_h = two_dh ? gh[k] + gh2[k] : gh[k];
      const S d_c = gc[k] + d_h * o * (1 - t * t);
      dr[j] = d_c * g * i * (1 - i);
      dr[hidden + j] = d_c * cp[k] * f * (1 - f);
      dr[2 * hidden + j] = d_c * i * (1 - g * g) / 2;
      dr[3 * hidden + j] = d_h * t * o * (1 - o);
      dcp[k] = d_c * f;
    }
  }
}

// Compiled for AVX-512, AVX2 and baseline x86-64, chosen at load time: the build targets
// baseline x86-64, whose 2- and 4-lane vectors leave these loops several times slower. The AVX2
// and AVX-512 versions contract a·b + c into FMAs, so CPUs of different generations may differ
// in the last bit (as OpenBLAS's kernels do); one machine always runs the same version.
#define L2O_CELL_TARGETS [[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]]

template <class S>
struct CellKernels {
  L2O_CELL_TARGETS static void forward(std::int64_t rows, std::int64_t hidden, const S* gates, S* a,
                                       const S* cp, S* c, S* t, S* h) {
    cell_forward_rows(rows, hidden, gates, a, cp, c, t, h);
  }
  L2O_CELL_TARGETS static void backward(std::int64_t rows, std::int64_t hidden, const S* a,
                                        const S* cp, const S* tc, const S* gh, const S* gh2,
                                        const S* gc, S* dg, S* dcp) {
    if (gh2)
      cell_backward_rows<S, true>(rows, hidden, a, cp, tc, gh, gh2, gc, dg, dcp);
    else
      cell_backward_rows<S, false>(rows, hidden, a, cp, tc, gh, gh2, gc, dg, dcp);
  }
};

}  // namespace

void lstm_cell_forward(const Tensor& gates, Tensor& sigmoids, const Tensor& c_prev, Tensor& c,
                       Tensor& tanh_c, Tensor& h) {
  const std::int64_t rows = gates.size(0), hidden = gates.size(1) / 4;
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_cell_forward", [&] {
    CellKernels<scalar_t>::forward(rows, hidden, gates.data_ptr<scalar_t>(),
                                   sigmoids.data_ptr<scalar_t>(), c_prev.data_ptr<scalar_t>(),
                                   c.data_ptr<scalar_t>(), tanh_c.data_ptr<scalar_t>(),
                                   h.data_ptr<scalar_t>());
  });
}

void lstm_cell_backward(const Tensor& sigmoids, const Tensor& c_prev, const Tensor& tanh_c,
                        const Tensor& dh, const Tensor& dh_more, const Tensor& dc, Tensor& dgates,
                        Tensor& dc_prev) {
  const std::int64_t rows = sigmoids.size(0), hidden = sigmoids.size(1) / 4;
  AT_DISPATCH_FLOATING_TYPES(sigmoids.scalar_type(), "lstm_cell_backward", [&] {
    CellKernels<scalar_t>::backward(
        rows, hidden, sigmoids.data_ptr<scalar_t>(), c_prev.data_ptr<scalar_t>(),
        tanh_c.data_ptr<scalar_t>(), dh.data_ptr<scalar_t>(),
        dh_more.defined() ? dh_more.data_ptr<scalar_t>() : nullptr, dc.data_ptr<scalar_t>(),
        dgates.data_ptr<scalar_t>(), dc_prev.data_ptr<scalar_t>());
  });
}

Tensor cell_gate_doubling(std::int64_t hidden, const at::TensorOptions& options) {
  Tensor scale = at::ones({4 * hidden}, options);
  scale.narrow(0, 2 * hidden, hidden).fill_(2);
  return scale;
}

void StackedLstm::State::detach() {
  for (Tensor& t : h) t = t.detach();
  for (Tensor& t : c) t = t.detach();
  doubled_weight.clear();
  doubled_bias.clear();
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
  if (state.doubled_weight.empty()) {
    const Tensor doubling = cell_gate_doubling(hidden_, weight_[0].options().requires_grad(false));
    for (std::size_t l = 0; l < weight_.size(); ++l) {
      state.doubled_weight.push_back(weight_[l] * doubling);
      state.doubled_bias.push_back(bias_[l] * doubling);
    }
  }
  for (std::size_t l = 0; l < weight_.size(); ++l) {
    Tensor gates =
        at::addmm(state.doubled_bias[l], at::cat({x, state.h[l]}, 1), state.doubled_weight[l]);
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
