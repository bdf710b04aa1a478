#pragma once
// Building blocks for the fused batched kernels of the families (included by their .cpp files
// only): Eigen views of one instance inside batched tensor memory, and a parallel loop over
// instances that stays deterministic (each instance is computed by one thread, in one order).
#include <cstdint>

#include <ATen/Parallel.h>
#include <Eigen/Core>

#include "core/tensor.hpp"

namespace l2o::problems::kernel {

template <class S>
using Matrix = Eigen::Map<const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class S>
using ConstVector = Eigen::Map<const Eigen::Matrix<S, Eigen::Dynamic, 1>>;
template <class S>
using Vector = Eigen::Map<Eigen::Matrix<S, Eigen::Dynamic, 1>>;
template <class S>
using Dense = Eigen::Matrix<S, Eigen::Dynamic, 1>;

// Instance i of a batched [B, rows, cols] (or [B, rows] with cols = 1) tensor.
template <class S>
Matrix<S> matrix(const Tensor& t, std::int64_t i) {
  auto rows = t.size(1), cols = t.dim() > 2 ? t.size(2) : 1;
  return Matrix<S>(t.data_ptr<S>() + i * rows * cols, rows, cols);
}
template <class S>
ConstVector<S> vector(const Tensor& t, std::int64_t i) {
  return ConstVector<S>(t.data_ptr<S>() + i * t.size(1), t.size(1));
}
template <class S>
Vector<S> output(Tensor& t, std::int64_t i) {
  return Vector<S>(t.data_ptr<S>() + i * t.size(1), t.size(1));
}

// Runs body(i) for every instance; `flops_per_instance` sizes the chunks handed to threads.
template <class Body>
void for_each_instance(std::int64_t batch, std::int64_t flops_per_instance, const Body& body) {
  const std::int64_t grain = std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, flops_per_instance));
  at::parallel_for(0, batch, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) body(i);
  });
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
