#include "harness/suite.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "core/memory.hpp"
#include "core/seed.hpp"
#include "harness/tuning.hpp"
#include "learned/registry.hpp"
#include "problems/registry.hpp"

namespace l2o::harness {

namespace {

struct Settings {
  std::string name;
  std::string description;
  std::int64_t seed = 0;
  std::int64_t steps = 100;
  std::int64_t test_instances = 128;
  std::int64_t repetitions = 1;
  std::string dtype = "float32";
  std::string train_profile = "quick";
  double target = 1e-3;

  template <class Visitor>
  void fields(Visitor& v) {
    v.field("name", name, "name of the suite");
    v.field("description", description, "what the suite reproduces");
    v.field("seed", seed, "root of every random stream", at_least(0));
    v.field("steps", steps, "iterations of every rollout", at_least(1));
    v.field("test_instances", test_instances, "held-out instances per cell", at_least(1));
    v.field("repetitions", repetitions, "independent test sets per (problem, optimizer)",
            at_least(1));
    v.field("dtype", dtype, "precision of instances and iterates", one_of({"float32", "float64"}));
    v.field("train_profile", train_profile, "training budgets of learned optimizers",
            one_of({"quick", "paper"}));
    v.field("target", target,
            "relative gap (f - f*)/|f*| of the iterations-to-target metric (first step below it)",
            greater_than(0));
  }
};

const Json& require_array(const Json& suite, const char* key, const std::string& where) {
  auto it = suite.find(key);
  if (it == suite.end())
    throw InputError(fmt::format("{}: missing field \"{}\" (a non-empty array)", where, key));
  if (!it->is_array() || it->empty())
    throw InputError(
        fmt::format("{}.{}: expected a non-empty array, got {}", where, key, it->dump()));
  return *it;
}

std::string require_string(const Json& entry, const char* key, const std::string& where) {
  auto it = entry.find(key);
  if (it == entry.end() || !it->is_string())
    throw InputError(fmt::format("{}.{}: expected a string{}", where, key,
                                 it == entry.end() ? " (missing)" : ", got " + it->dump()));
  return it->get<std::string>();
}

std::string optional_string(const Json& entry, const char* key, const std::string& where) {
  auto it = entry.find(key);
  if (it == entry.end()) return {};
  if (!it->is_string())
    throw InputError(fmt::format("{}.{}: expected a string, got {}", where, key, it->dump()));
  return it->get<std::string>();
}

// Labels become file names and table rows: keep them unique and printable.
void claim_label(std::map<std::string, std::string>& owners, const std::string& label,
                 const std::string& where) {
  if (label.empty()) throw InputError(fmt::format("{}.label: must not be empty", where));
  auto [it, fresh] = owners.emplace(label, where);
  if (!fresh)
    throw InputError(
        fmt::format("{}: label \"{}\" is already used by {}; give one of them a distinct \"label\"",
                    where, label, it->second));
}

constexpr ScenarioKind all_scenario_kinds[] = {ScenarioKind::none, ScenarioKind::start,
                                               ScenarioKind::objective, ScenarioKind::both,
                                               ScenarioKind::scale};

ScenarioKind parse_scenario_kind(const std::string& text, const std::string& at) {
  for (ScenarioKind kind : all_scenario_kinds)
    if (to_string(kind) == text) return kind;
  throw InputError(fmt::format("{}: expected one of: {}, got \"{}\"", at, scenario_kinds, text));
}

// A shift is finite and non-zero, a scale finite and > 0 (and not 1).
bool valid_scenario_value(ScenarioKind kind, const Json& value) {
  if (!value.is_number() || !std::isfinite(value.get<double>())) return false;
  const double v = value.get<double>();
  return kind == ScenarioKind::scale ? v > 0 && v != 1 : v != 0;
}

// One "scenarios" entry: {"kind": ..., "value": number or non-empty list}; "none" takes no
// value.
std::vector<Scenario> parse_scenario(const Json& entry, const std::string& at) {
  if (!entry.is_object())
    throw InputError(fmt::format("{}: expected an object {{\"kind\": ..., \"value\": ...}}, got {}",
                                 at, entry.dump()));
  for (const auto& [key, value] : entry.items())
    if (key != "kind" && key != "value")
      throw InputError(fmt::format("{}.{}: unknown field; allowed: kind, value", at, key));
  const ScenarioKind kind = parse_scenario_kind(require_string(entry, "kind", at), at + ".kind");
  auto it = entry.find("value");
  if (kind == ScenarioKind::none) {
    if (it != entry.end())
      throw InputError(fmt::format("{}.value: the scenario \"none\" takes no value", at));
    return {Scenario{}};
  }
  const std::string allowed = kind == ScenarioKind::scale
                                  ? "a finite number > 0 other than 1 (the factor c in F(c x))"
                                  : "a finite non-zero number (the shift; the paper uses +-10, "
                                    "+-20, +-50, +-100)";
  if (it == entry.end())
    throw InputError(
        fmt::format("{}.value: missing; expected {} or a non-empty list of them", at, allowed));
  const bool list = it->is_array();
  if (list && it->empty())
    throw InputError(fmt::format("{}.value: expected {} or a non-empty list of them", at, allowed));
  std::vector<Json> values = list ? it->get<std::vector<Json>>() : std::vector<Json>{*it};
  std::vector<Scenario> out;
  for (std::size_t k = 0; k < values.size(); ++k) {
    const std::string at_k = list ? fmt::format("{}.value[{}]", at, k) : at + ".value";
    if (!valid_scenario_value(kind, values[k]))
      throw InputError(fmt::format("{}: expected {}, got {}", at_k, allowed, values[k].dump()));
    out.push_back({kind, values[k].get<double>()});
  }
  return out;
}

std::vector<Scenario> parse_scenarios(const Json& list, const std::string& at) {
  if (!list.is_array() || list.empty())
    throw InputError(fmt::format(
        "{}: expected a non-empty array of scenarios ({{\"kind\": one of {}, \"value\": ...}}), "
        "got {}",
        at, scenario_kinds, list.dump()));
  std::vector<Scenario> out;
  for (std::size_t i = 0; i < list.size(); ++i)
    for (Scenario s : parse_scenario(list[i], fmt::format("{}[{}]", at, i))) out.push_back(s);
  return out;
}

// Every number of a suite entry ends up in the suite's dtype (a step size, a shift, a scale):
// one beyond its range is refused here, not when a tensor is filled mid-run.
void check_dtype_range(const Json& value, c10::ScalarType dtype, const std::string& at) {
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) check_dtype_range(item, dtype, at + "." + key);
  } else if (value.is_array()) {
    for (std::size_t k = 0; k < value.size(); ++k)
      check_dtype_range(value[k], dtype, fmt::format("{}[{}]", at, k));
  } else if (value.is_number()) {
    const double largest = dtype == c10::kFloat ? std::numeric_limits<float>::max()
                                                : std::numeric_limits<double>::max();
    if (std::abs(value.get<double>()) > largest)
      throw InputError(fmt::format("{}: {} is beyond the range of the suite's dtype {} (|x| <= {})",
                                   at, value.dump(), dtype_name(dtype), largest));
  }
}

