#include "learned/checkpoint.hpp"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "core/seed.hpp"

namespace l2o::learned {

Json CheckpointKey::to_json() const {
  return {{"format_version", checkpoint_format_version},
          {"optimizer", optimizer},
          {"config", config},
          {"training", training},
          {"family", family},
          {"problem", problem},
          {"seed", seed},
          {"dtype", dtype},
          {"device", device},
          {"training_code_version", training_code_version}};
}

std::string CheckpointKey::hash() const {
  return fmt::format("{:016x}", hash_string(to_json().dump()));
}

Json weights_to_json(const Weights& weights) {
  Json out = Json::object();
  for (const auto& [name, t] : weights) out[name] = tensor_to_json(t);
  return out;
}

void weights_from_json(const Json& j, const Weights& weights, const std::string& where) {
  if (!j.is_object()) throw InputError(fmt::format("{}: \"weights\" must be an object", where));
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : weights) {
    auto it = j.find(name);
    if (it == j.end()) throw InputError(fmt::format("{}: weight \"{}\" is missing", where, name));
    Tensor value = tensor_from_json(*it, fmt::format("{}: weight \"{}\"", where, name));
    if (value.sizes() != t.sizes())
      throw InputError(fmt::format("{}: weight \"{}\" has shape [{}], the model expects [{}]",
                                   where, name, fmt::join(value.sizes(), ", "),
                                   fmt::join(t.sizes(), ", ")));
    if (!at::isfinite(value).all().item<bool>())
      throw InputError(fmt::format("{}: weight \"{}\" holds a non-finite value", where, name));
    t.copy_(value);
  }
  if (j.size() != weights.size())
    throw InputError(fmt::format("{}: {} weights in the file, the model has {}", where, j.size(),
                                 weights.size()));
}

Json flatten_weights(const Weights& weights) {
  Json out = Json::array();
  for (const auto& [name, t] : weights) {
    const Tensor flat = t.detach().to(at::kCPU, at::kDouble).contiguous().view(-1);
    for (std::int64_t i = 0; i < flat.numel(); ++i) out.push_back(flat.data_ptr<double>()[i]);
  }
  return out;
}

void unflatten_weights(const Json& numbers, const Weights& weights, const std::string& where) {
  std::int64_t total = 0;
  for (const auto& [name, t] : weights) total += t.numel();
  if (!numbers.is_array() || std::int64_t(numbers.size()) != total)
    throw InputError(
        fmt::format("{}: expected an array of {} numbers (the model's weights in "
                    "their documented order), got {}",
                    where, total,
                    numbers.is_array() ? fmt::format("{} entries", numbers.size())
                                       : std::string(numbers.type_name())));
  std::vector<double> values;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    if (!numbers[i].is_number() || !std::isfinite(numbers[i].get<double>()))
      throw InputError(fmt::format("{}: entry {} is not a finite number", where, i));
    values.push_back(numbers[i].get<double>());
  }
  at::NoGradGuard no_grad;
  std::int64_t offset = 0;
  const Tensor all = at::tensor(values, at::kDouble);
  for (const auto& [name, t] : weights) {
    t.copy_(all.slice(0, offset, offset + t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

void read_weights_file(const std::filesystem::path& path, const Weights& weights) {
  const Json j = read_json_file(path);
  if (j.is_object() && j.contains("weights"))
    weights_from_json(j["weights"], weights, path.string());
  else
    unflatten_weights(j, weights, path.string());
}

void save_checkpoint(const std::filesystem::path& path, const LearnedOptimizer& model,
                     const CheckpointKey& key, const TrainResult& result, const Json& provenance) {
  Json file = {{"format", "l2obench-checkpoint"},
               {"key", key.to_json()},
               {"hash", key.hash()},
               {"result", result.to_json()},
               {"provenance", provenance},
               {"weights", weights_to_json(model.weights())}};
  file["digest"] = json_digest(file);
  write_json_atomically(path, file);
}

TrainResult load_checkpoint(const std::filesystem::path& path, LearnedOptimizer& model,
                            const CheckpointKey& key, Json* provenance) {
  const std::string where = path.string();
  Json file = read_json_file(path);
  if (!file.is_object() || file.value("format", Json()) != "l2obench-checkpoint")
    throw InputError(fmt::format("{}: not an l2obench checkpoint; delete it to retrain", where));
  // Before anything is read from it: a weight changed in place keeps every shape.
  if (!file.contains("digest"))
    throw InputError(fmt::format(
        "{}: the checkpoint has no digest (written by an older l2obench, or edited); delete it "
        "to retrain",
        where));
  if (file["digest"] != json_digest(file))
    throw InputError(fmt::format(
        "{}: the checkpoint's digest does not match its content (edited or damaged since it was "
        "written); delete it to retrain",
        where));
  if (file.value("key", Json()) != key.to_json())
    throw InputError(
        fmt::format("{}: trained for another configuration than its name says (stale or edited); "
                    "delete it to retrain",
                    where));
  try {
    weights_from_json(file.at("weights"), model.weights(), where);
    if (provenance) *provenance = file.value("provenance", Json());
    return TrainResult::from_json(file.at("result"));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(
        fmt::format("{}: corrupt checkpoint ({}); delete it to retrain", where, e.what()));
  }
}

}  // namespace l2o::learned
