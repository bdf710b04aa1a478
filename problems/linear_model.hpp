#pragma once
// What the families on a design matrix (logistic, ridge) share: a config's data set is either
// "synthetic" (drawn per instance from the seed), a real set of the catalogue, or
// "libsvm:PATH", a LIBSVM file the user supplies (mushrooms, w8a); a real set fixes the shape;
// the B instances of a real set are that same data (they differ in their starting points), so
// its f* is solved once.
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "problems/data/dataset.hpp"

namespace l2o::problems {

// Whether `dataset` is "libsvm:PATH".
bool is_libsvm_file(const std::string& dataset);

// Checks `dataset` against "synthetic", the family's catalogue sets and "libsvm:PATH"; the
// error names `where`.dataset and every allowed value.
void check_dataset(const std::string& where, const std::string& dataset,
                   const std::vector<std::string>& catalogue);

// The real data set `dataset` names (a catalogue set or a LIBSVM file), read once.
const data::DataSet& real_dataset(const std::string& dataset);

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
