#include "core/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"

namespace l2o {

// The file's bytes are the tensors' memory as is.
static_assert(std::endian::native == std::endian::little,
              "the safetensors layout is little-endian");

namespace {

constexpr std::string_view metadata_key = "__metadata__";

std::string dtype_code(c10::ScalarType dtype, const std::string& name) {
  if (dtype == at::kFloat) return "F32";
  if (dtype == at::kDouble) return "F64";
  throw InputError(
      fmt::format("safetensors: tensor \"{}\" is {}; only float32 and float64 are "
                  "written",
                  name, c10::toString(dtype)));
}

c10::ScalarType dtype_of(const Json& code, const std::string& where) {
  if (code == "F32") return at::kFloat;
  if (code == "F64") return at::kDouble;
  throw InputError(
      fmt::format("{}: \"dtype\" is {}; allowed: \"F32\", \"F64\"", where, code.dump()));
}

std::uint64_t read_u64(const std::string& bytes) {
  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data(), sizeof value);
  return value;
}

}  // namespace

void write_safetensors(const std::filesystem::path& path, const Safetensors& content) {
  Json header = Json::object();
  std::string data;
  for (const auto& [name, tensor] : content.tensors) {
    if (name == metadata_key)
      throw InputError(fmt::format("safetensors: \"{}\" is reserved", metadata_key));
    const Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const std::size_t begin = data.size(), bytes = t.numel() * t.element_size();
    data.append(static_cast<const char*>(t.data_ptr()), bytes);
    header[name] = {{"dtype", dtype_code(t.scalar_type(), name)},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {begin, begin + bytes}}};
  }
  if (!content.metadata.empty()) header[std::string(metadata_key)] = content.metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  const std::uint64_t length = text.size();
  std::string file(sizeof length, '\0');
  std::memcpy(file.data(), &length, sizeof length);
  write_file_atomically(path, file + text + data);
}

Safetensors read_safetensors(const std::filesystem::path& path) {
  const std::string where = path.string(), bytes = read_file(path);
  if (bytes.size() < 8)
    throw InputError(
        fmt::format("{}: {} bytes, too short for a safetensors header", where, bytes.size()));
  const std::uint64_t length = read_u64(bytes);
  if (length > bytes.size() - 8)
    throw InputError(
        fmt::format("{}: the header length ({}) runs past the end of the file ({} "
                    "bytes)",
                    where, length, bytes.size()));
  Json header;
  try {
    header = Json::parse(bytes.substr(8, length));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: the header is not JSON ({})", where, e.what()));
  }
  if (!header.is_object()) throw InputError(fmt::format("{}: the header is not an object", where));
  const std::string_view data = std::string_view(bytes).substr(8 + length);

  Safetensors out;
  struct Span {
    std::uint64_t begin, end;
    std::string name;
  };
  std::vector<Span> spans;
  for (const auto& [name, entry] : header.items()) {
    const std::string field = fmt::format("{}: \"{}\"", where, name);
    if (name == metadata_key) {
      if (!entry.is_object())
        throw InputError(fmt::format("{} must be an object of strings", field));
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string())
          throw InputError(fmt::format("{}.\"{}\" must be a string", field, key));
        out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets"))
      throw InputError(fmt::format("{} needs \"dtype\", \"shape\" and \"data_offsets\"", field));
    const c10::ScalarType dtype = dtype_of(entry["dtype"], field);
    const Json &shape = entry["shape"], &offsets = entry["data_offsets"];
    std::vector<std::int64_t> sizes;
    std::uint64_t count = 1;
    if (!shape.is_array())
      throw InputError(fmt::format("{}: \"shape\" must be an array of sizes", field));
    for (const Json& s : shape) {
      if (!s.is_number_unsigned())
        throw InputError(fmt::format("{}: \"shape\" must be an array of sizes", field));
      // Bounded by the data at every factor, so that the product cannot overflow.
      if (s.get<std::uint64_t>() > data.size() || (count *= s.get<std::uint64_t>()) > data.size())
        throw InputError(fmt::format("{}: \"shape\" {} holds more values than the file has bytes",
                                     field, shape.dump()));
      sizes.push_back(s.get<std::int64_t>());
    }
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned() || offsets[0] > offsets[1] || offsets[1] > data.size())
      throw InputError(
          fmt::format("{}: \"data_offsets\" must be [begin, end] within the {} bytes of data",
                      field, data.size()));
    const std::uint64_t begin = offsets[0], end = offsets[1];
    const std::uint64_t element = dtype == at::kFloat ? 4 : 8;
    if (end - begin != count * element)
      throw InputError(fmt::format("{}: shape {} needs {} bytes, \"data_offsets\" span {}", field,
                                   shape.dump(), count * element, end - begin));
    Tensor t = at::empty(sizes, at::TensorOptions().dtype(dtype));
    // An empty tensor has no storage (a null data pointer), which memcpy may not be given.
    if (end > begin) std::memcpy(t.data_ptr(), data.data() + begin, end - begin);
    out.tensors.emplace_back(name, std::move(t));
    spans.push_back({begin, end, name});
  }
  // The layout's rule: the tensors tile the data exactly, which also gives the file order.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  std::uint64_t next = 0;
  for (const Span& s : spans) {
    if (s.begin != next)
      throw InputError(
          fmt::format("{}: \"{}\" starts at byte {} of the data, expected {} (the "
                      "tensors must tile the data without gaps or overlaps)",
                      where, s.name, s.begin, next));
    next = s.end;
  }
  if (next != data.size())
    throw InputError(
        fmt::format("{}: {} bytes of data after the last tensor", where, data.size() - next));
  std::vector<std::pair<std::string, Tensor>> ordered;
  for (const Span& s : spans)
    for (auto& named : out.tensors)
      if (named.first == s.name) ordered.push_back(std::move(named));
  out.tensors = std::move(ordered);
  return out;
}

}  // namespace l2o
