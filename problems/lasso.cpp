#include "problems/lasso.hpp"

#include <ATen/ATen.h>

#include "problems/kernel.hpp"
#include "problems/kernel_objective.hpp"
#include "problems/linear_model.hpp"
#include "problems/reference_solvers.hpp"

namespace l2o::problems {

namespace {

// Reference optimum and minimiser of one instance, in float64 (FISTA with restart to a
// gradient-mapping tolerance).
auto lasso_gradient(const Eigen::MatrixXd& A, const Eigen::VectorXd& b) {
  return [&](const Eigen::VectorXd& y) { return (A.transpose() * (A * y - b)).eval(); };
}
double lasso_minimum(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, double lambda,
                     double lipschitz) {
  return reference::fista_l1_minimum(
      A.cols(), lambda, lipschitz, lasso_gradient(A, b), [&](const Eigen::VectorXd& x) {
        return 0.5 * (A * x - b).squaredNorm() + lambda * x.lpNorm<1>();
      });
}
Eigen::VectorXd lasso_solution(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, double lambda,
                               double lipschitz) {
  return reference::fista_l1_solution(A.cols(), lambda, lipschitz, lasso_gradient(A, b));
}

class LassoObjective final : public KernelObjective {
 public:
  LassoObjective(Tensor A, Tensor b, double lambda, Placement placement)
      : KernelObjective(placement), A_(std::move(A)), b_(std::move(b)), lambda_(lambda) {}

  std::int64_t batch() const override { return A_.size(0); }
  std::int64_t dim() const override { return A_.size(2); }
  double l1_weight() const override { return lambda_; }
  NamedTensors parameters() const override { return {{"A", A_}, {"b", b_}}; }

  std::optional<Tensor> lipschitz() const override {
    if (!lipschitz_) lipschitz_ = squared_spectral_norm(A_);
    return lipschitz_;
  }

  std::optional<Tensor> reference_minimum() const override {
    if (!minimum_) {
      Tensor out = at::empty({batch()}, at::kDouble);
      each_instance([&](std::int64_t i, const Eigen::MatrixXd& A, const Eigen::VectorXd& b,
                        double L) { out.data_ptr<double>()[i] = lasso_minimum(A, b, lambda_, L); });
      minimum_ = out;
    }
    return minimum_;
  }

  std::optional<Tensor> reference_solution() const override {
    Tensor out = at::empty({batch(), dim()}, at::kDouble);
    const kernel::Outputs<double> xs(&out);
    each_instance([&](std::int64_t i, const Eigen::MatrixXd& A, const Eigen::VectorXd& b,
                      double L) { xs[i] = lasso_solution(A, b, lambda_, L); });
    return out;
  }

  Tensor plain_loss(const Tensor& x, bool smooth_only) const override {
    Tensor r = at::bmm(A_, x.unsqueeze(2)).squeeze(2) - b_;
    Tensor f = 0.5 * r.pow(2).sum(1);
    return smooth_only ? f : f + lambda_ * x.abs().sum(1);
  }

  Tensor plain_grad(const Tensor& x, bool smooth_only) const override {
    Tensor r = at::bmm(A_, x.unsqueeze(2)) - b_.unsqueeze(2);
    Tensor g = at::bmm(A_.transpose(1, 2), r).squeeze(2);
    return smooth_only ? g : g + lambda_ * x.sign();
  }

  void kernel(const Tensor& x, Tensor& loss, Tensor* grad, bool smooth_only) const override {
    loss = at::empty({batch()}, x.options());
    if (grad) *grad = at::empty_like(x);
    const double lambda = smooth_only ? 0.0 : lambda_;
    kernel::dispatch_float(x, [&]<class S>() {
      const kernel::Matrices<S> A(A_);
      const kernel::Vectors<S> b(b_), xs(x);
      const kernel::Outputs<S> g(grad);
      S* f = loss.data_ptr<S>();
      kernel::for_each_chunk(
          batch(), 4 * A.rows() * dim(), [&](std::int64_t begin, std::int64_t end) {
            kernel::Dense<S> r(A.rows());
            for (std::int64_t i = begin; i < end; ++i) {
              r.noalias() = A[i] * xs[i];
              r -= b[i];
              f[i] = S(0.5) * r.squaredNorm() + S(lambda) * xs[i].template lpNorm<1>();
              if (!g) continue;
              g[i].noalias() = A[i].transpose() * r;
              if (lambda != 0)
                g[i] += S(lambda) * xs[i].unaryExpr([](S e) { return S((e > 0) - (e < 0)); });
            }
          });
    });
  }

 private:
  // body(i, A, b, L) for every instance i, in float64, on the intra-op threads.
  template <class Body>
  void each_instance(const Body& body) const {
    Tensor A = A_.to(at::kCPU, at::kDouble).contiguous(),
           b = b_.to(at::kCPU, at::kDouble).contiguous();
    Tensor L = *lipschitz();
    const kernel::Matrices<double> As(A);
    const kernel::Vectors<double> bs(b);
    kernel::for_each_chunk(batch(), 1'000'000, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) body(i, As[i], bs[i], L.data_ptr<double>()[i]);
    });
  }

  Tensor A_, b_;
  double lambda_;
  mutable std::optional<Tensor> lipschitz_, minimum_;
};

std::vector<ParameterShape> parameter_shapes(const Lasso::Config& config) {
  return {{"A", {config.row_count(), config.dim}}, {"b", {config.row_count()}}};
}

}  // namespace

std::unique_ptr<Objective> make_lasso_objective(Tensor A, Tensor b, double lambda,
                                                const Placement& placement) {
  return std::make_unique<LassoObjective>(std::move(A), std::move(b), lambda, placement);
}

std::unique_ptr<Objective> Lasso::sample(const Config& config, const Sampling& sampling) {
  RandomStream stream(sampling.seed);
  return from_parameters(config,
                         draw_gaussian_parameters(stream, sampling.count, parameter_shapes(config)),
                         sampling.placement);
}

std::unique_ptr<Objective> Lasso::from_parameters(const Config& config,
                                                  const NamedTensors& parameters,
                                                  const Placement& placement) {
  auto p = take_parameters(parameters, parameter_shapes(config), placement);
  return make_lasso_objective(p[0], p[1], config.lambda, placement);
}

}  // namespace l2o::problems
