#pragma once
// Tensor helpers shared by every layer: seeded draws and JSON conversion.
#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "core/json_fwd.hpp"

namespace l2o {

using Tensor = at::Tensor;

// Where and in which precision a batch lives. Draws are always made in float64 on the CPU
// and converted afterwards, so float32 and float64 runs (and CPU and CUDA runs) see the same
// instances up to rounding.
struct Placement {
  c10::Device device = c10::kCPU;
  c10::ScalarType dtype = c10::kFloat;
};

// A seeded stream of draws.
class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed);
  Tensor normal(at::IntArrayRef sizes);   // N(0, 1), float64, CPU
  Tensor uniform(at::IntArrayRef sizes);  // U[0, 1), float64, CPU

 private:
  at::Generator generator_;
};

Tensor place(const Tensor& t, const Placement& p);

// Nested JSON arrays of numbers (any rank) and back; the exact float64/float32 values survive.
Json tensor_to_json(const Tensor& t);
Tensor tensor_from_json(const Json& j, const std::string& where);

c10::ScalarType parse_dtype(const std::string& name, const std::string& where);
std::string dtype_name(c10::ScalarType dtype);

}  // namespace l2o
