#include "problems/quadratic.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.hpp"

#include "problems/kernel.hpp"
#include "problems/kernel_objective.hpp"

namespace l2o::problems {

namespace {

// One class for both kinds: `M` is W (least squares) or Q (conditioned), `v` is y or b.
class QuadraticObjective final : public KernelObjective {
 public:
  QuadraticObjective(Tensor M, Tensor v, bool least_squares, Placement placement)
      : KernelObjective(placement),
        M_(std::move(M)),
        v_(std::move(v)),
        least_squares_(least_squares) {}

  std::int64_t batch() const override { return M_.size(0); }
  std::int64_t dim() const override { return M_.size(2); }
  NamedTensors parameters() const override {
    return least_squares_ ? NamedTensors{{"W", M_}, {"y", v_}} : NamedTensors{{"Q", M_}, {"b", v_}};
  }

  std::optional<Tensor> lipschitz() const override {
    Tensor M = M_.to(at::kCPU, at::kDouble);
    Tensor hessian =
        least_squares_ ? 2.0 * at::bmm(M.transpose(1, 2), M) : 0.5 * (M + M.transpose(1, 2));
    return std::get<0>(at::linalg_eigh(hessian)).select(1, -1).contiguous();
  }

  // The minimiser solves Wx = y (least squares) or Qx = b; f* is f there, in float64.
  std::optional<Tensor> reference_minimum() const override {
    return formula(M_.to(at::kCPU, at::kDouble), v_.to(at::kCPU, at::kDouble),
                   *reference_solution());
  }
  std::optional<Tensor> reference_solution() const override {
    Tensor M = M_.to(at::kCPU, at::kDouble), v = v_.to(at::kCPU, at::kDouble);
    return at::linalg_solve(M, v.unsqueeze(2)).squeeze(2);
  }

  Tensor plain_loss(const Tensor& x, bool) const override { return formula(M_, v_, x); }

  Tensor plain_grad(const Tensor& x, bool) const override {
    Tensor Mx = at::bmm(M_, x.unsqueeze(2));
    if (!least_squares_) return (Mx.squeeze(2) - v_);
    return 2.0 * at::bmm(M_.transpose(1, 2), Mx - v_.unsqueeze(2)).squeeze(2);
  }

  void kernel(const Tensor& x, Tensor& loss, Tensor* grad, bool) const override {
    loss = at::empty({batch()}, x.options());
    if (grad) *grad = at::empty_like(x);
    kernel::dispatch_float(x, [&]<class S>() {
      const kernel::Matrices<S> M(M_);
      const kernel::Vectors<S> v(v_), xs(x);
      const kernel::Outputs<S> g(grad);
      S* f = loss.data_ptr<S>();
      kernel::for_each_chunk(batch(), 4 * dim() * dim(), [&](std::int64_t begin, std::int64_t end) {
        kernel::Dense<S> Mx(dim());
        for (std::int64_t i = begin; i < end; ++i) {
          Mx.noalias() = M[i] * xs[i];
          if (least_squares_) {
            Mx -= v[i];  // the residual r = Wx − y
            f[i] = Mx.squaredNorm();
            if (g) g[i].noalias() = S(2) * (M[i].transpose() * Mx);
          } else {
            f[i] = S(0.5) * xs[i].dot(Mx) - v[i].dot(xs[i]);
            if (g) g[i] = Mx - v[i];
          }
        }
      });
    });
  }

 private:
  Tensor formula(const Tensor& M, const Tensor& v, const Tensor& x) const {
    Tensor Mx = at::bmm(M, x.unsqueeze(2)).squeeze(2);
    if (least_squares_) return (Mx - v).pow(2).sum(1);
    return 0.5 * (x * Mx).sum(1) - (v * x).sum(1);
  }

  Tensor M_, v_;
  bool least_squares_;
};

// Q = U diag(λ) Uᵀ with U from the QR factorisation of a Gaussian matrix (sign-corrected, so
// Haar-distributed) and log λ uniform in [0, log κ], the extremes pinned to 1 and κ.
Tensor conditioned_matrix(RandomStream& stream, std::int64_t B, std::int64_t n, double condition) {
  auto [U, R] = at::linalg_qr(stream.normal({B, n, n}));
  U = U * at::sign(at::diagonal(R, 0, 1, 2)).unsqueeze(1);
  Tensor log_spectrum = stream.uniform({B, n}) * std::log(condition);
  if (n >= 2) {
    log_spectrum.select(1, 0).fill_(0.0);
    log_spectrum.select(1, n - 1).fill_(std::log(condition));
  }
  Tensor Q = at::bmm(U * at::exp(log_spectrum).unsqueeze(1), U.transpose(1, 2));
  return 0.5 * (Q + Q.transpose(1, 2));
}

bool least_squares(const Quadratic::Config& config) {
  return config.kind == "least-squares";
}

std::vector<ParameterShape> parameter_shapes(const Quadratic::Config& config) {
  const std::int64_t n = config.dim;
  if (least_squares(config)) return {{"W", {n, n}}, {"y", {n}}};
  return {{"Q", {n, n}}, {"b", {n}}};
}

}  // namespace

std::unique_ptr<Objective> Quadratic::sample(const Config& config, const Sampling& sampling) {
  RandomStream stream(sampling.seed);
  const std::int64_t B = sampling.count, n = config.dim;
  if (least_squares(config))
    return from_parameters(config, draw_gaussian_parameters(stream, B, parameter_shapes(config)),
                           sampling.placement);
  Tensor Q = conditioned_matrix(stream, B, n, config.condition);
  Tensor b = stream.normal({B, n});
  return from_parameters(config, {{"Q", Q}, {"b", b}}, sampling.placement);
}

std::unique_ptr<Objective> Quadratic::from_parameters(const Config& config,
                                                      const NamedTensors& parameters,
                                                      const Placement& placement) {
  auto p = take_parameters(parameters, parameter_shapes(config), placement);
  if (!least_squares(config)) {
    // The gradient Qx − b and the closed-form f* assume a symmetric Q.
    Tensor Q = p[0].to(at::kCPU, at::kDouble);
    const double asymmetry = (Q - Q.transpose(1, 2)).abs().max().item<double>();
    if (asymmetry > 1e-6 * (1.0 + Q.abs().max().item<double>()))
      throw InputError(
          fmt::format("instance parameter \"Q\": not symmetric (max |Q - Q'| = {:g})", asymmetry));
  }
  return std::make_unique<QuadraticObjective>(p[0], p[1], least_squares(config), placement);
}

}  // namespace l2o::problems
