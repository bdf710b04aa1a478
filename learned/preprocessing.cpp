#include "learned/preprocessing.hpp"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

namespace l2o::learned {

Tensor log_and_sign(const Tensor& gradient, double k) {
  const double eps = gradient.scalar_type() == at::kDouble ? std::numeric_limits<double>::epsilon()
                                                           : std::numeric_limits<float>::epsilon();
  Tensor g = gradient.reshape({-1, 1});
  return at::cat(
      {at::clamp(at::log(g.abs() + eps) / k, -1.0, 1.0), at::clamp(g * std::exp(k), -1.0, 1.0)}, 1);
}

Tensor AdamNormalizer::operator()(const Tensor& gradient) {
  ++t_;
  if (!m_.defined()) {
    m_ = at::zeros_like(gradient);
    v_ = at::zeros_like(gradient);
  }
  m_ = beta1_ * m_ + (1 - beta1_) * gradient;
  v_ = beta2_ * v_ + (1 - beta2_) * gradient * gradient;
  Tensor m_hat = m_ / (1 - std::pow(beta1_, double(t_)));
  Tensor denominator = at::sqrt(v_ / (1 - std::pow(beta2_, double(t_)))) + eps_;
  return at::stack({(gradient / denominator).reshape(-1), (m_hat / denominator).reshape(-1)}, 1);
}

}  // namespace l2o::learned
