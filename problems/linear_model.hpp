#pragma once
// What the families on a design matrix (logistic, ridge) share: a config's data set is either
// "synthetic" (drawn per instance from the seed) or a real set of the catalogue, which fixes
// the shape; the B instances of a real set are that same data (they differ in their starting
// points), so its f* is solved once.
#include <cstdint>
#include <string>

#include "core/tensor.hpp"

namespace l2o::problems {

// Fills in dim and rows (0: the synthetic default, or the real set's shape) and checks given
// ones against a real set's shape.
void resolve_shape(const std::string& where, const std::string& dataset, std::int64_t& dim,
                   std::int64_t& rows, std::int64_t synthetic_dim, std::int64_t synthetic_rows);

// The real set's features and labels (or targets) as float64, repeated for `count` instances:
// [count, rows, columns] and [count, rows].
std::pair<Tensor, Tensor> repeated(const Tensor& features, const Tensor& labels,
                                   std::int64_t count);

// ‖A‖₂² per instance of A [B, m, n] (the largest eigenvalue of the smaller Gram matrix),
// [B] float64 on the CPU.
Tensor squared_spectral_norm(const Tensor& A);

// Whether every instance of the batch A [B, m, n], b [B, m] holds the same data (a real set),
// so that per-instance work such as a reference solve can be done once.
bool same_data_everywhere(const Tensor& A, const Tensor& b);

}  // namespace l2o::problems
