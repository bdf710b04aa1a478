#include "learned/resume.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/optim/adam.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"

namespace l2o::learned {

namespace {

constexpr std::string_view magic = "l2obench-resume\n";

void warn_ignored(const std::filesystem::path& file, const std::string& why) {
  std::fprintf(stderr, "l2obench: warning: %s: %s; it is ignored and training starts over\n",
               file.c_str(), why.c_str());
}

// The element types a training state holds, by the names the file uses.
constexpr std::pair<const char*, c10::ScalarType> element_types[] = {
    {"float32", at::kFloat}, {"float64", at::kDouble}, {"int64", at::kLong}};

std::string element_type_name(c10::ScalarType type) {
  for (const auto& [name, t] : element_types)
    if (t == type) return name;
  throw std::logic_error(
      fmt::format("resume file: no name for element type {}", c10::toString(type)));
}

c10::ScalarType element_type(const std::string& name) {
  for (const auto& [n, t] : element_types)
    if (n == name) return t;
  throw std::runtime_error(fmt::format("unknown element type \"{}\"", name));
}

std::string adam_key(const Tensor& parameter) {
  return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

}  // namespace

void TrainingState::add(std::string name, const Tensor& t) {
  tensors.emplace_back(std::move(name), t.detach().to(at::kCPU).contiguous().clone());
}

const Tensor* TrainingState::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

const Tensor& TrainingState::at(const std::string& name) const {
  if (const Tensor* t = find(name)) return *t;
  throw InputError(fmt::format("resume file: tensor \"{}\" is missing", name));
}

void write_resume_file(const ResumePolicy& policy, const TrainingState& state) {
  Json table = Json::array();
  std::string data;
  for (const auto& [name, t] : state.tensors) {
    const std::size_t bytes = t.numel() * t.element_size();
    table.push_back({{"name", name},
                     {"dtype", element_type_name(t.scalar_type())},
                     {"shape", t.sizes().vec()},
                     {"offset", data.size()},
                     {"bytes", bytes}});
    data.append(static_cast<const char*>(t.data_ptr()), bytes);
  }
  const std::string header = Json{
      {"format_version", resume_format_version},
      {"identity", policy.identity},
      {"epoch", state.epoch},
      {"record", state.record},
      {"tensors", table}}.dump();
  write_file_atomically(policy.file, fmt::format("{}{}\n{}{}", magic, header.size(), header, data));
}

std::optional<TrainingState> read_resume_file(const ResumePolicy& policy) {
  if (policy.file.empty() || !std::filesystem::exists(policy.file)) return std::nullopt;
  const std::string content = read_file(policy.file);
  try {
    if (!content.starts_with(magic)) throw std::runtime_error("not an l2obench resume file");
    const std::size_t length_end = content.find('\n', magic.size());
    const std::size_t length = std::stoull(content.substr(magic.size(), length_end));
    const Json header = Json::parse(content.substr(length_end + 1, length));
    if (header.at("format_version") != resume_format_version) {
      warn_ignored(policy.file,
                   fmt::format("resume file format {} (this build reads {})",
                               header.at("format_version").dump(), resume_format_version));
      return std::nullopt;
    }
    if (header.at("identity") != policy.identity) {
      warn_ignored(policy.file, "written for another training or by another build");
      return std::nullopt;
    }
    const std::size_t data = length_end + 1 + length;
    TrainingState state;
    state.epoch = header.at("epoch").get<std::int64_t>();
    state.record = header.at("record");
    for (const Json& entry : header.at("tensors")) {
      const std::size_t offset = entry.at("offset"), bytes = entry.at("bytes");
      Tensor t = at::empty(entry.at("shape").get<std::vector<std::int64_t>>(),
                           at::TensorOptions().dtype(element_type(entry.at("dtype"))));
      if (data + offset + bytes > content.size() ||
          std::size_t(t.numel() * t.element_size()) != bytes)
        throw std::runtime_error(fmt::format("tensor {} is truncated", entry.at("name").dump()));
      std::memcpy(t.data_ptr(), content.data() + data + offset, bytes);
      state.tensors.emplace_back(entry.at("name"), std::move(t));
    }
    return state;
  } catch (const std::exception& e) {
    warn_ignored(policy.file, fmt::format("unreadable ({})", e.what()));
    return std::nullopt;
  }
}

void save_adam_state(const torch::optim::Adam& optimizer, const std::vector<Tensor>& parameters,
                     const std::string& prefix, TrainingState& out) {
  const auto& states = optimizer.state();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    auto it = states.find(adam_key(parameters[i]));
    if (it == states.end()) continue;  // no step taken yet
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
    const std::string name = fmt::format("{}.{}", prefix, i);
    out.add(name + ".step", at::scalar_tensor(s.step(), at::kLong));
    out.add(name + ".exp_avg", s.exp_avg());
    out.add(name + ".exp_avg_sq", s.exp_avg_sq());
  }
}

void load_adam_state(torch::optim::Adam& optimizer, const std::vector<Tensor>& parameters,
                     const std::string& prefix, const TrainingState& in) {
  auto& states = optimizer.state();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const std::string name = fmt::format("{}.{}", prefix, i);
    if (!in.contains(name + ".step")) continue;  // no step taken yet
    const auto options = parameters[i].options().requires_grad(false);
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->step(in.at(name + ".step").item<std::int64_t>());
    s->exp_avg(in.at(name + ".exp_avg").to(options).clone());
    s->exp_avg_sq(in.at(name + ".exp_avg_sq").to(options).clone());
    states[adam_key(parameters[i])] = std::move(s);
    // As after the steps before: a zeroed gradient that the next backward accumulates into.
    parameters[i].mutable_grad() = at::zeros_like(parameters[i]);
  }
}

}  // namespace l2o::learned
