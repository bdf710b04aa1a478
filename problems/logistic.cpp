#include "problems/logistic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <Eigen/Cholesky>

#include "core/error.hpp"
#include "problems/data/catalog.hpp"
#include "problems/kernel.hpp"
#include "problems/kernel_objective.hpp"
#include "problems/linear_model.hpp"
#include "problems/reference_solvers.hpp"

namespace l2o::problems {

namespace {

// log(1 + eᵗ) and 1/(1 + e⁻ᵗ) without overflow.
template <class S>
S softplus(S t) {
  return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t));
}
template <class S>
S sigmoid(S t) {
  return t >= 0 ? S(1) / (S(1) + std::exp(-t)) : std::exp(t) / (S(1) + std::exp(t));
}

// The mean logistic loss of one instance at x and, in `weights`, dℓ/d(Ax) = −bσ(−b∘Ax)/m.
template <class S, class Matrix, class Vector>
S logistic_loss(const Matrix& A, const Vector& b, const Eigen::Matrix<S, Eigen::Dynamic, 1>& x,
                Eigen::Matrix<S, Eigen::Dynamic, 1>& weights) {
  const auto m = S(A.rows());
  weights.noalias() = A * x;
  S total = 0;
  for (Eigen::Index j = 0; j < weights.size(); ++j) {
    const S t = -b[j] * weights[j];
    total += softplus(t);
    weights[j] = -b[j] * sigmoid(t) / m;
  }
  return total / m;
}

using Vec = Eigen::VectorXd;

// (c/m)Σ log(1 + exp(−bᵢaᵢᵀx)) + (λ/2)‖x‖² (c the data term's weight).
double smooth_value(const Eigen::MatrixXd& A, const Vec& b, double lambda, double c, const Vec& x) {
  Vec scratch(A.rows());
  return c * logistic_loss<double>(A, b, x, scratch) + 0.5 * lambda * x.squaredNorm();
}

// Its minimiser: damped Newton from 0, stopped at ‖∇f‖ ≤ 1e-10 (NaN everywhere at the cap).
// Where the predicted decrease is below float64 resolution the full step is taken unchecked
// (the quadratic region), so that rounding cannot stall the line search.
Vec newton_solution(const Eigen::MatrixXd& A, const Vec& b, double lambda, double c) {
  const double m = double(A.rows());
  Vec x = Vec::Zero(A.cols()), w(A.rows());
  for (int k = 0; k < 200; ++k) {
    const double f = c * logistic_loss<double>(A, b, x, w) + 0.5 * lambda * x.squaredNorm();
    const Vec g = c * (A.transpose() * w) + lambda * x;
    if (g.norm() <= 1e-10) return x;
    // σ(t)(1 − σ(t)) = |w|·m·(1 − |w|·m) with |w| = σ(−bᵢaᵢᵀx)/m.
    const Eigen::ArrayXd s = w.array().abs() * m;
    Eigen::MatrixXd H = A.transpose() * (c * s * (1 - s) / m).matrix().asDiagonal() * A;
    H.diagonal().array() += lambda;
    const Vec d = H.llt().solve(-g);
    const double decrease = -g.dot(d);
    double step = 1;
    if (decrease > 1e-14 * (1 + std::abs(f)))
      while (step > 1e-12 &&
             !(smooth_value(A, b, lambda, c, x + step * d) <= f - 1e-4 * step * decrease))
        step /= 2;
    x += step * d;
  }
  return Vec::Constant(A.cols(), std::numeric_limits<double>::quiet_NaN());
}

class LogisticObjective final : public KernelObjective {
 public:
  // data_weight: 1 for the mean over the examples, m for their sum.
  LogisticObjective(Tensor A, Tensor b, double l2, double l1, double data_weight,
                    Placement placement)
      : KernelObjective(placement),
        A_(std::move(A)),
        b_(std::move(b)),
        l2_(l2),
        l1_(l1),
        c_(data_weight) {}

  std::int64_t batch() const override { return A_.size(0); }
  std::int64_t dim() const override { return A_.size(2); }
  double l1_weight() const override { return l1_; }
  NamedTensors parameters() const override { return {{"A", A_}, {"b", b_}}; }

  std::optional<Tensor> lipschitz() const override {
    return c_ * squared_spectral_norm(A_) / (4.0 * double(A_.size(1))) + l2_;
  }

