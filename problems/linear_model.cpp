#include "problems/linear_model.hpp"

#include <algorithm>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "problems/data/catalog.hpp"

namespace l2o::problems {

namespace {
constexpr std::string_view libsvm_prefix = "libsvm:";
}

bool is_libsvm_file(const std::string& dataset) {
  return dataset.starts_with(libsvm_prefix);
}

void check_dataset(const std::string& where, const std::string& dataset,
                   const std::vector<std::string>& catalogue) {
  const bool known = dataset == "synthetic" ||
                     std::find(catalogue.begin(), catalogue.end(), dataset) != catalogue.end() ||
                     (is_libsvm_file(dataset) && dataset.size() > libsvm_prefix.size());
  if (!known)
    throw InputError(
        fmt::format("{}.dataset: \"{}\" is none of: synthetic, {}, libsvm:PATH (a "
                    "LIBSVM file)",
                    where, dataset, fmt::join(catalogue, ", ")));
}

const data::DataSet& real_dataset(const std::string& dataset) {
  if (is_libsvm_file(dataset)) return data::load_libsvm_file(dataset.substr(libsvm_prefix.size()));
  return data::load_dataset(dataset);
}

void resolve_shape(const std::string& where, const std::string& dataset, std::int64_t& dim,
                   std::int64_t& rows, std::int64_t synthetic_dim, std::int64_t synthetic_rows) {
  if (dataset == "synthetic") {
    if (dim == 0) dim = synthetic_dim;
    if (rows == 0) rows = synthetic_rows;
    return;
  }
  std::int64_t actual_columns = 0, actual_rows = 0;
  if (is_libsvm_file(dataset)) {
    const data::DataSet& d = real_dataset(dataset);
    actual_columns = d.columns();
    actual_rows = d.rows();
  } else {
    const auto& entry = data::find_dataset(dataset, where + ".dataset");
    actual_columns = entry.columns;
    actual_rows = entry.rows;
  }
  auto check = [&](std::int64_t& value, std::int64_t actual, const char* field, const char* what) {
    if (value != 0 && value != actual)
      throw InputError(
          fmt::format("{}.{}: {} has {} {}, not {} (leave {} out to have it filled in)", where,
                      field, dataset, actual, what, value, field));
    value = actual;
  };
  check(dim, actual_columns, "dim", "features");
  check(rows, actual_rows, "rows", "rows");
}

std::pair<Tensor, Tensor> repeated(const Tensor& features, const Tensor& labels,
                                   std::int64_t count) {
  return {features.to(at::kDouble).unsqueeze(0).expand({count, -1, -1}).contiguous(),
          labels.to(at::kDouble).unsqueeze(0).expand({count, -1}).contiguous()};
}

Tensor squared_spectral_norm(const Tensor& A) {
  Tensor a = A.to(at::kCPU, at::kDouble);
  Tensor gram =
      a.size(1) <= a.size(2) ? at::bmm(a, a.transpose(1, 2)) : at::bmm(a.transpose(1, 2), a);
  return std::get<0>(at::linalg_eigh(gram)).select(1, -1).contiguous();
}

bool same_data_everywhere(const Tensor& A, const Tensor& b) {
  return A.size(0) > 1 && at::equal(A, A.narrow(0, 0, 1).expand_as(A)) &&
         at::equal(b, b.narrow(0, 0, 1).expand_as(b));
}

}  // namespace l2o::problems
