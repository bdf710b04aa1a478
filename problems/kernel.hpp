#pragma once
// Building blocks for the fused batched kernels of the families (included by their .cpp files
// only): Eigen views of one instance inside batched tensor memory, and a parallel loop over
// instances that stays deterministic (each instance is computed by one thread, in one order).
#include <cstdint>
#include <numbers>

#include <ATen/Parallel.h>
#include <Eigen/Core>

#include "core/tensor.hpp"

namespace l2o::problems::kernel {

// The angular frequency of Rastrigin's and Ackley's cosine terms.
inline constexpr double two_pi = 2.0 * std::numbers::pi;

template <class S>
using Matrix = Eigen::Map<const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class S>
using ConstVector = Eigen::Map<const Eigen::Matrix<S, Eigen::Dynamic, 1>>;
template <class S>
using Vector = Eigen::Map<Eigen::Matrix<S, Eigen::Dynamic, 1>>;
template <class S>
using Dense = Eigen::Matrix<S, Eigen::Dynamic, 1>;

// Views of instance i of batched tensors: [B, rows, cols] as a row-major matrix, [B, n] as a
// vector. Built once per kernel call, so the per-instance cost is pointer arithmetic.
template <class S>
class Matrices {
 public:
  explicit Matrices(const Tensor& t)
      : data_(t.data_ptr<S>()), rows_(t.size(1)), cols_(t.dim() > 2 ? t.size(2) : 1) {}
  Matrix<S> operator[](std::int64_t i) const {
    return Matrix<S>(data_ + i * rows_ * cols_, rows_, cols_);
  }
  std::int64_t rows() const { return rows_; }

 private:
  const S* data_;
  std::int64_t rows_, cols_;
};

template <class S>
class Vectors {
 public:
  explicit Vectors(const Tensor& t) : data_(t.data_ptr<S>()), size_(t.size(1)) {}
  ConstVector<S> operator[](std::int64_t i) const {
    return ConstVector<S>(data_ + i * size_, size_);
  }

 private:
  const S* data_;
  std::int64_t size_;
};

// Rows of an optional [B, n] output (the gradient, when asked for).
template <class S>
class Outputs {
 public:
  explicit Outputs(Tensor* t) : data_(t ? t->data_ptr<S>() : nullptr), size_(t ? t->size(1) : 0) {}
  explicit operator bool() const { return data_ != nullptr; }
  Vector<S> operator[](std::int64_t i) const { return Vector<S>(data_ + i * size_, size_); }

 private:
  S* data_;
  std::int64_t size_;
};

// Runs body(begin, end) over chunks of instances on the intra-op threads; `flops_per_instance`
// sizes the chunks. A body allocates its scratch once per chunk, not per instance.
template <class Body>
void for_each_chunk(std::int64_t batch, std::int64_t flops_per_instance, const Body& body) {
  const std::int64_t grain =
      std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, flops_per_instance));
  at::parallel_for(0, batch, grain, body);
}

// Calls f.template operator()<S>() with S = float or double, after x's dtype.
template <class F>
void dispatch_float(const Tensor& x, const F& f) {
  if (x.scalar_type() == at::kDouble)
    f.template operator()<double>();
  else
    f.template operator()<float>();
}

}  // namespace l2o::problems::kernel
