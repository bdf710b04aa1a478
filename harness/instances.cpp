#include "harness/instances.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "harness/cells.hpp"
#include "problems/registry.hpp"

namespace l2o::harness {

Json export_instances(const Suite& suite, const InstanceExport& what) {
  // The train split is a stream (a fresh batch per epoch of meta-training), not a fixed set.
  if (what.split != "validation" && what.split != "test")
    throw InputError(
        fmt::format("--split: expected one of: test, validation, got \"{}\"", what.split));
  if (what.repetition < 0 || what.repetition >= suite.repetitions)
    throw InputError(fmt::format("--repetition: expected 0 to {}, got {}", suite.repetitions - 1,
                                 what.repetition));
  Json problems = Json::array();
  for (const ProblemSpec& p : suite.problems) {
    if (what.problem && *what.problem != p.label) continue;
    const InstanceSeeds seeds = instance_seeds(suite, p, what.split, what.repetition);
    auto objective = problems::find_family(p.family, p.label)
                         .sample(p.config, {what.count > 0 ? what.count : suite.test_instances,
                                            seeds.instances,
                                            {c10::kCPU, suite.dtype}});
    Json parameters = Json::object();
    for (const auto& [name, t] : objective->parameters()) parameters[name] = tensor_to_json(t);
    auto minimum = what.with_minimum ? objective->reference_minimum() : std::nullopt;
    problems.push_back(
        {{"label", p.label},
         {"family", p.family},
         {"config", p.config},
         {"seeds", {{"instances", seeds.instances}, {"initial_points", seeds.initial_points}}},
         {"parameters", std::move(parameters)},
         {"x0", tensor_to_json(objective->initial_points(seeds.initial_points))},
         {"f_star", minimum ? tensor_to_json(*minimum) : Json()}});
  }
  if (what.problem && problems.empty()) {
    std::vector<std::string> labels;
    for (const ProblemSpec& p : suite.problems) labels.push_back(p.label);
    throw InputError(fmt::format("--problem: no problem labelled \"{}\"; the suite has: {}",
                                 *what.problem, fmt::join(labels, ", ")));
  }
  return {{"format", "l2obench-instances"},
          {"version", 1},
          {"suite", suite.name},
          {"split", what.split},
          {"repetition", what.repetition},
          {"dtype", dtype_name(suite.dtype)},
          {"problems", std::move(problems)}};
}

namespace {

// A field of an instance file, present and of the expected kind, else an error naming it.
const Json& require(const Json& object, const char* key, bool (Json::*is_kind)() const noexcept,
                    std::string_view kind, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || !((*it).*is_kind)())
    throw InputError(fmt::format("{}.{}: expected {}{}", where, key, kind,
                                 it == object.end() ? " (missing)" : ", got " + it->dump()));
  return *it;
}

}  // namespace

std::vector<ImportedProblem> import_instances(const Json& file, const std::string& where) {
  if (!file.is_object() || file.value("format", Json()) != "l2obench-instances")
    throw InputError(fmt::format(
        "{}: not an l2obench instance file (\"format\" is not \"l2obench-instances\")", where));
  const std::string dtype =
      file.contains("dtype")
          ? require(file, "dtype", &Json::is_string, "a string", where).get<std::string>()
          : "float32";
  const Placement placement{c10::kCPU, parse_dtype(dtype, where + ".dtype")};
  std::vector<ImportedProblem> out;
  const Json& list = require(file, "problems", &Json::is_array, "an array", where);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = fmt::format("{}.problems[{}]", where, i);
    const Json& entry = list[i];
    if (!entry.is_object())
      throw InputError(fmt::format("{}: expected an object, got {}", at, entry.dump()));
    const auto family =
        require(entry, "family", &Json::is_string, "a string", at).get<std::string>();
    const auto& registered = problems::find_family(family, at + ".family");
    Json config = registered.canonical(require(entry, "config", &Json::is_object, "an object", at),
                                       at + ".config");
    problems::NamedTensors parameters;
    for (const auto& [name, value] :
         require(entry, "parameters", &Json::is_object, "an object", at).items())
      parameters.emplace_back(name,
                              tensor_from_json(value, fmt::format("{}.parameters.{}", at, name)));
    auto objective = registered.from_parameters(config, parameters, placement);
    Tensor x0 =
        place(tensor_from_json(require(entry, "x0", &Json::is_array, "an array", at), at + ".x0"),
              placement);
    if (x0.dim() != 2 || x0.size(0) != objective->batch() || x0.size(1) != objective->dim())
      throw InputError(
          fmt::format("{}.x0: expected shape [{}, {}]", at, objective->batch(), objective->dim()));
    const std::string label =
        entry.contains("label")
            ? require(entry, "label", &Json::is_string, "a string", at).get<std::string>()
            : family;
    out.push_back({label, family, std::move(config), std::move(objective), x0});
  }
  return out;
}

}  // namespace l2o::harness
