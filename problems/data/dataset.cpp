#include "problems/data/dataset.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace l2o::problems::data {

DataSet DataSet::take(const Tensor& index) const {
  return {name, source, features.index_select(0, index), labels.index_select(0, index), classes};
}

TrainTest split(const DataSet& data, std::int64_t test_rows, std::uint64_t seed) {
  if (test_rows < 1 || test_rows >= data.rows())
    throw InputError(fmt::format("data set {}: cannot hold out {} of its {} rows for testing",
                                 data.name, test_rows, data.rows()));
  // The permutation sorts uniform draws: one draw per row from a seeded stream, so the split
  // depends on nothing but the seed and the row count.
  Tensor order = std::get<1>(RandomStream(seed).uniform({data.rows()}).sort());
  const std::int64_t train_rows = data.rows() - test_rows;
  return {data.take(order.slice(0, 0, train_rows)), data.take(order.slice(0, train_rows))};
}

Tensor standardise(const Tensor& features, const Tensor& statistics_from) {
  Tensor mean = statistics_from.mean(0);
  Tensor sd = statistics_from.std(0, /*unbiased=*/false);
  sd = at::where(sd > 0, sd, at::ones_like(sd));
  return (features - mean) / sd;
}

TrainTest standardise(const TrainTest& parts) {
  TrainTest out = parts;
  out.train.features = standardise(parts.train.features, parts.train.features);
  out.test.features = standardise(parts.test.features, parts.train.features);
  return out;
}

}  // namespace l2o::problems::data