// A cell's iterates alone are test_instances × dim numbers: a dim that cannot fit in this
// machine's memory ("dim": 5e9) is refused by name rather than by LibTorch mid-run.
struct IterateBatch {
  std::int64_t instances;
  c10::ScalarType dtype;
};
void check_fits_in_memory(std::int64_t dim, const IterateBatch& batch, const std::string& at) {
  const double bytes =
      double(dim) * double(batch.instances) * double(c10::elementSize(batch.dtype));
  if (bytes > physical_memory_bytes())
    throw InputError(fmt::format(
        "{}: {} x {} test instances in {} take {} for the iterates alone, more than this "
        "machine's memory ({})",
        at, dim, batch.instances, dtype_name(batch.dtype), format_bytes(bytes),
        format_bytes(physical_memory_bytes())));
}

std::vector<ProblemSpec> parse_problems(const Json& list, const std::string& where,
                                        const std::vector<Scenario>& suite_scenarios,
                                        const IterateBatch& batch) {
  std::vector<ProblemSpec> out;
  std::map<std::string, std::string> owners;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = fmt::format("{}.problems[{}]", where, i);
    const Json& entry = list[i];
    if (!entry.is_object())
      throw InputError(fmt::format("{}: expected an object, got {}", at, entry.dump()));
    const std::string family = require_string(entry, "family", at);
    const auto& registered = problems::find_family(family, at + ".family");
    const std::string label = optional_string(entry, "label", at);

    Json config = entry;
    config.erase("family");
    config.erase("label");
    config.erase("scenarios");
    const std::vector<Scenario> scenarios =
        entry.contains("scenarios") ? parse_scenarios(entry["scenarios"], at + ".scenarios")
                                    : suite_scenarios;
    std::vector<Json> dims{config.contains("dim") ? config["dim"] : Json()};
    const bool dim_list = config.contains("dim") && config["dim"].is_array();
    if (dim_list) {
      if (config["dim"].empty())
        throw InputError(fmt::format("{}.dim: expected an integer or a non-empty list", at));
      dims = config["dim"].get<std::vector<Json>>();
    }
    for (std::size_t d = 0; d < dims.size(); ++d) {
      const std::string at_dim = dim_list ? fmt::format("{}.dim[{}]", at, d) : at;
      Json one = config;
      if (!dims[d].is_null()) one["dim"] = dims[d];
      const bool integral =
          dims[d].is_number_integer() ||
          (dims[d].is_number_float() && std::trunc(dims[d].get<double>()) == dims[d].get<double>());
      if (dim_list && !(integral && dims[d].get<double>() >= 1))
        throw InputError(
            fmt::format("{}: expected an integer >= 1, got {}", at_dim, dims[d].dump()));
      Json canonical = registered.canonical(one, at);
      const std::int64_t dim = canonical.at("dim").get<std::int64_t>();
      check_fits_in_memory(dim, batch, dim_list ? at_dim : at + ".dim");
      std::string name = label.empty() ? fmt::format("{}-n{}", family, dim)
                                       : (dim_list ? fmt::format("{}-n{}", label, dim) : label);
      for (const Scenario& scenario : scenarios) {
        std::string scenario_name =
            scenario.identity() ? name : fmt::format("{}/{}", name, scenario.label());
        claim_label(owners, scenario_name, at_dim);
        out.push_back({std::move(scenario_name), family, canonical, scenario});
      }
    }
  }
  return out;
}

