#include "problems/ackley.hpp"

#include <cmath>

#include <ATen/ATen.h>

#include "problems/kernel.hpp"
#include "problems/kernel_objective.hpp"

namespace l2o::problems {

namespace {

using kernel::two_pi;

class AckleyObjective final : public KernelObjective {
 public:
  AckleyObjective(Tensor A, Tensor b, Tensor c, Placement placement)
      : KernelObjective(placement), A_(std::move(A)), b_(std::move(b)), c_(std::move(c)) {}

  std::int64_t batch() const override { return A_.size(0); }
  std::int64_t dim() const override { return A_.size(2); }
  NamedTensors parameters() const override { return {{"A", A_}, {"b", b_}, {"c", c_}}; }

  Tensor plain_loss(const Tensor& x, bool) const override {
    Tensor norm = (at::bmm(A_, x.unsqueeze(2)).squeeze(2) + b_).pow(2).sum(1).sqrt();
    Tensor mean_cos = (c_ * at::cos(two_pi * x)).sum(1) / double(dim());
    return 20.0 + std::numbers::e - 20.0 * at::exp(-0.2 * norm) - at::exp(mean_cos);
  }

  // ∇ = 4·exp(−0.2ρ)/ρ · Aᵀr + exp(s)·(2π/n)·c∘sin(2πx), r = Ax + b, ρ = ‖r‖, s = cᵀcos(2πx)/n;
  // the first term is taken as 0 where ρ = 0.
  Tensor plain_grad(const Tensor& x, bool) const override {
    Tensor r = at::bmm(A_, x.unsqueeze(2)) + b_.unsqueeze(2);
    Tensor rho = r.pow(2).sum({1, 2}).sqrt();
    Tensor scale = at::where(rho > 0, 4.0 * at::exp(-0.2 * rho) / rho, at::zeros_like(rho));
    Tensor s = (c_ * at::cos(two_pi * x)).sum(1) / double(dim());
    return scale.unsqueeze(1) * at::bmm(A_.transpose(1, 2), r).squeeze(2) +
           (at::exp(s) * (two_pi / double(dim()))).unsqueeze(1) * c_ * at::sin(two_pi * x);
  }

  void kernel(const Tensor& x, Tensor& loss, Tensor* grad, bool) const override {
    loss = at::empty({batch()}, x.options());
    if (grad) *grad = at::empty_like(x);
    kernel::dispatch_float(x, [&]<class S>() {
      const kernel::Matrices<S> A(A_);
      const kernel::Vectors<S> b(b_), c(c_), xs(x);
      const kernel::Outputs<S> g(grad);
      S* f = loss.data_ptr<S>();
      const S w = S(two_pi), inv_n = S(1.0 / double(dim()));
      kernel::for_each_chunk(batch(), 4 * dim() * dim(), [&](std::int64_t begin, std::int64_t end) {
        kernel::Dense<S> r(dim()), wx(dim());
        for (std::int64_t i = begin; i < end; ++i) {
          r.noalias() = A[i] * xs[i];
          r += b[i];
          wx = w * xs[i];
          const S rho = r.norm(), decay = std::exp(S(-0.2) * rho);
          const S wave = std::exp(inv_n * c[i].dot(wx.array().cos().matrix()));
          f[i] = S(20) + S(std::numbers::e) - S(20) * decay - wave;
          if (!g) continue;
          g[i] = (wave * w * inv_n) * c[i].cwiseProduct(wx.array().sin().matrix());
          if (rho > 0) g[i].noalias() += (S(4) * decay / rho) * (A[i].transpose() * r);
        }
      });
    });
  }

 private:
  Tensor A_, b_, c_;
};

std::vector<ParameterShape> parameter_shapes(const Ackley::Config& config) {
  const std::int64_t n = config.dim;
  return {{"A", {n, n}}, {"b", {n}}, {"c", {n}}};
}

}  // namespace

std::unique_ptr<Objective> Ackley::sample(const Config& config, const Sampling& sampling) {
  RandomStream stream(sampling.seed);
  return from_parameters(config,
                         draw_gaussian_parameters(stream, sampling.count, parameter_shapes(config)),
                         sampling.placement);
}

std::unique_ptr<Objective> Ackley::from_parameters(const Config& config,
                                                   const NamedTensors& parameters,
                                                   const Placement& placement) {
  auto p = take_parameters(parameters, parameter_shapes(config), placement);
  return std::make_unique<AckleyObjective>(p[0], p[1], p[2], placement);
}

}  // namespace l2o::problems
