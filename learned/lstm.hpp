#pragma once
// A stacked LSTM applied to many independent rows at once (coordinate-wise L2O networks see one
// row per coordinate of every instance: B·n rows). Each layer's gates come from one matmul over
// [input, h]; the state is explicit so rollouts can detach it for truncated BPTT.
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "learned/learned_optimizer.hpp"

namespace l2o::learned {

class StackedLstm {
 public:
  struct State {
    std::vector<Tensor> h, c;  // one [rows, hidden] per layer
    // Per layer, the weights and bias with the cell gate's columns doubled (CPU path), made at
    // the first step after a start or detach(): one autograd node per segment instead of one
    // per step. Weights change only between segments (after detach()).
    std::vector<Tensor> doubled_weight, doubled_bias;
    void detach();
  };

  StackedLstm() = default;
  // Weights uniform in ±1/√hidden (torch's default), forget-gate bias 1 (as Sonnet's LSTM,
  // which L2O-DM used).
  StackedLstm(std::int64_t input, std::int64_t hidden, std::int64_t layers, RandomStream& init);

  State initial_state(std::int64_t rows, const at::TensorOptions& options) const;
  // input [rows, input] -> top-layer h [rows, hidden]; advances `state`.
  Tensor step(const Tensor& input, State& state) const;

  void collect(Weights& out, const std::string& prefix) const;
  void to(const Placement& placement);
  std::int64_t hidden() const { return hidden_; }

 private:
  std::int64_t hidden_ = 0;
  std::vector<Tensor> weight_, bias_;  // per layer: [input + hidden, 4·hidden], [4·hidden]
};

// y = x·W + b with W [in, out], initialised like torch::nn::Linear (uniform ±1/√in).
class Dense {
 public:
  Dense() = default;
  Dense(std::int64_t in, std::int64_t out, RandomStream& init);
  Tensor operator()(const Tensor& x) const;
  void collect(Weights& out, const std::string& prefix) const;
  void to(const Placement& placement);

 private:
  Tensor weight_, bias_;
};

// The fused cell's kernels (CPU, float32/float64, contiguous [rows, ·] tensors). Gates are in the
// order input, forget, cell, output, and the cell gate's pre-activation is doubled (weights and
// bias times cell_gate_doubling) so that every activation is a sigmoid: tanh(x) = 2σ(2x) − 1.
Tensor cell_gate_doubling(std::int64_t hidden, const at::TensorOptions& options);
// Gate pre-activations [rows, 4·hidden], c [rows, hidden] -> σ(gates), c', tanh c', h' (written
// into the given tensors).
void lstm_cell_forward(const Tensor& gates, Tensor& sigmoids, const Tensor& c_prev, Tensor& c,
                       Tensor& tanh_c, Tensor& h);
// dh (+ dh_more when defined) and dc of (h', c') -> d(doubled gates) and dc_prev.
void lstm_cell_backward(const Tensor& sigmoids, const Tensor& c_prev, const Tensor& tanh_c,
                        const Tensor& dh, const Tensor& dh_more, const Tensor& dc, Tensor& dgates,
                        Tensor& dc_prev);

}  // namespace l2o::learned