// A learned entry's training problem: one problem object (a single dim).
ProblemSpec parse_training_problem(const Json& entry, const std::string& at) {
  if (!entry.is_object())
    throw InputError(fmt::format("{}: expected a problem object, got {}", at, entry.dump()));
  const std::string family = require_string(entry, "family", at);
  const auto& registered = problems::find_family(family, at + ".family");
  Json config = entry;
  config.erase("family");
  Json canonical = registered.canonical(config, at);
  std::string label = fmt::format("{}-n{}", family, canonical.at("dim").get<std::int64_t>());
  return {std::move(label), family, std::move(canonical)};
}

// An optimizer entry's "families": registered family names.
std::vector<std::string> parse_family_list(const Json& entry, const std::string& at) {
  std::vector<std::string> families;
  auto it = entry.find("families");
  if (it == entry.end()) return families;
  if (!it->is_array() || it->empty())
    throw InputError(fmt::format("{}.families: expected a non-empty array of family names, got {}",
                                 at, it->dump()));
  for (std::size_t k = 0; k < it->size(); ++k) {
    const std::string at_k = fmt::format("{}.families[{}]", at, k);
    if (!(*it)[k].is_string())
      throw InputError(fmt::format("{}: expected a string, got {}", at_k, (*it)[k].dump()));
    families.push_back(std::string(problems::find_family((*it)[k].get<std::string>(), at_k).name));
  }
  return families;
}

// An entry with a trial's values: {"lr": v} sets the field, {"train.lr": v} its training's at
// every budget (also where "train_quick" or "train_paper" sets that field).
Json with_overrides(Json entry, const Json& overrides) {
  for (const auto& [name, value] : overrides.items()) {
    if (!name.starts_with(training_field_prefix)) {
      entry[name] = value;
      continue;
    }
    const std::string field = name.substr(training_field_prefix.size());
    entry["train"][field] = value;
    for (const char* profile_block : {"train_quick", "train_paper"})
      if (auto it = entry.find(profile_block); it != entry.end() && it->contains(field))
        (*it)[field] = value;
  }
  return entry;
}

