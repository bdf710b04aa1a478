#include "learned/shipped_model.hpp"

#include <cstring>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"

namespace l2o::learned {

namespace {

// SHA-256 over the metadata (without "digest"; std::map keeps it sorted) and each tensor's
// name, dtype, shape and bytes, in file order: independent of the header's padding.
std::string content_digest(const Safetensors& content) {
  Json described = Json::object();
  for (const auto& [key, value] : content.metadata)
    if (key != "digest") described["metadata"][key] = value;
  std::string bytes;
  for (const auto& [name, t] : content.tensors) {
    described["tensors"].push_back(
        {{"name", name}, {"dtype", c10::toString(t.scalar_type())}, {"shape", t.sizes().vec()}});
    bytes.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  }
  return sha256_hex(described.dump() + '\n' + bytes);
}

Json parsed(const Safetensors& content, const std::string& field, const std::string& where) {
  auto it = content.metadata.find(field);
  if (it == content.metadata.end())
    throw InputError(fmt::format("{}: \"__metadata__\" lacks \"{}\"", where, field));
  try {
    return Json::parse(it->second);
  } catch (const nlohmann::json::exception&) {
    throw InputError(fmt::format("{}: \"__metadata__\".\"{}\" is not JSON text", where, field));
  }
}

}  // namespace

std::filesystem::path shipped_model_name(const CheckpointKey& key) {
  return key.optimizer + "-" + key.hash() + std::string(shipped_model_extension);
}

void save_shipped_model(const std::filesystem::path& path, const LearnedOptimizer& model,
                        const CheckpointKey& key, const TrainResult& result,
                        const Json& provenance) {
  Safetensors content;
  for (const auto& [name, t] : model.weights()) content.tensors.emplace_back(name, t);
  content.metadata = {{"format", "l2obench-model"},
                      {"format_version", std::to_string(shipped_model_format_version)},
                      {"key", key.to_json().dump()},
                      {"hash", key.hash()},
                      {"result", result.to_json().dump()},
                      {"provenance", provenance.dump()}};
  // The digest of what the reader will see: the tensors as stored (CPU, contiguous).
  for (auto& [name, t] : content.tensors) t = t.detach().to(at::kCPU).contiguous();
  content.metadata["digest"] = content_digest(content);
  write_safetensors(path, content);
}

TrainResult load_shipped_model(const std::filesystem::path& path, LearnedOptimizer& model,
                               const CheckpointKey& key, Json* provenance) {
  const std::string where = path.string();
  const Safetensors content = read_safetensors(path);
  auto format = content.metadata.find("format");
  if (format == content.metadata.end() || format->second != "l2obench-model")
    throw InputError(fmt::format(
        "{}: not an l2obench model (\"__metadata__\".\"format\" must be \"l2obench-model\")",
        where));
  auto digest = content.metadata.find("digest");
  if (digest == content.metadata.end() || digest->second != content_digest(content))
    throw InputError(
        fmt::format("{}: the model's digest does not match its content (edited or "
                    "damaged since it was written); restore it from git or delete it "
                    "to retrain",
                    where));
  if (parsed(content, "key", where) != key.to_json())
    throw InputError(fmt::format(
        "{}: trained for another configuration than its name says (stale or renamed)", where));
  const Weights weights = model.weights();
  if (content.tensors.size() != weights.size())
    throw InputError(fmt::format("{}: {} weights in the file, the model has {}", where,
                                 content.tensors.size(), weights.size()));
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : weights) {
    auto it = std::find_if(content.tensors.begin(), content.tensors.end(),
                           [&](const auto& named) { return named.first == name; });
    if (it == content.tensors.end())
      throw InputError(fmt::format("{}: weight \"{}\" is missing", where, name));
    const Tensor& value = it->second;
    if (value.sizes() != t.sizes() || value.scalar_type() != t.scalar_type())
      throw InputError(fmt::format("{}: weight \"{}\" is {} [{}], the model expects {} [{}]", where,
                                   name, c10::toString(value.scalar_type()),
                                   fmt::join(value.sizes(), ", "), c10::toString(t.scalar_type()),
                                   fmt::join(t.sizes(), ", ")));
    if (!at::isfinite(value).all().item<bool>())
      throw InputError(fmt::format("{}: weight \"{}\" holds a non-finite value", where, name));
    t.copy_(value);
  }
  try {
    if (provenance) *provenance = parsed(content, "provenance", where);
    return TrainResult::from_json(parsed(content, "result", where));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: corrupt training record ({})", where, e.what()));
  }
}

}  // namespace l2o::learned
