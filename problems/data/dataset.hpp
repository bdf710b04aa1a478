#pragma once
// A labelled data set in memory, and the two transformations every real-data family applies:
// a deterministic train/test split and standardisation with the train part's statistics.
#include <cstdint>
#include <string>

#include "core/tensor.hpp"

namespace l2o::problems::data {

struct DataSet {
  std::string name;          // catalogue name ("mnist", "diabetes", ...) or the file's stem
  std::string source;        // the file(s) it was read from
  Tensor features;           // [rows, columns] float64
  Tensor labels;             // [rows] float64: class index 0..classes-1, or a regression target
  std::int64_t classes = 0;  // 0: regression

  std::int64_t rows() const { return features.size(0); }
  std::int64_t columns() const { return features.size(1); }
  // The rows `index` [k] (int64) in that order, as a data set of the same name and source.
  DataSet take(const Tensor& index) const;
};

struct TrainTest {
  DataSet train, test;
};

// A seeded random permutation of the rows: the last `test_rows` go to the test part. The same
// (data, test_rows, seed) always gives the same split.
TrainTest split(const DataSet& data, std::int64_t test_rows, std::uint64_t seed);

// Column-wise (x − mean)/std with mean and (population) std of `statistics_from`'s features; a
// constant column keeps std 1, so it maps to 0 rather than NaN.
Tensor standardise(const Tensor& features, const Tensor& statistics_from);

// Both parts standardised with the train part's statistics (the test part stays unseen).
TrainTest standardise(const TrainTest& parts);

}  // namespace l2o::problems::data
