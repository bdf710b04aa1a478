#pragma once
// Named tensors in the safetensors layout, which Python reads with numpy alone (or the
// `safetensors` package): an 8-byte little-endian header length N, N bytes of JSON
//   {"<name>": {"dtype": "F32"|"F64", "shape": [...], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"<key>": "<string>", ...}}
// padded with spaces to a multiple of 8, then the tensors' bytes, little-endian, row-major,
// back to back without gaps. l2obench writes float32 and float64 only.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.hpp"

namespace l2o {

struct Safetensors {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in file order
  std::map<std::string, std::string> metadata;
};

// Written atomically; every tensor in its own dtype (float32 or float64), on the CPU.
void write_safetensors(const std::filesystem::path& path, const Safetensors& content);

// An InputError naming the file and the field when the file is not in this layout (a header
// that is cut short, not JSON, a dtype other than F32/F64, offsets that overlap, leave gaps or
// run past the end, a shape whose size does not match its bytes).
Safetensors read_safetensors(const std::filesystem::path& path);

}  // namespace l2o
