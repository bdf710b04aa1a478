#include "core/tensor.hpp"

#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace l2o {

RandomStream::RandomStream(std::uint64_t seed)
    : generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

Tensor RandomStream::normal(at::IntArrayRef sizes) {
  return at::randn(sizes, generator_, at::TensorOptions().dtype(at::kDouble));
}

Tensor RandomStream::uniform(at::IntArrayRef sizes) {
  return at::rand(sizes, generator_, at::TensorOptions().dtype(at::kDouble));
}

Tensor place(const Tensor& t, const Placement& p) {
  return t.to(p.device, p.dtype).contiguous();
}

namespace {

Json to_json_rec(const double* data, at::IntArrayRef sizes, std::size_t dim,
                 std::int64_t stride_product) {
  Json out = Json::array();
  if (dim + 1 == sizes.size()) {
    for (std::int64_t i = 0; i < sizes[dim]; ++i) out.push_back(data[i]);
    return out;
  }
  std::int64_t inner = stride_product / sizes[dim];
  for (std::int64_t i = 0; i < sizes[dim]; ++i)
    out.push_back(to_json_rec(data + i * inner, sizes, dim + 1, inner));
  return out;
}

void shape_of(const Json& j, std::vector<std::int64_t>& shape, const std::string& where) {
  if (!j.is_array()) return;
  shape.push_back(static_cast<std::int64_t>(j.size()));
  if (j.empty()) throw InputError(fmt::format("{}: empty array", where));
  shape_of(j.front(), shape, where);
}

// Into a vector that grows with the numbers actually there: the shape comes from the first
// entry at each depth, and a ragged array must be refused before anything of that size exists.
void fill(const Json& j, std::size_t dim, const std::vector<std::int64_t>& shape,
          std::vector<double>& out, const std::string& where) {
  if (dim == shape.size()) {
    if (!j.is_number())
      throw InputError(fmt::format("{}: expected a number, got {}", where, j.dump()));
    out.push_back(j.get<double>());
    return;
  }
  if (!j.is_array() || static_cast<std::int64_t>(j.size()) != shape[dim])
    throw InputError(
        fmt::format("{}: ragged array (expected {} entries at depth {})", where, shape[dim], dim));
  for (const auto& e : j) fill(e, dim + 1, shape, out, where);
}

}  // namespace

Json tensor_to_json(const Tensor& t) {
  Tensor d = t.detach().to(at::kCPU, at::kDouble).contiguous();
  if (d.dim() == 0) return d.item<double>();
  return to_json_rec(d.data_ptr<double>(), d.sizes(), 0, d.numel());
}

Tensor tensor_from_json(const Json& j, const std::string& where) {
  if (j.is_number()) return at::scalar_tensor(j.get<double>(), at::kDouble);
  std::vector<std::int64_t> shape;
  shape_of(j, shape, where);
  if (shape.empty())
    throw InputError(fmt::format("{}: expected a number or an array, got {}", where, j.dump()));
  std::vector<double> values;
  fill(j, 0, shape, values, where);
  return at::tensor(values, at::kDouble).reshape(shape);
}

c10::ScalarType parse_dtype(const std::string& name, const std::string& where) {
  if (name == "float32") return at::kFloat;
  if (name == "float64") return at::kDouble;
  throw InputError(fmt::format("{}: expected one of: float32, float64, got \"{}\"", where, name));
}

std::string dtype_name(c10::ScalarType dtype) {
  return dtype == at::kDouble ? "float64" : "float32";
}

}  // namespace l2o
