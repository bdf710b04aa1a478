#include "problems/rastrigin.hpp"

#include <cmath>

#include <ATen/ATen.h>

#include "problems/kernel.hpp"
#include "problems/kernel_objective.hpp"

namespace l2o::problems {

namespace {

using kernel::two_pi;

class RastriginObjective final : public KernelObjective {
 public:
  RastriginObjective(Tensor A, Tensor b, Tensor c, double alpha, Placement placement)
      : KernelObjective(placement),
        A_(std::move(A)),
        b_(std::move(b)),
        c_(std::move(c)),
        alpha_(alpha) {}

  std::int64_t batch() const override { return A_.size(0); }
  std::int64_t dim() const override { return A_.size(2); }
  NamedTensors parameters() const override { return {{"A", A_}, {"b", b_}, {"c", c_}}; }

  // ‖A‖₂² + 4π²α·max|cᵢ| bounds the Hessian AᵀA + diag(4π²α c∘cos(2πx)).
  std::optional<Tensor> lipschitz() const override {
    Tensor A = A_.to(at::kCPU, at::kDouble);
    Tensor top = std::get<0>(at::linalg_eigh(at::bmm(A.transpose(1, 2), A))).select(1, -1);
    return top + two_pi * two_pi * alpha_ * c_.to(at::kCPU, at::kDouble).abs().amax(1);
  }

  Tensor plain_loss(const Tensor& x, bool) const override {
    Tensor r = at::bmm(A_, x.unsqueeze(2)).squeeze(2) - b_;
    return 0.5 * r.pow(2).sum(1) - alpha_ * (c_ * at::cos(two_pi * x)).sum(1) +
           alpha_ * double(dim());
  }

  Tensor plain_grad(const Tensor& x, bool) const override {
    Tensor r = at::bmm(A_, x.unsqueeze(2)) - b_.unsqueeze(2);
    return at::bmm(A_.transpose(1, 2), r).squeeze(2) + (two_pi * alpha_) * c_ * at::sin(two_pi * x);
  }

  void kernel(const Tensor& x, Tensor& loss, Tensor* grad, bool) const override {
    loss = at::empty({batch()}, x.options());
    if (grad) *grad = at::empty_like(x);
    kernel::dispatch_float(x, [&]<class S>() {
      const kernel::Matrices<S> A(A_);
      const kernel::Vectors<S> b(b_), c(c_), xs(x);
      const kernel::Outputs<S> g(grad);
      S* f = loss.data_ptr<S>();
      const S alpha = S(alpha_), w = S(two_pi), offset = S(alpha_ * double(dim()));
      kernel::for_each_chunk(batch(), 4 * dim() * dim(), [&](std::int64_t begin, std::int64_t end) {
        kernel::Dense<S> r(dim()), wx(dim());
        for (std::int64_t i = begin; i < end; ++i) {
          r.noalias() = A[i] * xs[i];
          r -= b[i];
          wx = w * xs[i];
          f[i] = S(0.5) * r.squaredNorm() - alpha * c[i].dot(wx.array().cos().matrix()) + offset;
          if (!g) continue;
          g[i].noalias() = A[i].transpose() * r;
          g[i] += (w * alpha) * c[i].cwiseProduct(wx.array().sin().matrix());
        }
      });
    });
  }

 private:
  Tensor A_, b_, c_;
  double alpha_;
};

std::vector<ParameterShape> parameter_shapes(const Rastrigin::Config& config) {
  const std::int64_t n = config.dim;
  return {{"A", {n, n}}, {"b", {n}}, {"c", {n}}};
}

}  // namespace

std::unique_ptr<Objective> Rastrigin::sample(const Config& config, const Sampling& sampling) {
  RandomStream stream(sampling.seed);
  return from_parameters(config,
                         draw_gaussian_parameters(stream, sampling.count, parameter_shapes(config)),
                         sampling.placement);
}

std::unique_ptr<Objective> Rastrigin::from_parameters(const Config& config,
                                                      const NamedTensors& parameters,
                                                      const Placement& placement) {
  auto p = take_parameters(parameters, parameter_shapes(config), placement);
  return std::make_unique<RastriginObjective>(p[0], p[1], p[2], config.alpha, placement);
}

}  // namespace l2o::problems