OptimizerSpec parse_optimizer(const Json& entry, const std::string& at,
                              learned::TrainProfile profile, std::uint64_t suite_seed);

// An entry's "tune": its trials, each the entry with the trial's values parsed like any entry,
// so that the optimizer validates them; a value it refuses is named by where it is written.
// `every_field`: the untuned config with the fields the canonical one leaves out at their
// defaults (keyed_only_when_set) filled in, so that a suite may tune them too.
Tuning parse_tuning(const Json& entry, const OptimizerSpec& untuned, const Json& every_field,
                    const std::string& at, learned::TrainProfile profile,
                    std::uint64_t suite_seed) {
  const Json& tune = entry.at("tune");
  const std::uint64_t seed =
      derive_seed(suite_seed, {"tune", untuned.name, untuned.config.dump(), tune.dump()});
  const TuneDraws draws = draw_tune_trials(tune, every_field, untuned.training, seed, at + ".tune");
  Json plain = entry;
  plain.erase("tune");
  for (const auto& [where, value] : draws.bounds) {
    try {
      parse_optimizer(with_overrides(plain, value), at, profile, suite_seed);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {} is refused by the optimizer: {}", where,
                                   value.begin()->dump(), e.what()));
    }
  }
  Tuning tuning{.objective = draws.objective, .spec = tune};
  for (std::size_t k = 0; k < draws.overrides.size(); ++k) {
    try {
      const OptimizerSpec trial =
          parse_optimizer(with_overrides(plain, draws.overrides[k]), at, profile, suite_seed);
      tuning.trials.push_back({trial.config, trial.training});
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}.tune: trial {} ({}) is refused by the optimizer: {}", at, k,
                                   draws.overrides[k].dump(), e.what()));
    }
  }
  return tuning;
}

OptimizerSpec parse_optimizer(const Json& entry, const std::string& at,
                              learned::TrainProfile profile, std::uint64_t suite_seed) {
  if (!entry.is_object())
    throw InputError(fmt::format("{}: expected an object, got {}", at, entry.dump()));
  const std::string name = require_string(entry, "name", at);
  const learned::AnyOptimizerEntry& registered = learned::find_any_optimizer(name, at + ".name");
  std::string label = optional_string(entry, "label", at);
  if (label.empty()) label = name;
  Json config = entry;
  for (const char* key : {"name", "label", "families", "tune"}) config.erase(key);
  for (const char* key : learned::training_entry_keys) config.erase(key);
  OptimizerSpec spec{.label = label,
                     .name = name,
                     .config = registered.canonical(config, at),
                     .families = parse_family_list(entry, at)};
  spec.training = registered.training(spec.config, profile, entry, at);
  if (auto it = entry.find("train_on"); it != entry.end())
    spec.train_on = parse_training_problem(*it, at + ".train_on");
  if (entry.contains("tune")) {
    Json every_field = spec.config;
    for (const Json& field : registered.describe())
      if (!every_field.contains(field.at("name")))
        every_field[field.at("name")] = field.at("default");
    spec.tuning = parse_tuning(entry, spec, every_field, at, profile, suite_seed);
  }
  return spec;
}

