#include "problems/ridge.hpp"

#include <ATen/ATen.h>

#include "problems/data/catalog.hpp"
#include "problems/kernel.hpp"
#include "problems/kernel_objective.hpp"
#include "problems/linear_model.hpp"

namespace l2o::problems {

namespace {

class RidgeObjective final : public KernelObjective {
 public:
  RidgeObjective(Tensor A, Tensor b, double lambda, Placement placement)
      : KernelObjective(placement), A_(std::move(A)), b_(std::move(b)), lambda_(lambda) {}

  std::int64_t batch() const override { return A_.size(0); }
  std::int64_t dim() const override { return A_.size(2); }
  NamedTensors parameters() const override { return {{"A", A_}, {"b", b_}}; }

  std::optional<Tensor> lipschitz() const override { return squared_spectral_norm(A_) + lambda_; }

  std::optional<Tensor> reference_minimum() const override {
    return formula(A_.to(at::kCPU, at::kDouble), b_.to(at::kCPU, at::kDouble),
                   *reference_solution());
  }
  // x* = (AᵀA + λI)⁻¹Aᵀb by Cholesky, batched, in float64.
  std::optional<Tensor> reference_solution() const override {
    Tensor A = A_.to(at::kCPU, at::kDouble), b = b_.to(at::kCPU, at::kDouble);
    Tensor H = at::bmm(A.transpose(1, 2), A) + lambda_ * at::eye(dim(), at::kDouble).unsqueeze(0);
    Tensor rhs = at::bmm(A.transpose(1, 2), b.unsqueeze(2));
    return at::cholesky_solve(rhs, at::linalg_cholesky(H)).squeeze(2);
  }

  Tensor plain_loss(const Tensor& x, bool) const override { return formula(A_, b_, x); }

  Tensor plain_grad(const Tensor& x, bool) const override {
    Tensor r = at::bmm(A_, x.unsqueeze(2)) - b_.unsqueeze(2);
    return at::bmm(A_.transpose(1, 2), r).squeeze(2) + lambda_ * x;
  }

  void kernel(const Tensor& x, Tensor& loss, Tensor* grad, bool) const override {
    loss = at::empty({batch()}, x.options());
    if (grad) *grad = at::empty_like(x);
    kernel::dispatch_float(x, [&]<class S>() {
      const kernel::Matrices<S> A(A_);
      const kernel::Vectors<S> b(b_), xs(x);
      const kernel::Outputs<S> g(grad);
      const S lambda = S(lambda_);
      S* f = loss.data_ptr<S>();
      kernel::for_each_chunk(batch(), 4 * A.rows() * dim(),
                             [&](std::int64_t begin, std::int64_t end) {
                               kernel::Dense<S> r(A.rows());
                               for (std::int64_t i = begin; i < end; ++i) {
                                 r.noalias() = A[i] * xs[i];
                                 r -= b[i];
                                 f[i] = S(0.5) * (r.squaredNorm() + lambda * xs[i].squaredNorm());
                                 if (!g) continue;
                                 g[i].noalias() = A[i].transpose() * r;
                                 g[i] += lambda * xs[i];
                               }
                             });
    });
  }

 private:
  Tensor formula(const Tensor& A, const Tensor& b, const Tensor& x) const {
    Tensor r = at::bmm(A, x.unsqueeze(2)).squeeze(2) - b;
    return 0.5 * (r.pow(2).sum(1) + lambda_ * x.pow(2).sum(1));
  }

  Tensor A_, b_;
  double lambda_;
};

std::vector<ParameterShape> parameter_shapes(const Ridge::Config& config) {
  return {{"A", {config.rows, config.dim}}, {"b", {config.rows}}};
}

}  // namespace

void Ridge::Config::validate(const std::string& where) {
  check_dataset(where, dataset, {"diabetes"});
  resolve_shape(where, dataset, dim, rows, 10, 50);
}

std::unique_ptr<Objective> Ridge::sample(const Config& config, const Sampling& sampling) {
  if (config.dataset == "synthetic") {
    RandomStream stream(sampling.seed);
    return from_parameters(
        config, draw_gaussian_parameters(stream, sampling.count, parameter_shapes(config)),
        sampling.placement);
  }
  // A centred target is the same as fitting an unpenalised intercept (scikit-learn's Ridge
  // default); raw, f* on diabetes carries the constant ½m·mean² (5.1e6 of its 5.8e6).
  const data::DataSet& d = real_dataset(config.dataset);
  const Tensor target = config.target == "centred" ? d.labels - d.labels.mean() : d.labels;
  if (is_libsvm_file(config.dataset)) {
    auto [A, b] = repeated(d.features, target, sampling.count);
    return from_parameters(config, {{"A", A}, {"b", b}}, sampling.placement);
  }
  // scikit-learn's scaled=True: centred columns of unit L2 norm.
  Tensor centred = d.features - d.features.mean(0);
  auto [A, b] = repeated(centred / centred.norm(2, {0}), target, sampling.count);
  return from_parameters(config, {{"A", A}, {"b", b}}, sampling.placement);
}

std::unique_ptr<Objective> Ridge::from_parameters(const Config& config,
                                                  const NamedTensors& parameters,
                                                  const Placement& placement) {
  auto p = take_parameters(parameters, parameter_shapes(config), placement);
  return std::make_unique<RidgeObjective>(p[0], p[1], config.lambda, placement);
}

}  // namespace l2o::problems