  std::optional<Tensor> reference_minimum() const override {
    return per_instance({}, [&](const Eigen::MatrixXd& A, const Vec& b, double L, double* out) {
      *out = minimum(A, b, L);
    });
  }

  std::optional<Tensor> reference_solution() const override {
    return per_instance({dim()},
                        [&](const Eigen::MatrixXd& A, const Vec& b, double L, double* out) {
                          Eigen::Map<Vec>(out, A.cols()) = solution(A, b, L);
                        });
  }

  Tensor plain_loss(const Tensor& x, bool smooth_only) const override {
    Tensor z = at::bmm(A_, x.unsqueeze(2)).squeeze(2);
    Tensor f = c_ * at::softplus(-b_ * z).mean(1) + 0.5 * l2_ * x.pow(2).sum(1);
    return smooth_only ? f : f + l1_ * x.abs().sum(1);
  }

  Tensor plain_grad(const Tensor& x, bool smooth_only) const override {
    Tensor z = at::bmm(A_, x.unsqueeze(2)).squeeze(2);
    Tensor w =
        -b_ * at::sigmoid(-b_ * z) / (double(A_.size(1)) / c_);  // c = 1: /m exactly, as before
    Tensor g = at::bmm(A_.transpose(1, 2), w.unsqueeze(2)).squeeze(2) + l2_ * x;
    return smooth_only ? g : g + l1_ * x.sign();
  }

  void kernel(const Tensor& x, Tensor& loss, Tensor* grad, bool smooth_only) const override {
    loss = at::empty({batch()}, x.options());
    if (grad) *grad = at::empty_like(x);
    const double l1 = smooth_only ? 0.0 : l1_;
    kernel::dispatch_float(x, [&]<class S>() {
      const kernel::Matrices<S> A(A_);
      const kernel::Vectors<S> b(b_), xs(x);
      const kernel::Outputs<S> g(grad);
      S* f = loss.data_ptr<S>();
      kernel::for_each_chunk(
          batch(), 6 * A.rows() * dim(), [&](std::int64_t begin, std::int64_t end) {
            kernel::Dense<S> w(A.rows()), xi(dim());
            for (std::int64_t i = begin; i < end; ++i) {
              xi = xs[i];
              f[i] = S(c_) * logistic_loss<S>(A[i], b[i], xi, w) + S(0.5 * l2_) * xi.squaredNorm() +
                     S(l1) * xi.template lpNorm<1>();
              if (!g) continue;
              g[i].noalias() = A[i].transpose() * w;
              if (c_ != 1) g[i] *= S(c_);
              g[i] += S(l2_) * xi;
              if (l1 != 0) g[i] += S(l1) * xi.unaryExpr([](S e) { return S((e > 0) - (e < 0)); });
            }
          });
    });
  }

 private:
  // body(A, b, L, out) per instance, writing its result of shape `trailing` to out; [B,
  // trailing...] float64. A real data set is the same in every instance: solved once.
  template <class Body>
  Tensor per_instance(std::vector<std::int64_t> trailing, const Body& body) const {
    Tensor A = A_.to(at::kCPU, at::kDouble).contiguous(),
           b = b_.to(at::kCPU, at::kDouble).contiguous();
    const bool once = same_data_everywhere(A, b);
    std::vector<std::int64_t> shape{once ? 1 : batch()};
    shape.insert(shape.end(), trailing.begin(), trailing.end());
    Tensor L = *lipschitz(), out = at::empty(shape, at::kDouble);
    const std::int64_t stride = out.numel() / shape[0];
    const kernel::Matrices<double> As(A);
    const kernel::Vectors<double> bs(b);
    kernel::for_each_chunk(shape[0], 1'000'000, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i)
        body(As[i], bs[i], L.data_ptr<double>()[i], out.data_ptr<double>() + i * stride);
    });
    shape[0] = batch();
    return once ? out.expand(shape).contiguous() : out;
  }

  Vec solution(const Eigen::MatrixXd& A, const Vec& b, double lipschitz) const {
    if (l1_ == 0) return newton_solution(A, b, l2_, c_);
    Vec w(A.rows());
    return reference::fista_l1_solution(A.cols(), l1_, lipschitz, [&](const Vec& y) {
      logistic_loss<double>(A, b, y, w);
      return (c_ * (A.transpose() * w) + l2_ * y).eval();
    });
  }

  double minimum(const Eigen::MatrixXd& A, const Vec& b, double lipschitz) const {
    const Vec x = solution(A, b, lipschitz);
    if (!x.allFinite()) return std::numeric_limits<double>::quiet_NaN();
    if (l1_ == 0) return smooth_value(A, b, l2_, c_, x);
    Vec w(A.rows());
    return c_ * logistic_loss<double>(A, b, x, w) + 0.5 * l2_ * x.squaredNorm() +
           l1_ * x.lpNorm<1>();
  }

  Tensor A_, b_;
  double l2_, l1_, c_;
};