std::vector<OptimizerSpec> parse_optimizers(const Json& list, const std::string& where,
                                            learned::TrainProfile profile,
                                            std::uint64_t suite_seed) {
  std::vector<OptimizerSpec> out;
  std::map<std::string, std::string> owners;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = fmt::format("{}.optimizers[{}]", where, i);
    OptimizerSpec spec = parse_optimizer(list[i], at, profile, suite_seed);
    claim_label(owners, spec.label, at);
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace

Suite parse_suite_json(const Json& suite, const std::string& where) {
  auto settings = parse_config<Settings>(suite, where, {"problems", "optimizers", "scenarios"});
  // The name becomes the default output folder out/<name>: keep it a plain file name.
  const std::string& name = settings.name;
  const bool plain =
      !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
  if (!plain)
    throw InputError(
        fmt::format("{}.name: expected letters, digits, '-', '_' or '.', starting with a letter or "
                    "digit, got \"{}\"",
                    where, name));
  Suite out;
  out.name = settings.name;
  out.description = settings.description;
  out.seed = static_cast<std::uint64_t>(settings.seed);
  out.steps = settings.steps;
  out.test_instances = settings.test_instances;
  out.repetitions = settings.repetitions;
  out.dtype = parse_dtype(settings.dtype, where + ".dtype");
  out.target = settings.target;
  const std::vector<Scenario> scenarios =
      suite.contains("scenarios") ? parse_scenarios(suite["scenarios"], where + ".scenarios")
                                  : std::vector<Scenario>{Scenario{}};
  for (const char* list : {"problems", "optimizers", "scenarios"})
    if (suite.contains(list)) check_dtype_range(suite[list], out.dtype, where + "." + list);
  out.problems = parse_problems(require_array(suite, "problems", where), where, scenarios,
                                {out.test_instances, out.dtype});
  out.train_profile = settings.train_profile;
  out.optimizers = parse_optimizers(
      require_array(suite, "optimizers", where), where,
      learned::parse_train_profile(settings.train_profile, where + ".train_profile"), out.seed);
  return out;
}

Suite parse_suite_file(const std::filesystem::path& path, const std::string& train_profile) {
  Json suite = read_json_file(path);
  if (!train_profile.empty() && suite.is_object()) {
    learned::parse_train_profile(train_profile, "--train-profile");
    suite["train_profile"] = train_profile;
  }
  return parse_suite_json(suite, path.string());
}

std::string_view to_string(ScenarioKind kind) {
  switch (kind) {
    case ScenarioKind::none:
      return "none";
    case ScenarioKind::start:
      return "start";
    case ScenarioKind::objective:
      return "objective";
    case ScenarioKind::both:
      return "both";
    case ScenarioKind::scale:
      return "scale";
  }
  return "?";
}

double Scenario::start_shift() const {
  return kind == ScenarioKind::start ? value : kind == ScenarioKind::both ? -value : 0.0;
}

double Scenario::objective_shift() const {
  return kind == ScenarioKind::objective || kind == ScenarioKind::both ? value : 0.0;
}

double Scenario::scale() const {
  return kind == ScenarioKind::scale ? value : 1.0;
}

std::string Scenario::label() const {
  if (identity()) return {};
  if (kind == ScenarioKind::scale) return fmt::format("scale{:g}", value);
  return fmt::format("{}{:+g}", to_string(kind), value);
}

Json Scenario::to_json() const {
  if (identity()) return {{"kind", to_string(kind)}};
  return {{"kind", to_string(kind)}, {"value", value}};
}

std::string ProblemSpec::base_label() const {
  if (scenario.identity()) return label;
  return label.substr(0, label.size() - scenario.label().size() - 1);  // "/<scenario>"
}

bool OptimizerSpec::runs_on(const ProblemSpec& problem) const {
  return families.empty() ||
         std::find(families.begin(), families.end(), problem.family) != families.end();
}

Json Suite::to_json() const {
  Json problem_list = Json::array(), optimizer_list = Json::array();
  for (const auto& p : problems) {
    Json entry = p.config;
    entry["family"] = p.family;
    // Written as the base label with its one scenario, which parses back to this problem.
    entry["label"] = p.base_label();
    if (!p.scenario.identity()) entry["scenarios"] = Json::array({p.scenario.to_json()});
    problem_list.push_back(std::move(entry));
  }
  for (const auto& o : optimizers) {
    Json entry = o.config;
    entry["name"] = o.name;
    entry["label"] = o.label;
    if (!o.families.empty()) entry["families"] = o.families;
    if (!o.training.is_null()) entry["train"] = o.training;
    if (o.tuning) entry["tune"] = o.tuning->spec;
    if (o.train_on) {
      Json problem = o.train_on->config;
      problem["family"] = o.train_on->family;
      entry["train_on"] = std::move(problem);
    }
    optimizer_list.push_back(std::move(entry));
  }
  return {{"name", name},
          {"description", description},
          {"seed", seed},
          {"steps", steps},
          {"test_instances", test_instances},
          {"repetitions", repetitions},
          {"dtype", dtype_name(dtype)},
          {"train_profile", train_profile},
          {"target", target},
          {"problems", std::move(problem_list)},
          {"optimizers", std::move(optimizer_list)}};
}

}  // namespace l2o::harness