std::vector<ParameterShape> parameter_shapes(const Logistic::Config& config) {
  return {{"A", {config.rows, config.dim}}, {"b", {config.rows}}};
}

}  // namespace

void Logistic::Config::validate(const std::string& where) {
  check_dataset(where, dataset, {"breast_cancer", "heart_scale"});
  resolve_shape(where, dataset, dim, rows, 10, 50);
  if (lambda == 0) lambda = regularizer == "l2" ? 1.0 / double(rows) : 0.1;
}

std::unique_ptr<Objective> Logistic::sample(const Config& config, const Sampling& sampling) {
  const std::int64_t B = sampling.count, m = config.rows, n = config.dim;
  if (config.dataset == "synthetic") {
    RandomStream stream(sampling.seed);
    if (config.generator == "authors") {
      // The first ⌊m/2⌋ examples are the class +1, each class shifted by its own scalar.
      const Tensor positive = (at::arange(m, at::kLong) < m / 2).unsqueeze(0);
      Tensor b = at::where(positive, 1.0, -1.0).to(at::kDouble).expand({B, m}).contiguous();
      Tensor A = stream.normal({B, m, n}) / std::sqrt(double(n));
      const Tensor shift_positive = stream.normal({B, 1, 1}) - 0.1;
      const Tensor shift_negative = stream.normal({B, 1, 1}) + 0.1;
      A = A + at::where(positive.unsqueeze(2), shift_positive, shift_negative);
      A.select(2, 0).fill_(1.0);
      return from_parameters(config, {{"A", A}, {"b", b}}, sampling.placement);
    }
    Tensor mu = stream.normal({B, n}) / std::sqrt(double(n));
    Tensor b = at::where(stream.uniform({B, m}) < 0.5, 1.0, -1.0).to(at::kDouble);
    Tensor A = b.unsqueeze(2) * mu.unsqueeze(1) + stream.normal({B, m, n});
    return from_parameters(config, {{"A", A}, {"b", b}}, sampling.placement);
  }
  if (is_libsvm_file(config.dataset)) {
    const data::DataSet& d = real_dataset(config.dataset);
    const Tensor classes = std::get<0>(at::_unique(d.labels)).contiguous();
    if (classes.numel() != 2 || !(classes == 1).any().item<bool>()) {
      const double* c = classes.data_ptr<double>();
      throw InputError(fmt::format(
          "{}: logistic regression needs exactly two labels, one of them 1 (the positive class); "
          "found {} ({})",
          d.source, classes.numel(),
          fmt::join(std::vector<double>(c, c + std::min<std::int64_t>(classes.numel(), 8)), ", ")));
    }
    auto [A, b] = repeated(d.features, at::where(d.labels == 1, 1.0, -1.0), B);
    return from_parameters(config, {{"A", A}, {"b", b}}, sampling.placement);
  }
  const data::DataSet& d = data::load_dataset(config.dataset);
  // breast_cancer's columns span six decades: standardised, as LOA does; heart_scale is scaled.
  Tensor features =
      config.dataset == "breast_cancer" ? data::standardise(d.features, d.features) : d.features;
  auto [A, b] = repeated(features, 2 * d.labels - 1, B);  // classes 0/1 -> labels -1/+1
  return from_parameters(config, {{"A", A}, {"b", b}}, sampling.placement);
}

std::unique_ptr<Objective> Logistic::from_parameters(const Config& config,
                                                     const NamedTensors& parameters,
                                                     const Placement& placement) {
  auto p = take_parameters(parameters, parameter_shapes(config), placement);
  if (!(p[1].abs() == 1).all().item<bool>())
    throw InputError("instance parameter \"b\": labels must be -1 or +1");
  const bool l2 = config.regularizer == "l2";
  const double data_weight = config.data_term == "sum" ? double(config.rows) : 1.0;
  return std::make_unique<LogisticObjective>(p[0], p[1], l2 ? config.lambda : 0.0,
                                             l2 ? 0.0 : config.lambda, data_weight, placement);
}

}  // namespace l2o::problems
